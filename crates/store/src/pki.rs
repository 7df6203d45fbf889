//! The node's PKI material at rest: the CA, staff signing identities
//! (private keys sealed), imported certificates, revocations and CRLs.
//!
//! This module stores bytes; it does not parse certificates or open keys
//! (that is `congso-archive`'s job, with `congso-pki`). Private keys arrive
//! here already sealed (PKCS#8 `EncryptedPrivateKeyInfo` under a node secret)
//! and are only ever handed back sealed, by [`sealed_key`], never listed.
//!
//! Revocation and CRL publication happen in one transaction that also takes
//! the PKI lock ([`publish_crl`]), so two revocations racing cannot publish
//! a newest CRL that misses one of them.

use serde::Serialize;

use crate::db::Db;
use crate::error::{Result, StoreError};

/// PostgreSQL advisory-lock key that serialises CRL publication across
/// replicas ("congso-p" in ASCII).
const PG_PKI_LOCK: i64 = 0x636f_6e67_736f_2d70;

/// What a stored certificate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CertificateKind {
    /// The node's root CA.
    Ca,
    /// The node's RFC 3161 timestamp authority.
    Tsa,
    /// A staff signing certificate issued by the node CA.
    Staff,
    /// A staff signing certificate imported from an outside CA (PKCS#12).
    Imported,
}

impl CertificateKind {
    pub fn code(self) -> &'static str {
        match self {
            CertificateKind::Ca => "ca",
            CertificateKind::Tsa => "tsa",
            CertificateKind::Staff => "staff",
            CertificateKind::Imported => "imported",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "ca" => Some(CertificateKind::Ca),
            "tsa" => Some(CertificateKind::Tsa),
            "staff" => Some(CertificateKind::Staff),
            "imported" => Some(CertificateKind::Imported),
            _ => None,
        }
    }
}

/// A certificate to store. `serial` is lower-case hex; `fingerprint` the
/// lower-case hex SHA-256 of `certificate` (DER).
#[derive(Clone)]
pub struct NewCertificate {
    pub kind: CertificateKind,
    pub user_id: Option<i64>,
    pub serial: String,
    pub issuer: String,
    pub subject: String,
    pub common_name: String,
    pub algorithm: String,
    pub not_before: i64,
    pub not_after: i64,
    pub fingerprint: String,
    pub certificate: Vec<u8>,
    /// PEM of the issuing certificates to embed in signatures.
    pub chain_pem: String,
    /// The sealed private key, if the node holds it.
    pub sealed_key: Option<Vec<u8>>,
    pub created_by: String,
    pub created_at: i64,
}

impl std::fmt::Debug for NewCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCertificate")
            .field("kind", &self.kind)
            .field("serial", &self.serial)
            .field("subject", &self.subject)
            .field("sealed_key", &self.sealed_key.as_ref().map(|_| "***"))
            .finish()
    }
}

/// A stored certificate, without its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredCertificate {
    pub id: i64,
    pub kind: CertificateKind,
    pub user_id: Option<i64>,
    pub serial: String,
    pub issuer: String,
    pub subject: String,
    pub common_name: String,
    pub algorithm: String,
    pub not_before: i64,
    pub not_after: i64,
    pub fingerprint: String,
    #[serde(skip)]
    pub certificate: Vec<u8>,
    #[serde(skip)]
    pub chain_pem: String,
    pub has_key: bool,
    pub created_at: i64,
    pub created_by: String,
    pub retired_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revocation_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CertificateRow {
    id: i64,
    kind: String,
    user_id: Option<i64>,
    serial: String,
    issuer: String,
    subject: String,
    common_name: String,
    algorithm: String,
    not_before: i64,
    not_after: i64,
    fingerprint: String,
    certificate: Vec<u8>,
    chain_pem: String,
    has_key: bool,
    created_at: i64,
    created_by: String,
    retired_at: Option<i64>,
    revoked_at: Option<i64>,
    revocation_reason: Option<String>,
}

impl TryFrom<CertificateRow> for StoredCertificate {
    type Error = StoreError;

    fn try_from(row: CertificateRow) -> Result<Self> {
        let kind = CertificateKind::from_code(&row.kind).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "certificate {} has unknown kind {:?}",
                row.id, row.kind
            ))
        })?;
        Ok(StoredCertificate {
            id: row.id,
            kind,
            user_id: row.user_id,
            serial: row.serial,
            issuer: row.issuer,
            subject: row.subject,
            common_name: row.common_name,
            algorithm: row.algorithm,
            not_before: row.not_before,
            not_after: row.not_after,
            fingerprint: row.fingerprint,
            certificate: row.certificate,
            chain_pem: row.chain_pem,
            has_key: row.has_key,
            created_at: row.created_at,
            created_by: row.created_by,
            retired_at: row.retired_at,
            revoked_at: row.revoked_at,
            revocation_reason: row.revocation_reason,
        })
    }
}

const COLUMNS: &str = "id, kind, user_id, serial, issuer, subject, common_name, algorithm, \
     not_before, not_after, fingerprint, certificate, chain_pem, \
     (sealed_key IS NOT NULL) AS has_key, created_at, created_by, retired_at, revoked_at, \
     revocation_reason";

fn convert(rows: Vec<CertificateRow>) -> Result<Vec<StoredCertificate>> {
    rows.into_iter().map(StoredCertificate::try_from).collect()
}

/// Normalises a serial number typed by a person: hex digits with optional
/// colons, dashes or spaces, any case, and an odd number of digits padded
/// to whole bytes.
pub fn normalize_serial(text: &str) -> Result<String> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect::<String>()
        .to_ascii_lowercase();
    if digits.is_empty() || digits.len() > 80 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(StoreError::Invalid(format!(
            "serial number {text:?} is not hexadecimal"
        )));
    }
    let even = if digits.len() % 2 == 1 {
        format!("0{digits}")
    } else {
        digits
    };
    Ok(even)
}

/// Stores a certificate. For a CA or TSA, returns `None` when an active one
/// already exists (another process created it first); the caller re-reads
/// it with [`active`].
pub async fn insert_certificate(db: &Db, new: &NewCertificate) -> Result<Option<i64>> {
    let sql = "INSERT INTO pki_certificates (kind, user_id, serial, issuer, subject, common_name, \
               algorithm, not_before, not_after, fingerprint, certificate, chain_pem, sealed_key, \
               created_at, created_by) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
               ON CONFLICT DO NOTHING RETURNING id";
    let id: Option<i64> = on_write!(db, |pool| {
        sqlx::query_scalar(sql)
            .bind(new.kind.code())
            .bind(new.user_id)
            .bind(&new.serial)
            .bind(&new.issuer)
            .bind(&new.subject)
            .bind(&new.common_name)
            .bind(&new.algorithm)
            .bind(new.not_before)
            .bind(new.not_after)
            .bind(&new.fingerprint)
            .bind(&new.certificate)
            .bind(&new.chain_pem)
            .bind(&new.sealed_key)
            .bind(new.created_at)
            .bind(&new.created_by)
            .fetch_optional(pool)
            .await?
    });
    if id.is_none() && matches!(new.kind, CertificateKind::Staff | CertificateKind::Imported) {
        return Err(StoreError::Conflict(format!(
            "certificate {} (serial {}) is already stored",
            new.fingerprint, new.serial
        )));
    }
    Ok(id)
}

/// Replaces the active TSA (or CA) with a new one in one transaction: the
/// old one is retired (it still verifies the tokens it signed) and the new
/// one becomes active. Returns the new id.
pub async fn replace_active(db: &Db, retiring_id: i64, new: &NewCertificate) -> Result<i64> {
    let sql = "INSERT INTO pki_certificates (kind, user_id, serial, issuer, subject, common_name, \
               algorithm, not_before, not_after, fingerprint, certificate, chain_pem, sealed_key, \
               created_at, created_by) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
               RETURNING id";
    let id: i64 = in_tx!(db, |tx| {
        let retired = sqlx::query(
            "UPDATE pki_certificates SET retired_at = $1 WHERE id = $2 AND retired_at IS NULL",
        )
        .bind(new.created_at)
        .bind(retiring_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if retired != 1 {
            return Err(StoreError::Conflict(format!(
                "certificate {retiring_id} was already replaced"
            )));
        }
        sqlx::query_scalar(sql)
            .bind(new.kind.code())
            .bind(new.user_id)
            .bind(&new.serial)
            .bind(&new.issuer)
            .bind(&new.subject)
            .bind(&new.common_name)
            .bind(&new.algorithm)
            .bind(new.not_before)
            .bind(new.not_after)
            .bind(&new.fingerprint)
            .bind(&new.certificate)
            .bind(&new.chain_pem)
            .bind(&new.sealed_key)
            .bind(new.created_at)
            .bind(&new.created_by)
            .fetch_one(&mut *tx)
            .await?
    });
    Ok(id)
}

/// Removes a certificate whose issuance the ledger refused to record, so
/// nothing unrecorded stays usable. A certificate a signature refers to is
/// never removed.
pub async fn delete_unrecorded_certificate(db: &Db, id: i64) -> Result<()> {
    on_write!(db, |pool| {
        sqlx::query(
            "DELETE FROM pki_certificates WHERE id = $1 \
             AND NOT EXISTS (SELECT 1 FROM signatures WHERE certificate_id = $1)",
        )
        .bind(id)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// The active (not retired) CA or TSA certificate.
pub async fn active(db: &Db, kind: CertificateKind) -> Result<Option<StoredCertificate>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM pki_certificates WHERE kind = $1 AND retired_at IS NULL \
         ORDER BY id DESC LIMIT 1"
    );
    let row: Option<CertificateRow> = on_write!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(kind.code())
            .fetch_optional(pool)
            .await?
    });
    row.map(StoredCertificate::try_from).transpose()
}

pub async fn get(db: &Db, id: i64) -> Result<Option<StoredCertificate>> {
    let sql = format!("SELECT {COLUMNS} FROM pki_certificates WHERE id = $1");
    let row: Option<CertificateRow> = on_db!(db, |pool| {
        sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
    });
    row.map(StoredCertificate::try_from).transpose()
}

/// The sealed private key of a certificate, if the node holds one.
pub async fn sealed_key(db: &Db, id: i64) -> Result<Option<Vec<u8>>> {
    let sealed: Option<Option<Vec<u8>>> = on_db!(db, |pool| {
        sqlx::query_scalar("SELECT sealed_key FROM pki_certificates WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    Ok(sealed.flatten())
}

/// Certificates with this serial number (hex, any issuer).
pub async fn find_by_serial(db: &Db, serial: &str) -> Result<Vec<StoredCertificate>> {
    let serial = normalize_serial(serial)?;
    let sql = format!("SELECT {COLUMNS} FROM pki_certificates WHERE serial = $1 ORDER BY id");
    let rows: Vec<CertificateRow> = on_db!(db, |pool| {
        sqlx::query_as(&sql).bind(&serial).fetch_all(pool).await?
    });
    convert(rows)
}

/// Every stored certificate, oldest first.
pub async fn list(db: &Db) -> Result<Vec<StoredCertificate>> {
    let sql = format!("SELECT {COLUMNS} FROM pki_certificates ORDER BY id");
    let rows: Vec<CertificateRow> = on_db!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await?);
    convert(rows)
}

/// A user's certificates, newest first.
pub async fn for_user(db: &Db, user_id: i64) -> Result<Vec<StoredCertificate>> {
    let sql = format!("SELECT {COLUMNS} FROM pki_certificates WHERE user_id = $1 ORDER BY id DESC");
    let rows: Vec<CertificateRow> = on_db!(db, |pool| {
        sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await?
    });
    convert(rows)
}

/// One revoked certificate, as a CRL lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevokedEntry {
    pub serial: String,
    pub revoked_at: i64,
    pub reason: Option<String>,
}

/// A published CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCrl {
    pub number: i64,
    pub der: Vec<u8>,
    pub this_update: i64,
    pub next_update: i64,
    pub created_at: i64,
}

/// A revocation to record with [`publish_crl`].
#[derive(Debug, Clone)]
pub struct Revoke {
    pub certificate_id: i64,
    pub at: i64,
    pub reason: Option<String>,
}

/// What [`publish_crl`] hands the CRL signer.
#[derive(Debug, Clone)]
pub struct CrlContent {
    pub number: i64,
    /// Every revoked certificate issued by the CA, oldest revocation first.
    pub revoked: Vec<RevokedEntry>,
}

/// A CRL the signer produced.
#[derive(Debug, Clone)]
pub struct SignedCrl {
    pub der: Vec<u8>,
    pub this_update: i64,
    pub next_update: i64,
}

/// Optionally revokes a certificate, then publishes a new CRL listing every
/// revoked certificate issued by `ca_issuer` (the CA's subject), in one
/// transaction under the PKI lock. `sign` turns the list into a CRL (DER);
/// it runs inside the transaction, so it must be quick (an ECDSA signature).
/// An error from `sign`, or a certificate already revoked, leaves nothing
/// behind.
pub async fn publish_crl<F>(
    db: &Db,
    ca_issuer: &str,
    revoke: Option<&Revoke>,
    now: i64,
    sign: F,
) -> Result<StoredCrl>
where
    F: FnOnce(&CrlContent) -> Result<SignedCrl>,
{
    let stored = in_tx!(db, |tx| {
        if let crate::db::Db::Postgres(_) = db {
            // Other replicas publish in turn; SQLite's BEGIN IMMEDIATE already
            // serialises writers.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_PKI_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(revoke) = revoke {
            let updated = sqlx::query(
                "UPDATE pki_certificates SET revoked_at = $1, revocation_reason = $2 \
                 WHERE id = $3 AND revoked_at IS NULL",
            )
            .bind(revoke.at)
            .bind(&revoke.reason)
            .bind(revoke.certificate_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(StoreError::Conflict(format!(
                    "certificate {} does not exist or is already revoked",
                    revoke.certificate_id
                )));
            }
        }
        let revoked: Vec<(String, i64, Option<String>)> = sqlx::query_as(
            "SELECT serial, revoked_at, revocation_reason FROM pki_certificates \
             WHERE issuer = $1 AND revoked_at IS NOT NULL AND kind <> 'ca' \
             ORDER BY revoked_at, id",
        )
        .bind(ca_issuer)
        .fetch_all(&mut *tx)
        .await?;
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(number) FROM pki_crls")
            .fetch_one(&mut *tx)
            .await?;
        let content = CrlContent {
            number: last.unwrap_or(0) + 1,
            revoked: revoked
                .into_iter()
                .map(|(serial, revoked_at, reason)| RevokedEntry {
                    serial,
                    revoked_at,
                    reason,
                })
                .collect(),
        };
        let signed = sign(&content)?;
        sqlx::query(
            "INSERT INTO pki_crls (number, der, this_update, next_update, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(content.number)
        .bind(&signed.der)
        .bind(signed.this_update)
        .bind(signed.next_update)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        StoredCrl {
            number: content.number,
            der: signed.der,
            this_update: signed.this_update,
            next_update: signed.next_update,
            created_at: now,
        }
    });
    Ok(stored)
}

/// The newest CRL, if one was published.
pub async fn latest_crl(db: &Db) -> Result<Option<StoredCrl>> {
    let row: Option<(i64, Vec<u8>, i64, i64, i64)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT number, der, this_update, next_update, created_at FROM pki_crls \
             ORDER BY number DESC LIMIT 1",
        )
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(
        |(number, der, this_update, next_update, created_at)| StoredCrl {
            number,
            der,
            this_update,
            next_update,
            created_at,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_normalised() {
        let check = |input: &str, expected: Option<&str>| {
            assert_eq!(normalize_serial(input).ok().as_deref(), expected, "{input}");
        };
        check("4A:bc:01", Some("4abc01"));
        check("abc", Some("0abc"));
        check(" 4a bc ", Some("4abc"));
        check("", None);
        check("xyz", None);
        check("4a\u{0}", None);
        check(&"a".repeat(81), None);
    }
}

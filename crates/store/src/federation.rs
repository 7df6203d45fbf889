//! Federation state at rest: this node's identity in a federation, the
//! coordinator's members, invitations and revocations, the signed directory
//! versions, the outbox and inbox of messages between nodes, and witnessing.
//!
//! This module stores bytes and numbers; it does not parse certificates,
//! open keys or check signatures (that is `congso-federation`'s job). Keys
//! arrive here already sealed.
//!
//! Two things matter for correctness:
//!
//! - Exactly-once arrival rests on the inbox's `UNIQUE (sender, message_id)`:
//!   [`WriteOp::Receive`] inserts with `ON CONFLICT DO NOTHING` and, for a
//!   message already there, answers with the receipt stored the first time.
//! - Message traffic goes through [`FedWriter`], one task that batches
//!   whatever is waiting into a single transaction (group commit, like the
//!   ledger). SQLite commits synchronously, so one commit per message would
//!   cap a node at a few hundred messages a second; one commit per batch
//!   does not. A batch that fails is retried one operation at a time, so one
//!   bad operation cannot fail its neighbours.

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::db::Db;
use crate::error::{Result, StoreError};

/// PostgreSQL advisory-lock key that serialises directory updates across
/// replicas ("congso-f" in ASCII).
const PG_FEDERATION_LOCK: i64 = 0x636f_6e67_736f_2d66;

/// Most operations written in one transaction by [`FedWriter`].
const WRITE_BATCH_MAX: usize = 1024;

// -------------------------------------------------------------------- macros

// Statements used by several transactions, written once for both drivers.

macro_rules! insert_identity {
    ($tx:expr, $identity:expr) => {
        sqlx::query(&format!(
            "INSERT INTO fed_identity (id, {IDENTITY_COLUMNS}) \
             VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(&$identity.role)
        .bind(&$identity.federation_name)
        .bind(&$identity.organ_code)
        .bind(&$identity.endpoint)
        .bind(&$identity.coordinator_endpoint)
        .bind(&$identity.ca_certificate)
        .bind(&$identity.node_certificate)
        .bind(&$identity.node_key_sealed)
        .bind(&$identity.directory_key)
        .bind($identity.created_at)
        .bind($identity.updated_at)
        .execute(&mut *$tx)
        .await
    };
}

macro_rules! insert_member {
    ($tx:expr, $member:expr) => {
        sqlx::query(
            "INSERT INTO fed_members (organ_code, name, endpoint, certificate, \
             certificate_serial, ledger_key, witness_key, status, joined_at, removed_at, \
             removal_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (organ_code) DO UPDATE SET name = excluded.name, \
             endpoint = excluded.endpoint, certificate = excluded.certificate, \
             certificate_serial = excluded.certificate_serial, \
             ledger_key = excluded.ledger_key, witness_key = excluded.witness_key, \
             status = excluded.status, joined_at = excluded.joined_at, \
             removed_at = excluded.removed_at, removal_reason = excluded.removal_reason",
        )
        .bind(&$member.organ_code)
        .bind(&$member.name)
        .bind(&$member.endpoint)
        .bind(&$member.certificate)
        .bind(&$member.certificate_serial)
        .bind(&$member.ledger_key)
        .bind(&$member.witness_key)
        .bind(&$member.status)
        .bind($member.joined_at)
        .bind($member.removed_at)
        .bind(&$member.removal_reason)
        .execute(&mut *$tx)
        .await
    };
}

macro_rules! insert_directory {
    ($tx:expr, $directory:expr) => {
        sqlx::query(
            "INSERT INTO fed_directory (version, signed_note, body, crl, stored_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind($directory.version)
        .bind(&$directory.signed_note)
        .bind(&$directory.body)
        .bind(&$directory.crl)
        .bind($directory.stored_at)
        .execute(&mut *$tx)
        .await
    };
}

macro_rules! insert_outbox {
    ($tx:expr, $message:expr) => {
        sqlx::query(
            "INSERT INTO fed_outbox (message_id, recipient, kind, created_at, payload_len, \
             payload_sha256, payload_inline, state, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $4)",
        )
        .bind(&$message.message_id)
        .bind(&$message.recipient)
        .bind(&$message.kind)
        .bind($message.created_at)
        .bind($message.payload_len)
        .bind($message.payload_sha256.to_vec())
        .bind(&$message.payload_inline)
        .execute(&mut *$tx)
        .await
    };
}

// ------------------------------------------------------------------ identity

/// This node's place in a federation.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IdentityRow {
    /// `coordinator` or `member`.
    pub role: String,
    pub federation_name: String,
    pub organ_code: String,
    /// The `https://` address of this node's federation listener.
    pub endpoint: String,
    /// The coordinator's federation endpoint (this node's own for a coordinator).
    pub coordinator_endpoint: String,
    /// The federation CA certificate (DER).
    pub ca_certificate: Vec<u8>,
    /// This node's certificate (DER), issued by the federation CA.
    pub node_certificate: Vec<u8>,
    /// This node's private key, sealed (PKCS#8 `EncryptedPrivateKeyInfo`).
    pub node_key_sealed: Vec<u8>,
    /// The verifier key of directory signatures.
    pub directory_key: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for IdentityRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityRow")
            .field("role", &self.role)
            .field("federation_name", &self.federation_name)
            .field("organ_code", &self.organ_code)
            .field("endpoint", &self.endpoint)
            .field("coordinator_endpoint", &self.coordinator_endpoint)
            .field("node_key_sealed", &"<sealed>")
            .finish()
    }
}

/// The coordinator's CA key (sealed) and CRL counter.
#[derive(Clone, sqlx::FromRow)]
pub struct AuthorityRow {
    pub ca_key_sealed: Vec<u8>,
    pub crl_number: i64,
    pub created_at: i64,
}

impl std::fmt::Debug for AuthorityRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorityRow")
            .field("ca_key_sealed", &"<sealed>")
            .field("crl_number", &self.crl_number)
            .finish()
    }
}

const IDENTITY_COLUMNS: &str =
    "role, federation_name, organ_code, endpoint, coordinator_endpoint, \
     ca_certificate, node_certificate, node_key_sealed, directory_key, created_at, updated_at";

/// This node's federation identity, if it created or joined a federation.
pub async fn identity(db: &Db) -> Result<Option<IdentityRow>> {
    let sql = format!("SELECT {IDENTITY_COLUMNS} FROM fed_identity WHERE id = 1");
    Ok(on_write!(db, |pool| {
        sqlx::query_as::<_, IdentityRow>(&sql)
            .fetch_optional(pool)
            .await?
    }))
}

/// The coordinator's authority row, if this node is a coordinator.
pub async fn authority(db: &Db) -> Result<Option<AuthorityRow>> {
    Ok(on_write!(db, |pool| {
        sqlx::query_as::<_, AuthorityRow>(
            "SELECT ca_key_sealed, crl_number, created_at FROM fed_authority WHERE id = 1",
        )
        .fetch_optional(pool)
        .await?
    }))
}

fn already_federated(error: sqlx::Error) -> StoreError {
    let error = StoreError::from(error);
    if error.is_unique_violation() {
        StoreError::Conflict(
            "this node already belongs to a federation (see `congso federation status`)".into(),
        )
    } else {
        error
    }
}

/// Makes this node the coordinator of a new federation: its identity, the
/// CA key, itself as the first member, and the first directory, in one
/// transaction. Fails with a conflict if the node already belongs to one.
pub async fn create_coordinator(
    db: &Db,
    identity: &IdentityRow,
    authority: &AuthorityRow,
    first_member: &MemberRow,
    directory: &DirectoryRow,
) -> Result<()> {
    in_tx!(db, |tx| {
        insert_identity!(tx, identity).map_err(already_federated)?;
        sqlx::query(
            "INSERT INTO fed_authority (id, ca_key_sealed, crl_number, created_at) \
             VALUES (1, $1, $2, $3)",
        )
        .bind(&authority.ca_key_sealed)
        .bind(authority.crl_number)
        .bind(authority.created_at)
        .execute(&mut *tx)
        .await?;
        insert_member!(tx, first_member)?;
        insert_directory!(tx, directory)?;
    });
    Ok(())
}

/// Records that this node joined a federation: its identity and the first
/// directory it received, in one transaction.
pub async fn save_joined_identity(
    db: &Db,
    identity: &IdentityRow,
    directory: &DirectoryRow,
) -> Result<()> {
    in_tx!(db, |tx| {
        insert_identity!(tx, identity).map_err(already_federated)?;
        insert_directory!(tx, directory)?;
    });
    Ok(())
}

// ------------------------------------------------------------------- members

/// An agency in the coordinator's member list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MemberRow {
    pub organ_code: String,
    pub name: String,
    pub endpoint: String,
    #[serde(skip)]
    pub certificate: Vec<u8>,
    /// Lower-case hex serial of `certificate`.
    pub certificate_serial: String,
    /// The member's ledger checkpoint verifier key.
    pub ledger_key: String,
    /// The member's witness cosignature verifier key.
    pub witness_key: String,
    /// `active` or `removed`.
    pub status: String,
    pub joined_at: i64,
    pub removed_at: Option<i64>,
    pub removal_reason: Option<String>,
    /// The data services the member announced (canonical JSON list; the
    /// federation crate checks it), `[]` until it announces any.
    pub services: String,
    /// The revision of that announcement; only a higher one replaces it.
    pub services_revision: i64,
}

const MEMBER_COLUMNS: &str = "organ_code, name, endpoint, certificate, certificate_serial, \
     ledger_key, witness_key, status, joined_at, removed_at, removal_reason, services, \
     services_revision";

/// Every member the coordinator knows, by organ code.
pub async fn members(db: &Db) -> Result<Vec<MemberRow>> {
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM fed_members ORDER BY organ_code");
    Ok(on_write!(db, |pool| {
        sqlx::query_as::<_, MemberRow>(&sql).fetch_all(pool).await?
    }))
}

/// A revoked node certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RevocationRow {
    pub serial: String,
    pub organ_code: String,
    pub revoked_at: i64,
    pub reason: String,
}

/// Every revoked node certificate, oldest first.
pub async fn revocations(db: &Db) -> Result<Vec<RevocationRow>> {
    Ok(on_write!(db, |pool| {
        sqlx::query_as::<_, RevocationRow>(
            "SELECT serial, organ_code, revoked_at, reason FROM fed_revocations \
             ORDER BY revoked_at, serial",
        )
        .fetch_all(pool)
        .await?
    }))
}

// ------------------------------------------------------------------- invites

/// Stores a one-time invitation (only the SHA-256 of its secret).
pub async fn create_invite(
    db: &Db,
    token_hash: &[u8; 32],
    organ_code: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    on_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO fed_invites (token_hash, organ_code, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash.to_vec())
        .bind(organ_code)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await?;
    });
    Ok(())
}

// ----------------------------------------------------------------- directory

/// A signed directory version with the CRL issued alongside it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DirectoryRow {
    pub version: i64,
    /// The signed head: a C2SP note naming the version and the body's SHA-256.
    pub signed_note: String,
    /// The directory itself (canonical JSON).
    pub body: Vec<u8>,
    /// The federation CRL (DER).
    pub crl: Vec<u8>,
    pub stored_at: i64,
}

/// The newest directory version this node holds.
pub async fn latest_directory(db: &Db) -> Result<Option<DirectoryRow>> {
    Ok(on_write!(db, |pool| {
        sqlx::query_as::<_, DirectoryRow>(
            "SELECT version, signed_note, body, crl, stored_at FROM fed_directory \
             ORDER BY version DESC LIMIT 1",
        )
        .fetch_optional(pool)
        .await?
    }))
}

/// A member's cache of a directory fetched from the coordinator. Returns
/// false (and stores nothing) if that version or a newer one is already
/// stored: versions only ever go up.
pub async fn store_fetched_directory(db: &Db, directory: &DirectoryRow) -> Result<bool> {
    Ok(in_tx!(db, |tx| {
        let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM fed_directory")
            .fetch_one(&mut *tx)
            .await?;
        if newest.is_some_and(|newest| newest >= directory.version) {
            false
        } else {
            insert_directory!(tx, directory)?;
            true
        }
    }))
}

/// A change to the member list, applied together with the directory
/// version that reflects it.
#[derive(Debug, Clone)]
pub enum MemberChange {
    /// Admits (or re-admits) a member with a valid, unused invitation for
    /// its organ code; the invitation is used up.
    Admit {
        token_hash: [u8; 32],
        member: Box<MemberRow>,
    },
    /// Removes a member and revokes its certificate.
    Remove { organ_code: String, reason: String },
    /// Replaces the data services an active member publishes with the list
    /// it announced under `revision`. An announcement whose revision is not
    /// above the stored one is refused with [`StoreError::Conflict`] (it is
    /// stale or repeated) and changes nothing.
    Services {
        organ_code: String,
        services: String,
        revision: i64,
    },
}

/// What the directory signer is given: the next version and CRL number,
/// and the member list and revocations after the change.
#[derive(Debug, Clone)]
pub struct DirectoryContent {
    pub version: i64,
    pub crl_number: i64,
    pub members: Vec<MemberRow>,
    pub revocations: Vec<RevocationRow>,
}

/// What the directory signer returns: the signed head, the body and the CRL.
pub type SignedDirectory = (String, Vec<u8>, Vec<u8>);

/// Why an invitation was not accepted.
fn invite_refused(reason: &str) -> StoreError {
    StoreError::Invalid(format!("invitation refused: {reason}"))
}

/// Applies `change` and stores the directory version `sign` makes from the
/// result, in one transaction under the federation lock. `sign` runs inside
/// the transaction, so it must be quick (one Ed25519 and one ECDSA
/// signature). An error from `sign` or a refused change leaves nothing
/// behind.
pub async fn update_directory<F>(
    db: &Db,
    change: &MemberChange,
    now: i64,
    sign: F,
) -> Result<DirectoryRow>
where
    F: FnOnce(&DirectoryContent) -> std::result::Result<SignedDirectory, String>,
{
    let member_sql = format!("SELECT {MEMBER_COLUMNS} FROM fed_members ORDER BY organ_code");
    let stored = in_tx!(db, |tx| {
        if let Db::Postgres(_) = db {
            // Other replicas update the directory in turn; SQLite's
            // BEGIN IMMEDIATE already serialises writers.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_FEDERATION_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        let crl_number: Option<i64> =
            sqlx::query_scalar("SELECT crl_number FROM fed_authority WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?;
        let Some(crl_number) = crl_number else {
            return Err(StoreError::Invalid(
                "this node is not a federation coordinator".into(),
            ));
        };
        match change {
            MemberChange::Admit { token_hash, member } => {
                let invite: Option<(String, i64, Option<i64>)> = sqlx::query_as(
                    "SELECT organ_code, expires_at, used_at FROM fed_invites WHERE token_hash = $1",
                )
                .bind(token_hash.to_vec())
                .fetch_optional(&mut *tx)
                .await?;
                let Some((organ_code, expires_at, used_at)) = invite else {
                    return Err(invite_refused("unknown token"));
                };
                if used_at.is_some() {
                    return Err(invite_refused("the token was already used"));
                }
                if expires_at <= now {
                    return Err(invite_refused("the token has expired"));
                }
                if organ_code != member.organ_code {
                    return Err(invite_refused(
                        "the token was issued for another organ code",
                    ));
                }
                let existing: Option<String> =
                    sqlx::query_scalar("SELECT status FROM fed_members WHERE organ_code = $1")
                        .bind(&member.organ_code)
                        .fetch_optional(&mut *tx)
                        .await?;
                if existing.as_deref() == Some("active") {
                    return Err(StoreError::Conflict(format!(
                        "{} is already an active member; remove it first to re-admit it",
                        member.organ_code
                    )));
                }
                sqlx::query("UPDATE fed_invites SET used_at = $1 WHERE token_hash = $2")
                    .bind(now)
                    .bind(token_hash.to_vec())
                    .execute(&mut *tx)
                    .await?;
                insert_member!(tx, member)?;
            }
            MemberChange::Remove { organ_code, reason } => {
                let serial: Option<(String, String)> = sqlx::query_as(
                    "SELECT certificate_serial, status FROM fed_members WHERE organ_code = $1",
                )
                .bind(organ_code)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((serial, status)) = serial else {
                    return Err(StoreError::not_found(format!("member {organ_code}")));
                };
                if status != "active" {
                    return Err(StoreError::Conflict(format!(
                        "{organ_code} was already removed"
                    )));
                }
                sqlx::query(
                    "UPDATE fed_members SET status = 'removed', removed_at = $1, \
                     removal_reason = $2 WHERE organ_code = $3",
                )
                .bind(now)
                .bind(reason)
                .bind(organ_code)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO fed_revocations (serial, organ_code, revoked_at, reason) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (serial) DO NOTHING",
                )
                .bind(&serial)
                .bind(organ_code)
                .bind(now)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
            }
            MemberChange::Services {
                organ_code,
                services,
                revision,
            } => {
                let current: Option<(String, i64)> = sqlx::query_as(
                    "SELECT status, services_revision FROM fed_members WHERE organ_code = $1",
                )
                .bind(organ_code)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((status, current_revision)) = current else {
                    return Err(StoreError::not_found(format!("member {organ_code}")));
                };
                if status != "active" {
                    return Err(StoreError::Invalid(format!(
                        "{organ_code} is not an active member"
                    )));
                }
                if *revision <= current_revision {
                    return Err(StoreError::Conflict(format!(
                        "{organ_code}'s services are already at revision {current_revision}; \
                         revision {revision} is stale"
                    )));
                }
                sqlx::query(
                    "UPDATE fed_members SET services = $1, services_revision = $2 \
                     WHERE organ_code = $3",
                )
                .bind(services)
                .bind(revision)
                .bind(organ_code)
                .execute(&mut *tx)
                .await?;
            }
        }
        let members = sqlx::query_as::<_, MemberRow>(&member_sql)
            .fetch_all(&mut *tx)
            .await?;
        let revocations = sqlx::query_as::<_, RevocationRow>(
            "SELECT serial, organ_code, revoked_at, reason FROM fed_revocations \
             ORDER BY revoked_at, serial",
        )
        .fetch_all(&mut *tx)
        .await?;
        let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM fed_directory")
            .fetch_one(&mut *tx)
            .await?;
        let content = DirectoryContent {
            version: newest.unwrap_or(0) + 1,
            crl_number: crl_number + 1,
            members,
            revocations,
        };
        let (signed_note, body, crl) = sign(&content).map_err(StoreError::Invalid)?;
        let directory = DirectoryRow {
            version: content.version,
            signed_note,
            body,
            crl,
            stored_at: now,
        };
        insert_directory!(tx, directory)?;
        sqlx::query("UPDATE fed_authority SET crl_number = $1 WHERE id = 1")
            .bind(content.crl_number)
            .execute(&mut *tx)
            .await?;
        directory
    });
    Ok(stored)
}

// -------------------------------------------------------------------- outbox

/// Longest payload kept inline in the database; larger ones go to the blob store.
pub const INLINE_PAYLOAD_MAX: usize = 64 * 1024;

/// A message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxNew {
    /// 32 lower-case hex digits.
    pub message_id: String,
    pub recipient: String,
    pub kind: String,
    pub created_at: i64,
    pub payload_len: i64,
    pub payload_sha256: [u8; 32],
    /// The payload itself when it is at most [`INLINE_PAYLOAD_MAX`] bytes;
    /// otherwise it is in the blob store under `payload_sha256`.
    pub payload_inline: Option<Vec<u8>>,
}

/// A queued or delivered message as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OutboxRow {
    pub seq: i64,
    pub message_id: String,
    pub recipient: String,
    pub kind: String,
    pub created_at: i64,
    pub payload_len: i64,
    #[serde(serialize_with = "hex_bytes")]
    pub payload_sha256: Vec<u8>,
    #[serde(skip)]
    pub payload_inline: Option<Vec<u8>>,
    /// `queued`, `received` or `rejected`.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
    pub received_at: Option<i64>,
    pub receipt_at: Option<i64>,
    #[serde(skip)]
    pub receipt: Option<Vec<u8>>,
    #[serde(skip)]
    pub receipt_signature: Option<Vec<u8>>,
}

fn hex_bytes<S: serde::Serializer>(bytes: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(bytes))
}

const OUTBOX_COLUMNS: &str = "seq, message_id, recipient, kind, created_at, payload_len, \
     payload_sha256, payload_inline, state, attempts, next_attempt_at, last_attempt_at, \
     last_error, sent_at, received_at, receipt_at, receipt, receipt_signature";

/// Queues several messages in one transaction (bulk sends from the command
/// line); a running node's dispatcher finds them on its next poll.
pub async fn enqueue_many(db: &Db, messages: &[OutboxNew]) -> Result<()> {
    in_tx!(db, |tx| {
        for message in messages {
            insert_outbox!(tx, message)?;
        }
    });
    Ok(())
}

/// Queued messages for `recipient` whose next attempt is due, oldest first.
pub async fn outbox_due(db: &Db, recipient: &str, now: i64, limit: u32) -> Result<Vec<OutboxRow>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM fed_outbox WHERE state = 'queued' AND recipient = $1 \
         AND next_attempt_at <= $2 ORDER BY next_attempt_at, seq LIMIT $3"
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, OutboxRow>(&sql)
            .bind(recipient)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
    }))
}

/// Every recipient with queued messages, with the time its earliest
/// message is due.
pub async fn outbox_recipients(db: &Db) -> Result<Vec<(String, i64)>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, (String, i64)>(
            "SELECT recipient, MIN(next_attempt_at) FROM fed_outbox WHERE state = 'queued' \
             GROUP BY recipient ORDER BY recipient",
        )
        .fetch_all(pool)
        .await?
    }))
}

/// One message of the outbox.
pub async fn outbox_message(db: &Db, message_id: &str) -> Result<Option<OutboxRow>> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM fed_outbox WHERE message_id = $1");
    Ok(on_write!(db, |pool| {
        sqlx::query_as::<_, OutboxRow>(&sql)
            .bind(message_id)
            .fetch_optional(pool)
            .await?
    }))
}

/// Outbox messages after `after_seq`, oldest first (for listings and tests).
pub async fn outbox_page(db: &Db, after_seq: i64, limit: u32) -> Result<Vec<OutboxRow>> {
    let sql =
        format!("SELECT {OUTBOX_COLUMNS} FROM fed_outbox WHERE seq > $1 ORDER BY seq LIMIT $2");
    Ok(on_write!(db, |pool| {
        sqlx::query_as::<_, OutboxRow>(&sql)
            .bind(after_seq)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
    }))
}

/// Messages per outbox state.
pub async fn outbox_counts(db: &Db) -> Result<Vec<(String, i64)>> {
    Ok(on_write!(db, |pool| {
        sqlx::query_as::<_, (String, i64)>(
            "SELECT state, COUNT(*) FROM fed_outbox GROUP BY state ORDER BY state",
        )
        .fetch_all(pool)
        .await?
    }))
}

// --------------------------------------------------------------------- inbox

/// A message that arrived, with the receipt this node signed for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxNew {
    pub sender: String,
    pub message_id: String,
    pub kind: String,
    pub created_at: i64,
    pub sent_at: i64,
    pub received_at: i64,
    pub payload_len: i64,
    pub payload_sha256: [u8; 32],
    pub payload_inline: Option<Vec<u8>>,
    pub envelope: Vec<u8>,
    pub envelope_signature: Vec<u8>,
    pub receipt: Vec<u8>,
    pub receipt_signature: Vec<u8>,
    /// The ledger entry that recorded the arrival.
    pub ledger_seq: i64,
}

/// A received message as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct InboxRow {
    pub seq: i64,
    pub sender: String,
    pub message_id: String,
    pub kind: String,
    pub created_at: i64,
    pub sent_at: i64,
    pub received_at: i64,
    pub payload_len: i64,
    #[serde(serialize_with = "hex_bytes")]
    pub payload_sha256: Vec<u8>,
    #[serde(skip)]
    pub payload_inline: Option<Vec<u8>>,
    #[serde(skip)]
    pub envelope: Vec<u8>,
    #[serde(skip)]
    pub envelope_signature: Vec<u8>,
    #[serde(skip)]
    pub receipt: Vec<u8>,
    #[serde(skip)]
    pub receipt_signature: Vec<u8>,
    pub ledger_seq: i64,
    pub handled_at: Option<i64>,
    pub handle_attempts: i64,
    pub handle_error: Option<String>,
    pub next_handle_at: i64,
}

const INBOX_COLUMNS: &str = "seq, sender, message_id, kind, created_at, sent_at, received_at, \
     payload_len, payload_sha256, payload_inline, envelope, envelope_signature, receipt, \
     receipt_signature, ledger_seq, handled_at, handle_attempts, handle_error, next_handle_at";

/// The receipt (bytes, signature) already issued for a message, if it arrived.
pub async fn inbox_receipt(
    db: &Db,
    sender: &str,
    message_id: &str,
) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, (Vec<u8>, Vec<u8>)>(
            "SELECT receipt, receipt_signature FROM fed_inbox \
             WHERE sender = $1 AND message_id = $2",
        )
        .bind(sender)
        .bind(message_id)
        .fetch_optional(pool)
        .await?
    }))
}

/// One received message.
pub async fn inbox_message(db: &Db, sender: &str, message_id: &str) -> Result<Option<InboxRow>> {
    let sql =
        format!("SELECT {INBOX_COLUMNS} FROM fed_inbox WHERE sender = $1 AND message_id = $2");
    Ok(on_write!(db, |pool| {
        sqlx::query_as::<_, InboxRow>(&sql)
            .bind(sender)
            .bind(message_id)
            .fetch_optional(pool)
            .await?
    }))
}

/// Received messages not yet handled, of the given kinds, due for a
/// (re)try, in arrival order.
pub async fn inbox_unhandled(
    db: &Db,
    kinds: &[String],
    now: i64,
    limit: u32,
) -> Result<Vec<InboxRow>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "SELECT {INBOX_COLUMNS} FROM fed_inbox WHERE handled_at IS NULL AND next_handle_at <= $1 \
         AND kind IN ({}) ORDER BY seq LIMIT $2",
        placeholders.join(", ")
    );
    Ok(on_db!(db, |pool| {
        let mut query = sqlx::query_as::<_, InboxRow>(&sql)
            .bind(now)
            .bind(i64::from(limit));
        for kind in kinds {
            query = query.bind(kind);
        }
        query.fetch_all(pool).await?
    }))
}

/// Received messages after `after_seq`, in arrival order.
pub async fn inbox_page(db: &Db, after_seq: i64, limit: u32) -> Result<Vec<InboxRow>> {
    let sql = format!("SELECT {INBOX_COLUMNS} FROM fed_inbox WHERE seq > $1 ORDER BY seq LIMIT $2");
    Ok(on_write!(db, |pool| {
        sqlx::query_as::<_, InboxRow>(&sql)
            .bind(after_seq)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
    }))
}

/// Agencies this node has exchanged messages with (either way).
pub async fn exchange_peers(db: &Db) -> Result<Vec<String>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar::<_, String>(
            "SELECT recipient FROM fed_outbox UNION SELECT sender FROM fed_inbox",
        )
        .fetch_all(pool)
        .await?
    }))
}

// -------------------------------------------------------------- group commit

/// One write of message traffic, batched by [`FedWriter`].
#[derive(Debug, Clone)]
pub enum WriteOp {
    /// Queue a message.
    Enqueue(OutboxNew),
    /// An attempt failed: count it, remember why, and set the next attempt.
    /// With `reject`, the message is given up (a permanent refusal).
    AttemptFailed {
        message_id: String,
        at: i64,
        next_attempt_at: i64,
        error: String,
        reject: bool,
    },
    /// The recipient's signed receipt came back. Only a queued message
    /// changes, so a late duplicate receipt never replaces the first.
    Delivered {
        message_id: String,
        sent_at: i64,
        received_at: i64,
        receipt_at: i64,
        receipt: Vec<u8>,
        receipt_signature: Vec<u8>,
    },
    /// A message arrived; see [`WriteOutcome`].
    Receive(Box<InboxNew>),
    /// The registered handler accepted a received message.
    Handled {
        sender: String,
        message_id: String,
        at: i64,
    },
    /// The registered handler failed; try again at `next_handle_at`.
    HandleFailed {
        sender: String,
        message_id: String,
        error: String,
        next_handle_at: i64,
    },
}

/// What a [`WriteOp`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    Done,
    /// [`WriteOp::Receive`] stored a new message.
    Inserted,
    /// [`WriteOp::Receive`] found the message already there: here is the
    /// receipt issued the first time (bytes, signature).
    Duplicate {
        receipt: Vec<u8>,
        receipt_signature: Vec<u8>,
    },
}

struct WriteRequest {
    op: WriteOp,
    reply: oneshot::Sender<Result<WriteOutcome>>,
}

/// Batches message-traffic writes into group commits. Clone it freely.
#[derive(Clone)]
pub struct FedWriter {
    sender: mpsc::Sender<WriteRequest>,
}

impl std::fmt::Debug for FedWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FedWriter")
    }
}

impl FedWriter {
    /// Starts the writer task. It stops when every handle is dropped, after
    /// writing what was queued.
    pub fn start(db: Db) -> FedWriter {
        let (sender, receiver) = mpsc::channel(16_384);
        tokio::spawn(writer_loop(db, receiver));
        FedWriter { sender }
    }

    /// Writes one operation durably; returns once its transaction committed.
    pub async fn write(&self, op: WriteOp) -> Result<WriteOutcome> {
        let (reply, response) = oneshot::channel();
        self.sender
            .send(WriteRequest { op, reply })
            .await
            .map_err(|_| StoreError::Corrupt("the federation writer has stopped".into()))?;
        response
            .await
            .map_err(|_| StoreError::Corrupt("the federation writer has stopped".into()))?
    }
}

async fn writer_loop(db: Db, mut receiver: mpsc::Receiver<WriteRequest>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < WRITE_BATCH_MAX {
            match receiver.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        let ops: Vec<&WriteOp> = batch.iter().map(|request| &request.op).collect();
        match write_batch(&db, &ops).await {
            Ok(outcomes) => {
                for (request, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = request.reply.send(Ok(outcome));
                }
            }
            Err(error) if batch.len() == 1 => {
                if let Some(request) = batch.into_iter().next() {
                    let _ = request.reply.send(Err(error));
                }
            }
            Err(error) => {
                tracing::warn!(%error, operations = batch.len(), "federation batch failed; retrying one by one");
                for request in batch {
                    let outcome =
                        write_batch(&db, &[&request.op])
                            .await
                            .and_then(|mut outcomes| {
                                outcomes.pop().ok_or_else(|| {
                                    StoreError::Corrupt("federation write gave no outcome".into())
                                })
                            });
                    let _ = request.reply.send(outcome);
                }
            }
        }
    }
}

async fn write_batch(db: &Db, ops: &[&WriteOp]) -> Result<Vec<WriteOutcome>> {
    Ok(in_tx!(db, |tx| {
        let mut outcomes = Vec::with_capacity(ops.len());
        for op in ops {
            let outcome = match op {
                WriteOp::Enqueue(message) => {
                    insert_outbox!(tx, message)?;
                    WriteOutcome::Done
                }
                WriteOp::AttemptFailed {
                    message_id,
                    at,
                    next_attempt_at,
                    error,
                    reject,
                } => {
                    sqlx::query(
                        "UPDATE fed_outbox SET attempts = attempts + 1, last_attempt_at = $1, \
                         next_attempt_at = $2, last_error = $3, \
                         state = CASE WHEN $4 THEN 'rejected' ELSE state END \
                         WHERE message_id = $5 AND state = 'queued'",
                    )
                    .bind(at)
                    .bind(next_attempt_at)
                    .bind(bounded(error))
                    .bind(reject)
                    .bind(message_id)
                    .execute(&mut *tx)
                    .await?;
                    WriteOutcome::Done
                }
                WriteOp::Delivered {
                    message_id,
                    sent_at,
                    received_at,
                    receipt_at,
                    receipt,
                    receipt_signature,
                } => {
                    sqlx::query(
                        "UPDATE fed_outbox SET state = 'received', attempts = attempts + 1, \
                         last_attempt_at = $1, sent_at = $2, received_at = $3, receipt_at = $4, \
                         receipt = $5, receipt_signature = $6, last_error = NULL \
                         WHERE message_id = $7 AND state = 'queued'",
                    )
                    .bind(receipt_at)
                    .bind(sent_at)
                    .bind(received_at)
                    .bind(receipt_at)
                    .bind(receipt)
                    .bind(receipt_signature)
                    .bind(message_id)
                    .execute(&mut *tx)
                    .await?;
                    WriteOutcome::Done
                }
                WriteOp::Receive(message) => {
                    let inserted = sqlx::query(
                        "INSERT INTO fed_inbox (sender, message_id, kind, created_at, sent_at, \
                         received_at, payload_len, payload_sha256, payload_inline, envelope, \
                         envelope_signature, receipt, receipt_signature, ledger_seq, \
                         next_handle_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $6) \
                         ON CONFLICT (sender, message_id) DO NOTHING",
                    )
                    .bind(&message.sender)
                    .bind(&message.message_id)
                    .bind(&message.kind)
                    .bind(message.created_at)
                    .bind(message.sent_at)
                    .bind(message.received_at)
                    .bind(message.payload_len)
                    .bind(message.payload_sha256.to_vec())
                    .bind(&message.payload_inline)
                    .bind(&message.envelope)
                    .bind(&message.envelope_signature)
                    .bind(&message.receipt)
                    .bind(&message.receipt_signature)
                    .bind(message.ledger_seq)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if inserted == 1 {
                        WriteOutcome::Inserted
                    } else {
                        let (receipt, receipt_signature): (Vec<u8>, Vec<u8>) = sqlx::query_as(
                            "SELECT receipt, receipt_signature FROM fed_inbox \
                             WHERE sender = $1 AND message_id = $2",
                        )
                        .bind(&message.sender)
                        .bind(&message.message_id)
                        .fetch_one(&mut *tx)
                        .await?;
                        WriteOutcome::Duplicate {
                            receipt,
                            receipt_signature,
                        }
                    }
                }
                WriteOp::Handled {
                    sender,
                    message_id,
                    at,
                } => {
                    sqlx::query(
                        "UPDATE fed_inbox SET handled_at = $1, handle_attempts = handle_attempts + 1, \
                         handle_error = NULL WHERE sender = $2 AND message_id = $3 \
                         AND handled_at IS NULL",
                    )
                    .bind(at)
                    .bind(sender)
                    .bind(message_id)
                    .execute(&mut *tx)
                    .await?;
                    WriteOutcome::Done
                }
                WriteOp::HandleFailed {
                    sender,
                    message_id,
                    error,
                    next_handle_at,
                } => {
                    sqlx::query(
                        "UPDATE fed_inbox SET handle_attempts = handle_attempts + 1, \
                         handle_error = $1, next_handle_at = $2 \
                         WHERE sender = $3 AND message_id = $4 AND handled_at IS NULL",
                    )
                    .bind(bounded(error))
                    .bind(next_handle_at)
                    .bind(sender)
                    .bind(message_id)
                    .execute(&mut *tx)
                    .await?;
                    WriteOutcome::Done
                }
            };
            outcomes.push(outcome);
        }
        outcomes
    }))
}

/// Error texts from peers are bounded and stripped of control characters
/// before they are stored and shown to a clerk.
fn bounded(text: &str) -> String {
    text.chars()
        .take(1000)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

// ---------------------------------------------------------------- witnessing

/// The latest checkpoint of a peer this node checked and cosigned.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WitnessStateRow {
    pub peer: String,
    pub origin: String,
    pub tree_size: i64,
    pub root_hash: Vec<u8>,
    /// The peer's signed checkpoint note, as fetched.
    pub checkpoint: String,
    pub checked_at: i64,
}

/// The last checkpoint of `peer` this node checked, if any.
pub async fn witness_state(db: &Db, peer: &str) -> Result<Option<WitnessStateRow>> {
    Ok(on_write!(db, |pool| {
        sqlx::query_as::<_, WitnessStateRow>(
            "SELECT peer, origin, tree_size, root_hash, checkpoint, checked_at \
             FROM fed_witness_state WHERE peer = $1",
        )
        .bind(peer)
        .fetch_optional(pool)
        .await?
    }))
}

/// A cosignature this node made on a peer's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CosignatureMadeRow {
    pub peer: String,
    pub tree_size: i64,
    /// The peer's signed checkpoint note.
    pub checkpoint: String,
    /// This node's cosignature line (`— name base64`).
    pub cosignature: String,
    /// POSIX seconds, as in the cosignature.
    pub cosigned_at: i64,
}

/// Records a checked checkpoint as the new latest for its peer and stores
/// this node's cosignature on it, in one transaction.
pub async fn record_witnessed(
    db: &Db,
    state: &WitnessStateRow,
    cosignature: &CosignatureMadeRow,
) -> Result<()> {
    in_tx!(db, |tx| {
        sqlx::query(
            "INSERT INTO fed_witness_state (peer, origin, tree_size, root_hash, checkpoint, \
             checked_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (peer) DO UPDATE SET \
             origin = excluded.origin, tree_size = excluded.tree_size, \
             root_hash = excluded.root_hash, checkpoint = excluded.checkpoint, \
             checked_at = excluded.checked_at",
        )
        .bind(&state.peer)
        .bind(&state.origin)
        .bind(state.tree_size)
        .bind(&state.root_hash)
        .bind(&state.checkpoint)
        .bind(state.checked_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO fed_cosignatures_made (peer, tree_size, checkpoint, cosignature, \
             cosigned_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (peer, tree_size) DO NOTHING",
        )
        .bind(&cosignature.peer)
        .bind(cosignature.tree_size)
        .bind(&cosignature.checkpoint)
        .bind(&cosignature.cosignature)
        .bind(cosignature.cosigned_at)
        .execute(&mut *tx)
        .await?;
    });
    Ok(())
}

/// Cosignatures this node made on `peer`'s checkpoints of at least
/// `min_size` entries, oldest first.
pub async fn cosignatures_made_for(
    db: &Db,
    peer: &str,
    min_size: i64,
    limit: u32,
) -> Result<Vec<CosignatureMadeRow>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as::<_, CosignatureMadeRow>(
            "SELECT peer, tree_size, checkpoint, cosignature, cosigned_at \
             FROM fed_cosignatures_made WHERE peer = $1 AND tree_size >= $2 \
             ORDER BY tree_size LIMIT $3",
        )
        .bind(peer)
        .bind(min_size)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?
    }))
}

/// Every cosignature this node made.
pub async fn cosignatures_made(db: &Db) -> Result<Vec<CosignatureMadeRow>> {
    Ok(on_write!(db, |pool| {
        sqlx::query_as::<_, CosignatureMadeRow>(
            "SELECT peer, tree_size, checkpoint, cosignature, cosigned_at \
             FROM fed_cosignatures_made ORDER BY peer, tree_size",
        )
        .fetch_all(pool)
        .await?
    }))
}

/// A witness's cosignature of one of this node's own checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CosignatureHeldRow {
    /// The witness's organ code.
    pub witness: String,
    pub tree_size: i64,
    /// The checkpoint text the witness says it signed.
    pub checkpoint_body: String,
    pub cosignature: String,
    /// The witness's cosignature verifier key when it was fetched.
    pub witness_key: String,
    pub fetched_at: i64,
}

/// Stores a witness's cosignature of this node's checkpoint (once per
/// witness and size); returns whether it was new.
pub async fn store_cosignature_held(db: &Db, row: &CosignatureHeldRow) -> Result<bool> {
    let inserted = on_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO fed_cosignatures_held (witness, tree_size, checkpoint_body, cosignature, \
             witness_key, fetched_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (witness, tree_size) DO NOTHING",
        )
        .bind(&row.witness)
        .bind(row.tree_size)
        .bind(&row.checkpoint_body)
        .bind(&row.cosignature)
        .bind(&row.witness_key)
        .bind(row.fetched_at)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(inserted == 1)
}

/// Every cosignature of this node's checkpoints that it holds.
pub async fn cosignatures_held(db: &Db) -> Result<Vec<CosignatureHeldRow>> {
    Ok(on_write!(db, |pool| {
        sqlx::query_as::<_, CosignatureHeldRow>(
            "SELECT witness, tree_size, checkpoint_body, cosignature, witness_key, fetched_at \
             FROM fed_cosignatures_held ORDER BY witness, tree_size",
        )
        .fetch_all(pool)
        .await?
    }))
}

/// The largest size of this node's checkpoints that `witness` cosigned.
pub async fn latest_cosigned_size(db: &Db, witness: &str) -> Result<Option<i64>> {
    Ok(on_write!(db, |pool| {
        sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(tree_size) FROM fed_cosignatures_held WHERE witness = $1",
        )
        .bind(witness)
        .fetch_one(pool)
        .await?
    }))
}

/// Evidence of a peer whose checkpoint is not consistent with the last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct WitnessAlarmRow {
    pub id: i64,
    pub peer: String,
    pub detected_at: i64,
    pub reason: String,
    pub old_checkpoint: String,
    pub new_checkpoint: String,
}

/// Keeps the evidence of an inconsistent peer checkpoint.
pub async fn record_witness_alarm(
    db: &Db,
    peer: &str,
    detected_at: i64,
    reason: &str,
    old_checkpoint: &str,
    new_checkpoint: &str,
) -> Result<()> {
    on_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO fed_witness_alarms (peer, detected_at, reason, old_checkpoint, \
             new_checkpoint) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(peer)
        .bind(detected_at)
        .bind(bounded(reason))
        .bind(old_checkpoint)
        .bind(new_checkpoint)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Every witnessing alarm, oldest first.
pub async fn witness_alarms(db: &Db) -> Result<Vec<WitnessAlarmRow>> {
    Ok(on_write!(db, |pool| {
        sqlx::query_as::<_, WitnessAlarmRow>(
            "SELECT id, peer, detected_at, reason, old_checkpoint, new_checkpoint \
             FROM fed_witness_alarms ORDER BY id",
        )
        .fetch_all(pool)
        .await?
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance;

    fn new_outbox(id: &str, recipient: &str) -> OutboxNew {
        OutboxNew {
            message_id: id.to_owned(),
            recipient: recipient.to_owned(),
            kind: "test.message".to_owned(),
            created_at: 1_000,
            payload_len: 3,
            payload_sha256: [1; 32],
            payload_inline: Some(b"abc".to_vec()),
        }
    }

    fn new_inbox(id: &str, receipt: &[u8]) -> InboxNew {
        InboxNew {
            sender: "000.00.01.H26".into(),
            message_id: id.into(),
            kind: "test.message".into(),
            created_at: 1,
            sent_at: 2,
            received_at: 3,
            payload_len: 3,
            payload_sha256: [2; 32],
            payload_inline: Some(b"xyz".to_vec()),
            envelope: b"{}".to_vec(),
            envelope_signature: b"sig".to_vec(),
            receipt: receipt.to_vec(),
            receipt_signature: b"receipt-sig".to_vec(),
            ledger_seq: 7,
        }
    }

    fn member(code: &str) -> MemberRow {
        MemberRow {
            organ_code: code.into(),
            name: "Agency".into(),
            endpoint: "https://127.0.0.2:7443".into(),
            certificate: vec![1, 2, 3],
            certificate_serial: format!("serial-{code}"),
            ledger_key: "ledger".into(),
            witness_key: "witness".into(),
            status: "active".into(),
            joined_at: 1,
            removed_at: None,
            removal_reason: None,
            services: "[]".into(),
            services_revision: 0,
        }
    }

    fn identity_row() -> IdentityRow {
        IdentityRow {
            role: "coordinator".into(),
            federation_name: "test".into(),
            organ_code: "000.00.00.G01".into(),
            endpoint: "https://127.0.0.1:7443".into(),
            coordinator_endpoint: "https://127.0.0.1:7443".into(),
            ca_certificate: vec![9],
            node_certificate: vec![8],
            node_key_sealed: vec![7],
            directory_key: "key".into(),
            created_at: 1,
            updated_at: 1,
        }
    }

    fn directory(version: i64) -> DirectoryRow {
        DirectoryRow {
            version,
            signed_note: format!("note {version}"),
            body: format!("body {version}").into_bytes(),
            crl: vec![version as u8],
            stored_at: 5,
        }
    }

    conformance!(outbox_lifecycle, |db: Db| async move {
        let writer = FedWriter::start(db.clone());
        writer
            .write(WriteOp::Enqueue(new_outbox("m1", "000.00.02.H27")))
            .await
            .unwrap();
        enqueue_many(
            &db,
            &[
                new_outbox("m2", "000.00.02.H27"),
                new_outbox("m3", "000.00.03.H28"),
            ],
        )
        .await
        .unwrap();
        let recipients = outbox_recipients(&db).await.unwrap();
        assert_eq!(recipients.len(), 2);
        let due = outbox_due(&db, "000.00.02.H27", 1_000, 10).await.unwrap();
        assert_eq!(
            due.iter()
                .map(|row| row.message_id.as_str())
                .collect::<Vec<_>>(),
            ["m1", "m2"]
        );
        assert_eq!(due[0].payload_inline.as_deref(), Some(&b"abc"[..]));
        writer
            .write(WriteOp::AttemptFailed {
                message_id: "m1".into(),
                at: 1_500,
                next_attempt_at: 5_000,
                error: "refused\nwith a newline".into(),
                reject: false,
            })
            .await
            .unwrap();
        let due = outbox_due(&db, "000.00.02.H27", 2_000, 10).await.unwrap();
        assert_eq!(due.len(), 1, "m1 waits for its backoff");
        let m1 = outbox_message_row(&db, "m1").await;
        assert_eq!((m1.attempts, m1.state.as_str()), (1, "queued"));
        assert_eq!(m1.last_error.as_deref(), Some("refused with a newline"));
        for _ in 0..2 {
            // A second receipt for the same message changes nothing.
            writer
                .write(WriteOp::Delivered {
                    message_id: "m1".into(),
                    sent_at: 4_000,
                    received_at: 4_100,
                    receipt_at: 4_200,
                    receipt: b"receipt".to_vec(),
                    receipt_signature: b"signature".to_vec(),
                })
                .await
                .unwrap();
        }
        let m1 = outbox_message_row(&db, "m1").await;
        assert_eq!(m1.state, "received");
        assert_eq!(m1.attempts, 2);
        assert_eq!(m1.receipt.as_deref(), Some(&b"receipt"[..]));
        writer
            .write(WriteOp::AttemptFailed {
                message_id: "m3".into(),
                at: 1_500,
                next_attempt_at: 5_000,
                error: "gone".into(),
                reject: true,
            })
            .await
            .unwrap();
        assert_eq!(outbox_message_row(&db, "m3").await.state, "rejected");
        let counts = outbox_counts(&db).await.unwrap();
        assert_eq!(
            counts,
            vec![
                ("queued".to_owned(), 1),
                ("received".to_owned(), 1),
                ("rejected".to_owned(), 1)
            ]
        );
        // A failing operation in a batch does not fail its neighbours.
        let (duplicate, fresh) = tokio::join!(
            writer.write(WriteOp::Enqueue(new_outbox("m2", "000.00.02.H27"))),
            writer.write(WriteOp::Enqueue(new_outbox("m4", "000.00.02.H27"))),
        );
        assert!(duplicate.unwrap_err().is_unique_violation());
        fresh.unwrap();
        assert_eq!(outbox_page(&db, 0, 10).await.unwrap().len(), 4);
    });

    async fn outbox_message_row(db: &Db, id: &str) -> OutboxRow {
        outbox_message(db, id).await.unwrap().unwrap()
    }

    conformance!(
        inbox_keeps_one_row_and_the_first_receipt,
        |db: Db| async move {
            let writer = FedWriter::start(db.clone());
            let first = writer
                .write(WriteOp::Receive(Box::new(new_inbox(
                    "m1",
                    b"first receipt",
                ))))
                .await
                .unwrap();
            assert_eq!(first, WriteOutcome::Inserted);
            let attempts = (0..8).map(|i| {
                let writer = writer.clone();
                async move {
                    writer
                        .write(WriteOp::Receive(Box::new(new_inbox(
                            "m1",
                            format!("receipt {i}").as_bytes(),
                        ))))
                        .await
                        .unwrap()
                }
            });
            for outcome in futures::future::join_all(attempts).await {
                assert_eq!(
                    outcome,
                    WriteOutcome::Duplicate {
                        receipt: b"first receipt".to_vec(),
                        receipt_signature: b"receipt-sig".to_vec()
                    }
                );
            }
            assert_eq!(inbox_page(&db, 0, 10).await.unwrap().len(), 1);
            assert_eq!(
                inbox_receipt(&db, "000.00.01.H26", "m1").await.unwrap(),
                Some((b"first receipt".to_vec(), b"receipt-sig".to_vec()))
            );
            let kinds = vec!["test.message".to_owned()];
            assert_eq!(inbox_unhandled(&db, &kinds, 3, 10).await.unwrap().len(), 1);
            assert!(inbox_unhandled(&db, &["other".to_owned()], 3, 10)
                .await
                .unwrap()
                .is_empty());
            writer
                .write(WriteOp::HandleFailed {
                    sender: "000.00.01.H26".into(),
                    message_id: "m1".into(),
                    error: "busy".into(),
                    next_handle_at: 100,
                })
                .await
                .unwrap();
            assert!(inbox_unhandled(&db, &kinds, 50, 10)
                .await
                .unwrap()
                .is_empty());
            assert_eq!(
                inbox_unhandled(&db, &kinds, 100, 10).await.unwrap().len(),
                1
            );
            writer
                .write(WriteOp::Handled {
                    sender: "000.00.01.H26".into(),
                    message_id: "m1".into(),
                    at: 101,
                })
                .await
                .unwrap();
            assert!(inbox_unhandled(&db, &kinds, 1_000, 10)
                .await
                .unwrap()
                .is_empty());
            let row = inbox_message(&db, "000.00.01.H26", "m1")
                .await
                .unwrap()
                .unwrap();
            assert_eq!((row.handle_attempts, row.handled_at), (2, Some(101)));
            assert_eq!(
                exchange_peers(&db).await.unwrap(),
                vec!["000.00.01.H26".to_owned()]
            );
        }
    );

    conformance!(directory_changes_follow_invitations, |db: Db| async move {
        let coordinator = member("000.00.00.G01");
        create_coordinator(
            &db,
            &identity_row(),
            &AuthorityRow {
                ca_key_sealed: vec![1],
                crl_number: 1,
                created_at: 1,
            },
            &coordinator,
            &directory(1),
        )
        .await
        .unwrap();
        assert!(matches!(
            create_coordinator(
                &db,
                &identity_row(),
                &AuthorityRow {
                    ca_key_sealed: vec![1],
                    crl_number: 1,
                    created_at: 1
                },
                &coordinator,
                &directory(2)
            )
            .await,
            Err(StoreError::Conflict(_))
        ));
        let sign = |content: &DirectoryContent| -> std::result::Result<SignedDirectory, String> {
            Ok((
                format!(
                    "v{} crl{} n{}",
                    content.version,
                    content.crl_number,
                    content.members.len()
                ),
                content
                    .members
                    .iter()
                    .map(|member| format!("{}={}", member.organ_code, member.status))
                    .collect::<Vec<_>>()
                    .join(",")
                    .into_bytes(),
                content
                    .revocations
                    .iter()
                    .map(|r| r.serial.len() as u8)
                    .collect(),
            ))
        };
        create_invite(&db, &[1; 32], "000.00.01.H26", 10, 100)
            .await
            .unwrap();
        create_invite(&db, &[2; 32], "000.00.02.H27", 10, 20)
            .await
            .unwrap();
        let admit = |hash: [u8; 32], code: &str| MemberChange::Admit {
            token_hash: hash,
            member: Box::new(member(code)),
        };
        let check_refused = |result: Result<DirectoryRow>, needle: &str| match result {
            Err(error) => assert!(error.to_string().contains(needle), "{error} lacks {needle}"),
            Ok(row) => panic!("expected refusal, got version {}", row.version),
        };
        check_refused(
            update_directory(&db, &admit([9; 32], "000.00.01.H26"), 50, sign).await,
            "unknown token",
        );
        check_refused(
            update_directory(&db, &admit([1; 32], "000.00.02.H27"), 50, sign).await,
            "another organ code",
        );
        check_refused(
            update_directory(&db, &admit([2; 32], "000.00.02.H27"), 50, sign).await,
            "expired",
        );
        let row = update_directory(&db, &admit([1; 32], "000.00.01.H26"), 50, sign)
            .await
            .unwrap();
        assert_eq!(row.signed_note, "v2 crl2 n2");
        assert_eq!(row.body, b"000.00.00.G01=active,000.00.01.H26=active");
        check_refused(
            update_directory(&db, &admit([1; 32], "000.00.01.H26"), 50, sign).await,
            "already used",
        );
        let failing = |_: &DirectoryContent| -> std::result::Result<SignedDirectory, String> {
            Err("signer broke".into())
        };
        check_refused(
            update_directory(
                &db,
                &MemberChange::Remove {
                    organ_code: "000.00.01.H26".into(),
                    reason: "removed".into(),
                },
                60,
                failing,
            )
            .await,
            "signer broke",
        );
        assert_eq!(
            members(&db).await.unwrap()[1].status,
            "active",
            "a failed signature leaves nothing behind"
        );
        let row = update_directory(
            &db,
            &MemberChange::Remove {
                organ_code: "000.00.01.H26".into(),
                reason: "removed".into(),
            },
            60,
            sign,
        )
        .await
        .unwrap();
        assert_eq!(row.signed_note, "v3 crl3 n2");
        assert_eq!(row.body, b"000.00.00.G01=active,000.00.01.H26=removed");
        assert_eq!(revocations(&db).await.unwrap().len(), 1);
        check_refused(
            update_directory(
                &db,
                &MemberChange::Remove {
                    organ_code: "000.00.01.H26".into(),
                    reason: "removed".into(),
                },
                70,
                sign,
            )
            .await,
            "already removed",
        );
        // Re-admission with a new invitation.
        create_invite(&db, &[3; 32], "000.00.01.H26", 10, 1_000)
            .await
            .unwrap();
        let row = update_directory(&db, &admit([3; 32], "000.00.01.H26"), 80, sign)
            .await
            .unwrap();
        assert_eq!(row.body, b"000.00.00.G01=active,000.00.01.H26=active");
        assert_eq!(latest_directory(&db).await.unwrap().unwrap().version, 4);

        // A member's data services: only a newer announcement replaces them.
        let services = |revision: i64, list: &str| MemberChange::Services {
            organ_code: "000.00.01.H26".into(),
            services: list.into(),
            revision,
        };
        let row = update_directory(&db, &services(3, "[\"a\"]"), 90, sign)
            .await
            .unwrap();
        assert_eq!(row.version, 5);
        let stored = &members(&db).await.unwrap()[1];
        assert_eq!(
            (stored.services.as_str(), stored.services_revision),
            ("[\"a\"]", 3)
        );
        check_refused(
            update_directory(&db, &services(3, "[\"b\"]"), 91, sign).await,
            "stale",
        );
        check_refused(
            update_directory(&db, &services(2, "[\"b\"]"), 91, sign).await,
            "stale",
        );
        check_refused(
            update_directory(
                &db,
                &MemberChange::Services {
                    organ_code: "000.00.09.H99".into(),
                    services: "[]".into(),
                    revision: 9,
                },
                91,
                sign,
            )
            .await,
            "not found",
        );
        assert_eq!(members(&db).await.unwrap()[1].services, "[\"a\"]");
        assert_eq!(latest_directory(&db).await.unwrap().unwrap().version, 5);
        update_directory(&db, &services(4, "[]"), 92, sign)
            .await
            .unwrap();
        assert_eq!(members(&db).await.unwrap()[1].services, "[]");
    });

    conformance!(fetched_directories_only_go_up, |db: Db| async move {
        let mut joined = identity_row();
        joined.role = "member".into();
        save_joined_identity(&db, &joined, &directory(3))
            .await
            .unwrap();
        assert!(!store_fetched_directory(&db, &directory(2)).await.unwrap());
        assert!(!store_fetched_directory(&db, &directory(3)).await.unwrap());
        assert!(store_fetched_directory(&db, &directory(5)).await.unwrap());
        assert_eq!(latest_directory(&db).await.unwrap().unwrap(), directory(5));
        assert_eq!(identity(&db).await.unwrap().unwrap(), joined);
        assert!(authority(&db).await.unwrap().is_none());
    });

    conformance!(witness_records, |db: Db| async move {
        let state = WitnessStateRow {
            peer: "000.00.01.H26".into(),
            origin: "congso/abc".into(),
            tree_size: 10,
            root_hash: vec![1; 32],
            checkpoint: "note".into(),
            checked_at: 5,
        };
        let made = CosignatureMadeRow {
            peer: "000.00.01.H26".into(),
            tree_size: 10,
            checkpoint: "note".into(),
            cosignature: "— line".into(),
            cosigned_at: 5,
        };
        record_witnessed(&db, &state, &made).await.unwrap();
        let newer = WitnessStateRow {
            tree_size: 12,
            ..state.clone()
        };
        record_witnessed(
            &db,
            &newer,
            &CosignatureMadeRow {
                tree_size: 12,
                ..made.clone()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            witness_state(&db, "000.00.01.H26").await.unwrap(),
            Some(newer)
        );
        assert_eq!(
            cosignatures_made_for(&db, "000.00.01.H26", 11, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(cosignatures_made(&db).await.unwrap().len(), 2);
        let held = CosignatureHeldRow {
            witness: "000.00.02.H27".into(),
            tree_size: 4,
            checkpoint_body: "body".into(),
            cosignature: "— w".into(),
            witness_key: "key".into(),
            fetched_at: 9,
        };
        assert!(store_cosignature_held(&db, &held).await.unwrap());
        assert!(!store_cosignature_held(&db, &held).await.unwrap());
        assert_eq!(
            latest_cosigned_size(&db, "000.00.02.H27").await.unwrap(),
            Some(4)
        );
        assert_eq!(latest_cosigned_size(&db, "nobody").await.unwrap(), None);
        record_witness_alarm(&db, "000.00.01.H26", 10, "fork", "old", "new")
            .await
            .unwrap();
        assert_eq!(witness_alarms(&db).await.unwrap()[0].reason, "fork");
    });
}

//! The node-level PKI service: the node CA and TSA (created on first use),
//! staff signing identities, revocation and CRLs, and the trust the node
//! verifies with. Certificates and sealed keys live in `congso_store::pki`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use congso_core::audit::Actor;
use congso_pki::{
    CertificateAuthority, CertificateProfile, Crl, KeyAlgorithm, RevocationReason, SignerIdentity,
    SubjectName, TimestampAuthority, VerifyOptions,
};
use congso_store::ledger::Ledger;
use congso_store::pki::{self as store, CertificateKind, NewCertificate, StoredCertificate};
use congso_store::secrets::{self, Sealer};
use congso_store::{accounts, Db};
use zeroize::Zeroizing;

use crate::error::ArchiveError;
use crate::events::Event;
use crate::http_tsa::HttpTimestamper;
use crate::{keycache, system_time, timestamp_of};

type Result<T, E = ArchiveError> = std::result::Result<T, E>;

/// Name of the node secret that seals every PKI private key.
const KEY_SECRET: &str = "pki_key_secret";
const DAY: Duration = Duration::from_secs(86_400);
/// The node CA lives long: every signature the node makes chains to it.
const CA_VALIDITY: Duration = Duration::from_secs(20 * 365 * 86_400);
const TSA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 86_400);
/// A TSA certificate this close to expiry is replaced by a new one.
const TSA_RENEW_BEFORE: Duration = Duration::from_secs(30 * 86_400);
/// How long a published CRL is valid (its nextUpdate).
const CRL_VALIDITY: Duration = Duration::from_secs(30 * 86_400);
/// A CRL this close to its nextUpdate is republished when asked for.
const CRL_REFRESH_BEFORE: Duration = Duration::from_secs(7 * 86_400);
/// Certificates start a little in the past, so a relying party whose clock
/// is slightly behind does not see them as not yet valid.
const BACKDATE: Duration = Duration::from_secs(300);

/// How the node PKI behaves; from the node configuration.
#[derive(Debug, Clone)]
pub struct PkiSettings {
    /// Where the node serves its CRL (`https://node/pki/crl`); written into
    /// certificates issued from now on. `None` leaves it out.
    pub crl_url: Option<String>,
    /// Validity of staff signing certificates.
    pub staff_validity: Duration,
    /// An external RFC 3161 TSA to use instead of the node's own.
    pub tsa_url: Option<String>,
    /// How long to wait for the external TSA.
    pub tsa_timeout: Duration,
}

impl Default for PkiSettings {
    fn default() -> Self {
        PkiSettings {
            crl_url: None,
            staff_validity: Duration::from_secs(730 * 86_400),
            tsa_url: None,
            tsa_timeout: Duration::from_secs(10),
        }
    }
}

/// What the node trusts when it verifies: its CA, the roots of imported
/// identities, and its current CRL.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    pub anchors: Vec<congso_pki::Certificate>,
    pub crls: Vec<Crl>,
}

impl Trust {
    /// Verification options at `now` with this trust.
    pub fn options(&self, now: SystemTime) -> VerifyOptions {
        VerifyOptions {
            crls: self.crls.clone(),
            ..VerifyOptions::new(self.anchors.clone(), now)
        }
    }
}

/// The node PKI over a database. Cheap to clone; opening it is one query,
/// and opened keys are cached process-wide (see `keycache`).
#[derive(Clone)]
pub struct NodePki {
    db: Db,
    secret: Arc<Zeroizing<Vec<u8>>>,
    settings: PkiSettings,
}

impl std::fmt::Debug for NodePki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodePki")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn now() -> SystemTime {
    SystemTime::now()
}

fn micros(time: SystemTime) -> i64 {
    timestamp_of(time).micros()
}

fn algorithm_code(algorithm: KeyAlgorithm) -> &'static str {
    match algorithm {
        KeyAlgorithm::EcdsaP256 => "ecdsa-p256",
        KeyAlgorithm::Rsa2048 => "rsa-2048",
    }
}

/// Keeps at most `max` characters (X.509 bounds most name attributes at 64).
fn bounded(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

impl NodePki {
    /// Opens the node PKI, creating the node secret that seals its keys the
    /// first time.
    pub async fn open(db: &Db, sealer: &Sealer, settings: PkiSettings) -> Result<NodePki> {
        let secret = secrets::node_secret(db, sealer, KEY_SECRET, || {
            secrets::random_bytes::<32>().to_vec()
        })
        .await?;
        Ok(NodePki {
            db: db.clone(),
            secret: Arc::new(Zeroizing::new(secret)),
            settings,
        })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn settings(&self) -> &PkiSettings {
        &self.settings
    }

    async fn node_id(&self) -> Result<String> {
        Ok(secrets::meta_get(&self.db, "node_id")
            .await?
            .unwrap_or_else(|| "node".to_owned()))
    }

    async fn agency_name(&self) -> Result<Option<String>> {
        Ok(accounts::home_agency(&self.db)
            .await?
            .map(|agency| bounded(&agency.name, 64))
            .filter(|name| !name.is_empty()))
    }

    fn seal(&self, key: &congso_pki::PrivateKey) -> Result<Vec<u8>> {
        Ok(key.seal(&self.secret)?)
    }

    async fn open_key(&self, stored: &StoredCertificate) -> Result<congso_pki::PrivateKey> {
        let sealed = store::sealed_key(&self.db, stored.id)
            .await?
            .ok_or_else(|| {
                ArchiveError::Invalid(format!(
                    "the node holds no private key for certificate {}",
                    stored.serial
                ))
            })?;
        let secret = self.secret.clone();
        // PBKDF2 on a cache miss takes tens of milliseconds: off the async workers.
        Ok(tokio::task::spawn_blocking(move || keycache::open(&sealed, &secret)).await??)
    }

    fn new_row(
        &self,
        kind: CertificateKind,
        user_id: Option<i64>,
        identity: &SignerIdentity,
        with_key: bool,
        actor: &Actor,
    ) -> Result<NewCertificate> {
        let certificate = identity.certificate();
        Ok(NewCertificate {
            kind,
            user_id,
            serial: certificate.serial_hex(),
            issuer: certificate.issuer(),
            subject: certificate.subject(),
            common_name: certificate
                .common_name()
                .unwrap_or_else(|| certificate.subject()),
            algorithm: algorithm_code(identity.key().algorithm()).to_owned(),
            not_before: micros(certificate.not_before()),
            not_after: micros(certificate.not_after()),
            fingerprint: certificate.fingerprint_sha256(),
            certificate: certificate.to_der().to_vec(),
            chain_pem: identity
                .chain()
                .iter()
                .map(congso_pki::Certificate::to_pem)
                .collect(),
            sealed_key: if with_key {
                Some(self.seal(identity.key())?)
            } else {
                None
            },
            created_by: actor.to_code(),
            created_at: congso_store::now().micros(),
        })
    }

    /// Records `event` for a certificate just stored; if the ledger refuses,
    /// the row is removed again so nothing unrecorded remains.
    #[allow(clippy::too_many_arguments)]
    async fn record_certificate(
        &self,
        ledger: &Ledger,
        actor: &Actor,
        event: Event,
        id: i64,
        row: &NewCertificate,
        target: String,
        extra: serde_json::Value,
    ) -> Result<()> {
        let mut details = serde_json::json!({
            "serial": row.serial,
            "subject": row.subject,
            "issuer": row.issuer,
            "algorithm": row.algorithm,
            "not_after": crate::rfc3339(congso_core::time::Timestamp(row.not_after)),
            "fingerprint": row.fingerprint,
        });
        if let (Some(details), serde_json::Value::Object(extra)) = (details.as_object_mut(), extra)
        {
            details.extend(extra);
        }
        let entry = event
            .entry(actor, target)
            .source(source_of(actor))
            .data(&row.certificate)
            .details(details);
        if let Err(error) = ledger.append(entry).await {
            let _ = store::delete_unrecorded_certificate(&self.db, id).await;
            return Err(error.into());
        }
        Ok(())
    }

    /// The node CA certificate, if the CA exists yet.
    pub async fn ca_certificate(&self) -> Result<Option<congso_pki::Certificate>> {
        match store::active(&self.db, CertificateKind::Ca).await? {
            Some(stored) => Ok(Some(congso_pki::Certificate::from_der(
                &stored.certificate,
            )?)),
            None => Ok(None),
        }
    }

    /// The node CA, created (ECDSA P-256, 20 years) and recorded in the
    /// ledger the first time it is needed.
    pub async fn ca(&self, ledger: &Ledger, actor: &Actor) -> Result<CertificateAuthority> {
        if let Some(stored) = store::active(&self.db, CertificateKind::Ca).await? {
            return self.load_ca(&stored).await;
        }
        let node_id = self.node_id().await?;
        let subject = SubjectName {
            common_name: format!("Congso Node CA {}", bounded(&node_id, 40)),
            organization: self.agency_name().await?,
            country: Some("VN".to_owned()),
            ..SubjectName::default()
        };
        let created = tokio::task::spawn_blocking(move || {
            CertificateAuthority::create_root(
                &subject,
                KeyAlgorithm::EcdsaP256,
                now() - BACKDATE,
                CA_VALIDITY,
            )
        })
        .await??;
        let identity = SignerIdentity::new(
            created.certificate().clone(),
            created.key().clone(),
            Vec::new(),
        )?;
        let row = self.new_row(CertificateKind::Ca, None, &identity, true, actor)?;
        match store::insert_certificate(&self.db, &row).await? {
            Some(id) => {
                self.record_certificate(
                    ledger,
                    actor,
                    Event::CaCreated,
                    id,
                    &row,
                    format!("certificate:{}", row.serial),
                    serde_json::json!({}),
                )
                .await?;
                tracing::info!(serial = %row.serial, "node CA created");
                self.with_crl_url(created)
            }
            None => {
                // Another process created the CA first: use theirs.
                let stored = store::active(&self.db, CertificateKind::Ca)
                    .await?
                    .ok_or_else(|| ArchiveError::Invalid("the node CA vanished".to_owned()))?;
                self.load_ca(&stored).await
            }
        }
    }

    fn with_crl_url(&self, ca: CertificateAuthority) -> Result<CertificateAuthority> {
        match &self.settings.crl_url {
            Some(url) => Ok(ca.with_crl_url(url.clone())?),
            None => Ok(ca),
        }
    }

    async fn load_ca(&self, stored: &StoredCertificate) -> Result<CertificateAuthority> {
        let certificate = congso_pki::Certificate::from_der(&stored.certificate)?;
        let key = self.open_key(stored).await?;
        self.with_crl_url(CertificateAuthority::from_parts(certificate, key)?)
    }

    /// The node TSA, issued by the node CA (and recorded) the first time,
    /// and replaced by a new one 30 days before its certificate expires.
    pub async fn tsa(&self, ledger: &Ledger, actor: &Actor) -> Result<TimestampAuthority> {
        let current = store::active(&self.db, CertificateKind::Tsa).await?;
        if let Some(stored) = &current {
            let expires = system_time(congso_core::time::Timestamp(stored.not_after));
            if expires > now() + TSA_RENEW_BEFORE && stored.revoked_at.is_none() {
                return self.load_tsa(stored).await;
            }
        }
        let ca = self.ca(ledger, actor).await?;
        let node_id = self.node_id().await?;
        let subject = SubjectName {
            common_name: format!("Congso Node TSA {}", bounded(&node_id, 40)),
            organization: self.agency_name().await?,
            country: Some("VN".to_owned()),
            ..SubjectName::default()
        };
        let ca_expiry = ca.certificate().not_after();
        let validity = ca_expiry
            .duration_since(now())
            .unwrap_or_default()
            .min(TSA_VALIDITY);
        if validity < TSA_RENEW_BEFORE + DAY {
            return Err(ArchiveError::Invalid(
                "the node CA expires too soon to issue a TSA certificate".to_owned(),
            ));
        }
        let identity = tokio::task::spawn_blocking(move || {
            ca.issue_identity(
                &subject,
                CertificateProfile::TimeStamping,
                KeyAlgorithm::EcdsaP256,
                now() - BACKDATE,
                validity,
            )
        })
        .await??;
        let row = self.new_row(CertificateKind::Tsa, None, &identity, true, actor)?;
        let id = match &current {
            Some(old) => match store::replace_active(&self.db, old.id, &row).await {
                Ok(id) => id,
                // Another process renewed it first.
                Err(congso_store::StoreError::Conflict(_)) => return self.active_tsa().await,
                Err(error) => return Err(error.into()),
            },
            None => match store::insert_certificate(&self.db, &row).await? {
                Some(id) => id,
                None => return self.active_tsa().await,
            },
        };
        self.record_certificate(
            ledger,
            actor,
            Event::TsaIssued,
            id,
            &row,
            format!("certificate:{}", row.serial),
            serde_json::json!({ "replaces": current.map(|old| old.serial) }),
        )
        .await?;
        Ok(TimestampAuthority::new(
            identity,
            congso_pki::DEFAULT_TSA_POLICY,
        )?)
    }

    async fn active_tsa(&self) -> Result<TimestampAuthority> {
        let stored = store::active(&self.db, CertificateKind::Tsa)
            .await?
            .ok_or_else(|| ArchiveError::Invalid("the node TSA vanished".to_owned()))?;
        self.load_tsa(&stored).await
    }

    async fn load_tsa(&self, stored: &StoredCertificate) -> Result<TimestampAuthority> {
        let identity = self.identity_of(stored).await?;
        Ok(TimestampAuthority::new(
            identity,
            congso_pki::DEFAULT_TSA_POLICY,
        )?)
    }

    async fn identity_of(&self, stored: &StoredCertificate) -> Result<SignerIdentity> {
        let certificate = congso_pki::Certificate::from_der(&stored.certificate)?;
        let chain = if stored.chain_pem.is_empty() {
            Vec::new()
        } else {
            congso_pki::parse_certificates(stored.chain_pem.as_bytes())?
        };
        let key = self.open_key(stored).await?;
        Ok(SignerIdentity::new(certificate, key, chain)?)
    }

    async fn staff_user(&self, username: &str) -> Result<accounts::User> {
        let user = accounts::find_credentials(&self.db, username)
            .await?
            .ok_or_else(|| ArchiveError::UnknownUser(username.to_owned()))?
            .user;
        if user.kind != congso_core::access::AccountKind::Staff {
            return Err(ArchiveError::NotSigner {
                username: user.username,
                reason: "only staff accounts sign documents".to_owned(),
            });
        }
        if user.disabled {
            return Err(ArchiveError::NotSigner {
                username: user.username,
                reason: "the account is disabled".to_owned(),
            });
        }
        Ok(user)
    }

    /// Issues a document-signing certificate from the node CA to a staff
    /// member (name, position and agency in the subject), seals its key and
    /// records the issuance.
    pub async fn issue(
        &self,
        ledger: &Ledger,
        actor: &Actor,
        username: &str,
        algorithm: KeyAlgorithm,
    ) -> Result<StoredCertificate> {
        let user = self.staff_user(username).await?;
        let ca = self.ca(ledger, actor).await?;
        let subject = SubjectName {
            common_name: bounded(&user.display_name, 64),
            organization: self.agency_name().await?,
            title: user
                .position
                .as_deref()
                .map(|position| bounded(position, 64))
                .filter(|position| !position.is_empty()),
            country: Some("VN".to_owned()),
            email: user.email.clone().filter(|email| email.is_ascii()),
            ..SubjectName::default()
        };
        let validity = ca
            .certificate()
            .not_after()
            .duration_since(now())
            .unwrap_or_default()
            .min(self.settings.staff_validity);
        if validity < DAY {
            return Err(ArchiveError::Invalid(
                "the node CA expires too soon to issue certificates".to_owned(),
            ));
        }
        let identity = tokio::task::spawn_blocking(move || {
            ca.issue_identity(
                &subject,
                CertificateProfile::DocumentSigning,
                algorithm,
                now() - BACKDATE,
                validity,
            )
        })
        .await??;
        let row = self.new_row(
            CertificateKind::Staff,
            Some(user.id),
            &identity,
            true,
            actor,
        )?;
        let id = store::insert_certificate(&self.db, &row)
            .await?
            .ok_or_else(|| ArchiveError::Invalid("the certificate was not stored".to_owned()))?;
        self.record_certificate(
            ledger,
            actor,
            Event::CertificateIssued,
            id,
            &row,
            format!("user:{}", user.username),
            serde_json::json!({}),
        )
        .await?;
        store::get(&self.db, id)
            .await?
            .ok_or(ArchiveError::UnknownSerial(row.serial))
    }

    /// Imports a staff member's signing identity from a password-protected
    /// PKCS#12 file (an outside CA's certificate). The password is used once
    /// and never stored or logged; the key is re-sealed under the node secret.
    pub async fn import_pkcs12(
        &self,
        ledger: &Ledger,
        actor: &Actor,
        username: &str,
        pkcs12: &[u8],
        password: &str,
    ) -> Result<StoredCertificate> {
        let user = self.staff_user(username).await?;
        let data = pkcs12.to_vec();
        let password = Zeroizing::new(password.to_owned());
        let identity =
            tokio::task::spawn_blocking(move || congso_pki::import_pkcs12(&data, &password))
                .await??;
        check_importable(&identity)?;
        let row = self.new_row(
            CertificateKind::Imported,
            Some(user.id),
            &identity,
            true,
            actor,
        )?;
        let id = store::insert_certificate(&self.db, &row)
            .await?
            .ok_or_else(|| ArchiveError::Invalid("the certificate was not stored".to_owned()))?;
        self.record_certificate(
            ledger,
            actor,
            Event::CertificateImported,
            id,
            &row,
            format!("user:{}", user.username),
            serde_json::json!({}),
        )
        .await?;
        store::get(&self.db, id)
            .await?
            .ok_or(ArchiveError::UnknownSerial(row.serial))
    }

    /// Revokes a certificate and publishes a new CRL in the same
    /// transaction; records the revocation. An imported certificate is
    /// marked revoked here (the node stops signing with it) but only its own
    /// CA can put it on a CRL.
    pub async fn revoke(
        &self,
        ledger: &Ledger,
        actor: &Actor,
        serial: &str,
        reason: RevocationReason,
    ) -> Result<(StoredCertificate, store::StoredCrl)> {
        let mut found = store::find_by_serial(&self.db, serial).await?;
        let target = match found.len() {
            0 => return Err(ArchiveError::UnknownSerial(serial.to_owned())),
            1 => found.remove(0),
            count => {
                return Err(ArchiveError::AmbiguousSerial {
                    serial: serial.to_owned(),
                    count,
                })
            }
        };
        if target.kind == CertificateKind::Ca {
            return Err(ArchiveError::CannotRevokeCa);
        }
        if target.revoked_at.is_some() {
            return Err(ArchiveError::AlreadyRevoked {
                serial: target.serial,
            });
        }
        let ca = self.ca(ledger, actor).await?;
        let reason_code = reason_code(reason);
        let revoke = store::Revoke {
            certificate_id: target.id,
            at: congso_store::now().micros(),
            reason: Some(reason_code.clone()),
        };
        let crl = self.publish(&ca, Some(&revoke)).await?;
        let entry = Event::CertificateRevoked
            .entry(actor, format!("certificate:{}", target.serial))
            .source(source_of(actor))
            .data(&crl.der)
            .details(serde_json::json!({
                "serial": target.serial,
                "subject": target.subject,
                "kind": target.kind.code(),
                "reason": reason_code,
                "crl_number": crl.number,
            }));
        // The revocation stands even if the ledger refuses (un-revoking would
        // be worse); the error tells the operator to look.
        ledger.append(entry).await?;
        let stored = store::get(&self.db, target.id)
            .await?
            .ok_or(ArchiveError::UnknownSerial(target.serial))?;
        Ok((stored, crl))
    }

    async fn publish(
        &self,
        ca: &CertificateAuthority,
        revoke: Option<&store::Revoke>,
    ) -> Result<store::StoredCrl> {
        let issuer = ca.certificate().subject();
        let now_micros = congso_store::now().micros();
        let this_update = system_time(congso_core::time::Timestamp(now_micros));
        let next_update = this_update + CRL_VALIDITY;
        let crl = store::publish_crl(&self.db, &issuer, revoke, now_micros, |content| {
            let mut revoked = Vec::with_capacity(content.revoked.len());
            for entry in &content.revoked {
                revoked.push(congso_pki::Revocation {
                    serial: hex::decode(&entry.serial).map_err(|_| {
                        congso_store::StoreError::Corrupt(format!(
                            "stored serial {:?} is not hex",
                            entry.serial
                        ))
                    })?,
                    revoked_at: system_time(congso_core::time::Timestamp(entry.revoked_at)),
                    reason: entry.reason.as_deref().and_then(parse_reason),
                });
            }
            let number = u64::try_from(content.number).unwrap_or(0);
            let der = ca
                .issue_crl(&revoked, number, this_update, next_update)
                .map_err(|error| congso_store::StoreError::Secret(format!("crl: {error}")))?;
            Ok(store::SignedCrl {
                der,
                this_update: micros(this_update),
                next_update: micros(next_update),
            })
        })
        .await?;
        Ok(crl)
    }

    /// The current CRL (DER), published now if there is none yet or the
    /// latest is within a week of its nextUpdate.
    pub async fn crl(&self, ledger: &Ledger, actor: &Actor) -> Result<store::StoredCrl> {
        if let Some(latest) = store::latest_crl(&self.db).await? {
            let refresh_at = system_time(congso_core::time::Timestamp(latest.next_update))
                .checked_sub(CRL_REFRESH_BEFORE)
                .unwrap_or(SystemTime::UNIX_EPOCH);
            if now() < refresh_at {
                return Ok(latest);
            }
        }
        let ca = self.ca(ledger, actor).await?;
        self.publish(&ca, None).await
    }

    /// Every certificate the node holds, oldest first.
    pub async fn list(&self) -> Result<Vec<StoredCertificate>> {
        Ok(store::list(&self.db).await?)
    }

    /// The staff member's newest usable signing identity (not revoked, not
    /// expired, key held by the node).
    pub async fn identity_for(
        &self,
        username: &str,
    ) -> Result<(StoredCertificate, SignerIdentity)> {
        let user = self.staff_user(username).await?;
        let now_micros = congso_store::now().micros();
        let candidates = store::for_user(&self.db, user.id).await?;
        let mut reason = "none was issued or imported".to_owned();
        for stored in candidates {
            if stored.revoked_at.is_some() {
                reason = format!("certificate {} is revoked", stored.serial);
                continue;
            }
            if stored.not_after <= now_micros {
                reason = format!("certificate {} has expired", stored.serial);
                continue;
            }
            if stored.not_before > now_micros + 600_000_000 {
                reason = format!("certificate {} is not valid yet", stored.serial);
                continue;
            }
            if !stored.has_key {
                continue;
            }
            let identity = self.identity_of(&stored).await?;
            return Ok((stored, identity));
        }
        Err(ArchiveError::NoSigningIdentity {
            username: user.username,
            reason,
        })
    }

    /// The trust the node verifies with: its CA, the self-signed roots that
    /// came with imported identities, and its current CRL.
    pub async fn trust(&self) -> Result<Trust> {
        let mut trust = Trust::default();
        let mut seen = std::collections::HashSet::new();
        for stored in store::list(&self.db).await? {
            match stored.kind {
                CertificateKind::Ca if stored.retired_at.is_none() => {
                    let certificate = congso_pki::Certificate::from_der(&stored.certificate)?;
                    if seen.insert(certificate.fingerprint_sha256()) {
                        trust.anchors.push(certificate);
                    }
                }
                CertificateKind::Imported if !stored.chain_pem.is_empty() => {
                    for certificate in congso_pki::parse_certificates(stored.chain_pem.as_bytes())?
                    {
                        if certificate.subject() == certificate.issuer()
                            && seen.insert(certificate.fingerprint_sha256())
                        {
                            trust.anchors.push(certificate);
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(crl) = store::latest_crl(&self.db).await? {
            trust.crls.push(Crl::parse(&crl.der)?);
        }
        Ok(trust)
    }

    /// The external TSA client when one is configured.
    pub fn external_tsa(&self) -> Result<Option<HttpTimestamper>> {
        match &self.settings.tsa_url {
            Some(url) => Ok(Some(HttpTimestamper::new(url, self.settings.tsa_timeout)?)),
            None => Ok(None),
        }
    }
}

/// `cli` for an operator, `system` for the node, else empty (the web layer
/// sets the client address itself).
fn source_of(actor: &Actor) -> &'static str {
    match actor {
        Actor::Operator(_) => "cli",
        Actor::System => "system",
        _ => "",
    }
}

/// The kebab-case code of a reason (`key-compromise`).
pub(crate) fn reason_code(reason: RevocationReason) -> String {
    match serde_json::to_value(reason) {
        Ok(serde_json::Value::String(code)) => code,
        _ => "unspecified".to_owned(),
    }
}

/// Parses a kebab-case reason code.
pub(crate) fn parse_reason(code: &str) -> Option<RevocationReason> {
    serde_json::from_value(serde_json::Value::String(code.to_owned())).ok()
}

/// An imported identity must be able to sign now: not expired, not yet
/// valid, or refused by the signature checks for its key usage.
fn check_importable(identity: &SignerIdentity) -> Result<()> {
    let certificate = identity.certificate();
    let now = now();
    if certificate.not_after() <= now {
        return Err(ArchiveError::UnusableImport(format!(
            "certificate {} expired at {}",
            certificate.serial_hex(),
            crate::rfc3339(timestamp_of(certificate.not_after()))
        )));
    }
    if certificate.not_before() > now + BACKDATE {
        return Err(ArchiveError::UnusableImport(format!(
            "certificate {} is not valid before {}",
            certificate.serial_hex(),
            crate::rfc3339(timestamp_of(certificate.not_before()))
        )));
    }
    // A trial signature shows whether the key and the certificate's key
    // usage allow signing documents at all; trust is not the question here.
    let probe = congso_pki::sign_detached(
        b"congso import probe",
        identity,
        &congso_pki::SignOptions::default(),
    )?;
    let anchors: Vec<_> = identity
        .chain()
        .iter()
        .filter(|c| c.subject() == c.issuer())
        .cloned()
        .collect();
    let report = congso_pki::verify_detached(
        b"congso import probe",
        &probe,
        &VerifyOptions::new(anchors, now),
    );
    if report.verdict == congso_pki::Verdict::Invalid {
        let reasons: Vec<String> = report
            .all_reasons()
            .filter(|reason| reason.severity == congso_pki::Severity::Invalid)
            .map(|reason| reason.en.clone())
            .collect();
        return Err(ArchiveError::UnusableImport(reasons.join("; ")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_round_trip() {
        for reason in [
            RevocationReason::Unspecified,
            RevocationReason::KeyCompromise,
            RevocationReason::AffiliationChanged,
            RevocationReason::Superseded,
            RevocationReason::CessationOfOperation,
            RevocationReason::CertificateHold,
        ] {
            assert_eq!(parse_reason(&reason_code(reason)), Some(reason));
        }
        assert_eq!(
            reason_code(RevocationReason::KeyCompromise),
            "key-compromise"
        );
        assert_eq!(parse_reason("nonsense"), None);
    }
}

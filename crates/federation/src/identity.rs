//! Federation identity: creating a federation (the coordinator's CA and
//! directory key), invitations, joining, removal, and loading this node's
//! keys for the running service.
//!
//! Keys at rest: the federation CA key and the node's TLS key are PKCS#8
//! `EncryptedPrivateKeyInfo` sealed with a random node secret
//! (`federation_key_seal`), itself sealed under the node master key like
//! every node secret. The directory signing key and the witness key are
//! Ed25519 seeds kept as node secrets.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use congso_core::audit::{Actor, AuditAction};
use congso_ledger::cosignature::Cosigner;
use congso_ledger::note::Ed25519Signer;
use congso_pki::{
    Certificate, CertificateAuthority, CertificateProfile, IssueRequest, KeyAlgorithm, PrivateKey,
    Revocation, RevocationReason, SubjectName,
};
use congso_store::federation::{
    self as store, AuthorityRow, DirectoryContent, DirectoryRow, IdentityRow, MemberChange,
    MemberRow,
};
use congso_store::ledger::{Ledger, NewEntry};
use congso_store::secrets::{self, Sealer};
use congso_store::Db;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::directory::{
    check_federation_name, directory_verifier, normalize_endpoint, Directory, DirectoryMember,
    DirectoryTrust, DirectoryView, MemberStatus,
};
use crate::envelope::{check_organ_code, Domain, NodeKey, PeerKey};
use crate::error::{FederationError, Result};

/// Node secret that seals the CA key and the node key.
const KEY_SEAL_SECRET: &str = "federation_key_seal";
/// Node secret holding the directory signing key (coordinator).
const DIRECTORY_KEY_SECRET: &str = "federation_directory_key";
/// Node secret holding the witness cosigning key.
const WITNESS_KEY_SECRET: &str = "federation_witness_key";

/// Prefix of invitation tokens (and their format version).
const TOKEN_PREFIX: &str = "congso-invite-1.";

/// How long a federation CA is valid.
const CA_VALIDITY: Duration = Duration::from_secs(20 * 365 * 86_400);

/// A CRL's announced next update; members keep using the newest CRL they
/// hold regardless (the coordinator may be down), so this is informative.
const CRL_VALIDITY: Duration = Duration::from_secs(365 * 86_400);

/// The coordinator or a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Coordinator,
    Member,
}

impl Role {
    fn code(self) -> &'static str {
        match self {
            Role::Coordinator => "coordinator",
            Role::Member => "member",
        }
    }
}

fn micros(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn system_time(micros: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(u64::try_from(micros).unwrap_or(0))
}

async fn secret32(db: &Db, sealer: &Sealer, name: &str) -> Result<[u8; 32]> {
    let bytes =
        secrets::node_secret(db, sealer, name, || secrets::random_bytes::<32>().to_vec()).await?;
    bytes
        .try_into()
        .map_err(|_| FederationError::invalid("node secret", format!("{name} is not 32 bytes")))
}

fn directory_key_name(organ_code: &str) -> String {
    format!("congso-directory/{organ_code}")
}

fn witness_key_name(organ_code: &str) -> String {
    format!("congso-witness/{organ_code}")
}

/// This node's witness cosigner.
pub async fn cosigner(db: &Db, sealer: &Sealer, organ_code: &str) -> Result<Cosigner> {
    let seed = secret32(db, sealer, WITNESS_KEY_SECRET).await?;
    Cosigner::from_seed(&witness_key_name(organ_code), seed)
        .map_err(|error| FederationError::invalid("witness key", error.to_string()))
}

/// The subject alternative names for an endpoint's host.
fn tls_profile(endpoint: &str) -> Result<CertificateProfile> {
    let url = crate::directory::check_endpoint(endpoint)?;
    let (dns_names, ip_addresses) = match url.host() {
        Some(url::Host::Ipv4(ip)) => (Vec::new(), vec![IpAddr::V4(ip)]),
        Some(url::Host::Ipv6(ip)) => (Vec::new(), vec![IpAddr::V6(ip)]),
        Some(url::Host::Domain(name)) => (vec![name.to_owned()], Vec::new()),
        None => return Err(FederationError::invalid("federation endpoint", "no host")),
    };
    Ok(CertificateProfile::NodeTls {
        dns_names,
        ip_addresses,
    })
}

fn node_subject(organ_code: &str, name: &str) -> SubjectName {
    SubjectName {
        common_name: organ_code.to_owned(),
        organization: Some(name.to_owned()),
        country: Some("VN".to_owned()),
        ..SubjectName::default()
    }
}

fn check_agency_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(FederationError::invalid(
            "agency name",
            "must be 1-200 characters without control characters",
        ));
    }
    Ok(())
}

// --------------------------------------------------------------- the node

/// This node's federation identity and keys, loaded for the running service.
pub struct NodeIdentity {
    pub role: Role,
    pub organ_code: String,
    pub federation_name: String,
    pub endpoint: String,
    pub coordinator_endpoint: String,
    pub ca_certificate: Certificate,
    pub node_certificate: Certificate,
    /// The TLS and signing key (also given to rustls).
    pub node_private_key: PrivateKey,
    pub node_key: NodeKey,
    pub trust: DirectoryTrust,
    pub cosigner: Cosigner,
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeIdentity")
            .field("role", &self.role)
            .field("organ_code", &self.organ_code)
            .field("federation_name", &self.federation_name)
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

impl NodeIdentity {
    /// Loads this node's identity, or `None` if it belongs to no federation.
    pub async fn load(db: &Db, sealer: &Sealer) -> Result<Option<NodeIdentity>> {
        let Some(row) = store::identity(db).await? else {
            return Ok(None);
        };
        let seal = secret32(db, sealer, KEY_SEAL_SECRET).await?;
        let node_private_key = PrivateKey::open(&row.node_key_sealed, &seal)?;
        let node_key = NodeKey::new(&node_private_key)?;
        let ca_certificate = Certificate::from_der(&row.ca_certificate)?;
        let node_certificate = Certificate::from_der(&row.node_certificate)?;
        let role = match row.role.as_str() {
            "coordinator" => Role::Coordinator,
            _ => Role::Member,
        };
        let trust = DirectoryTrust {
            federation: row.federation_name.clone(),
            verifier: directory_verifier(&row.directory_key)?,
            ca_sha256: ca_certificate.fingerprint_sha256(),
        };
        let cosigner = cosigner(db, sealer, &row.organ_code).await?;
        Ok(Some(NodeIdentity {
            role,
            organ_code: row.organ_code,
            federation_name: row.federation_name,
            endpoint: row.endpoint,
            coordinator_endpoint: row.coordinator_endpoint,
            ca_certificate,
            node_certificate,
            node_private_key,
            node_key,
            trust,
            cosigner,
        }))
    }

    /// SHA-256 of this node's certificate.
    pub fn certificate_fingerprint(&self) -> [u8; 32] {
        Sha256::digest(self.node_certificate.to_der()).into()
    }
}

/// The coordinator's signing authority: the federation CA and the
/// directory key.
pub struct Authority {
    ca: CertificateAuthority,
    directory_signer: Ed25519Signer,
    organ_code: String,
    federation_name: String,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("organ_code", &self.organ_code)
            .finish()
    }
}

impl Authority {
    /// Loads the authority of a coordinator node, or `None` for a member.
    pub async fn load(db: &Db, sealer: &Sealer) -> Result<Option<Authority>> {
        let (Some(identity), Some(authority)) =
            (store::identity(db).await?, store::authority(db).await?)
        else {
            return Ok(None);
        };
        let seal = secret32(db, sealer, KEY_SEAL_SECRET).await?;
        let ca_key = PrivateKey::open(&authority.ca_key_sealed, &seal)?;
        let ca = CertificateAuthority::from_parts(
            Certificate::from_der(&identity.ca_certificate)?,
            ca_key,
        )?;
        let seed = secret32(db, sealer, DIRECTORY_KEY_SECRET).await?;
        let directory_signer =
            Ed25519Signer::from_seed(&directory_key_name(&identity.organ_code), seed)
                .map_err(|error| FederationError::invalid("directory key", error.to_string()))?;
        Ok(Some(Authority {
            ca,
            directory_signer,
            organ_code: identity.organ_code,
            federation_name: identity.federation_name,
        }))
    }

    /// Issues a node certificate for `public_key` (SPKI DER).
    fn issue_node_certificate(
        &self,
        organ_code: &str,
        name: &str,
        endpoint: &str,
        public_key: &[u8],
        validity: Duration,
    ) -> Result<Certificate> {
        use der::Decode;
        let public_key = spki::SubjectPublicKeyInfoOwned::from_der(public_key)
            .map_err(|error| FederationError::invalid("public key", error.to_string()))?;
        Ok(self.ca.issue(&IssueRequest {
            subject: node_subject(organ_code, name),
            public_key,
            profile: tls_profile(endpoint)?,
            // A minute back, so a member whose clock is slightly behind the
            // coordinator's does not see a certificate "not yet valid".
            not_before: SystemTime::now() - Duration::from_secs(60),
            validity,
        })?)
    }

    /// A certificate with any validity for a fresh key (test support).
    pub(crate) fn issue_for_test(
        &self,
        organ_code: &str,
        endpoint: &str,
        not_before: SystemTime,
        validity: Duration,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
        let certificate = self.ca.issue(&IssueRequest {
            subject: node_subject(organ_code, "test"),
            public_key: key.public_key_info()?,
            profile: tls_profile(endpoint)?,
            not_before,
            validity,
        })?;
        Ok((certificate.to_der().to_vec(), key.to_pkcs8_der()?.to_vec()))
    }

    /// Builds and signs the directory and CRL for `content`.
    pub fn sign_directory(
        &self,
        content: &DirectoryContent,
        now: i64,
    ) -> Result<(String, Vec<u8>, Vec<u8>)> {
        let members = content
            .members
            .iter()
            .map(|member| DirectoryMember {
                organ_code: member.organ_code.clone(),
                name: member.name.clone(),
                endpoint: member.endpoint.clone(),
                certificate: STANDARD.encode(&member.certificate),
                ledger_key: member.ledger_key.clone(),
                witness_key: member.witness_key.clone(),
                status: if member.status == "active" {
                    MemberStatus::Active
                } else {
                    MemberStatus::Removed
                },
                // The coordinator checked the list when the member announced
                // it; a removed member lists nothing.
                services: if member.status == "active" {
                    serde_json::from_str(&member.services).unwrap_or_default()
                } else {
                    Vec::new()
                },
            })
            .collect();
        let directory = Directory {
            v: 1,
            federation: self.federation_name.clone(),
            version: u64::try_from(content.version).unwrap_or(0),
            issued_at: now,
            coordinator: self.organ_code.clone(),
            ca_sha256: self.ca.certificate().fingerprint_sha256(),
            members,
        };
        let (signed_note, body) = directory.sign(&self.directory_signer)?;
        let mut revoked = Vec::with_capacity(content.revocations.len());
        for revocation in &content.revocations {
            revoked.push(Revocation {
                serial: hex::decode(&revocation.serial).map_err(|_| {
                    FederationError::invalid("revocation", "stored serial is not hex")
                })?,
                revoked_at: system_time(revocation.revoked_at),
                reason: Some(if revocation.reason == "key-compromise" {
                    RevocationReason::KeyCompromise
                } else {
                    RevocationReason::CessationOfOperation
                }),
            });
        }
        let this_update = system_time(now);
        let crl = self.ca.issue_crl(
            &revoked,
            u64::try_from(content.crl_number).unwrap_or(1),
            this_update,
            this_update + CRL_VALIDITY,
        )?;
        Ok((signed_note, body, crl))
    }

    /// Applies a member change and stores the new directory version.
    pub async fn update(&self, db: &Db, change: &MemberChange) -> Result<DirectoryRow> {
        let now = congso_store::now().micros();
        Ok(store::update_directory(db, change, now, |content| {
            self.sign_directory(content, now)
                .map_err(|error| error.to_string())
        })
        .await?)
    }

    /// Admits a node that presented a valid join request; returns the
    /// response to send back and the new directory row.
    pub async fn admit(
        &self,
        db: &Db,
        ledger: &Ledger,
        request_bytes: &[u8],
        signature: &[u8],
        certificate_validity: Duration,
        source: &str,
    ) -> Result<JoinResponse> {
        let request = JoinRequest::decode(request_bytes)?;
        request.verify_possession(request_bytes, signature)?;
        let secret = URL_SAFE_NO_PAD
            .decode(&request.token)
            .map_err(|_| FederationError::invalid("join request", "the token is not base64"))?;
        let token_hash: [u8; 32] = Sha256::digest(&secret).into();
        let public_key = STANDARD
            .decode(&request.public_key)
            .map_err(|_| FederationError::invalid("join request", "public key is not base64"))?;
        let certificate = self.issue_node_certificate(
            &request.organ_code,
            &request.name,
            &request.endpoint,
            &public_key,
            certificate_validity,
        )?;
        let now = congso_store::now().micros();
        let member = MemberRow {
            organ_code: request.organ_code.clone(),
            name: request.name.clone(),
            endpoint: request.endpoint.clone(),
            certificate: certificate.to_der().to_vec(),
            certificate_serial: certificate.serial_hex(),
            ledger_key: request.ledger_key.clone(),
            witness_key: request.witness_key.clone(),
            status: "active".into(),
            joined_at: now,
            removed_at: None,
            removal_reason: None,
            services: "[]".into(),
            services_revision: 0,
        };
        let row = self
            .update(
                db,
                &MemberChange::Admit {
                    token_hash,
                    member: Box::new(member),
                },
            )
            .await?;
        ledger
            .append(
                NewEntry::new(
                    &Actor::System,
                    AuditAction::FederationMemberAdmitted,
                    format!("federation-member:{}", request.organ_code),
                )
                .source(source)
                .data(certificate.to_der())
                .details(serde_json::json!({
                    "organ_code": request.organ_code,
                    "name": request.name,
                    "endpoint": request.endpoint,
                    "certificate_serial": certificate.serial_hex(),
                    "directory_version": row.version,
                })),
            )
            .await?;
        Ok(JoinResponse {
            v: 1,
            federation: self.federation_name.clone(),
            coordinator: self.organ_code.clone(),
            certificate: STANDARD.encode(certificate.to_der()),
            ca_certificate: STANDARD.encode(self.ca.certificate().to_der()),
            directory_key: self.directory_signer.verifier().to_vkey(),
            directory_note: row.signed_note,
            directory_body: STANDARD.encode(&row.body),
            crl: STANDARD.encode(&row.crl),
        })
    }
}

// ------------------------------------------------------------------ create

/// What `congso federation init` needs.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub federation_name: String,
    pub organ_code: String,
    pub agency_name: String,
    pub endpoint: String,
    pub certificate_validity: Duration,
}

/// What `init` created, for the operator.
#[derive(Debug, Clone, Serialize)]
pub struct InitReport {
    pub federation_name: String,
    pub organ_code: String,
    pub endpoint: String,
    pub ca_sha256: String,
    pub directory_key: String,
    pub directory_version: i64,
}

/// Creates a federation with this node as coordinator.
pub async fn init(
    db: &Db,
    sealer: &Sealer,
    ledger: &Ledger,
    options: &InitOptions,
    actor: &Actor,
) -> Result<InitReport> {
    check_federation_name(&options.federation_name)?;
    check_organ_code(&options.organ_code)?;
    check_agency_name(&options.agency_name)?;
    let endpoint = normalize_endpoint(&options.endpoint)?;
    if store::identity(db).await?.is_some() {
        return Err(FederationError::Store(congso_store::StoreError::Conflict(
            "this node already belongs to a federation".into(),
        )));
    }
    let now_time = SystemTime::now();
    let now = micros(now_time);
    let ca = CertificateAuthority::create_root(
        &SubjectName {
            common_name: format!("congso federation CA: {}", options.federation_name),
            organization: Some(options.agency_name.clone()),
            country: Some("VN".to_owned()),
            ..SubjectName::default()
        },
        KeyAlgorithm::EcdsaP256,
        now_time - Duration::from_secs(60),
        CA_VALIDITY,
    )?;
    let seal = secret32(db, sealer, KEY_SEAL_SECRET).await?;
    let directory_seed = secret32(db, sealer, DIRECTORY_KEY_SECRET).await?;
    let directory_signer =
        Ed25519Signer::from_seed(&directory_key_name(&options.organ_code), directory_seed)
            .map_err(|error| FederationError::invalid("directory key", error.to_string()))?;
    let node_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
    let authority = Authority {
        ca,
        directory_signer,
        organ_code: options.organ_code.clone(),
        federation_name: options.federation_name.clone(),
    };
    use der::Encode;
    let spki = node_key
        .public_key_info()?
        .to_der()
        .map_err(|error| FederationError::invalid("public key", error.to_string()))?;
    let certificate = authority.issue_node_certificate(
        &options.organ_code,
        &options.agency_name,
        &endpoint,
        &spki,
        options.certificate_validity,
    )?;
    let witness = cosigner(db, sealer, &options.organ_code).await?;
    let member = MemberRow {
        organ_code: options.organ_code.clone(),
        name: options.agency_name.clone(),
        endpoint: endpoint.clone(),
        certificate: certificate.to_der().to_vec(),
        certificate_serial: certificate.serial_hex(),
        ledger_key: ledger.verifier_key(),
        witness_key: witness.verifier().to_vkey(),
        status: "active".into(),
        joined_at: now,
        removed_at: None,
        removal_reason: None,
        services: "[]".into(),
        services_revision: 0,
    };
    let content = DirectoryContent {
        version: 1,
        crl_number: 1,
        members: vec![member.clone()],
        revocations: Vec::new(),
    };
    let (signed_note, body, crl) = authority.sign_directory(&content, now)?;
    let identity = IdentityRow {
        role: Role::Coordinator.code().into(),
        federation_name: options.federation_name.clone(),
        organ_code: options.organ_code.clone(),
        endpoint: endpoint.clone(),
        coordinator_endpoint: endpoint.clone(),
        ca_certificate: authority.ca.certificate().to_der().to_vec(),
        node_certificate: certificate.to_der().to_vec(),
        node_key_sealed: node_key.seal(&seal)?,
        directory_key: authority.directory_signer.verifier().to_vkey(),
        created_at: now,
        updated_at: now,
    };
    let authority_row = AuthorityRow {
        ca_key_sealed: authority.ca.key().seal(&seal)?,
        crl_number: 1,
        created_at: now,
    };
    let directory = DirectoryRow {
        version: 1,
        signed_note,
        body,
        crl,
        stored_at: now,
    };
    store::create_coordinator(db, &identity, &authority_row, &member, &directory).await?;
    ledger
        .append(
            NewEntry::new(
                actor,
                AuditAction::FederationCreated,
                format!("federation:{}", options.federation_name),
            )
            .source("cli")
            .data(authority.ca.certificate().to_der())
            .details(serde_json::json!({
                "organ_code": options.organ_code,
                "endpoint": endpoint,
                "ca_sha256": authority.ca.certificate().fingerprint_sha256(),
                "directory_key": identity.directory_key,
                "node_certificate_serial": certificate.serial_hex(),
            })),
        )
        .await?;
    Ok(InitReport {
        federation_name: options.federation_name.clone(),
        organ_code: options.organ_code.clone(),
        endpoint,
        ca_sha256: authority.ca.certificate().fingerprint_sha256(),
        directory_key: identity.directory_key,
        directory_version: 1,
    })
}

// ------------------------------------------------------------------ invite

/// A one-time invitation token: `congso-invite-1.` + base64url(secret ‖
/// SHA-256 of the federation CA certificate). The secret proves the
/// invitation; the fingerprint lets the joining node pin the coordinator on
/// first contact.
#[derive(Clone, PartialEq, Eq)]
pub struct InviteToken {
    secret: [u8; 32],
    ca_sha256: [u8; 32],
}

impl std::fmt::Debug for InviteToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InviteToken(<secret>)")
    }
}

impl InviteToken {
    pub fn encode(&self) -> String {
        let mut bytes = self.secret.to_vec();
        bytes.extend_from_slice(&self.ca_sha256);
        format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn parse(text: &str) -> Result<InviteToken> {
        let invalid = || {
            FederationError::invalid(
                "invitation token",
                "it is not a congso-invite-1 token (copy it whole from `congso federation invite`)",
            )
        };
        let encoded = text.trim().strip_prefix(TOKEN_PREFIX).ok_or_else(invalid)?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| invalid())?;
        if bytes.len() != 64 {
            return Err(invalid());
        }
        let mut secret = [0u8; 32];
        let mut ca_sha256 = [0u8; 32];
        secret.copy_from_slice(&bytes[..32]);
        ca_sha256.copy_from_slice(&bytes[32..]);
        Ok(InviteToken { secret, ca_sha256 })
    }

    /// The pinned federation CA fingerprint.
    pub fn ca_sha256(&self) -> [u8; 32] {
        self.ca_sha256
    }
}

/// An issued invitation.
#[derive(Debug, Clone)]
pub struct Invite {
    pub token: InviteToken,
    pub organ_code: String,
    pub expires_at: i64,
}

/// Issues a one-time invitation for `organ_code`, valid for `valid_for`.
pub async fn invite(
    db: &Db,
    ledger: &Ledger,
    organ_code: &str,
    valid_for: Duration,
    actor: &Actor,
) -> Result<Invite> {
    check_organ_code(organ_code)?;
    let identity = store::identity(db)
        .await?
        .ok_or(FederationError::NotFederated)?;
    if identity.role != Role::Coordinator.code() {
        return Err(FederationError::NotCoordinator);
    }
    let ca_sha256: [u8; 32] = Sha256::digest(&identity.ca_certificate).into();
    let token = InviteToken {
        secret: secrets::random_bytes::<32>(),
        ca_sha256,
    };
    let now = congso_store::now().micros();
    let expires_at = now.saturating_add(i64::try_from(valid_for.as_micros()).unwrap_or(i64::MAX));
    let token_hash: [u8; 32] = Sha256::digest(token.secret).into();
    store::create_invite(db, &token_hash, organ_code, now, expires_at).await?;
    ledger
        .append(
            NewEntry::new(
                actor,
                AuditAction::FederationInviteIssued,
                format!("federation-member:{organ_code}"),
            )
            .source("cli")
            .details(serde_json::json!({ "organ_code": organ_code, "expires_at": expires_at })),
        )
        .await?;
    Ok(Invite {
        token,
        organ_code: organ_code.to_owned(),
        expires_at,
    })
}

// -------------------------------------------------------------------- join

/// What a joining node sends to the coordinator (signed with its new key,
/// which proves it holds the key it asks a certificate for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    pub v: u8,
    /// The invitation secret (base64url).
    pub token: String,
    pub organ_code: String,
    pub name: String,
    pub endpoint: String,
    /// SubjectPublicKeyInfo (base64 DER) of the node's new TLS key.
    pub public_key: String,
    pub ledger_key: String,
    pub witness_key: String,
}

/// The largest join request accepted.
pub const MAX_JOIN_REQUEST_BYTES: usize = 8 * 1024;

impl JoinRequest {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses and checks a join request.
    pub fn decode(bytes: &[u8]) -> Result<JoinRequest> {
        if bytes.len() > MAX_JOIN_REQUEST_BYTES {
            return Err(FederationError::invalid("join request", "too large"));
        }
        let request: JoinRequest = serde_json::from_slice(bytes)
            .map_err(|error| FederationError::invalid("join request", error.to_string()))?;
        if request.v != 1 {
            return Err(FederationError::invalid(
                "join request",
                "unsupported version",
            ));
        }
        check_organ_code(&request.organ_code)?;
        check_agency_name(&request.name)?;
        if normalize_endpoint(&request.endpoint)? != request.endpoint {
            return Err(FederationError::invalid(
                "join request",
                "the endpoint is not in normal form (https://host:port)",
            ));
        }
        congso_ledger::note::Ed25519Verifier::from_vkey(&request.ledger_key)
            .map_err(|error| FederationError::invalid("ledger key", error.to_string()))?;
        congso_ledger::cosignature::CosignatureVerifier::from_vkey(&request.witness_key)
            .map_err(|error| FederationError::invalid("witness key", error.to_string()))?;
        Ok(request)
    }

    /// Checks the signature over the request with the key it carries.
    fn verify_possession(&self, bytes: &[u8], signature: &[u8]) -> Result<()> {
        use der::Decode;
        let der = STANDARD
            .decode(&self.public_key)
            .map_err(|_| FederationError::invalid("join request", "public key is not base64"))?;
        let info = spki::SubjectPublicKeyInfoOwned::from_der(&der)
            .map_err(|error| FederationError::invalid("public key", error.to_string()))?;
        if info.algorithm.oid != congso_pki::oids::EC_PUBLIC_KEY {
            return Err(FederationError::invalid(
                "public key",
                "node keys must be ECDSA P-256",
            ));
        }
        let point = info.subject_public_key.raw_bytes();
        let key = ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_ASN1,
            point,
        );
        let mut message = b"congso-join/v1\n".to_vec();
        message.extend_from_slice(bytes);
        key.verify(&message, signature).map_err(|_| {
            FederationError::Signature(
                "the join request is not signed by the key it carries".into(),
            )
        })
    }
}

/// What the coordinator answers to an accepted join request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinResponse {
    pub v: u8,
    pub federation: String,
    pub coordinator: String,
    /// The new node certificate (base64 DER).
    pub certificate: String,
    /// The federation CA certificate (base64 DER).
    pub ca_certificate: String,
    /// Verifier key of directory heads.
    pub directory_key: String,
    pub directory_note: String,
    /// base64 directory body.
    pub directory_body: String,
    /// base64 DER CRL.
    pub crl: String,
}

/// What `congso federation join` needs.
#[derive(Debug, Clone)]
pub struct JoinOptions {
    /// The coordinator's federation endpoint.
    pub coordinator_endpoint: String,
    pub token: String,
    pub organ_code: String,
    pub agency_name: String,
    /// This node's federation endpoint.
    pub endpoint: String,
    pub connect_timeout: Duration,
}

/// What `join` did, for the operator.
#[derive(Debug, Clone, Serialize)]
pub struct JoinReport {
    pub federation_name: String,
    pub coordinator: String,
    pub organ_code: String,
    pub certificate_serial: String,
    pub directory_version: u64,
    pub members: usize,
}

/// Joins a federation: makes a node key, asks the coordinator for a
/// certificate with the invitation, checks and stores what comes back.
pub async fn join(
    db: &Db,
    sealer: &Sealer,
    ledger: &Ledger,
    options: &JoinOptions,
    actor: &Actor,
) -> Result<JoinReport> {
    let token = InviteToken::parse(&options.token)?;
    check_organ_code(&options.organ_code)?;
    check_agency_name(&options.agency_name)?;
    let coordinator_endpoint = normalize_endpoint(&options.coordinator_endpoint)?;
    let endpoint = normalize_endpoint(&options.endpoint)?;
    if store::identity(db).await?.is_some() {
        return Err(FederationError::Store(congso_store::StoreError::Conflict(
            "this node already belongs to a federation".into(),
        )));
    }
    let seal = secret32(db, sealer, KEY_SEAL_SECRET).await?;
    let node_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
    let signer = NodeKey::new(&node_key)?;
    let witness = cosigner(db, sealer, &options.organ_code).await?;
    use der::Encode;
    let spki = node_key
        .public_key_info()?
        .to_der()
        .map_err(|error| FederationError::invalid("public key", error.to_string()))?;
    let request = JoinRequest {
        v: 1,
        token: URL_SAFE_NO_PAD.encode(token.secret),
        organ_code: options.organ_code.clone(),
        name: options.agency_name.clone(),
        endpoint: endpoint.clone(),
        public_key: STANDARD.encode(&spki),
        ledger_key: ledger.verifier_key(),
        witness_key: witness.verifier().to_vkey(),
    };
    let bytes = request.encode();
    let signature = signer.sign(Domain::JoinRequest, &bytes)?;
    ledger
        .append(
            NewEntry::new(
                actor,
                AuditAction::FederationJoinRequested,
                format!("federation-coordinator:{coordinator_endpoint}"),
            )
            .source("cli")
            .data(&spki)
            .details(serde_json::json!({
                "organ_code": options.organ_code,
                "endpoint": endpoint,
                "coordinator_endpoint": coordinator_endpoint,
                "pinned_ca_sha256": hex::encode(token.ca_sha256),
            })),
        )
        .await?;
    let response = crate::client::join_request(
        &coordinator_endpoint,
        token.ca_sha256,
        &bytes,
        &signature,
        options.connect_timeout,
    )
    .await?;
    let decode = |what: &'static str, text: &str| {
        STANDARD
            .decode(text)
            .map_err(|_| FederationError::invalid("join response", format!("{what} is not base64")))
    };
    let ca_der = decode("ca_certificate", &response.ca_certificate)?;
    if Sha256::digest(&ca_der).as_slice() != token.ca_sha256 {
        return Err(FederationError::invalid(
            "join response",
            "the CA certificate is not the one the invitation names",
        ));
    }
    let ca_certificate = Certificate::from_der(&ca_der)?;
    let certificate_der = decode("certificate", &response.certificate)?;
    let certificate = Certificate::from_der(&certificate_der)?;
    if certificate.public_key_info() != &node_key.public_key_info()? {
        return Err(FederationError::invalid(
            "join response",
            "the certificate is not for this node's key",
        ));
    }
    PeerKey::from_certificate(&certificate)?;
    let trust = DirectoryTrust {
        federation: response.federation.clone(),
        verifier: directory_verifier(&response.directory_key)?,
        ca_sha256: ca_certificate.fingerprint_sha256(),
    };
    let body = decode("directory_body", &response.directory_body)?;
    let crl = decode("crl", &response.crl)?;
    let view = DirectoryView::verify(&trust, &response.directory_note, &body, &crl)?;
    match view.member(&options.organ_code) {
        Some(member) if member.is_active() && member.certificate == certificate => {}
        _ => {
            return Err(FederationError::invalid(
                "join response",
                "the directory does not list this node with its new certificate",
            ))
        }
    }
    let coordinator = view
        .active_member(&response.coordinator)
        .map_err(|_| FederationError::invalid("join response", "the coordinator is not active"))?;
    let now = congso_store::now().micros();
    let identity = IdentityRow {
        role: Role::Member.code().into(),
        federation_name: response.federation.clone(),
        organ_code: options.organ_code.clone(),
        endpoint,
        coordinator_endpoint: coordinator.entry.endpoint.clone(),
        ca_certificate: ca_der,
        node_certificate: certificate_der,
        node_key_sealed: node_key.seal(&seal)?,
        directory_key: response.directory_key.clone(),
        created_at: now,
        updated_at: now,
    };
    let directory = DirectoryRow {
        version: i64::try_from(view.version()).unwrap_or(i64::MAX),
        signed_note: response.directory_note.clone(),
        body,
        crl,
        stored_at: now,
    };
    store::save_joined_identity(db, &identity, &directory).await?;
    ledger
        .append(
            NewEntry::new(
                actor,
                AuditAction::FederationJoined,
                format!("federation:{}", response.federation),
            )
            .source("cli")
            .data(certificate.to_der())
            .details(serde_json::json!({
                "organ_code": options.organ_code,
                "coordinator": response.coordinator,
                "certificate_serial": certificate.serial_hex(),
                "ca_sha256": ca_certificate.fingerprint_sha256(),
                "directory_key": response.directory_key,
                "directory_version": view.version(),
            })),
        )
        .await?;
    Ok(JoinReport {
        federation_name: response.federation,
        coordinator: response.coordinator,
        organ_code: options.organ_code.clone(),
        certificate_serial: certificate.serial_hex(),
        directory_version: view.version(),
        members: view.members().count(),
    })
}

// ------------------------------------------------------------------ remove

/// Removes a member: marks it removed in a new directory version and puts
/// its certificate on the CRL. Every node refuses it after its next
/// directory refresh.
pub async fn remove(
    db: &Db,
    sealer: &Sealer,
    ledger: &Ledger,
    organ_code: &str,
    key_compromise: bool,
    actor: &Actor,
) -> Result<DirectoryRow> {
    check_organ_code(organ_code)?;
    let authority = Authority::load(db, sealer)
        .await?
        .ok_or(FederationError::NotCoordinator)?;
    if authority.organ_code == organ_code {
        return Err(FederationError::invalid(
            "removal",
            "the coordinator cannot remove itself",
        ));
    }
    let reason = if key_compromise {
        "key-compromise"
    } else {
        "removed"
    };
    let row = authority
        .update(
            db,
            &MemberChange::Remove {
                organ_code: organ_code.to_owned(),
                reason: reason.to_owned(),
            },
        )
        .await?;
    ledger
        .append(
            NewEntry::new(
                actor,
                AuditAction::FederationMemberRemoved,
                format!("federation-member:{organ_code}"),
            )
            .source("cli")
            .details(serde_json::json!({
                "organ_code": organ_code,
                "reason": reason,
                "directory_version": row.version,
            })),
        )
        .await?;
    Ok(row)
}

/// Loads the newest directory this node holds and verifies it.
pub async fn load_directory(db: &Db, identity: &NodeIdentity) -> Result<Arc<DirectoryView>> {
    let row = store::latest_directory(db)
        .await?
        .ok_or_else(|| FederationError::Directory("no directory is stored".into()))?;
    Ok(Arc::new(DirectoryView::verify(
        &identity.trust,
        &row.signed_note,
        &row.body,
        &row.crl,
    )?))
}

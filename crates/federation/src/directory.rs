//! The signed, versioned federation directory.
//!
//! The directory is canonical JSON (the *body*) listing every member: organ
//! code, name, federation endpoint, node certificate, ledger and witness
//! keys, status, and the data services it publishes. The coordinator signs a small *head* naming the body's SHA-256, as
//! a C2SP signed note with its Ed25519 directory key:
//!
//! ```text
//! congso-directory/v1
//! <federation name>
//! <version>
//! <base64 SHA-256 of the body>
//!
//! — <key name> <signature>
//! ```
//!
//! A head rather than the whole body is signed because signed notes are
//! capped at 64 KiB, and a directory of every agency with its certificate
//! is larger. Members pin the directory key when they join, accept only
//! versions above the one they hold, and keep the newest accepted version
//! in their database, so they keep working when the coordinator is down.

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use congso_ledger::note::{self, Ed25519Signer, Ed25519Verifier};
use congso_pki::Certificate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::envelope::{check_organ_code, shorten, PeerKey};
use crate::error::{FederationError, Result};

/// The first line of a directory head.
pub const HEAD_HEADER: &str = "congso-directory/v1";

/// The largest directory body accepted (about 10,000 members).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// A member's standing in the federation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    Active,
    /// Removed or revoked: refused everywhere; kept listed so that its past
    /// messages and receipts can still be checked.
    Removed,
}

/// A data service a member publishes (see [`crate::data_service`]): what
/// callers need to know to call it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedService {
    /// Stable service code (`ho-tich.tra-cuu-cu-tru`).
    pub code: String,
    /// What it does, for people (Vietnamese).
    pub name: String,
    pub description: String,
    /// The declared input and output (JSON Schema, draft 2020-12).
    pub input_schema: serde_json::Value,
    pub output_schema: serde_json::Value,
}

/// One agency in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryMember {
    pub organ_code: String,
    pub name: String,
    /// `https://host:port` of the member's federation listener.
    pub endpoint: String,
    /// The member's node certificate (base64 DER), issued by the federation CA.
    pub certificate: String,
    /// Verifier key of the member's ledger checkpoints (C2SP note vkey).
    pub ledger_key: String,
    /// Verifier key of the member's witness cosignatures.
    pub witness_key: String,
    pub status: MemberStatus,
    pub services: Vec<PublishedService>,
}

/// The directory body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    /// Format version, 1.
    pub v: u8,
    pub federation: String,
    pub version: u64,
    /// When the coordinator signed it (µs since the epoch).
    pub issued_at: i64,
    /// The coordinator's organ code.
    pub coordinator: String,
    /// Lower-case hex SHA-256 of the federation CA certificate (DER).
    pub ca_sha256: String,
    /// Members, sorted by organ code.
    pub members: Vec<DirectoryMember>,
}

impl Directory {
    /// The canonical body bytes.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Signs the head for this body.
    pub fn sign(&self, signer: &Ed25519Signer) -> Result<(String, Vec<u8>)> {
        let body = self.encode();
        let head = head_text(&self.federation, self.version, &body);
        let signed = note::sign(&head, &[signer])
            .map_err(|error| FederationError::Directory(format!("cannot sign: {error}")))?;
        Ok((signed, body))
    }
}

fn head_text(federation: &str, version: u64, body: &[u8]) -> String {
    let hash = Sha256::digest(body);
    format!(
        "{HEAD_HEADER}\n{federation}\n{version}\n{}\n",
        STANDARD.encode(hash)
    )
}

/// Checks a federation name: 1 to 100 characters, no control characters,
/// no surrounding white space (it is a line of the signed head).
pub fn check_federation_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.chars().count() <= 100
        && !name.chars().any(char::is_control)
        && name.trim() == name;
    if ok {
        Ok(())
    } else {
        Err(FederationError::invalid(
            "federation name",
            format!(
                "{:?} must be 1-100 characters without control characters or surrounding spaces",
                shorten(name)
            ),
        ))
    }
}

/// Checks a federation endpoint: `https://host:port` with nothing else.
pub fn check_endpoint(endpoint: &str) -> Result<url::Url> {
    let invalid = |reason: &str| {
        FederationError::invalid(
            "federation endpoint",
            format!("{:?}: {reason}", shorten(endpoint)),
        )
    };
    let url = url::Url::parse(endpoint).map_err(|error| invalid(&error.to_string()))?;
    if url.scheme() != "https" {
        return Err(invalid("must start with https://"));
    }
    if url.host().is_none() {
        return Err(invalid("has no host"));
    }
    if url.port_or_known_default().is_none() {
        return Err(invalid("has no port"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not carry a user name or password"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must be only https://host:port"));
    }
    Ok(url)
}

/// The endpoint without a trailing slash, as stored in the directory.
pub fn normalize_endpoint(endpoint: &str) -> Result<String> {
    let url = check_endpoint(endpoint)?;
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// A verified directory with its members' certificates and keys parsed.
#[derive(Debug, Clone)]
pub struct DirectoryView {
    directory: Directory,
    signed_note: String,
    body: Vec<u8>,
    crl: Vec<u8>,
    members: HashMap<String, MemberView>,
    active_by_fingerprint: HashMap<[u8; 32], String>,
}

/// One member, ready for use.
#[derive(Debug, Clone)]
pub struct MemberView {
    pub entry: DirectoryMember,
    pub certificate: Certificate,
    pub key: PeerKey,
    /// SHA-256 of the certificate (DER).
    pub fingerprint: [u8; 32],
}

impl MemberView {
    pub fn is_active(&self) -> bool {
        self.entry.status == MemberStatus::Active
    }
}

/// What a member needs to check a directory it fetched.
#[derive(Debug, Clone)]
pub struct DirectoryTrust {
    pub federation: String,
    pub verifier: Ed25519Verifier,
    /// Lower-case hex SHA-256 of the federation CA certificate.
    pub ca_sha256: String,
}

impl DirectoryView {
    /// Verifies a signed head and its body against `trust` and builds the view.
    pub fn verify(
        trust: &DirectoryTrust,
        signed_note: &str,
        body: &[u8],
        crl: &[u8],
    ) -> Result<DirectoryView> {
        let refused = |reason: String| FederationError::Directory(reason);
        let opened = note::open(signed_note.as_bytes(), &[&trust.verifier])
            .map_err(|error| refused(format!("the head's signature: {error}")))?;
        let mut lines = opened.text().lines();
        let header = lines.next().unwrap_or_default();
        let federation = lines.next().unwrap_or_default();
        let version = lines.next().unwrap_or_default();
        let hash = lines.next().unwrap_or_default();
        if header != HEAD_HEADER || lines.next().is_some() {
            return Err(refused("the head is not a congso-directory/v1 head".into()));
        }
        if federation != trust.federation {
            return Err(refused(format!(
                "the head is for federation {:?}, not {:?}",
                shorten(federation),
                trust.federation
            )));
        }
        let version: u64 = version
            .parse()
            .map_err(|_| refused("the head's version is not a number".into()))?;
        if body.len() > MAX_BODY_BYTES {
            return Err(refused(format!(
                "the body is {} bytes, more than the {MAX_BODY_BYTES} allowed",
                body.len()
            )));
        }
        if STANDARD.encode(Sha256::digest(body)) != hash {
            return Err(refused(
                "the body does not match the SHA-256 in the signed head".into(),
            ));
        }
        let directory: Directory = serde_json::from_slice(body)
            .map_err(|error| refused(format!("the body is not a directory: {error}")))?;
        if directory.encode() != body {
            return Err(refused("the body is not in canonical form".into()));
        }
        if directory.v != 1 || directory.version != version {
            return Err(refused(
                "the body's format or version differs from the head".into(),
            ));
        }
        if directory.federation != trust.federation {
            return Err(refused("the body names another federation".into()));
        }
        if directory.ca_sha256 != trust.ca_sha256 {
            return Err(refused(
                "the body names another federation CA than the one this node trusts".into(),
            ));
        }
        DirectoryView::build(
            directory,
            signed_note.to_owned(),
            body.to_vec(),
            crl.to_vec(),
        )
    }

    /// Builds the view of a directory this node signed itself.
    pub fn from_trusted(
        directory: Directory,
        signed_note: String,
        crl: Vec<u8>,
    ) -> Result<DirectoryView> {
        let body = directory.encode();
        DirectoryView::build(directory, signed_note, body, crl)
    }

    fn build(
        directory: Directory,
        signed_note: String,
        body: Vec<u8>,
        crl: Vec<u8>,
    ) -> Result<DirectoryView> {
        let refused = |reason: String| FederationError::Directory(reason);
        let mut members = HashMap::new();
        let mut active_by_fingerprint = HashMap::new();
        let mut previous: Option<&str> = None;
        for entry in &directory.members {
            check_organ_code(&entry.organ_code)
                .map_err(|error| refused(format!("member: {error}")))?;
            if previous.is_some_and(|previous| previous >= entry.organ_code.as_str()) {
                return Err(refused(
                    "members are not sorted by organ code, or one is listed twice".into(),
                ));
            }
            previous = Some(&entry.organ_code);
            check_endpoint(&entry.endpoint)
                .map_err(|error| refused(format!("member {}: {error}", entry.organ_code)))?;
            let der = STANDARD.decode(&entry.certificate).map_err(|_| {
                refused(format!(
                    "member {}: the certificate is not base64",
                    entry.organ_code
                ))
            })?;
            let certificate = Certificate::from_der(&der).map_err(|error| {
                refused(format!("member {}: certificate: {error}", entry.organ_code))
            })?;
            let key = PeerKey::from_certificate(&certificate)
                .map_err(|error| refused(format!("member {}: {error}", entry.organ_code)))?;
            let fingerprint: [u8; 32] = Sha256::digest(&der).into();
            if entry.status == MemberStatus::Active {
                active_by_fingerprint.insert(fingerprint, entry.organ_code.clone());
            }
            members.insert(
                entry.organ_code.clone(),
                MemberView {
                    entry: entry.clone(),
                    certificate,
                    key,
                    fingerprint,
                },
            );
        }
        if !members.contains_key(&directory.coordinator) {
            return Err(refused("the coordinator is not listed as a member".into()));
        }
        Ok(DirectoryView {
            directory,
            signed_note,
            body,
            crl,
            members,
            active_by_fingerprint,
        })
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    pub fn version(&self) -> u64 {
        self.directory.version
    }

    pub fn signed_note(&self) -> &str {
        &self.signed_note
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The federation CRL (DER) issued with this version.
    pub fn crl(&self) -> &[u8] {
        &self.crl
    }

    /// A member, active or removed.
    pub fn member(&self, organ_code: &str) -> Option<&MemberView> {
        self.members.get(organ_code)
    }

    /// An active member, or why not.
    pub fn active_member(&self, organ_code: &str) -> Result<&MemberView> {
        match self.members.get(organ_code) {
            Some(member) if member.is_active() => Ok(member),
            _ => Err(FederationError::UnknownMember(organ_code.to_owned())),
        }
    }

    /// The active member holding the certificate with this SHA-256.
    pub fn active_by_certificate(&self, fingerprint: &[u8; 32]) -> Option<&MemberView> {
        self.active_by_fingerprint
            .get(fingerprint)
            .and_then(|code| self.members.get(code))
    }

    /// Every member, sorted by organ code.
    pub fn members(&self) -> impl Iterator<Item = &MemberView> {
        self.directory
            .members
            .iter()
            .filter_map(|entry| self.members.get(&entry.organ_code))
    }
}

/// Opens a verifier key for directory heads.
pub fn directory_verifier(vkey: &str) -> Result<Ed25519Verifier> {
    Ed25519Verifier::from_vkey(vkey)
        .map_err(|error| FederationError::invalid("directory key", error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let check = |input: &str, expected: Option<&str>| {
            assert_eq!(
                normalize_endpoint(input).ok().as_deref(),
                expected,
                "{input}"
            );
        };
        check("https://127.0.0.2:7443", Some("https://127.0.0.2:7443"));
        check("https://127.0.0.2:7443/", Some("https://127.0.0.2:7443"));
        check(
            "https://node.example.gov.vn",
            Some("https://node.example.gov.vn"),
        );
        check("https://[::1]:7443", Some("https://[::1]:7443"));
        check("http://127.0.0.2:7443", None);
        check("https://127.0.0.2:7443/path", None);
        check("https://user:pw@127.0.0.2:7443", None);
        check("https://127.0.0.2:7443?x=1", None);
        check("127.0.0.2:7443", None);
        check("", None);
    }

    #[test]
    fn federation_names() {
        for good in ["Liên thông tỉnh Lào Cai", "congso-test", "A"] {
            assert!(check_federation_name(good).is_ok(), "{good}");
        }
        for bad in ["", " leading", "trailing ", "two\nlines", &"x".repeat(101)] {
            assert!(check_federation_name(bad).is_err(), "{bad}");
        }
    }
}

//! Test support: a raw client that speaks for a node (with its own
//! certificate and key) but lets a test choose every byte, to replay,
//! tamper with or truncate what a well-behaved node would send. Not for
//! production use.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use congso_store::secrets::Sealer;
use congso_store::Db;

use crate::client::{AttemptError, ClientTimeouts, PeerClient, SignedReceipt};
use crate::directory::DirectoryView;
use crate::envelope::{Domain, Envelope};
use crate::error::Result;
use crate::identity::NodeIdentity;

/// A node's identity and directory, loaded from its database.
pub struct RawNode {
    pub identity: NodeIdentity,
    pub directory: Arc<DirectoryView>,
    client: PeerClient,
}

impl RawNode {
    /// Loads a node's federation identity (`None` if it has none).
    pub async fn load(db: &Db, sealer: &Sealer) -> Result<Option<RawNode>> {
        let Some(identity) = NodeIdentity::load(db, sealer).await? else {
            return Ok(None);
        };
        let directory = crate::identity::load_directory(db, &identity).await?;
        let client = PeerClient::new(
            &identity,
            directory.crl(),
            ClientTimeouts {
                connect: Duration::from_secs(5),
                idle: Duration::from_secs(10),
            },
        )?;
        Ok(Some(RawNode {
            identity,
            directory,
            client,
        }))
    }

    /// An envelope from this node to `to` for `payload`, sent now.
    pub fn envelope(&self, to: &str, kind: &str, payload: &[u8]) -> Envelope {
        use sha2::{Digest, Sha256};
        let now = congso_store::now().micros();
        Envelope {
            v: 1,
            id: crate::envelope::new_message_id(),
            from: self.identity.organ_code.clone(),
            to: to.to_owned(),
            kind: kind.to_owned(),
            created: now,
            sent: now,
            payload_sha256: hex::encode(Sha256::digest(payload)),
            payload_len: payload.len() as u64,
        }
    }

    /// Signs envelope bytes with this node's key.
    pub fn sign(&self, bytes: &[u8]) -> Result<Vec<u8>> {
        self.identity.node_key.sign(Domain::Envelope, bytes)
    }

    /// Posts exactly these envelope bytes, signature and body to `to`.
    pub async fn deliver(
        &self,
        to: &str,
        envelope: &[u8],
        signature: &[u8],
        body: reqwest::Body,
    ) -> std::result::Result<SignedReceipt, AttemptError> {
        let endpoint = self
            .directory
            .member(to)
            .map(|member| member.entry.endpoint.clone())
            .unwrap_or_default();
        self.client
            .deliver(
                &endpoint,
                envelope,
                signature,
                body,
                Duration::from_secs(60),
            )
            .await
    }

    /// Signs data service request bytes with this node's key.
    pub fn sign_request(&self, bytes: &[u8]) -> Result<Vec<u8>> {
        self.identity.node_key.sign(Domain::ServiceRequest, bytes)
    }

    /// Posts exactly these request bytes and signature to `to`'s data
    /// service route; answers the signed response bytes, its signature and
    /// whether it was marked as the answer to an earlier request.
    pub async fn call_service(
        &self,
        to: &str,
        request: &[u8],
        signature: &[u8],
    ) -> std::result::Result<(Vec<u8>, Vec<u8>, bool), AttemptError> {
        let endpoint = self
            .directory
            .member(to)
            .map(|member| member.entry.endpoint.clone())
            .unwrap_or_default();
        self.client
            .call_service(&endpoint, request, signature)
            .await
    }

    /// Checks a data service response with the provider's certified key.
    pub fn verify_service_response(
        &self,
        from: &str,
        response: &[u8],
        signature: &[u8],
    ) -> Result<crate::ServiceResponse> {
        let member = self.directory.active_member(from)?;
        member
            .key
            .verify(Domain::ServiceResponse, response, signature)?;
        crate::ServiceResponse::decode(response)
    }

    /// A body that yields `head` and then breaks, as a connection cut in
    /// the middle of a transfer does.
    pub fn broken_body(head: Vec<u8>) -> reqwest::Body {
        let chunks: Vec<std::io::Result<Bytes>> = vec![
            Ok(Bytes::from(head)),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "cut by the test",
            )),
        ];
        reqwest::Body::wrap_stream(futures::stream::iter(chunks))
    }

    /// Checks a receipt with the recipient's certified key.
    pub fn verify_receipt(&self, from: &str, receipt: &SignedReceipt) -> Result<crate::Receipt> {
        let member = self.directory.active_member(from)?;
        member
            .key
            .verify(Domain::Receipt, &receipt.receipt, &receipt.signature)?;
        crate::Receipt::decode(&receipt.receipt)
    }
}

pub use crate::client::SignedReceipt as RawReceipt;

/// Issues a node certificate from the federation CA of a coordinator's
/// database with any validity (expired ones included), for a fresh key.
/// Returns (certificate DER, PKCS#8 key DER).
pub async fn issue_certificate(
    db: &Db,
    sealer: &Sealer,
    organ_code: &str,
    endpoint: &str,
    not_before: std::time::SystemTime,
    validity: Duration,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let authority = crate::identity::Authority::load(db, sealer)
        .await?
        .ok_or(crate::error::FederationError::NotCoordinator)?;
    authority.issue_for_test(organ_code, endpoint, not_before, validity)
}

/// A TLS client configuration presenting `certificate`/`key` and trusting
/// `ca` (all DER).
pub fn client_config(ca: &[u8], certificate: &[u8], key: &[u8]) -> Result<rustls::ClientConfig> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls = |error: rustls::Error| crate::error::FederationError::Tls(error.to_string());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ca.to_vec())).map_err(tls)?;
    rustls::ClientConfig::builder_with_provider(crate::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(tls)?
        .with_root_certificates(roots)
        .with_client_auth_cert(
            vec![CertificateDer::from(certificate.to_vec())],
            PrivateKeyDer::Pkcs8(key.to_vec().into()),
        )
        .map_err(tls)
}

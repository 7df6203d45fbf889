//! rustls configurations for the federation: certificates from the
//! federation CA only, both ways.
//!
//! - The listener asks every client for a certificate and verifies any it
//!   gets against the federation CA and CRL. It also lets a client without
//!   one finish the handshake, because a node that is joining has no
//!   certificate yet; the HTTP layer then serves such a connection only the
//!   join endpoint, and every other route demands an active member's
//!   certificate (see `server.rs`).
//! - Clients present their node certificate and verify the server against
//!   the federation CA, the CRL and the endpoint's host name or address.
//! - On first contact a joining node pins the coordinator by the SHA-256 of
//!   the federation CA certificate carried in the invitation.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, ServerName, UnixTime,
};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::error::{FederationError, Result};
use crate::identity::NodeIdentity;

/// The ring crypto provider, which the node's HTTPS listener also uses.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_error(error: impl std::fmt::Display) -> FederationError {
    FederationError::Tls(error.to_string())
}

fn roots(identity: &NodeIdentity) -> Result<Arc<RootCertStore>> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(
            identity.ca_certificate.to_der().to_vec(),
        ))
        .map_err(tls_error)?;
    Ok(Arc::new(roots))
}

fn chain_and_key(
    identity: &NodeIdentity,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let chain = vec![
        CertificateDer::from(identity.node_certificate.to_der().to_vec()),
        CertificateDer::from(identity.ca_certificate.to_der().to_vec()),
    ];
    let der = identity.node_private_key.to_pkcs8_der()?;
    let key = PrivateKeyDer::Pkcs8(der.to_vec().into());
    Ok((chain, key))
}

fn crls(crl: &[u8]) -> Vec<CertificateRevocationListDer<'static>> {
    if crl.is_empty() {
        Vec::new()
    } else {
        vec![CertificateRevocationListDer::from(crl.to_vec())]
    }
}

/// The listener's configuration for the current CRL.
pub fn server_config(identity: &NodeIdentity, crl: &[u8]) -> Result<Arc<ServerConfig>> {
    let provider = provider();
    let mut verifier =
        WebPkiClientVerifier::builder_with_provider(roots(identity)?, provider.clone())
            .allow_unauthenticated();
    let crls = crls(crl);
    if !crls.is_empty() {
        verifier = verifier.with_crls(crls).only_check_end_entity_revocation();
    }
    let verifier = verifier.build().map_err(tls_error)?;
    let (chain, key) = chain_and_key(identity)?;
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(tls_error)?;
    Ok(Arc::new(config))
}

/// The configuration for connections to other members.
pub fn client_config(identity: &NodeIdentity, crl: &[u8]) -> Result<ClientConfig> {
    let provider = provider();
    let mut verifier =
        WebPkiServerVerifier::builder_with_provider(roots(identity)?, provider.clone());
    let crls = crls(crl);
    if !crls.is_empty() {
        verifier = verifier.with_crls(crls).only_check_end_entity_revocation();
    }
    let verifier = verifier.build().map_err(tls_error)?;
    let (chain, key) = chain_and_key(identity)?;
    ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_webpki_verifier(verifier)
        .with_client_auth_cert(chain, key)
        .map_err(tls_error)
}

/// The configuration for a joining node's first contact: the server must
/// present a chain whose CA certificate has the pinned SHA-256, and its
/// certificate must be valid for the host name under that CA.
pub fn pinned_client_config(ca_sha256: [u8; 32]) -> Result<ClientConfig> {
    let provider = provider();
    Ok(ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedCaVerifier {
            pin: ca_sha256,
            provider,
        }))
        .with_no_client_auth())
}

#[derive(Debug)]
struct PinnedCaVerifier {
    pin: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedCaVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let ca = intermediates
            .iter()
            .find(|candidate| Sha256::digest(candidate.as_ref()).as_slice() == self.pin)
            .ok_or_else(|| {
                rustls::Error::General(
                    "the server's chain does not hold the federation CA named in the invitation"
                        .into(),
                )
            })?;
        let mut roots = RootCertStore::empty();
        roots.add(ca.clone().into_owned())?;
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                .build()
                .map_err(|error| rustls::Error::General(error.to_string()))?;
        verifier.verify_server_cert(end_entity, &[], server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

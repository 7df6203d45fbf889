//! `congso pki`: the node CA, staff signing certificates, revocation, the
//! CRL, and signing a file from the command line.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use bytes::Bytes;
use congso_archive::{
    KeyAlgorithm, NodePki, PkiSettings, RevocationReason, SignContent, SignRequest,
    VisibleSignature,
};
use congso_core::audit::Actor;

use crate::node::Node;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Algorithm {
    /// ECDSA on P-256 (small, fast).
    P256,
    /// RSA 2048-bit (for relying parties that only take RSA).
    Rsa2048,
}

impl From<Algorithm> for KeyAlgorithm {
    fn from(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::P256 => KeyAlgorithm::EcdsaP256,
            Algorithm::Rsa2048 => KeyAlgorithm::Rsa2048,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Reason {
    Unspecified,
    KeyCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    CertificateHold,
}

impl From<Reason> for RevocationReason {
    fn from(reason: Reason) -> Self {
        match reason {
            Reason::Unspecified => RevocationReason::Unspecified,
            Reason::KeyCompromise => RevocationReason::KeyCompromise,
            Reason::AffiliationChanged => RevocationReason::AffiliationChanged,
            Reason::Superseded => RevocationReason::Superseded,
            Reason::CessationOfOperation => RevocationReason::CessationOfOperation,
            Reason::CertificateHold => RevocationReason::CertificateHold,
        }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum PkiCommand {
    /// Print the node CA certificate (PEM) for relying parties to trust; creates the CA on first use.
    CaCert,
    /// Issue a document-signing certificate from the node CA to a staff member.
    IssueCert {
        /// The staff member's login name.
        username: String,
        /// Key algorithm.
        #[arg(long, value_enum, default_value = "p256")]
        alg: Algorithm,
    },
    /// Import a staff member's signing certificate and key from a PKCS#12 file
    /// (an outside CA's); the password is read from standard input.
    ImportP12 {
        /// The staff member's login name.
        username: String,
        /// The .p12 / .pfx file.
        file: PathBuf,
    },
    /// Revoke a certificate by serial number (hex) and publish a new CRL.
    Revoke {
        /// Serial number in hex (colons allowed).
        serial: String,
        /// Why the certificate is revoked.
        #[arg(long, value_enum)]
        reason: Reason,
    },
    /// Print the node CA's current CRL (PEM).
    Crl,
    /// List the certificates the node holds.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Sign a file with a staff member's certificate: PDFs as PAdES B-T
    /// (the signed PDF), anything else as a detached CMS (FILE.p7s); both
    /// with a timestamp. The original file is not changed.
    Sign {
        /// The staff member whose certificate signs.
        username: String,
        /// The file to sign.
        file: PathBuf,
        /// Where to write the result (default: NAME-signed.pdf or FILE.p7s beside FILE).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Draw a visible Decree 30 signature block on page 1 (PDF only).
        #[arg(long)]
        visible: bool,
    },
}

/// The node's PKI with the settings from its configuration.
pub async fn node_pki(node: &Node) -> anyhow::Result<NodePki> {
    let config = &node.config;
    let settings = PkiSettings {
        crl_url: (!config.public_url.is_empty())
            .then(|| format!("{}/pki/crl", config.public_url.trim_end_matches('/'))),
        staff_validity: Duration::from_secs(u64::from(config.pki_staff_cert_days) * 86_400),
        tsa_url: (!config.tsa_url.is_empty()).then(|| config.tsa_url.clone()),
        tsa_timeout: Duration::from_secs(config.tsa_timeout_secs),
    };
    Ok(NodePki::open(&node.db, &node.sealer, settings).await?)
}

/// The operator running the command, as the ledger names them.
pub fn operator() -> Actor {
    let name = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "operator".to_owned());
    Actor::Operator(name)
}

fn read_password_stdin() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut text)
        .context("cannot read the password from standard input")?;
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

/// A media type from a file name, for the files operators hand in.
pub fn media_type_for(path: &std::path::Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match extension.as_str() {
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "xml" | "edxml" => "application/xml",
        "json" => "application/json",
        "p7s" | "p7m" => "application/pkcs7-signature",
        "tsr" => "application/timestamp-reply",
        "tst" => "application/timestamp-token",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "tif" | "tiff" => "image/tiff",
        _ => "application/octet-stream",
    }
}

/// Writes a file in one piece (temporary file, then rename), readable by
/// others like any document: a failed write leaves nothing half-written.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(directory)?;
    file.write_all(bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

pub async fn run(node: &Node, command: PkiCommand) -> anyhow::Result<()> {
    let ledger = node.ledger().await?;
    let result = execute(node, &ledger, command).await;
    // Sign a checkpoint covering what this command recorded.
    ledger.shutdown().await?;
    result
}

async fn execute(
    node: &Node,
    ledger: &congso_store::ledger::Ledger,
    command: PkiCommand,
) -> anyhow::Result<()> {
    let pki = node_pki(node).await?;
    let actor = operator();
    match command {
        PkiCommand::CaCert => {
            let ca = pki.ca(ledger, &actor).await?;
            print!("{}", ca.certificate().to_pem());
        }
        PkiCommand::IssueCert { username, alg } => {
            let issued = pki.issue(ledger, &actor, &username, alg.into()).await?;
            println!(
                "issued certificate {} to {username} ({}, {}), valid until {}",
                issued.serial,
                issued.common_name,
                issued.algorithm,
                congso_archive::rfc3339(congso_core::time::Timestamp(issued.not_after))
            );
        }
        PkiCommand::ImportP12 { username, file } => {
            let metadata = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            if metadata.len() > 1024 * 1024 {
                bail!(
                    "{} is larger than 1 MiB; a PKCS#12 file is a few kilobytes",
                    file.display()
                );
            }
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let password = read_password_stdin()?;
            let imported = pki
                .import_pkcs12(ledger, &actor, &username, &bytes, &password)
                .await?;
            println!(
                "imported certificate {} for {username} ({}), issued by {}, valid until {}",
                imported.serial,
                imported.common_name,
                imported.issuer,
                congso_archive::rfc3339(congso_core::time::Timestamp(imported.not_after))
            );
        }
        PkiCommand::Revoke { serial, reason } => {
            let (revoked, crl) = pki.revoke(ledger, &actor, &serial, reason.into()).await?;
            println!(
                "revoked certificate {} ({}); CRL number {} published",
                revoked.serial, revoked.common_name, crl.number
            );
            if revoked.kind == congso_store::pki::CertificateKind::Imported {
                println!(
                    "note: this certificate was issued by {}; only that CA can list it on its own CRL. The node no longer signs with it.",
                    revoked.issuer
                );
            }
        }
        PkiCommand::Crl => {
            let crl = pki.crl(ledger, &actor).await?;
            print!("{}", congso_archive::package::crl_pem(&crl.der));
        }
        PkiCommand::List { json } => {
            let all = pki.list().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else if all.is_empty() {
                println!("no certificates yet (the CA is created by `congso pki ca-cert` or the first issuance)");
            } else {
                for certificate in all {
                    let state = match (certificate.revoked_at, certificate.retired_at) {
                        (Some(_), _) => format!(
                            "revoked ({})",
                            certificate
                                .revocation_reason
                                .as_deref()
                                .unwrap_or("unspecified")
                        ),
                        (None, Some(_)) => "retired".to_owned(),
                        _ => "active".to_owned(),
                    };
                    println!(
                        "{:<8} {:<34} {:<10} until {}  {}  {}",
                        certificate.kind.code(),
                        certificate.serial,
                        certificate.algorithm,
                        congso_archive::rfc3339(congso_core::time::Timestamp(
                            certificate.not_after
                        )),
                        state,
                        certificate.subject
                    );
                }
            }
        }
        PkiCommand::Sign {
            username,
            file,
            out,
            visible,
        } => {
            let metadata = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            if metadata.len() > congso_archive::MAX_SIGN_BYTES {
                bail!(
                    "{} is {} bytes; files up to {} bytes are signed",
                    file.display(),
                    metadata.len(),
                    congso_archive::MAX_SIGN_BYTES
                );
            }
            let content =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|| "document".to_owned());
            let blobs = node.blobs()?;
            let record = pki
                .sign(
                    ledger,
                    &blobs,
                    &actor,
                    SignRequest {
                        username: username.clone(),
                        document_id: None,
                        file_name: name,
                        media_type: media_type_for(&file).to_owned(),
                        content: SignContent::Bytes(Bytes::from(content)),
                        visible: visible.then(|| VisibleSignature::decree30(1)),
                        reason: None,
                        location: None,
                    },
                )
                .await?;
            let out = out.unwrap_or_else(|| match record.format {
                congso_archive::SignatureFormat::Pades => {
                    let stem = file
                        .file_stem()
                        .map(|stem| stem.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "document".to_owned());
                    file.with_file_name(format!("{stem}-signed.pdf"))
                }
                congso_archive::SignatureFormat::Cms => {
                    let mut name = file.as_os_str().to_owned();
                    name.push(".p7s");
                    PathBuf::from(name)
                }
            });
            let signed = blobs.get_bytes(&record.signed.sha256).await?;
            write_atomic(&out, &signed)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "signed by {username} (certificate {}), {} at {}; verdict {}; written to {}",
                record.cert_serial,
                record.format.code(),
                record
                    .timestamp_at
                    .map(congso_archive::rfc3339)
                    .unwrap_or_else(|| "(no timestamp)".to_owned()),
                match record.report.verdict {
                    congso_archive::Verdict::Valid => "valid",
                    congso_archive::Verdict::Indeterminate => "indeterminate",
                    congso_archive::Verdict::Invalid => "invalid",
                },
                out.display()
            );
        }
    }
    Ok(())
}

//! Documents over the federation: the glue between the documents service
//! (`congso_docs`) and the federation's outbox and inbox.
//!
//! - Dispatch: an issued outgoing document is exported once as an edXML
//!   package and queued for each recipient agency as a message of kind
//!   [`DOCUMENT_KIND`], under a message id derived from (this agency,
//!   document, recipient, new or revoked), so dispatching it again queues
//!   nothing and the recipient never gets it twice.
//! - Receiving: an [`DOCUMENT_KIND`] message is registered as an incoming
//!   document by the home agency's system clerk, with the inbox's arrival
//!   time (the time in the signed receipt) as its arrival time; the same
//!   package again is recognised as already registered. An
//!   [`STATUS_KIND`] message is recorded on our outgoing document.
//! - Status: a background task hands the documents' pending edXML status
//!   messages to the federation outbox (message id derived from the status
//!   row, so a crash between queueing and marking sends nothing twice) and
//!   marks them sent.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use congso_docs::error::DocsError;
use congso_docs::service::{Acting, Service};
use congso_federation::{Federation, InboundMessage, InboxHandler, Queue};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Message kind of an edXML document package.
pub const DOCUMENT_KIND: &str = "edxml-document";
/// Message kind of an edXML status message.
pub const STATUS_KIND: &str = "edxml-status";

/// Largest status message accepted (they are a few kilobytes).
const MAX_STATUS_BYTES: u64 = 1024 * 1024;

/// The message id of a document dispatched to one recipient: the same
/// document to the same agency is the same message, and its revocation a
/// different one.
pub fn document_message_id(from: &str, document_id: i64, to: &str, recalled: bool) -> String {
    let business = if recalled { "revoke" } else { "new" };
    derived_id(&format!(
        "congso edxml-document v1\n{from}\n{document_id}\n{to}\n{business}"
    ))
}

fn status_message_id(from: &str, outbox_id: i64) -> String {
    derived_id(&format!("congso edxml-status v1\n{from}\n{outbox_id}"))
}

fn derived_id(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    hex::encode(&digest[..16])
}

/// One recipient's outcome of a dispatch.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Dispatched {
    pub recipient: String,
    pub message_id: String,
    /// False when this document had already been queued for this recipient.
    pub queued: bool,
}

/// Exports an issued document once and queues it for each recipient.
pub async fn dispatch(
    service: &Service,
    acting: &Acting,
    queue: &Queue<'_>,
    document_id: i64,
    recipients: &[String],
) -> anyhow::Result<Vec<Dispatched>> {
    anyhow::ensure!(!recipients.is_empty(), "name at least one recipient");
    let spool = tempfile::NamedTempFile::new().context("cannot create a spool file")?;
    let file = spool.reopen().context("cannot open the spool file")?;
    let (file, facts) = service
        .export_for_dispatch(acting, document_id, std::io::BufWriter::new(file))
        .await?;
    file.into_inner()
        .map_err(|error| error.into_error())
        .and_then(|file| file.sync_all())
        .context("cannot write the edXML package")?;
    let mut outcomes = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        let message_id = document_message_id(queue.from, document_id, recipient, facts.recalled);
        let payload = tokio::fs::File::open(spool.path()).await?;
        let queued = congso_federation::outbox::enqueue_once(
            queue,
            &message_id,
            recipient,
            DOCUMENT_KIND,
            payload,
        )
        .await
        .with_context(|| format!("cannot queue document {document_id} for {recipient}"))?;
        outcomes.push(Dispatched {
            recipient: recipient.clone(),
            message_id,
            queued: queued.is_some(),
        });
    }
    Ok(outcomes)
}

/// Registers the inbox handlers and starts the status sender; the task
/// ends when `stop` changes.
pub async fn start(
    federation: &Federation,
    service: Service,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let clerk = service
        .system_clerk()
        .await
        .context("cannot set up the system clerk for received documents")?;
    let shared = Arc::new(Receiving {
        service: service.clone(),
        clerk: clerk.clone(),
    });
    // The workflow's dispatch step and recall send through this node's
    // federation from now on.
    service.set_dispatcher(Arc::new(NodeDispatcher {
        federation: federation.clone(),
    }));
    federation.register_handler(DOCUMENT_KIND, Arc::new(DocumentHandler(shared.clone())))?;
    federation.register_handler(STATUS_KIND, Arc::new(StatusHandler(shared)))?;
    let federation = federation.clone();
    Ok(tokio::spawn(send_status_loop(
        federation, service, clerk, stop,
    )))
}

/// The documents service's way out: queue on this node's federation outbox
/// and read delivery state back from it.
struct NodeDispatcher {
    federation: Federation,
}

impl congso_docs::dispatch::Dispatcher for NodeDispatcher {
    fn reachable(&self, organ_code: &str) -> bool {
        self.federation
            .directory()
            .active_member(organ_code)
            .is_ok()
    }

    fn send<'a>(
        &'a self,
        document_id: i64,
        recipient: &'a str,
        revocation: bool,
        package: &'a std::path::Path,
    ) -> BoxFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            let message_id = document_message_id(
                self.federation.organ_code(),
                document_id,
                recipient,
                revocation,
            );
            let payload = tokio::fs::File::open(package)
                .await
                .map_err(|error| format!("cannot read the edXML package: {error}"))?;
            let queued = self
                .federation
                .send_once(&message_id, recipient, DOCUMENT_KIND, payload)
                .await
                .map_err(|error| {
                    format!("cannot queue document {document_id} for {recipient}: {error}")
                })?;
            if queued.is_some() {
                tracing::info!(document_id, %recipient, %message_id, revocation, "document queued for a recipient");
            }
            Ok(queued.is_some())
        })
    }

    fn transport<'a>(
        &'a self,
        document_id: i64,
        recipient: &'a str,
        revocation: bool,
    ) -> BoxFuture<'a, Result<Option<congso_docs::dispatch::Transport>, String>> {
        Box::pin(async move {
            let message_id = document_message_id(
                self.federation.organ_code(),
                document_id,
                recipient,
                revocation,
            );
            let status = self
                .federation
                .status(&message_id)
                .await
                .map_err(|error| format!("cannot read the outbox: {error}"))?;
            Ok(status.map(|status| congso_docs::dispatch::Transport {
                message_id: status.message_id,
                state: match status.state {
                    congso_federation::outbox::DeliveryState::Queued => "queued",
                    congso_federation::outbox::DeliveryState::Sent => "sent",
                    congso_federation::outbox::DeliveryState::Received => "received",
                    congso_federation::outbox::DeliveryState::Rejected => "rejected",
                }
                .to_owned(),
                attempts: status.attempts,
                queued_at: status.created_at,
                next_attempt_at: status.next_attempt_at,
                last_error: status.last_error,
                sent_at: status.sent_at,
                received_at: status.received_at,
                receipt_at: status.receipt_at,
                receipt: status.receipt_bytes,
                receipt_signature: status.receipt_signature,
            }))
        })
    }
}

struct Receiving {
    service: Service,
    clerk: Acting,
}

struct DocumentHandler(Arc<Receiving>);

impl InboxHandler for DocumentHandler {
    fn handle<'a>(&'a self, message: &'a InboundMessage) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            // The package goes through a spool file: the edXML reader is
            // synchronous and attachments may be large.
            let spool = tempfile::NamedTempFile::new().map_err(|error| error.to_string())?;
            let mut reader = message.reader().await.map_err(|error| error.to_string())?;
            let mut file =
                tokio::fs::File::from_std(spool.reopen().map_err(|error| error.to_string())?);
            tokio::io::copy(&mut reader, &mut file)
                .await
                .map_err(|error| error.to_string())?;
            let input = std::io::BufReader::new(spool.reopen().map_err(|error| error.to_string())?);
            match self
                .0
                .service
                .import_received(&self.0.clerk, input, message.received_at)
                .await
            {
                Ok(imported) => {
                    tracing::info!(sender = %message.sender, message_id = %message.message_id, ?imported, "document received through the federation");
                    Ok(())
                }
                Err(DocsError::Duplicate(first)) => {
                    tracing::info!(sender = %message.sender, message_id = %message.message_id, document_id = first.document_id, "document received again; already registered");
                    Ok(())
                }
                Err(error) => Err(format!("cannot register the received document: {error}")),
            }
        })
    }
}

struct StatusHandler(Arc<Receiving>);

impl InboxHandler for StatusHandler {
    fn handle<'a>(&'a self, message: &'a InboundMessage) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let bytes = message
                .bytes(MAX_STATUS_BYTES)
                .await
                .map_err(|error| error.to_string())?;
            let document_id = self
                .0
                .service
                .receive_status_xml(&self.0.clerk, &bytes)
                .await
                .map_err(|error| format!("cannot record the status message: {error}"))?;
            tracing::info!(sender = %message.sender, message_id = %message.message_id, document_id, "status message received through the federation");
            Ok(())
        })
    }
}

/// Hands pending status messages to the federation every few seconds.
async fn send_status_loop(
    federation: Federation,
    service: Service,
    clerk: Acting,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        match send_pending_status(&federation, &service, &clerk).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "status messages handed to the federation"),
            Err(error) => tracing::warn!(%error, "cannot send status messages"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stop.changed() => break,
        }
    }
}

/// One pass over the documents' pending status messages; returns how many
/// were queued. A message whose recipient is no active member of the
/// directory stays pending (the agency may join later) and is skipped.
pub async fn send_pending_status(
    federation: &Federation,
    service: &Service,
    clerk: &Acting,
) -> anyhow::Result<usize> {
    let mut after = 0;
    let mut sent = 0;
    loop {
        let pending = service.pending_status(clerk, after, 100).await?;
        let Some(last) = pending.last() else {
            return Ok(sent);
        };
        after = last.id;
        for status in pending {
            let Some(recipient) = status.recipient.as_deref() else {
                continue;
            };
            if federation.directory().active_member(recipient).is_err() {
                continue;
            }
            let message_id = status_message_id(federation.organ_code(), status.id);
            federation
                .send_once(
                    &message_id,
                    recipient,
                    STATUS_KIND,
                    std::io::Cursor::new(status.payload.into_bytes()),
                )
                .await
                .with_context(|| format!("cannot queue status message {}", status.id))?;
            service.mark_status_sent(clerk, status.id).await?;
            sent += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_valid_and_distinguish_what_they_carry() {
        let first = document_message_id("000.00.00.G01", 7, "000.00.01.H26", false);
        congso_federation::envelope::check_message_id(&first).unwrap();
        assert_eq!(
            first,
            document_message_id("000.00.00.G01", 7, "000.00.01.H26", false)
        );
        for other in [
            document_message_id("000.00.00.G01", 8, "000.00.01.H26", false),
            document_message_id("000.00.00.G01", 7, "000.00.02.H27", false),
            document_message_id("000.00.00.G01", 7, "000.00.01.H26", true),
            document_message_id("000.00.03.G02", 7, "000.00.01.H26", false),
            status_message_id("000.00.00.G01", 7),
        ] {
            congso_federation::envelope::check_message_id(&other).unwrap();
            assert_ne!(first, other);
        }
    }
}

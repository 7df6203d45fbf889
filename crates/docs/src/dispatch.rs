//! Electronic dispatch of issued documents to other agencies, as a step of
//! the workflow, and what each recipient has done with them.
//!
//! The documents service never talks to the network: the node attaches a
//! [`Dispatcher`] (the federation glue in the binary) with
//! [`Service::set_dispatcher`]. Then:
//!
//! - the workflow's dispatch step (and [`Service::send_electronically`],
//!   which repeats it for recipients not queued yet) exports the document
//!   once as an edXML package and hands it to the dispatcher for every
//!   recipient with an organ code that is an active member of the
//!   federation. The dispatcher's message id is derived from (sender,
//!   document, recipient, new or revoked), so sending again queues nothing;
//! - recalling a dispatched document sends the revocation (edXML business
//!   type 1) to the same recipients;
//! - [`Service::deliveries`] shows, per recipient: whether it can be
//!   reached electronically, where the document (and its revocation) stands
//!   in the outbox — queued, trying (attempts, last error), received with
//!   the recipient's signed receipt and its arrival time — and the edXML
//!   status messages the recipient sent back (accepted, assigned, ...,
//!   rejected with a reason).

use std::collections::BTreeSet;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use congso_core::access::Action;
use serde::Serialize;

use crate::error::{DocsError, Result};
use crate::service::{Acting, Service};

/// A boxed future, as the dispatcher trait returns (object safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How the node moves documents to other agencies.
pub trait Dispatcher: Send + Sync + 'static {
    /// Whether `organ_code` is an active member of the federation now.
    fn reachable(&self, organ_code: &str) -> bool;

    /// Queues the edXML package in the file at `package` for `recipient`
    /// under the message id of (document, recipient, revocation); `false`
    /// when that message was queued before (nothing is queued twice).
    fn send<'a>(
        &'a self,
        document_id: i64,
        recipient: &'a str,
        revocation: bool,
        package: &'a Path,
    ) -> BoxFuture<'a, std::result::Result<bool, String>>;

    /// Where the message of (document, recipient, revocation) stands, if it
    /// was ever queued.
    fn transport<'a>(
        &'a self,
        document_id: i64,
        recipient: &'a str,
        revocation: bool,
    ) -> BoxFuture<'a, std::result::Result<Option<Transport>, String>>;
}

/// Where one message stands in the sending node's outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transport {
    pub message_id: String,
    /// `queued` (no attempt yet), `sent` (attempted, no receipt yet),
    /// `received` (the recipient's signed receipt is stored), `rejected`
    /// (refused for good; see `last_error`).
    pub state: String,
    pub attempts: i64,
    /// When it was queued (µs).
    pub queued_at: i64,
    pub next_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    /// Send time of the accepted attempt (µs, our clock, signed in the envelope).
    pub sent_at: Option<i64>,
    /// Arrival time stated in the recipient's signed receipt (µs, its clock).
    pub received_at: Option<i64>,
    /// When the receipt came back (µs, our clock).
    pub receipt_at: Option<i64>,
    /// The receipt's exact bytes and the recipient node's signature
    /// (base64), for anyone who wants to check it.
    pub receipt: Option<String>,
    pub receipt_signature: Option<String>,
}

/// Whether a recipient can get the document electronically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// An active member of the federation.
    Member,
    /// Has an organ code but is not (or no longer) an active member.
    NotMember,
    /// No organ code: sent on paper or by other means (or a "Lưu" line).
    NoOrganCode,
    /// This agency itself.
    Ourselves,
    /// This node is not in a federation.
    NoFederation,
}

/// One recipient of a document and what happened to it there.
#[derive(Debug, Clone, Serialize)]
pub struct RecipientDelivery {
    pub name: String,
    pub organ_code: Option<String>,
    pub reach: Reach,
    /// The document (edXML business type 0).
    pub document: Option<Transport>,
    /// Its revocation (business type 1), once recalled.
    pub revocation: Option<Transport>,
    /// The edXML status messages this recipient sent back, oldest first.
    pub statuses: Vec<RecipientStatus>,
}

/// One edXML status message a recipient sent about the document.
#[derive(Debug, Clone, Serialize)]
pub struct RecipientStatus {
    pub code: i64,
    /// The code's Vietnamese name (Đã đến, Từ chối tiếp nhận, ...).
    pub label: String,
    pub description: Option<String>,
    /// When the recipient says it happened (as sent).
    pub reported_at: Option<String>,
    /// When it reached us (µs).
    pub received_at: i64,
}

/// What one send did for one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentTo {
    pub organ_code: String,
    pub name: String,
    /// `queued` now, `already` queued before, `not_member` (cannot be sent
    /// electronically now), `never_sent` (a revocation for an agency that
    /// never had the document).
    pub outcome: String,
}

/// The result of sending a document electronically.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Sending {
    pub sent: Vec<SentTo>,
    /// Set when sending failed after the workflow step was taken; the step
    /// stands, nothing was half-queued (each recipient's message is queued
    /// whole or not at all), and sending again finishes the job.
    pub error: Option<String>,
}

impl Service {
    /// Attaches the node's dispatcher (once; later calls are ignored and
    /// answer false). Every clone of this service shares it.
    pub fn set_dispatcher(&self, dispatcher: std::sync::Arc<dyn Dispatcher>) -> bool {
        self.dispatcher.set(dispatcher).is_ok()
    }

    /// Whether the node attached a dispatcher (it is in a federation).
    pub fn has_dispatcher(&self) -> bool {
        self.dispatcher.get().is_some()
    }

    pub(crate) fn dispatcher(&self) -> Option<&std::sync::Arc<dyn Dispatcher>> {
        self.dispatcher.get()
    }

    /// The recipients an issued document goes to electronically: those
    /// with an organ code other than ours, each once, in the order listed.
    fn electronic_recipients(
        &self,
        metadata: &crate::model::DocumentMetadata,
    ) -> Vec<(String, String)> {
        let own = &self.agency().organ_code;
        let mut seen = BTreeSet::new();
        metadata
            .recipients
            .iter()
            .filter_map(|party| {
                let code = party.organ_code.as_deref()?.trim();
                (!code.is_empty() && code != own && seen.insert(code.to_owned()))
                    .then(|| (code.to_owned(), party.name.clone()))
            })
            .collect()
    }

    /// Sends a dispatched document (or, once recalled, its revocation) to
    /// every recipient that is a member of the federation and has not had
    /// it queued yet. The dispatch step does this by itself; this is for a
    /// send that failed, or recipients that joined the federation later.
    pub async fn send_electronically(&self, acting: &Acting, id: i64) -> Result<Sending> {
        acting.require(Action::DocumentDispatch)?;
        let row = self.visible(acting, id).await?;
        if row.dispatched_at.is_none() {
            return Err(DocsError::Workflow(format!(
                "document {id} has not been dispatched; take the dispatch step first"
            )));
        }
        self.send_to_recipients(acting, id).await
    }

    /// Exports the document once and queues it for each reachable
    /// recipient (see [`Dispatcher::send`]).
    pub(crate) async fn send_to_recipients(&self, acting: &Acting, id: i64) -> Result<Sending> {
        let Some(dispatcher) = self.dispatcher().cloned() else {
            return Err(DocsError::Workflow(
                "this node is not in a federation: send the document by other means".to_owned(),
            ));
        };
        let row = self.visible(acting, id).await?;
        let metadata = Self::parse_metadata(&row)?;
        if metadata.secrecy.is_secret() {
            return Err(DocsError::Forbidden(
                "secret documents are not exchanged as edXML".to_owned(),
            ));
        }
        let recipients = self.electronic_recipients(&metadata);
        let revocation = row.recalled_at.is_some();
        let mut sent = Vec::with_capacity(recipients.len());
        let mut due = Vec::new();
        for (code, name) in recipients {
            let outcome = if !dispatcher.reachable(&code) {
                "not_member"
            } else if dispatcher
                .transport(id, &code, revocation)
                .await
                .map_err(DocsError::Dispatch)?
                .is_some()
            {
                "already"
            } else if revocation
                && dispatcher
                    .transport(id, &code, false)
                    .await
                    .map_err(DocsError::Dispatch)?
                    .is_none()
            {
                // A revocation goes only where the document went: an agency
                // that never had it would register the revocation as a
                // document of its own.
                "never_sent"
            } else {
                due.push(sent.len());
                "queued"
            };
            sent.push(SentTo {
                organ_code: code,
                name,
                outcome: outcome.to_owned(),
            });
        }
        if due.is_empty() {
            return Ok(Sending { sent, error: None });
        }
        // One export (one timeline entry), then the same bytes to each.
        let spool = tempfile::NamedTempFile::new()?;
        let file = std::io::BufWriter::new(spool.reopen()?);
        let (file, _facts) = self.export_for_dispatch(acting, id, file).await?;
        file.into_inner()
            .map_err(|error| error.into_error())
            .and_then(|file| file.sync_all())?;
        for index in due {
            let recipient = &mut sent[index];
            let queued = dispatcher
                .send(id, &recipient.organ_code, revocation, spool.path())
                .await
                .map_err(DocsError::Dispatch)?;
            if !queued {
                recipient.outcome = "already".to_owned();
            }
        }
        Ok(Sending { sent, error: None })
    }

    /// Every recipient of an issued outgoing document and where the
    /// document stands with each (see the module documentation).
    pub async fn deliveries(&self, acting: &Acting, id: i64) -> Result<Vec<RecipientDelivery>> {
        let detail = self.get(acting, id).await?;
        if detail.row.direction != "outgoing" {
            return Err(DocsError::Workflow(format!(
                "document {id} is not an outgoing document"
            )));
        }
        let dispatcher = self.dispatcher().cloned();
        let own = self.agency().organ_code.clone();
        let revocation = detail.row.recalled_at.is_some();
        let mut deliveries = Vec::with_capacity(detail.metadata.recipients.len());
        let mut seen = BTreeSet::new();
        for party in &detail.metadata.recipients {
            let code = party
                .organ_code
                .as_deref()
                .map(str::trim)
                .filter(|code| !code.is_empty());
            if let Some(code) = code {
                if !seen.insert(code.to_owned()) {
                    continue;
                }
            }
            let reach = match (code, &dispatcher) {
                (None, _) => Reach::NoOrganCode,
                (Some(code), _) if code == own => Reach::Ourselves,
                (Some(_), None) => Reach::NoFederation,
                (Some(code), Some(dispatcher)) if dispatcher.reachable(code) => Reach::Member,
                (Some(_), Some(_)) => Reach::NotMember,
            };
            let (document, revoked) = match (code, &dispatcher) {
                (Some(code), Some(dispatcher)) if reach != Reach::Ourselves => (
                    dispatcher
                        .transport(id, code, false)
                        .await
                        .map_err(DocsError::Dispatch)?,
                    if revocation {
                        dispatcher
                            .transport(id, code, true)
                            .await
                            .map_err(DocsError::Dispatch)?
                    } else {
                        None
                    },
                ),
                _ => (None, None),
            };
            let statuses = detail
                .recipient_statuses
                .iter()
                .filter(|status| code.is_some() && status.organ_code.as_deref() == code)
                .map(|status| RecipientStatus {
                    code: status.status_code,
                    label: u8::try_from(status.status_code)
                        .ok()
                        .and_then(congso_edxml::StatusCode::new)
                        .and_then(congso_edxml::StatusCode::kind)
                        .map(|kind| kind.vietnamese_name())
                        .unwrap_or("Trạng thái khác")
                        .to_owned(),
                    description: status.description.clone(),
                    reported_at: status.reported_at.clone(),
                    received_at: status.received_at,
                })
                .collect();
            deliveries.push(RecipientDelivery {
                name: party.name.clone(),
                organ_code: code.map(str::to_owned),
                reach,
                document,
                revocation: revoked,
                statuses,
            });
        }
        Ok(deliveries)
    }
}

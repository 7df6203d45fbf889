//! What the federation glue (`congso`'s `exchange` module) needs from the
//! documents service: the system clerk who registers documents that arrive
//! from other agencies' nodes, registration with the inbox's arrival time,
//! export of an issued document for dispatch, and the edXML status messages
//! waiting to be sent, with their recipients.
//!
//! This module never talks to the network; the caller moves the bytes.

use congso_core::access::{AccountKind, Role, RoleSet};
use congso_core::time::Timestamp;
use congso_store::accounts;
use congso_store::documents as store;

use crate::error::{DocsError, Result};
use crate::service::{Acting, Imported, Service};

/// The login name of the home agency's system clerk: the account that
/// registers documents received through the federation and records the
/// status messages other agencies send. It has no usable password (the
/// stored hash is not a hash), so nobody signs in as it.
pub const SYSTEM_CLERK: &str = "lienthong";

/// An edXML status message waiting to be handed to the federation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingStatus {
    /// Its position in the documents' edXML outbox.
    pub id: i64,
    pub document_id: i64,
    /// The organ code of the agency that sent us the document, if known;
    /// a document registered from a paper or an upload without one has
    /// nobody to tell.
    pub recipient: Option<String>,
    /// The edXML status message.
    pub payload: String,
}

/// What dispatching an issued document needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchFacts {
    /// Its edXML DocumentId (recipients' status messages name it).
    pub edxml_document_id: Option<String>,
    /// A recalled document travels as a revocation (edXML business type 1).
    pub recalled: bool,
}

impl Service {
    /// The system clerk as an actor, created (clerk of the home agency) the
    /// first time it is needed.
    pub async fn system_clerk(&self) -> Result<Acting> {
        let db = self.database();
        let user_id = match accounts::find_credentials(db, SYSTEM_CLERK).await? {
            Some(credentials) => credentials.user.id,
            None => {
                let created = accounts::create_user(
                    db,
                    &accounts::NewUser {
                        username: SYSTEM_CLERK.to_owned(),
                        display_name: "Văn thư liên thông (hệ thống)".to_owned(),
                        email: None,
                        kind: AccountKind::Staff,
                        organization_id: Some(self.agency().organization_id),
                        unit_id: None,
                        position: Some("Văn thư".to_owned()),
                        roles: RoleSet::single(Role::Clerk),
                        // Not a PHC string: no password verifies against it.
                        password_hash: "!system-account".to_owned(),
                        must_change_password: true,
                    },
                )
                .await;
                match created {
                    Ok(id) => id,
                    // Another replica created it first.
                    Err(_) => {
                        accounts::find_credentials(db, SYSTEM_CLERK)
                            .await?
                            .ok_or_else(|| {
                                DocsError::Forbidden(format!(
                                    "cannot create the system clerk {SYSTEM_CLERK}"
                                ))
                            })?
                            .user
                            .id
                    }
                }
            }
        };
        self.acting(user_id, "federation").await
    }

    /// Registers an edXML package received from another node, with the time
    /// it arrived there (`arrived_at`, µs) as its arrival time. The same
    /// package again is [`DocsError::Duplicate`], naming the first
    /// registration.
    pub async fn import_received<R: std::io::Read + Send + 'static>(
        &self,
        acting: &Acting,
        reader: R,
        arrived_at: i64,
    ) -> Result<Imported> {
        self.import_edxml_arrived(acting, reader, Timestamp(arrived_at))
            .await
    }

    /// Records an edXML status message received from another node (see
    /// [`Service::receive_status`]); returns the document it concerns.
    pub async fn receive_status_xml(&self, acting: &Acting, xml: &[u8]) -> Result<i64> {
        let parsed = congso_edxml::read_status(std::io::Cursor::new(xml))?;
        self.receive_status(acting, &parsed.value).await
    }

    /// Writes an issued outgoing document as an edXML package for dispatch
    /// (see [`Service::export_edxml`]); drafts and incoming documents are
    /// refused.
    pub async fn export_for_dispatch<W: std::io::Write + Send + 'static>(
        &self,
        acting: &Acting,
        id: i64,
        output: W,
    ) -> Result<(W, DispatchFacts)> {
        let detail = self.get(acting, id).await?;
        if detail.row.direction != "outgoing" || detail.row.number_text.is_none() {
            return Err(DocsError::Workflow(format!(
                "document {id} is not an issued outgoing document"
            )));
        }
        let facts = DispatchFacts {
            edxml_document_id: detail.row.edxml_document_id.clone(),
            recalled: detail.row.recalled_at.is_some(),
        };
        let written = self.export_edxml(acting, id, output).await?;
        Ok((written, facts))
    }

    /// Status messages not yet handed to the federation, after outbox
    /// position `after`, oldest first.
    pub async fn pending_status(
        &self,
        acting: &Acting,
        after: i64,
        limit: u32,
    ) -> Result<Vec<PendingStatus>> {
        acting.require(congso_core::access::Action::DocumentExport)?;
        let rows = store::outbox_pending_after(self.database(), after, limit).await?;
        let mut pending = Vec::with_capacity(rows.len());
        for row in rows {
            let recipient = store::get_document_unchecked(self.database(), row.document_id)
                .await?
                .and_then(|document| document.sender_organ_code);
            pending.push(PendingStatus {
                id: row.id,
                document_id: row.document_id,
                recipient,
                payload: row.payload,
            });
        }
        Ok(pending)
    }

    /// Marks a status message handed to the federation (whose outbox then
    /// owns its delivery); false if it was marked before.
    pub async fn mark_status_sent(&self, acting: &Acting, id: i64) -> Result<bool> {
        acting.require(congso_core::access::Action::DocumentExport)?;
        Ok(store::mark_outbox_sent(self.database(), id, crate::now().micros()).await?)
    }
}

//! congso electronic documents (Decree 30/2020, Decree 64/2007 Art. 33–39):
//! the Decree 30 document model, registers and numbering, declarative
//! workflows, due dates in working days, timelines, notifications, recall,
//! renditions, edXML mapping, and staff search with secrecy access control.
//!
//! - [`model`]: typed metadata with Vietnamese labels, validation, Dublin Core.
//! - [`types`]: the document types and abbreviations, as data.
//! - [`workflow`]: the declarative workflow definition and its checks.
//! - [`edxml_map`]: to and from edXML document and status messages.
//! - [`search`]: folded search terms.
//! - [`files`]: upload checks and rendition kinds.
//! - [`register`]: Decree 30 Appendix IV register rows and their export.
//! - [`service`]: the [`Service`] the web layer and the command line call.
//! - [`federated`]: what the federation glue needs: the system clerk,
//!   registration with the inbox arrival time, export for dispatch, status
//!   messages waiting to be sent.
//! - [`dispatch`]: electronic dispatch through the node's [`dispatch::Dispatcher`]
//!   (the federation), revocations on recall, and per-recipient delivery
//!   state with receipts and the recipients' status messages.
//! - [`archiving`]: the glue to the node's signing service and archive: the
//!   sign step, archiving on registration, issue and dispatch, packages.
//! - [`bench`]: the registration throughput benchmark.

pub mod archiving;
pub mod bench;
pub mod dispatch;
pub mod edxml_map;
pub mod error;
pub mod federated;
pub mod files;
pub mod model;
pub mod register;
pub mod search;
pub mod service;
pub mod types;
pub mod workflow;

pub use error::{DocsError, Result};
pub use service::{Acting, Agency, Service, Settings};

/// The current time.
pub(crate) fn now() -> congso_core::time::Timestamp {
    congso_store::now()
}

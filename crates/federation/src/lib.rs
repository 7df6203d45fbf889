//! congso federation: the one crate that talks to other nodes.
//!
//! Agencies' nodes form a federation around a coordinator node, which runs
//! the federation CA and signs the directory of members. Nodes exchange
//! messages (generic payloads: issue 4's edXML documents ride on this)
//! over mutual TLS, each message in an envelope signed by the sending node
//! and answered at once by a receipt signed by the receiving node, and they
//! witness each other's ledgers.
//!
//! - [`identity`]: `init` (federation CA, directory key), `invite`
//!   (one-time tokens, stored hashed), `join` (first contact pinned by the
//!   CA fingerprint in the token), `remove` (directory status and CRL).
//! - [`directory`]: the signed, versioned directory ([`DirectoryView`]).
//! - [`envelope`]: envelopes and receipts, canonical JSON signed with the
//!   node key (ECDSA P-256).
//! - [`Federation`]: the running service: the listener, the outbox with
//!   per-destination queues, retries and backoff, the inbox and its
//!   handlers ([`InboxHandler`]), directory refresh, witnessing.
//! - [`data_service`]: data services between agencies: declared inputs
//!   and outputs (JSON Schema), a declarative dataset backend, grants per
//!   agency, signed requests and responses, both sides logged.
//! - [`witness::verify_witnesses`]: the witness check `congso ledger verify`
//!   runs.
//!
//! Invariants: a message is delivered exactly once per (sender, id),
//! whatever the retries; every receipt names the receiver's ledger entry
//! recording the arrival, and the sender's ledger records the receipt
//! before the outbox does; only certificates from the federation CA that
//! belong to an active member of the directory in force are served.

mod client;
pub mod data_service;
pub mod directory;
pub mod envelope;
mod error;
pub mod identity;
pub mod inbox;
pub mod outbox;
mod server;
mod service;
#[doc(hidden)]
pub mod testing;
mod tls;
pub mod wire;
pub mod witness;

pub use client::AttemptError;
pub use data_service::{CallAnswer, CallRequest, Outcome, ServiceRequest, ServiceResponse};
pub use directory::{Directory, DirectoryMember, DirectoryView, MemberStatus};
pub use envelope::{Envelope, Receipt};
pub use error::{FederationError, Result};
pub use identity::{InitOptions, InitReport, InviteToken, JoinOptions, JoinReport, Role};
pub use inbox::{InboundMessage, InboxHandler};
pub use outbox::{Delivered, DeliveryState, DeliveryStatus, Queue};
pub use service::{Federation, Settings};
pub use witness::{verify_witnesses, RoundSummary, WitnessReport};

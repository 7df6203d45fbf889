//! The JSON documents and headers exchanged on the federation listener.
//!
//! Routes (all over mutual TLS; only `join` accepts a client without a
//! certificate):
//!
//! | route | answer |
//! |---|---|
//! | `POST /federation/join` | [`JoinDocument`] in, [`crate::identity::JoinResponse`] out (coordinator) |
//! | `GET /federation/directory` | [`DirectoryDocument`] (coordinator; members serve their cached copy) |
//! | `POST /federation/messages` | envelope headers + payload in, [`ReceiptDocument`] out |
//! | `GET /federation/receipts/{id}` | the [`ReceiptDocument`] already issued to the caller, or 404 |
//! | `GET /ledger/checkpoint` | the node's latest signed checkpoint (text) |
//! | `GET /ledger/proof/consistency?from=&to=` | [`ConsistencyDocument`] |
//! | `GET /federation/cosignatures?min_size=` | [`CosignatureDocument`]s this node made on the caller's checkpoints |
//!
//! Every refusal is [`ErrorDocument`] with a stable code.

use serde::{Deserialize, Serialize};

/// Header carrying the envelope (base64url, no padding).
pub const ENVELOPE_HEADER: &str = "congso-envelope";
/// Header carrying the envelope signature (base64url, no padding).
pub const SIGNATURE_HEADER: &str = "congso-envelope-signature";
/// Response header set when the receipt is the one issued for an earlier
/// attempt of the same message.
pub const DUPLICATE_HEADER: &str = "congso-duplicate";

/// A refusal: a stable machine code, a message for the operator, and
/// whether trying again later can help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDocument {
    pub error: String,
    pub message: String,
    pub retry: bool,
}

/// A signed receipt: the canonical receipt bytes and the receiver's
/// signature, both base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptDocument {
    pub receipt: String,
    pub signature: String,
}

/// A signed directory head, its body and the CRL (base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryDocument {
    pub note: String,
    pub body: String,
    pub crl: String,
}

/// A join request and the signature made with the key it carries (base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinDocument {
    pub request: String,
    pub signature: String,
}

/// A consistency proof, in the same form as the node's public
/// `/ledger/proof/consistency` (hashes in standard base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyDocument {
    pub from: u64,
    pub to: u64,
    pub root_from: String,
    pub root_to: String,
    pub proof: Vec<String>,
}

/// One cosignature a witness made on the caller's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CosignatureDocument {
    pub tree_size: u64,
    /// The checkpoint text (note body) that was cosigned.
    pub checkpoint: String,
    /// The witness's signature line.
    pub cosignature: String,
}

//! The node's PKI material at rest: the CA, staff signing identities
//! (private keys sealed), imported certificates, revocations and CRLs.

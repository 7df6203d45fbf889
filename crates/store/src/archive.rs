//! The archive of issued and received documents (Decree 64 Art. 38): what
//! was archived, its hashes, validation report and ledger proof.

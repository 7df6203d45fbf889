-- congso schema v4 (SQLite): federation between agencies' nodes.
-- Timestamps are INTEGER microseconds since the Unix epoch (UTC), except
-- cosignature timestamps, which are POSIX seconds as C2SP defines them.

-- This node's place in a federation: at most one row, present once the node
-- created a federation (`coordinator`) or joined one (`member`).
CREATE TABLE fed_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    role TEXT NOT NULL CHECK (role IN ('coordinator', 'member')),
    federation_name TEXT NOT NULL,
    organ_code TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    coordinator_endpoint TEXT NOT NULL,
    ca_certificate BLOB NOT NULL,
    node_certificate BLOB NOT NULL,
    -- PKCS#8 EncryptedPrivateKeyInfo, keyed by a node secret.
    node_key_sealed BLOB NOT NULL,
    -- Verifier key (C2SP note vkey) of the directory signatures.
    directory_key TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Coordinator only: the federation CA key and the CRL counter.
CREATE TABLE fed_authority (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    ca_key_sealed BLOB NOT NULL,
    crl_number INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- Coordinator only: every agency that joined, the source of the directory.
CREATE TABLE fed_members (
    organ_code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    certificate BLOB NOT NULL,
    certificate_serial TEXT NOT NULL,
    ledger_key TEXT NOT NULL,
    witness_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'removed')),
    joined_at INTEGER NOT NULL,
    removed_at INTEGER,
    removal_reason TEXT
);

-- Coordinator only: revoked node certificates (hex serials), the CRL's source.
CREATE TABLE fed_revocations (
    serial TEXT PRIMARY KEY,
    organ_code TEXT NOT NULL,
    revoked_at INTEGER NOT NULL,
    reason TEXT NOT NULL
);

-- Coordinator only: one-time invitations; only the SHA-256 of the secret is kept.
CREATE TABLE fed_invites (
    token_hash BLOB PRIMARY KEY,
    organ_code TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX fed_invites_organ ON fed_invites(organ_code);

-- Every directory version this node signed (coordinator) or accepted
-- (member): the signed head (a C2SP note naming the body's SHA-256), the
-- body (canonical JSON) and the CRL issued alongside it.
CREATE TABLE fed_directory (
    version INTEGER PRIMARY KEY,
    signed_note TEXT NOT NULL,
    body BLOB NOT NULL,
    crl BLOB NOT NULL,
    stored_at INTEGER NOT NULL
);

-- Messages to other agencies, kept until a signed receipt comes back.
-- A payload up to 64 KiB is kept inline; a larger one is in the blob store
-- under its SHA-256.
CREATE TABLE fed_outbox (
    seq INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    payload_len INTEGER NOT NULL,
    payload_sha256 BLOB NOT NULL,
    payload_inline BLOB,
    state TEXT NOT NULL CHECK (state IN ('queued', 'received', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER,
    last_error TEXT,
    sent_at INTEGER,
    received_at INTEGER,
    receipt_at INTEGER,
    receipt BLOB,
    receipt_signature BLOB
);
CREATE INDEX fed_outbox_due ON fed_outbox(state, recipient, next_attempt_at);

-- Messages from other agencies, one row per (sender, message id): the
-- uniqueness is what makes a retried message arrive exactly once.
CREATE TABLE fed_inbox (
    seq INTEGER PRIMARY KEY,
    sender TEXT NOT NULL,
    message_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    payload_len INTEGER NOT NULL,
    payload_sha256 BLOB NOT NULL,
    payload_inline BLOB,
    envelope BLOB NOT NULL,
    envelope_signature BLOB NOT NULL,
    receipt BLOB NOT NULL,
    receipt_signature BLOB NOT NULL,
    ledger_seq INTEGER NOT NULL,
    handled_at INTEGER,
    handle_attempts INTEGER NOT NULL DEFAULT 0,
    handle_error TEXT,
    next_handle_at INTEGER NOT NULL,
    UNIQUE (sender, message_id)
);
CREATE INDEX fed_inbox_pending ON fed_inbox(handled_at, next_handle_at);

-- Witnessing: the latest checkpoint of each peer this node checked.
CREATE TABLE fed_witness_state (
    peer TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    tree_size INTEGER NOT NULL,
    root_hash BLOB NOT NULL,
    checkpoint TEXT NOT NULL,
    checked_at INTEGER NOT NULL
);

-- Every cosignature this node made on a peer's checkpoint.
CREATE TABLE fed_cosignatures_made (
    peer TEXT NOT NULL,
    tree_size INTEGER NOT NULL,
    checkpoint TEXT NOT NULL,
    cosignature TEXT NOT NULL,
    cosigned_at INTEGER NOT NULL,
    PRIMARY KEY (peer, tree_size)
);

-- Cosignatures of this node's own checkpoints, fetched from its witnesses.
CREATE TABLE fed_cosignatures_held (
    witness TEXT NOT NULL,
    tree_size INTEGER NOT NULL,
    checkpoint_body TEXT NOT NULL,
    cosignature TEXT NOT NULL,
    witness_key TEXT NOT NULL,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (witness, tree_size)
);

-- Evidence of a peer whose new checkpoint is not consistent with the last.
CREATE TABLE fed_witness_alarms (
    id INTEGER PRIMARY KEY,
    peer TEXT NOT NULL,
    detected_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    old_checkpoint TEXT NOT NULL,
    new_checkpoint TEXT NOT NULL
);

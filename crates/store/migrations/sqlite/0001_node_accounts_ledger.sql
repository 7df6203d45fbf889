-- congso schema v1 (SQLite): node identity, organisations, accounts,
-- sessions, login throttling, CSRF replay guard, mail outbox, the ledger.
-- Timestamps are INTEGER microseconds since the Unix epoch (UTC).

CREATE TABLE node_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Secrets sealed with the node master key (XChaCha20-Poly1305).
CREATE TABLE node_secrets (
    name TEXT PRIMARY KEY,
    sealed BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES organizations(id),
    kind TEXT NOT NULL CHECK (kind IN ('agency', 'unit')),
    organ_code TEXT UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT,
    short_name TEXT,
    address TEXT,
    phone TEXT,
    email TEXT,
    website TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX organizations_parent ON organizations(parent_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('staff', 'citizen')),
    organization_id INTEGER REFERENCES organizations(id),
    unit_id INTEGER REFERENCES organizations(id),
    position TEXT,
    password_hash TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT 0,
    totp_secret_sealed BLOB,
    totp_last_step INTEGER,
    disabled BOOLEAN NOT NULL DEFAULT 0,
    language TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE sessions (
    id_hash BLOB PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stage TEXT NOT NULL CHECK (stage IN ('second_factor', 'enroll_second_factor', 'full')),
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- Failed-login counters, keyed by the folded login name whether or not such
-- an account exists, so throttling reveals nothing about existence.
CREATE TABLE login_throttle (
    subject TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until INTEGER
);

CREATE TABLE csrf_used (
    nonce BLOB PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX csrf_used_expiry ON csrf_used(expires_at);

CREATE TABLE password_resets (
    token_hash BLOB PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);

-- The audit ledger: one row per Merkle leaf, seq = leaf index from 0.
CREATE TABLE ledger_entries (
    seq INTEGER PRIMARY KEY,
    recorded_at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    source TEXT NOT NULL,
    data_hash TEXT NOT NULL,
    details TEXT NOT NULL,
    leaf_hash BLOB NOT NULL
);
CREATE INDEX ledger_entries_action ON ledger_entries(action);

CREATE TABLE ledger_checkpoints (
    tree_size INTEGER PRIMARY KEY,
    root_hash BLOB NOT NULL,
    signed_note TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

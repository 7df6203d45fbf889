-- congso schema v3 (SQLite): the node PKI at rest (certificates, sealed
-- private keys, revocations, CRLs), the signatures the node made, and the
-- archive of issued and received documents (Decree 64 Art. 38).
-- Hashes are lower-case hex SHA-256; times are INTEGER microseconds (UTC).
-- `document_id` columns name a row of `documents` (migration 0002) but carry
-- no foreign key: the archive must outlive any change to the working tables,
-- and it is written by code that does not depend on the documents model.

-- Certificates the node holds: its CA, its TSA, staff signing certificates
-- it issued, and staff certificates imported from outside CAs (PKCS#12).
-- `sealed_key` is a PKCS#8 EncryptedPrivateKeyInfo (PBES2) under a node
-- secret that is itself sealed with the master key; never plaintext.
CREATE TABLE pki_certificates (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('ca', 'tsa', 'staff', 'imported')),
    user_id INTEGER REFERENCES users(id),
    serial TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    common_name TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    certificate BLOB NOT NULL,
    chain_pem TEXT NOT NULL,
    sealed_key BLOB,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    retired_at INTEGER,
    revoked_at INTEGER,
    revocation_reason TEXT,
    UNIQUE (issuer, serial)
);
CREATE INDEX pki_certificates_user ON pki_certificates(user_id);
-- At most one active CA and one active TSA, so replicas racing to create
-- them on first use converge on the first one written.
CREATE UNIQUE INDEX pki_certificates_active_singleton ON pki_certificates(kind)
    WHERE kind IN ('ca', 'tsa') AND retired_at IS NULL;

-- Every CRL the CA published; the highest number is the current one.
CREATE TABLE pki_crls (
    number INTEGER PRIMARY KEY,
    der BLOB NOT NULL,
    this_update INTEGER NOT NULL,
    next_update INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- Signatures the node made for its staff. The signed output (a PAdES PDF or
-- a detached CMS) is a blob beside the original, never in its place.
-- `ledger_seq` is filled in once the ledger recorded the signature.
CREATE TABLE signatures (
    id INTEGER PRIMARY KEY,
    document_id INTEGER,
    certificate_id INTEGER NOT NULL REFERENCES pki_certificates(id),
    signer TEXT NOT NULL,
    cert_serial TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('pades', 'cms')),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    original_sha256 TEXT NOT NULL,
    original_size INTEGER NOT NULL,
    signed_sha256 TEXT NOT NULL,
    signed_size INTEGER NOT NULL,
    signed_at INTEGER NOT NULL,
    timestamp_at INTEGER,
    tsa TEXT NOT NULL,
    verdict TEXT NOT NULL,
    report TEXT NOT NULL,
    ledger_seq INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX signatures_document ON signatures(document_id);

-- Archived documents. `record_sha256` is the SHA-256 of the canonical record
-- (metadata hash, event time, file hashes, verdict, report hash) that the
-- ledger entry at `ledger_seq` carries as its data hash.
CREATE TABLE archive_items (
    id INTEGER PRIMARY KEY,
    document_id INTEGER,
    direction TEXT NOT NULL CHECK (direction IN ('issued', 'received')),
    event_at INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    metadata_sha256 TEXT NOT NULL,
    edxml_sha256 TEXT,
    edxml_size INTEGER,
    verdict TEXT NOT NULL,
    report TEXT NOT NULL,
    report_sha256 TEXT NOT NULL,
    record_sha256 TEXT NOT NULL,
    ledger_seq INTEGER,
    archived_at INTEGER NOT NULL,
    archived_by TEXT NOT NULL
);
CREATE INDEX archive_items_document ON archive_items(document_id);

CREATE TABLE archive_files (
    item_id INTEGER NOT NULL REFERENCES archive_items(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('original', 'rendition', 'signed', 'signature', 'timestamp', 'attachment')),
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    signs INTEGER,
    verdict TEXT,
    PRIMARY KEY (item_id, position)
);

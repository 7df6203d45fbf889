-- congso schema v2 (SQLite): electronic documents (Decree 30/2020, Decree 64
-- Art. 33-39): the incoming and outgoing registers and their number series,
-- files and renditions, workflow timelines, assignments with due dates,
-- handlers, secrecy clearances, the search index, notifications, edXML
-- status messages. Timestamps are INTEGER microseconds (UTC); calendar
-- dates are TEXT 'YYYY-MM-DD' (Vietnam local date), which sorts correctly.

-- Secrecy clearance per user: 0 none, 1 Mật, 2 Tối mật, 3 Tuyệt mật.
CREATE TABLE document_clearances (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 3),
    granted_by INTEGER REFERENCES users(id),
    granted_at INTEGER NOT NULL
);

-- One row per document. Columns are what registers, numbering, access
-- control and queries need; the descriptive Decree 30 / edXML metadata
-- (signer, recipients, marks, place, page count ...) is the JSON in
-- `metadata`, written by congso-docs.
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
    state TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    -- The register book: incoming, incoming_secret, outgoing, outgoing_secret.
    book TEXT NOT NULL,
    -- The number series inside the book (the book itself, or book:TYPE for
    -- a type with its own series); NULL until a number is given.
    series TEXT,
    register_year INTEGER,
    -- Our number: the arrival number (incoming) or the document number (outgoing).
    register_number INTEGER,
    type_code TEXT NOT NULL,
    -- The number as printed on the document ("05"; as sent for incoming).
    number_text TEXT,
    notation TEXT,
    number_notation TEXT,
    issue_date TEXT,
    summary TEXT NOT NULL,
    signer_name TEXT,
    sender_key TEXT,
    sender_name TEXT,
    sender_organ_code TEXT,
    secrecy INTEGER NOT NULL DEFAULT 0 CHECK (secrecy BETWEEN 0 AND 3),
    urgency INTEGER NOT NULL DEFAULT 0 CHECK (urgency BETWEEN 0 AND 3),
    due_date TEXT,
    edxml_document_id TEXT,
    original_sha256 BLOB,
    holder_user_id INTEGER REFERENCES users(id),
    holder_unit_id INTEGER REFERENCES organizations(id),
    drafting_unit_id INTEGER REFERENCES organizations(id),
    created_by INTEGER REFERENCES users(id),
    arrived_at INTEGER,
    registered_at INTEGER,
    signed_at INTEGER,
    issued_at INTEGER,
    dispatched_at INTEGER,
    recalled_at INTEGER,
    recall_reason TEXT,
    metadata TEXT NOT NULL,
    import_issues TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- No gaps or duplicates are guaranteed by numbering in the same transaction
-- as the state change; these indexes make a duplicate impossible anyway.
CREATE UNIQUE INDEX documents_series_number
    ON documents(organization_id, series, register_year, register_number)
    WHERE register_number IS NOT NULL;
CREATE UNIQUE INDEX documents_outgoing_notation
    ON documents(organization_id, book, register_year, number_notation)
    WHERE direction = 'outgoing' AND register_number IS NOT NULL;
-- Registering the same incoming document twice is refused.
CREATE UNIQUE INDEX documents_incoming_edxml
    ON documents(organization_id, edxml_document_id)
    WHERE direction = 'incoming' AND edxml_document_id IS NOT NULL;
CREATE UNIQUE INDEX documents_incoming_original
    ON documents(organization_id, sender_key, original_sha256)
    WHERE direction = 'incoming' AND original_sha256 IS NOT NULL;
CREATE INDEX documents_register ON documents(organization_id, direction, register_year, register_number);
CREATE INDEX documents_issue_date ON documents(issue_date);
CREATE INDEX documents_holder ON documents(holder_user_id);

-- The last number given in each series; incremented in the transaction that
-- uses it, so a rolled-back transaction gives its number back.
CREATE TABLE document_series (
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    series TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (organization_id, series, year)
);

-- Files: originals are immutable and content-addressed (the blob store's
-- SHA-256); renditions sit beside them, linked to their source, and never
-- replace them (Decree 64 Art. 39).
CREATE TABLE document_files (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    kind TEXT NOT NULL CHECK (kind IN ('original', 'attachment', 'rendition', 'signed')),
    sha256 BLOB NOT NULL,
    size INTEGER NOT NULL,
    mime TEXT NOT NULL,
    name TEXT NOT NULL,
    source_file_id INTEGER REFERENCES document_files(id),
    rendition_kind TEXT,
    details TEXT NOT NULL DEFAULT '{}',
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    UNIQUE (document_id, kind, sha256)
);
CREATE INDEX document_files_sha256 ON document_files(sha256);

-- Signatures recorded by the signing hook: which signed file, which
-- signature record (kept by the PKI store), who signed.
CREATE TABLE document_signatures (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    file_id INTEGER NOT NULL REFERENCES document_files(id),
    signature_record TEXT NOT NULL,
    signer_user_id INTEGER REFERENCES users(id),
    signer_name TEXT NOT NULL,
    signed_at INTEGER NOT NULL
);
CREATE INDEX document_signatures_document ON document_signatures(document_id);

-- The timeline: every state change and every other event, with the ledger
-- entry that records it (NULL only between commit and ledger append).
CREATE TABLE document_events (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    at INTEGER NOT NULL,
    actor_user_id INTEGER REFERENCES users(id),
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    transition TEXT,
    from_state TEXT,
    to_state TEXT,
    comment TEXT,
    details TEXT NOT NULL DEFAULT '{}',
    ledger_seq INTEGER
);
CREATE INDEX document_events_document ON document_events(document_id, id);
CREATE INDEX document_events_unledgered ON document_events(ledger_seq) WHERE ledger_seq IS NULL;

-- Assignments of incoming documents to a unit and/or a person with a due date.
CREATE TABLE document_assignments (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    user_id INTEGER REFERENCES users(id),
    unit_id INTEGER REFERENCES organizations(id),
    assigned_by INTEGER REFERENCES users(id),
    assigned_at INTEGER NOT NULL,
    due_date TEXT,
    active BOOLEAN NOT NULL DEFAULT 1,
    ended_at INTEGER,
    overdue_notified BOOLEAN NOT NULL DEFAULT 0,
    CHECK (user_id IS NOT NULL OR unit_id IS NOT NULL)
);
CREATE INDEX document_assignments_active ON document_assignments(active, due_date);
CREATE INDEX document_assignments_document ON document_assignments(document_id);

-- Everyone who has handled a document: they keep seeing it even when it is
-- secret and they hold no clearance.
CREATE TABLE document_handlers (
    document_id INTEGER NOT NULL REFERENCES documents(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (document_id, user_id)
);
CREATE INDEX document_handlers_user ON document_handlers(user_id);

-- The search index: folded terms (congso_vn::text::fold) of each document's
-- metadata (file_id 0) and of its text-bearing files.
CREATE TABLE document_terms (
    term TEXT NOT NULL,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    file_id INTEGER NOT NULL,
    PRIMARY KEY (term, document_id, file_id)
);
CREATE INDEX document_terms_document ON document_terms(document_id, file_id);

-- In-app notifications (mail is queued in mail_outbox in the same transaction).
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    document_id INTEGER REFERENCES documents(id),
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, read_at, id);

-- Statuses reported by recipients of our outgoing documents (edXML 01-16).
CREATE TABLE document_recipient_status (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    organ_code TEXT,
    organ_name TEXT,
    status_code INTEGER NOT NULL,
    description TEXT,
    reported_at TEXT,
    received_at INTEGER NOT NULL
);
CREATE INDEX document_recipient_status_document ON document_recipient_status(document_id);

-- edXML messages produced for other agencies (status messages now; sending
-- them over the network is the federation's job).
CREATE TABLE edxml_outbox (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    kind TEXT NOT NULL,
    status_code INTEGER,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX edxml_outbox_pending ON edxml_outbox(sent_at, id);

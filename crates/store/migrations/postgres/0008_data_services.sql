-- congso schema v8 (PostgreSQL): data services between agencies (Decree 64 Art. 7).
-- Timestamps are BIGINT microseconds since the Unix epoch (UTC).

-- Coordinator only: the data services each member publishes, as the
-- canonical JSON list the member announced, and the announcement's
-- revision (only a higher one replaces it).
ALTER TABLE fed_members ADD COLUMN services TEXT NOT NULL DEFAULT '[]';
ALTER TABLE fed_members ADD COLUMN services_revision BIGINT NOT NULL DEFAULT 0;

-- The data services this node provides.
CREATE TABLE data_services (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    -- JSON Schemas (canonical JSON), checked when published.
    input_schema TEXT NOT NULL,
    output_schema TEXT NOT NULL,
    -- JSON array of the input fields a record is looked up by.
    key_fields TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'withdrawn')),
    -- Raised on every publication; the directory announcement carries it.
    revision BIGINT NOT NULL,
    published_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    records BIGINT NOT NULL DEFAULT 0,
    -- SHA-256 of the last dataset loaded.
    dataset_sha256 BYTEA,
    loaded_at BIGINT
);

-- The declarative backend: the dataset the operator loaded, one record
-- per lookup key (the canonical JSON array of the key fields' values).
CREATE TABLE data_service_records (
    service_code TEXT NOT NULL REFERENCES data_services (code),
    lookup_key TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (service_code, lookup_key)
);

-- Which agencies may call which service; a revoked grant keeps its row.
CREATE TABLE data_service_grants (
    service_code TEXT NOT NULL REFERENCES data_services (code),
    organ_code TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    granted_by TEXT NOT NULL,
    revoked_at BIGINT,
    revoked_by TEXT,
    PRIMARY KEY (service_code, organ_code)
);

-- Every call, on both sides: `caller` rows on the calling node, `provider`
-- rows on the providing node. A provider answers a repeated request id
-- from the same caller with the response stored here.
CREATE TABLE data_service_calls (
    seq BIGSERIAL PRIMARY KEY,
    side TEXT NOT NULL CHECK (side IN ('caller', 'provider')),
    request_id TEXT NOT NULL,
    service_code TEXT NOT NULL,
    provider TEXT NOT NULL,
    caller_org TEXT NOT NULL,
    caller_user_id TEXT NOT NULL,
    caller_user_name TEXT NOT NULL,
    purpose TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    request_sha256 BYTEA NOT NULL,
    response_sha256 BYTEA,
    requested_at BIGINT NOT NULL,
    answered_at BIGINT,
    logged_at BIGINT NOT NULL,
    response BYTEA,
    response_signature BYTEA,
    ledger_seq BIGINT,
    UNIQUE (side, caller_org, request_id)
);
CREATE INDEX data_service_calls_service ON data_service_calls (service_code, seq);

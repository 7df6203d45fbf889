-- congso schema v7 (SQLite): the public portal (Decree 64 Art. 14, 18, 20, 21).
-- Categories with their online retention period, content items with a
-- draft -> review -> published workflow, scheduled publishing and
-- unpublishing, every saved version kept as a revision, and the
-- public-service catalogue. Timestamps are INTEGER microseconds (UTC).

CREATE TABLE portal_categories (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    -- news, announcement, legal, disclosure, organisation, contact
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    -- Days an item stays on the public site after publication; NULL keeps
    -- it online without limit (Art. 20.2d).
    retention_days INTEGER,
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE portal_items (
    id INTEGER PRIMARY KEY,
    -- The stable id an import gave the item (idempotent re-import).
    external_id TEXT UNIQUE,
    category_id INTEGER NOT NULL REFERENCES portal_categories(id),
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    -- Sanitised HTML (allow-list) as shown on the public page.
    body_html TEXT NOT NULL,
    -- JSON object: number, issued date, signer, attachments ...
    metadata TEXT NOT NULL DEFAULT '{}',
    -- draft, review, scheduled, published, unpublished, expired
    status TEXT NOT NULL,
    revision INTEGER NOT NULL,
    published_at INTEGER,
    publish_at INTEGER,
    unpublish_at INTEGER,
    expires_at INTEGER,
    author TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX portal_items_public ON portal_items (status, category_id, published_at);

CREATE TABLE portal_revisions (
    item_id INTEGER NOT NULL REFERENCES portal_items(id),
    revision INTEGER NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body_html TEXT NOT NULL,
    metadata TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (item_id, revision)
);

-- Art. 21: one row per public service. Lists (steps, documents, forms, life
-- events) are JSON arrays.
CREATE TABLE portal_services (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    field TEXT NOT NULL,
    agency TEXT NOT NULL,
    -- full (whole process online) or partial
    level TEXT NOT NULL,
    life_events TEXT NOT NULL DEFAULT '[]',
    description TEXT NOT NULL DEFAULT '',
    steps TEXT NOT NULL DEFAULT '[]',
    documents TEXT NOT NULL DEFAULT '[]',
    fees TEXT NOT NULL DEFAULT '',
    processing_days INTEGER NOT NULL,
    legal_basis TEXT NOT NULL DEFAULT '',
    forms TEXT NOT NULL DEFAULT '[]',
    -- Roadmap date for going (fully) online, 'YYYY-MM-DD', or NULL.
    online_from TEXT,
    updated_at INTEGER NOT NULL
);

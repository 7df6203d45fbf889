-- congso schema v9 (SQLite): files and images of portal items.
-- An issued document published to the portal links its files here; they
-- are downloadable by the public only while the item is published and the
-- document is neither secret nor recalled. Images staff upload for an item
-- are stored re-encoded in a few widths (variants), each a blob.

CREATE TABLE portal_item_files (
    item_id INTEGER NOT NULL REFERENCES portal_items(id),
    document_id INTEGER NOT NULL REFERENCES documents(id),
    file_id INTEGER NOT NULL REFERENCES document_files(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (item_id, file_id)
);
CREATE INDEX portal_item_files_document ON portal_item_files (document_id, file_id);

CREATE TABLE portal_images (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES portal_items(id),
    -- Text alternative (WCAG 1.1.1); required.
    alt TEXT NOT NULL,
    -- The decoded original's size in pixels.
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    position INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX portal_images_item ON portal_images (item_id, position);

CREATE TABLE portal_image_variants (
    image_id INTEGER NOT NULL REFERENCES portal_images(id),
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    -- jpeg or png
    format TEXT NOT NULL,
    sha256 BLOB NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (image_id, width)
);

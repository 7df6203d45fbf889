-- congso schema v5 (SQLite): personal API tokens. A staff member creates a
-- token on their account page and sends it as `Authorization: Bearer` to
-- the JSON API; the API never reads cookies. Only the SHA-256 of the token
-- is stored, so a database reader cannot use a token; `prefix` is the first
-- characters of the token, shown so its owner can tell tokens apart.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

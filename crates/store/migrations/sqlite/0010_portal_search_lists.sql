-- congso schema v10 (SQLite): the portal search lists staff edit.
-- 'synonyms' (abbreviations and synonyms, replacing the shipped list once
-- saved) and 'best_bets' (results pinned to a query), one text each, in the
-- line formats of congso-search. Every replica reads them from here.

CREATE TABLE portal_search_lists (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

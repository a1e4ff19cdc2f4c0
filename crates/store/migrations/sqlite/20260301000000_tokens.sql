-- Secrets the server hands out: browser sessions, API tokens and calendar
-- subscriptions. Only the SHA-256 hash (hex) of a secret is kept. Tokens are
-- not part of a backup. Timestamps as in the init migration.
CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('session', 'api', 'calendar')),
    -- The person a calendar token is for.
    person_id  INTEGER REFERENCES people (id) ON DELETE CASCADE,
    label      TEXT NOT NULL,
    -- The CSRF secret bound to a session.
    csrf       TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    hash       TEXT NOT NULL UNIQUE
) STRICT;
CREATE INDEX tokens_user ON tokens (user_id);

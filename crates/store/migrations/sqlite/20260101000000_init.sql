-- Willis journal schema, SQLite. Timestamps are UTC text
-- 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (fixed width, so text order is time order);
-- dates are 'YYYY-MM-DD'.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE people (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id     INTEGER NOT NULL REFERENCES users (id),
    display_name TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX people_owner ON people (owner_id);

-- The append-only journal. A correction is a new row that supersedes an older
-- row of the same person; a deletion is a 'tombstone' row that supersedes it.
-- Rows are never updated or deleted (the triggers below refuse it), so history
-- is kept and any past state can be rebuilt.
CREATE TABLE entries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id      INTEGER NOT NULL REFERENCES people (id),
    kind           TEXT NOT NULL,
    effective_date TEXT NOT NULL,
    payload        TEXT NOT NULL,
    recorded_at    TEXT NOT NULL,
    recorded_by    INTEGER NOT NULL REFERENCES users (id),
    supersedes     INTEGER UNIQUE,
    UNIQUE (id, person_id),
    -- A row can only supersede a row of the same person.
    FOREIGN KEY (supersedes, person_id) REFERENCES entries (id, person_id)
) STRICT;
CREATE INDEX entries_person ON entries (person_id, id);

CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only: entries are never updated');
END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only: entries are never deleted');
END;

CREATE TABLE shares (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id  INTEGER NOT NULL REFERENCES people (id),
    grantee_id INTEGER NOT NULL REFERENCES users (id),
    access     TEXT NOT NULL CHECK (access IN ('read', 'write')),
    granted_by INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
) STRICT;
CREATE INDEX shares_person ON shares (person_id);
CREATE INDEX shares_grantee ON shares (grantee_id);

-- Who read or changed what, when and from where. Append-only too.
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    user_id   INTEGER REFERENCES users (id),
    person_id INTEGER REFERENCES people (id),
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    origin    TEXT NOT NULL
) STRICT;
CREATE INDEX audit_person ON audit (person_id, id);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: rows are never updated');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: rows are never deleted');
END;

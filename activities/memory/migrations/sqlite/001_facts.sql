-- Facts about subjects, and who showed or forgot them (activities/memory/store.py).
-- Times are ISO-8601 UTC text (they sort as they compare).
CREATE TABLE memory_facts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_key TEXT NOT NULL,
    write_key TEXT NOT NULL UNIQUE,
    value BLOB NOT NULL,
    search_text TEXT,
    run_id TEXT NOT NULL,
    step TEXT NOT NULL,
    written_at TEXT NOT NULL,
    expires_at TEXT
);
CREATE INDEX memory_facts_subject ON memory_facts (subject_key, written_at);
CREATE INDEX memory_facts_expiry ON memory_facts (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE memory_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_key TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    facts INTEGER NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX memory_audit_subject ON memory_audit (subject_key, at);

-- Findings Ledger, embedded SQLite: the append-only event table (DESIGN.md sections 4 and 12).
-- Same columns and keys as sql/postgres/001; position is the commit order (one writer process).

CREATE TABLE ledger_events (
    position         INTEGER PRIMARY KEY,   -- rowid: commit order, read by the workers
    tenant_id        TEXT    NOT NULL,
    chain_id         TEXT    NOT NULL,
    sequence         INTEGER NOT NULL CHECK (sequence >= 1),
    event_id         TEXT    NOT NULL,
    event_type       TEXT    NOT NULL,
    finding_id       TEXT,
    artifact_id      TEXT,
    policy_version   TEXT,
    actor_id         TEXT    NOT NULL,
    actor_type       TEXT    NOT NULL,
    occurred_at      TEXT    NOT NULL,
    source_run_id    TEXT,
    payload          TEXT    NOT NULL,
    previous_hash    TEXT    NOT NULL,
    event_hash       TEXT    NOT NULL,
    merkle_leaf_hash TEXT    NOT NULL,
    content_digest   TEXT    NOT NULL,
    finding_status   TEXT,
    recorded_at_us   INTEGER NOT NULL
);

CREATE UNIQUE INDEX ledger_events_chain ON ledger_events (tenant_id, chain_id, sequence);
CREATE UNIQUE INDEX ledger_events_event_id ON ledger_events (tenant_id, event_id);
CREATE INDEX ledger_events_artifact ON ledger_events (tenant_id, artifact_id) WHERE artifact_id IS NOT NULL;

CREATE TRIGGER ledger_events_no_update BEFORE UPDATE ON ledger_events
BEGIN
    SELECT RAISE(ABORT, 'ledger_events is append-only: UPDATE refused');
END;

CREATE TRIGGER ledger_events_no_delete BEFORE DELETE ON ledger_events
BEGIN
    SELECT RAISE(ABORT, 'ledger_events is append-only: DELETE refused');
END;

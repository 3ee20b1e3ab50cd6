-- Findings Ledger, PostgreSQL: the append-only event table (DESIGN.md sections 4 and 12).
-- Every key begins with tenant_id; no foreign key crosses tenants (Citus-ready).

CREATE TABLE ledger_events (
    tenant_id        text        NOT NULL,
    chain_id         uuid        NOT NULL,
    sequence         bigint      NOT NULL CHECK (sequence >= 1),
    event_id         uuid        NOT NULL,
    event_type       text        NOT NULL,
    finding_id       text,
    artifact_id      text,
    policy_version   text,
    actor_id         text        NOT NULL,
    actor_type       text        NOT NULL,
    occurred_at      text        NOT NULL,  -- normalised UTC text exactly as hashed
    source_run_id    uuid,
    payload          text        NOT NULL,  -- RFC 8785 canonical JSON of the payload, as hashed
    previous_hash    char(64)    NOT NULL,
    event_hash       char(64)    NOT NULL,
    merkle_leaf_hash char(64)    NOT NULL,
    content_digest   char(64)    NOT NULL,  -- idempotency: digest of what the writer sent
    finding_status   text,                  -- workflow status after this event (finding chains)
    recorded_at_us   bigint      NOT NULL,  -- server time, microseconds since the epoch; not hashed
    tx_id            xid8        NOT NULL DEFAULT pg_current_xact_id(), -- commit-order reads for workers
    PRIMARY KEY (tenant_id, chain_id, sequence)
);

CREATE UNIQUE INDEX ledger_events_event_id ON ledger_events (tenant_id, event_id);
CREATE INDEX ledger_events_tx ON ledger_events (tenant_id, tx_id);
CREATE INDEX ledger_events_artifact ON ledger_events (tenant_id, artifact_id) WHERE artifact_id IS NOT NULL;

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER ledger_events_append_only
    BEFORE UPDATE OR DELETE ON ledger_events
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE TRIGGER ledger_events_no_truncate
    BEFORE TRUNCATE ON ledger_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

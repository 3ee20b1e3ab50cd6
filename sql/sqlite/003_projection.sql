-- Findings Ledger, embedded SQLite: the findings projection and the projector's per-tenant checkpoint (docs/projection.md).
-- Same columns and keys as sql/postgres/003; the checkpoint is a position (commit order, one writer process).

CREATE TABLE ledger_findings (
    tenant_id          TEXT    NOT NULL,
    finding_id         TEXT    NOT NULL,  -- BINARY collation: UTF-8 byte order, as PostgreSQL's COLLATE "C"
    status             TEXT    NOT NULL,
    severity           TEXT    NOT NULL,
    cvss_score         REAL,
    policy_version     TEXT,
    artifact_id        TEXT,
    vulnerability_id   TEXT    NOT NULL,
    assignee           TEXT,
    updated_at_ms      INTEGER NOT NULL,
    risk_expires_at_ms INTEGER,
    last_sequence      INTEGER NOT NULL,
    row_hash           TEXT    NOT NULL,
    finding            TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, finding_id)
) WITHOUT ROWID;

CREATE INDEX ledger_findings_status ON ledger_findings (tenant_id, status, finding_id);
CREATE INDEX ledger_findings_severity ON ledger_findings (tenant_id, severity, finding_id);
CREATE INDEX ledger_findings_artifact ON ledger_findings (tenant_id, artifact_id, finding_id) WHERE artifact_id IS NOT NULL;
CREATE INDEX ledger_findings_vulnerability ON ledger_findings (tenant_id, vulnerability_id, finding_id);
CREATE INDEX ledger_findings_assignee ON ledger_findings (tenant_id, assignee, finding_id) WHERE assignee IS NOT NULL;
CREATE INDEX ledger_findings_policy ON ledger_findings (tenant_id, policy_version, finding_id) WHERE policy_version IS NOT NULL;
CREATE INDEX ledger_findings_updated ON ledger_findings (tenant_id, updated_at_ms);
CREATE INDEX ledger_findings_risk_expiry ON ledger_findings (risk_expires_at_ms, tenant_id) WHERE risk_expires_at_ms IS NOT NULL;

CREATE TABLE ledger_projection_checkpoints (
    tenant_id           TEXT    NOT NULL PRIMARY KEY,
    position            INTEGER NOT NULL,  -- ledger_events.position of the last applied event
    events_applied      INTEGER NOT NULL,
    last_recorded_at_us INTEGER,
    rebuilt_at          TEXT,
    updated_at          TEXT    NOT NULL
) WITHOUT ROWID;

-- A tenant's events in commit order: the projector reads "position > checkpoint" per tenant
-- without scanning other tenants' rows.
CREATE INDEX ledger_events_tenant_position ON ledger_events (tenant_id, position);

-- Findings Ledger, PostgreSQL: the findings projection and the projector's per-tenant checkpoint (docs/projection.md).
-- Derived data: `ledger project --rebuild` recomputes both from ledger_events, so neither is append-only.
-- Every key begins with tenant_id; no foreign key crosses tenants (Citus-ready).

CREATE TABLE ledger_findings (
    tenant_id          text             NOT NULL,
    finding_id         text COLLATE "C" NOT NULL,  -- byte order: paging matches the embedded store's BINARY order
    status             text             NOT NULL,
    severity           text             NOT NULL,
    cvss_score         double precision,
    policy_version     text,
    artifact_id        text,
    vulnerability_id   text             NOT NULL,
    assignee           text,
    updated_at_ms      bigint           NOT NULL,  -- finding.updatedAt as epoch milliseconds (updatedSince filter)
    risk_expires_at_ms bigint,                     -- acceptedRisk.expiresAt while status = accepted_risk, else null
    last_sequence      bigint           NOT NULL,
    row_hash           char(64)         NOT NULL,  -- findingRowHash(finding): the checksum sums these
    finding            text             NOT NULL,  -- RFC 8785 JSON of the folded Finding (acceptedRisk.expired false)
    PRIMARY KEY (tenant_id, finding_id)
);

-- Filters page in finding_id order; each index ends with finding_id so a filtered page is one range scan.
CREATE INDEX ledger_findings_status ON ledger_findings (tenant_id, status, finding_id);
CREATE INDEX ledger_findings_severity ON ledger_findings (tenant_id, severity, finding_id);
CREATE INDEX ledger_findings_artifact ON ledger_findings (tenant_id, artifact_id, finding_id) WHERE artifact_id IS NOT NULL;
CREATE INDEX ledger_findings_vulnerability ON ledger_findings (tenant_id, vulnerability_id, finding_id);
CREATE INDEX ledger_findings_assignee ON ledger_findings (tenant_id, assignee, finding_id) WHERE assignee IS NOT NULL;
CREATE INDEX ledger_findings_policy ON ledger_findings (tenant_id, policy_version, finding_id) WHERE policy_version IS NOT NULL;
CREATE INDEX ledger_findings_updated ON ledger_findings (tenant_id, updated_at_ms);
-- Small (accepted risks only): the projector scans it for expiries across tenants.
CREATE INDEX ledger_findings_risk_expiry ON ledger_findings (risk_expires_at_ms, tenant_id) WHERE risk_expires_at_ms IS NOT NULL;

-- The last event applied, in the order the projector reads: (tx_id, chain_id, sequence).
-- Updated in the same transaction as the rows it accounts for, so a crash never splits them.
CREATE TABLE ledger_projection_checkpoints (
    tenant_id           text        NOT NULL PRIMARY KEY,
    tx_id               xid8        NOT NULL,
    chain_id            uuid        NOT NULL,
    sequence            bigint      NOT NULL,
    events_applied      bigint      NOT NULL,
    last_recorded_at_us bigint,                -- recordedAt of the last applied event (lag)
    rebuilt_at          timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Commit-order reads: the projector's "(tx_id, chain_id, sequence) > checkpoint" is one index range
-- scan, already sorted, even inside a 10,000-event COPY transaction whose rows share one tx_id.
-- It extends ledger_events_tx (tenant_id, tx_id), which it replaces: with both present and stale
-- statistics the planner picked the narrower one and sorted every row after the checkpoint.
CREATE INDEX ledger_events_commit_order ON ledger_events (tenant_id, tx_id, chain_id, sequence);
DROP INDEX ledger_events_tx;

// Embedded projection store: finding rows and the per-tenant checkpoint on the event store's one SQLite connection.
import type { Database } from "bun:sqlite";
import type { Finding } from "../core/projection/finding.ts";
import type {
  ApplyFn, ApplyResult, DueExpiry, FindingFilter, ProjectedEvent, ProjectionCheckpoint, ProjectionChecksum, ProjectionStore, RebuildResult,
} from "./projection-port.ts";
import { ChecksumAccumulator, FINDING_COLUMNS, findingTuple, parseFinding, touchedFindings } from "./projection-rows.ts";
import { fromRaw, type RawEventRow } from "./rows.ts";

const HASH_PAGE = 10_000;
const IN_CHUNK = 500; // keeps IN (...) lists under SQLite's bound-parameter limit

const DISTINCT_TENANTS = `WITH RECURSIVE t(tenant_id) AS (
    SELECT (SELECT tenant_id FROM ledger_events ORDER BY tenant_id LIMIT 1)
    UNION ALL
    SELECT (SELECT e.tenant_id FROM ledger_events e WHERE e.tenant_id > t.tenant_id ORDER BY e.tenant_id LIMIT 1) FROM t WHERE t.tenant_id IS NOT NULL)`;

/** position is the commit order: one writer process, each write transaction BEGIN IMMEDIATE, rowid = max + 1. */
const NEXT_EVENTS = "SELECT * FROM ledger_events WHERE tenant_id = $tenant AND position > $after ORDER BY position LIMIT $limit";
const CHAIN_PAGE = `SELECT * FROM ledger_events WHERE tenant_id = $tenant AND (chain_id, sequence) > ($chain, $sequence) AND position <= $upto
  ORDER BY chain_id, sequence LIMIT $limit`;

const UPSERT_FINDING = `INSERT INTO ledger_findings (tenant_id, ${FINDING_COLUMNS.join(", ")})
  VALUES (${["tenant_id", ...FINDING_COLUMNS].map((_, i) => `?${i + 1}`).join(", ")})
  ON CONFLICT (tenant_id, finding_id) DO UPDATE SET ${FINDING_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(", ")}`;

const LIST = `SELECT finding FROM ledger_findings
  WHERE tenant_id = $tenant AND finding_id > $after
    AND ($statuses IS NULL OR status IN (SELECT value FROM json_each($statuses)))
    AND ($severities IS NULL OR severity IN (SELECT value FROM json_each($severities)))
    AND ($minCvss IS NULL OR cvss_score >= $minCvss)
    AND ($maxCvss IS NULL OR cvss_score <= $maxCvss)
    AND ($policyVersion IS NULL OR policy_version = $policyVersion)
    AND ($artifactId IS NULL OR artifact_id = $artifactId)
    AND ($vulnerabilityId IS NULL OR vulnerability_id = $vulnerabilityId)
    AND ($assignee IS NULL OR assignee = $assignee)
    AND ($updatedSince IS NULL OR updated_at_ms >= $updatedSince)
  ORDER BY finding_id LIMIT $limit`;

type RawPositioned = RawEventRow & { position: number };

export class SqliteProjectionStore implements ProjectionStore {
  readonly kind = "sqlite" as const;

  /** `db` is the event store's connection: the appender and the projector share one writer. */
  constructor(private readonly db: Database) {}

  async tenants(): Promise<string[]> {
    return this.db.query<{ tenant_id: string }, []>(`${DISTINCT_TENANTS} SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL`).all().map((r) => r.tenant_id);
  }

  async pendingTenants(): Promise<string[]> {
    return this.db
      .query<{ tenant_id: string }, []>(`${DISTINCT_TENANTS}
        SELECT t.tenant_id FROM t LEFT JOIN ledger_projection_checkpoints c ON c.tenant_id = t.tenant_id
        WHERE t.tenant_id IS NOT NULL
          AND EXISTS (SELECT 1 FROM ledger_events e WHERE e.tenant_id = t.tenant_id AND e.position > coalesce(c.position, 0))`)
      .all()
      .map((r) => r.tenant_id);
  }

  /** Load the touched rows, fold, upsert: the write step shared by live apply and rebuild (inside a transaction). */
  private applyPage(tenantId: string, events: ProjectedEvent[], apply: ApplyFn): number {
    const ids = touchedFindings(events);
    const current = new Map<string, Finding>();
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const chunk = ids.slice(i, i + IN_CHUNK);
      const rows = this.db
        .query<{ finding: string }, string[]>(`SELECT finding FROM ledger_findings WHERE tenant_id = ? AND finding_id IN (${chunk.map(() => "?").join(",")})`)
        .all(tenantId, ...chunk);
      for (const r of rows) {
        const f = parseFinding(r.finding);
        current.set(f.findingId, f);
      }
    }
    const changed = [...apply(current, events).values()];
    const upsert = this.db.query(UPSERT_FINDING);
    for (const f of changed) upsert.run(tenantId, ...findingTuple(f));
    return changed.length;
  }

  private saveCheckpoint(tenantId: string, position: number, events: number, lastRecordedAtUs: number | null, rebuilt: boolean): void {
    const now = new Date().toISOString();
    this.db
      .query(`INSERT INTO ledger_projection_checkpoints (tenant_id, position, events_applied, last_recorded_at_us, rebuilt_at, updated_at)
              VALUES ($tenant, $position, $events, $last, $rebuilt, $now)
              ON CONFLICT (tenant_id) DO UPDATE SET position = excluded.position, last_recorded_at_us = excluded.last_recorded_at_us,
                events_applied = CASE WHEN $rebuilt IS NULL THEN events_applied + excluded.events_applied ELSE excluded.events_applied END,
                rebuilt_at = coalesce(excluded.rebuilt_at, rebuilt_at), updated_at = excluded.updated_at`)
      .run({ tenant: tenantId, position, events, last: lastRecordedAtUs, rebuilt: rebuilt ? now : null, now });
  }

  async applyNext(tenantId: string, limit: number, apply: ApplyFn): Promise<ApplyResult | "locked"> {
    // Synchronous from BEGIN to COMMIT: nothing else on this connection interleaves.
    return this.db.transaction((): ApplyResult => {
      const ck = this.db.query<{ position: number }, [string]>("SELECT position FROM ledger_projection_checkpoints WHERE tenant_id = ?").get(tenantId);
      const raw = this.db.query<RawPositioned, { tenant: string; after: number; limit: number }>(NEXT_EVENTS).all({ tenant: tenantId, after: ck?.position ?? 0, limit });
      if (raw.length === 0) return { events: 0, findings: 0, lastRecordedAtUs: null };
      const findings = this.applyPage(tenantId, raw.map(fromRaw), apply);
      const last = raw[raw.length - 1]!;
      const lastRecordedAtUs = Number(last.recorded_at_us);
      this.saveCheckpoint(tenantId, last.position, raw.length, lastRecordedAtUs, false);
      return { events: raw.length, findings, lastRecordedAtUs };
    }).immediate();
  }

  async rebuild(tenantId: string, pageSize: number, apply: ApplyFn, progress?: (events: number) => void): Promise<RebuildResult> {
    return this.db.transaction((): RebuildResult => {
      // Inside BEGIN IMMEDIATE no other write can commit, so everything up to the current maximum is final.
      const upto = this.db.query<{ p: number | null }, [string]>("SELECT max(position) AS p FROM ledger_events WHERE tenant_id = ?").get(tenantId)?.p ?? 0;
      this.db.query("DELETE FROM ledger_findings WHERE tenant_id = ?").run(tenantId);
      let events = 0;
      let lastRecordedAtUs: number | null = null;
      const page = this.db.query<RawPositioned, { tenant: string; chain: string; sequence: number; upto: number; limit: number }>(CHAIN_PAGE);
      for (let cursor = { chain: "", sequence: 0 }; ; ) {
        const raw = page.all({ tenant: tenantId, chain: cursor.chain, sequence: cursor.sequence, upto, limit: pageSize });
        if (raw.length === 0) break;
        this.applyPage(tenantId, raw.map(fromRaw), apply);
        for (const r of raw) if (r.position === upto) lastRecordedAtUs = Number(r.recorded_at_us);
        events += raw.length;
        const end = raw[raw.length - 1]!;
        cursor = { chain: end.chain_id, sequence: Number(end.sequence) };
        progress?.(events);
      }
      this.saveCheckpoint(tenantId, upto, events, lastRecordedAtUs, true);
      const acc = this.accumulate(tenantId);
      return { events, findings: acc.findings, checksum: acc.digest() };
    }).immediate();
  }

  private accumulate(tenantId: string): ChecksumAccumulator {
    const acc = new ChecksumAccumulator();
    const page = this.db.query<{ finding_id: string; row_hash: string }, [string, string, number]>(
      "SELECT finding_id, row_hash FROM ledger_findings WHERE tenant_id = ? AND finding_id > ? ORDER BY finding_id LIMIT ?");
    for (let afterId = ""; ; ) {
      const rows = page.all(tenantId, afterId, HASH_PAGE);
      for (const r of rows) acc.add(r.row_hash);
      if (rows.length < HASH_PAGE) return acc;
      afterId = rows[rows.length - 1]!.finding_id;
    }
  }

  async checksum(tenantId: string): Promise<ProjectionChecksum> {
    // A deferred transaction is one WAL snapshot for every page and the checkpoint.
    return this.db.transaction((): ProjectionChecksum => {
      const acc = this.accumulate(tenantId);
      const ck = this.db.query<{ n: number }, [string]>("SELECT events_applied AS n FROM ledger_projection_checkpoints WHERE tenant_id = ?").get(tenantId);
      return { checksum: acc.digest(), findings: acc.findings, eventsApplied: ck?.n ?? 0 };
    }).deferred();
  }

  async checkpoint(tenantId: string): Promise<ProjectionCheckpoint | null> {
    const r = this.db
      .query<{ position: number; events_applied: number; last_recorded_at_us: number | null; updated_at: string }, [string]>(
        "SELECT position, events_applied, last_recorded_at_us, updated_at FROM ledger_projection_checkpoints WHERE tenant_id = ?")
      .get(tenantId);
    if (!r) return null;
    return { eventsApplied: r.events_applied, lastRecordedAtUs: r.last_recorded_at_us, position: String(r.position), updatedAt: r.updated_at };
  }

  async getFinding(tenantId: string, findingId: string): Promise<Finding | null> {
    const r = this.db.query<{ finding: string }, [string, string]>("SELECT finding FROM ledger_findings WHERE tenant_id = ? AND finding_id = ?").get(tenantId, findingId);
    return r ? parseFinding(r.finding) : null;
  }

  async listFindings(tenantId: string, f: FindingFilter, afterFindingId: string, limit: number): Promise<Finding[]> {
    return this.db
      .query<{ finding: string }, Record<string, string | number | null>>(LIST)
      .all({
        tenant: tenantId,
        after: afterFindingId,
        statuses: f.statuses && JSON.stringify(f.statuses),
        severities: f.severities && JSON.stringify(f.severities),
        minCvss: f.minCvss,
        maxCvss: f.maxCvss,
        policyVersion: f.policyVersion,
        artifactId: f.artifactId,
        vulnerabilityId: f.vulnerabilityId,
        assignee: f.assignee,
        updatedSince: f.updatedSinceMs,
        limit,
      })
      .map((r) => parseFinding(r.finding));
  }

  async dueExpiries(nowMs: number, limit: number): Promise<DueExpiry[]> {
    return this.db
      .query<{ tenant_id: string; finding: string }, [number, number]>(
        `SELECT tenant_id, finding FROM ledger_findings WHERE risk_expires_at_ms IS NOT NULL AND risk_expires_at_ms <= ?
         ORDER BY risk_expires_at_ms, tenant_id, finding_id LIMIT ?`)
      .all(nowMs, limit)
      .map((r) => ({ tenantId: r.tenant_id, finding: parseFinding(r.finding) }));
  }
}

// PostgreSQL projection store: finding rows and the per-tenant checkpoint, read in transaction-id order below the snapshot xmin.
import type postgres from "postgres";
import type { Finding } from "../core/projection/finding.ts";
import type { PostgresEventStore } from "./postgres.ts";
import type {
  ApplyFn, ApplyResult, DueExpiry, FindingFilter, ProjectedEvent, ProjectionCheckpoint, ProjectionChecksum, ProjectionStore, RebuildResult,
} from "./projection-port.ts";
import { ChecksumAccumulator, FINDING_COLUMNS, findingTuple, parseFinding, touchedFindings } from "./projection-rows.ts";
import { fromRaw, type RawEventRow } from "./rows.ts";

type Sql = PostgresEventStore["sql"];
type Tx = postgres.TransactionSql<Record<string, never>>;
type Q = Sql | Tx;

/** Advisory lock class of the projector (two-key form: class, hashtext(tenant)); rebuild takes the same lock. */
const PROJECTOR_LOCK_CLASS = 73_019_774;
const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
const HASH_PAGE = 10_000;

// ORDER BY below names e.* so it sorts by the uuid column (index order), not by the text alias chain_id.
const EVENT_FIELDS = `tx_id::text AS tx, tenant_id, chain_id::text, sequence, event_id::text, event_type, finding_id, artifact_id, policy_version,
  actor_id, actor_type, occurred_at, source_run_id::text, payload, previous_hash, event_hash, merkle_leaf_hash, content_digest, finding_status, recorded_at_us`;

/**
 * The next committed events after the checkpoint (tx, chain, sequence). Every transaction id
 * below the snapshot's xmin has finished, and any transaction still to write gets an id at or
 * above it, so no event can later appear at or before a position read here (docs/projection.md).
 */
const NEXT_EVENTS = `SELECT ${EVENT_FIELDS} FROM ledger_events e
  WHERE e.tenant_id = $1 AND e.tx_id >= $2::xid8 AND (e.tx_id, e.chain_id, e.sequence) > ($2::xid8, $3::uuid, $4::int8)
    AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY e.tx_id, e.chain_id, e.sequence LIMIT $5`;

/** Rebuild order: chain by chain (the fold is per chain), below the xmin fixed when the rebuild began. */
const CHAIN_PAGE = `SELECT ${EVENT_FIELDS} FROM ledger_events e
  WHERE e.tenant_id = $1 AND (e.chain_id, e.sequence) > ($2::uuid, $3::int8) AND e.tx_id < $4::xid8
  ORDER BY e.chain_id, e.sequence LIMIT $5`;

const DISTINCT_TENANTS = `WITH RECURSIVE t(tenant_id) AS (
    (SELECT tenant_id FROM ledger_events ORDER BY tenant_id LIMIT 1)
    UNION ALL
    SELECT (SELECT e.tenant_id FROM ledger_events e WHERE e.tenant_id > t.tenant_id ORDER BY e.tenant_id LIMIT 1) FROM t WHERE t.tenant_id IS NOT NULL)`;

const PENDING_TENANTS = `${DISTINCT_TENANTS}
  SELECT t.tenant_id FROM t LEFT JOIN ledger_projection_checkpoints c ON c.tenant_id = t.tenant_id
  WHERE t.tenant_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM ledger_events e
    WHERE e.tenant_id = t.tenant_id AND e.tx_id >= coalesce(c.tx_id, '0'::xid8)
      AND (e.tx_id, e.chain_id, e.sequence) > (coalesce(c.tx_id, '0'::xid8), coalesce(c.chain_id, '${ZERO_UUID}'::uuid), coalesce(c.sequence, 0))
      AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot()))`;

const UPSERT_FINDINGS = `INSERT INTO ledger_findings (tenant_id, ${FINDING_COLUMNS.join(", ")})
  SELECT $1::text, * FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[], $8::text[], $9::text[],
                                 $10::int8[], $11::int8[], $12::int8[], $13::bpchar[], $14::text[])
  ON CONFLICT (tenant_id, finding_id) DO UPDATE SET
    ${FINDING_COLUMNS.slice(1).map((c) => `${c} = EXCLUDED.${c}`).join(", ")}`;

const SAVE_CHECKPOINT = `INSERT INTO ledger_projection_checkpoints AS c (tenant_id, tx_id, chain_id, sequence, events_applied, last_recorded_at_us, updated_at)
  VALUES ($1, $2::xid8, $3::uuid, $4, $5, $6, now())
  ON CONFLICT (tenant_id) DO UPDATE SET tx_id = EXCLUDED.tx_id, chain_id = EXCLUDED.chain_id, sequence = EXCLUDED.sequence,
    events_applied = c.events_applied + EXCLUDED.events_applied, last_recorded_at_us = EXCLUDED.last_recorded_at_us, updated_at = now()`;

const REPLACE_CHECKPOINT = `INSERT INTO ledger_projection_checkpoints AS c (tenant_id, tx_id, chain_id, sequence, events_applied, last_recorded_at_us, rebuilt_at, updated_at)
  VALUES ($1, $2::xid8, $3::uuid, $4, $5, $6, now(), now())
  ON CONFLICT (tenant_id) DO UPDATE SET tx_id = EXCLUDED.tx_id, chain_id = EXCLUDED.chain_id, sequence = EXCLUDED.sequence,
    events_applied = EXCLUDED.events_applied, last_recorded_at_us = EXCLUDED.last_recorded_at_us, rebuilt_at = now(), updated_at = now()`;

interface Position {
  tx: bigint;
  chainId: string;
  sequence: number;
}

type RawProjected = RawEventRow & { tx: string };
const toEvent = (r: RawProjected): ProjectedEvent => fromRaw(r);
const positionOf = (r: RawProjected): Position => ({ tx: BigInt(r.tx), chainId: r.chain_id, sequence: Number(r.sequence) });
const after = (a: Position, b: Position) =>
  a.tx !== b.tx ? a.tx > b.tx : a.chainId !== b.chainId ? a.chainId > b.chainId : a.sequence > b.sequence;

export class PostgresProjectionStore implements ProjectionStore {
  readonly kind = "postgres" as const;

  constructor(private readonly sql: Sql) {}

  async tenants(): Promise<string[]> {
    const rows = await this.sql.unsafe<{ tenant_id: string | null }[]>(`${DISTINCT_TENANTS} SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL`);
    return rows.map((r) => r.tenant_id!).sort(byteOrder);
  }

  async pendingTenants(): Promise<string[]> {
    const rows = await this.sql.unsafe<{ tenant_id: string }[]>(PENDING_TENANTS, [], { prepare: true });
    return rows.map((r) => r.tenant_id);
  }

  /** Load the touched rows, fold, upsert: the one write step shared by live apply and rebuild. */
  private async applyPage(tx: Tx, tenantId: string, events: ProjectedEvent[], apply: ApplyFn): Promise<number> {
    const ids = touchedFindings(events);
    const current = new Map<string, Finding>();
    if (ids.length > 0) {
      // Unprepared on purpose: a cached generic plan chosen while ledger_findings was still nearly
      // empty scans the tenant's updated_at index and grows with the tenant; a custom plan uses the key.
      const rows = await tx.unsafe<{ finding: string }[]>(
        "SELECT finding FROM ledger_findings WHERE tenant_id = $1 AND finding_id = ANY($2::text[])", [tenantId, ids], { prepare: false });
      for (const r of rows) {
        const f = parseFinding(r.finding);
        current.set(f.findingId, f);
      }
    }
    const changed = [...apply(current, events).values()];
    if (changed.length === 0) return 0;
    const cols: unknown[][] = FINDING_COLUMNS.map(() => new Array(changed.length));
    changed.forEach((f, i) => findingTuple(f).forEach((v, c) => (cols[c]![i] = v)));
    await tx.unsafe(UPSERT_FINDINGS, [tenantId, ...cols] as never[], { prepare: true });
    return changed.length;
  }

  async applyNext(tenantId: string, limit: number, apply: ApplyFn): Promise<ApplyResult | "locked"> {
    return (await this.sql.begin(async (tx) => {
      const [lock] = await tx.unsafe<{ ok: boolean }[]>("SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok", [PROJECTOR_LOCK_CLASS, tenantId], { prepare: true });
      if (!lock!.ok) return "locked" as const;
      // Read after the lock: this statement's snapshot includes the last holder's commit.
      const [ck] = await tx.unsafe<{ tx: string; chain_id: string; sequence: string }[]>(
        "SELECT tx_id::text AS tx, chain_id::text, sequence FROM ledger_projection_checkpoints WHERE tenant_id = $1", [tenantId], { prepare: true });
      const raw = await tx.unsafe<RawProjected[]>(NEXT_EVENTS, [tenantId, ck?.tx ?? "0", ck?.chain_id ?? ZERO_UUID, ck ? Number(ck.sequence) : 0, limit], { prepare: true });
      if (raw.length === 0) return { events: 0, findings: 0, lastRecordedAtUs: null };
      const events = raw.map(toEvent);
      const findings = await this.applyPage(tx, tenantId, events, apply);
      const last = raw[raw.length - 1]!;
      const lastRecordedAtUs = Number(last.recorded_at_us);
      await tx.unsafe(SAVE_CHECKPOINT, [tenantId, last.tx, last.chain_id, Number(last.sequence), raw.length, lastRecordedAtUs], { prepare: true });
      return { events: raw.length, findings, lastRecordedAtUs };
    })) as ApplyResult | "locked";
  }

  async rebuild(tenantId: string, pageSize: number, apply: ApplyFn, progress?: (events: number) => void): Promise<RebuildResult> {
    return (await this.sql.begin(async (tx) => {
      // Blocking: a live projector finishes its batch first; it then skips the tenant until we commit.
      await tx.unsafe("SELECT pg_advisory_xact_lock($1, hashtext($2))", [PROJECTOR_LOCK_CLASS, tenantId]);
      const [snapshot] = await tx.unsafe<{ xmin: string }[]>("SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin");
      const xmin = snapshot!.xmin;
      await tx.unsafe("DELETE FROM ledger_findings WHERE tenant_id = $1", [tenantId]);
      let events = 0;
      let last: Position = { tx: 0n, chainId: ZERO_UUID, sequence: 0 };
      let lastRecordedAtUs: number | null = null;
      for (let cursor = { chainId: ZERO_UUID, sequence: 0 }; ; ) {
        const raw = await tx.unsafe<RawProjected[]>(CHAIN_PAGE, [tenantId, cursor.chainId, cursor.sequence, xmin, pageSize], { prepare: true });
        if (raw.length === 0) break;
        await this.applyPage(tx, tenantId, raw.map(toEvent), apply);
        for (const r of raw) {
          const p = positionOf(r);
          if (after(p, last)) [last, lastRecordedAtUs] = [p, Number(r.recorded_at_us)];
        }
        events += raw.length;
        const end = raw[raw.length - 1]!;
        cursor = { chainId: end.chain_id, sequence: Number(end.sequence) };
        progress?.(events);
      }
      // The checkpoint is the greatest (tx, chain, sequence) applied: every event below it has a
      // transaction id under the xmin, so all of them were in the pages above.
      await tx.unsafe(REPLACE_CHECKPOINT, [tenantId, last.tx.toString(), last.chainId, last.sequence, events, lastRecordedAtUs]);
      const sum = await this.accumulate(tx, tenantId);
      return { events, findings: sum.findings, checksum: sum.digest() };
    })) as RebuildResult;
  }

  private async accumulate(q: Q, tenantId: string): Promise<ChecksumAccumulator> {
    const acc = new ChecksumAccumulator();
    for (let afterId = ""; ; ) {
      const rows = await q.unsafe<{ finding_id: string; row_hash: string }[]>(
        "SELECT finding_id, row_hash FROM ledger_findings WHERE tenant_id = $1 AND finding_id > $2 ORDER BY finding_id LIMIT $3",
        [tenantId, afterId, HASH_PAGE], { prepare: true });
      for (const r of rows) acc.add(r.row_hash);
      if (rows.length < HASH_PAGE) return acc;
      afterId = rows[rows.length - 1]!.finding_id;
    }
  }

  async checksum(tenantId: string): Promise<ProjectionChecksum> {
    // One snapshot for every page and the checkpoint: rows and eventsApplied agree.
    return (await this.sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", async (tx) => {
      const acc = await this.accumulate(tx, tenantId);
      const [ck] = await tx.unsafe<{ n: string }[]>("SELECT events_applied AS n FROM ledger_projection_checkpoints WHERE tenant_id = $1", [tenantId]);
      return { checksum: acc.digest(), findings: acc.findings, eventsApplied: ck ? Number(ck.n) : 0 };
    })) as ProjectionChecksum;
  }

  async checkpoint(tenantId: string): Promise<ProjectionCheckpoint | null> {
    const [r] = await this.sql.unsafe<{ tx: string; chain_id: string; sequence: string; events_applied: string; last_recorded_at_us: string | null; updated_at: Date }[]>(
      "SELECT tx_id::text AS tx, chain_id::text, sequence, events_applied, last_recorded_at_us, updated_at FROM ledger_projection_checkpoints WHERE tenant_id = $1",
      [tenantId], { prepare: true });
    if (!r) return null;
    return {
      eventsApplied: Number(r.events_applied),
      lastRecordedAtUs: r.last_recorded_at_us === null ? null : Number(r.last_recorded_at_us),
      position: `${r.tx}:${r.chain_id}:${r.sequence}`,
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  async getFinding(tenantId: string, findingId: string): Promise<Finding | null> {
    const [r] = await this.sql.unsafe<{ finding: string }[]>("SELECT finding FROM ledger_findings WHERE tenant_id = $1 AND finding_id = $2", [tenantId, findingId], { prepare: true });
    return r ? parseFinding(r.finding) : null;
  }

  async listFindings(tenantId: string, f: FindingFilter, afterFindingId: string, limit: number): Promise<Finding[]> {
    const sql = this.sql;
    const none = sql``;
    // Only the filters given become SQL, so the planner can pick the matching (tenant, column, finding_id) index.
    const rows = await sql<{ finding: string }[]>`
      SELECT finding FROM ledger_findings
      WHERE tenant_id = ${tenantId} AND finding_id > ${afterFindingId}
        ${f.statuses ? sql`AND status = ANY(${f.statuses}::text[])` : none}
        ${f.severities ? sql`AND severity = ANY(${f.severities}::text[])` : none}
        ${f.minCvss !== null ? sql`AND cvss_score >= ${f.minCvss}` : none}
        ${f.maxCvss !== null ? sql`AND cvss_score <= ${f.maxCvss}` : none}
        ${f.policyVersion !== null ? sql`AND policy_version = ${f.policyVersion}` : none}
        ${f.artifactId !== null ? sql`AND artifact_id = ${f.artifactId}` : none}
        ${f.vulnerabilityId !== null ? sql`AND vulnerability_id = ${f.vulnerabilityId}` : none}
        ${f.assignee !== null ? sql`AND assignee = ${f.assignee}` : none}
        ${f.updatedSinceMs !== null ? sql`AND updated_at_ms >= ${f.updatedSinceMs}` : none}
      ORDER BY finding_id LIMIT ${limit}`;
    return rows.map((r) => parseFinding(r.finding));
  }

  async dueExpiries(nowMs: number, limit: number): Promise<DueExpiry[]> {
    const rows = await this.sql.unsafe<{ tenant_id: string; finding: string }[]>(
      `SELECT tenant_id, finding FROM ledger_findings WHERE risk_expires_at_ms IS NOT NULL AND risk_expires_at_ms <= $1
       ORDER BY risk_expires_at_ms, tenant_id, finding_id LIMIT $2`, [nowMs, limit], { prepare: true });
    return rows.map((r) => ({ tenantId: r.tenant_id, finding: parseFinding(r.finding) }));
  }
}

/** UTF-8 byte order, as PostgreSQL's COLLATE "C" and SQLite's BINARY compare. */
export const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

// Production driver: PostgreSQL through postgres.js; bulk appends by COPY, group commits by one INSERT per group.
import postgres from "postgres";
import { LedgerError } from "../core/errors.ts";
import type { StoredEvent } from "../core/events/types.ts";
import { POSTGRES_MIGRATIONS } from "./migrate/files.ts";
import { planMigrations, type AppliedMigration } from "./migrate/plan.ts";
import type { ChainHead, EventRow, EventStore, MigrationPort } from "./port.ts";
import { rowKey } from "./port.ts";
import { EVENT_COLUMNS, fromRaw, toStoredEvent, toTuple, type RawEventRow } from "./rows.ts";

type Sql = postgres.Sql<Record<string, never>>;

const MIGRATION_LOCK = 7_301_977_001; // advisory lock key for migrations, fixed for every release
const COPY_THRESHOLD = 64;
const COLUMN_TYPES = ["text", "uuid", "int8", "uuid", "text", "text", "text", "text", "text", "text", "text", "uuid", "text", "bpchar", "bpchar", "bpchar", "bpchar", "text", "int8"];
const COLS = EVENT_COLUMNS.join(", ");
// One row: plain parameters (a set-returning source costs ~0.3 ms of planning and scanning per statement).
const INSERT_ONE = `INSERT INTO ledger_events (${COLS}) VALUES (${COLUMN_TYPES.map((t, i) => `$${i + 1}::${t}`).join(", ")})
  ON CONFLICT DO NOTHING RETURNING tenant_id, event_id::text`;
// Several rows: one JSON parameter, so the statement text (and its prepared plan) never varies with the row count.
const FROM_JSON = `SELECT ${COLS} FROM json_populate_recordset(null::ledger_events, $1::text::json)`;
const INSERT_EACH = `INSERT INTO ledger_events (${COLS}) ${FROM_JSON} ON CONFLICT DO NOTHING RETURNING tenant_id, event_id::text`;
const INSERT_ALL = `INSERT INTO ledger_events (${COLS}) ${FROM_JSON}`;
const SELECT_EVENT = `SELECT tenant_id, chain_id::text, sequence, event_id::text, event_type, finding_id, artifact_id, policy_version, actor_id, actor_type,
  occurred_at, source_run_id::text, payload, previous_hash, event_hash, merkle_leaf_hash, content_digest, finding_status, recorded_at_us FROM ledger_events`;
/** Reads that show the event's leaf index once anchored (ledger_merkle_leaves, sql/postgres/002). */
const withLeafIndex = (inner: string) =>
  `SELECT s.*, (SELECT l.leaf_index FROM ledger_merkle_leaves l WHERE l.tenant_id = s.tenant_id AND l.event_id = s.event_id::uuid) AS leaf_index FROM (${inner}) s ORDER BY s.sequence`;

const isUniqueViolation = (e: unknown) => (e as { code?: string })?.code === "23505";
// Deadlock and serialisation failures roll the whole statement back: the caller retries on fresh heads.
const isRetryable = (e: unknown) => ["40P01", "40001"].includes((e as { code?: string })?.code ?? "");

/** One lock order for every writer (tenant, chain, sequence), so concurrent group commits cannot deadlock. */
const inLockOrder = (rows: readonly EventRow[]): EventRow[] =>
  [...rows].sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : a.chainId < b.chainId ? -1 : a.chainId > b.chainId ? 1 : a.sequence - b.sequence));
const isConnectionError = (e: unknown) => {
  const code = (e as { code?: string })?.code ?? "";
  return ["ECONNREFUSED", "ECONNRESET", "CONNECT_TIMEOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "57P01", "57P03", "53300"].includes(code);
};

/** Map driver failures to domain errors once, at the driver edge. */
async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (isConnectionError(e)) throw new LedgerError("unavailable", `database unavailable: ${(e as Error).message}`);
    throw e;
  }
}

/** Rows as a JSON array of records keyed by column name, for json_populate_recordset. */
function recordsJson(rows: readonly EventRow[]): string {
  const parts: string[] = [];
  for (const r of rows) parts.push(`{${toTuple(r).map((v, c) => `"${EVENT_COLUMNS[c]}":${JSON.stringify(v)}`).join(",")}}`);
  return `[${parts.join(",")}]`;
}

// COPY text format: backslash, tab, newline and carriage return are escaped; NULL is \N.
const COPY_SPECIAL = /[\\\t\n\r]/;
const copyEscape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
const copyValue = (v: string | number | null) => (v === null ? "\\N" : typeof v === "number" ? String(v) : COPY_SPECIAL.test(v) ? copyEscape(v) : v);
const copyLine = (r: EventRow) => toTuple(r).map(copyValue).join("\t") + "\n";

export class PostgresEventStore implements EventStore {
  readonly kind = "postgres" as const;
  readonly migrations: MigrationPort;

  /** The shared postgres.js client: companion stores (anchor, projection) use the same pool. */
  private constructor(readonly sql: Sql) {
    this.migrations = { plan: () => guard(() => this.plan()), up: () => guard(() => this.up()) };
  }

  static open(url: string, opts: { poolSize?: number } = {}): PostgresEventStore {
    const sql = postgres(url, {
      max: opts.poolSize ?? 10,
      onnotice: () => {},
      connect_timeout: 10,
      prepare: true,
      connection: { application_name: "findings-ledger" },
    });
    return new PostgresEventStore(sql as unknown as Sql);
  }

  private async applied(sql: postgres.Sql | postgres.TransactionSql): Promise<AppliedMigration[]> {
    const [exists] = await sql`SELECT to_regclass('ledger_schema_migrations') IS NOT NULL AS ok`;
    if (!exists?.ok) return [];
    const rows = await sql<{ version: string; name: string; checksum: string; applied_at: Date }[]>`
      SELECT version, name, checksum, applied_at FROM ledger_schema_migrations ORDER BY version`;
    return rows.map((r) => ({ version: r.version, name: r.name, checksum: r.checksum, appliedAt: new Date(r.applied_at).toISOString() }));
  }

  private async plan() {
    return planMigrations(POSTGRES_MIGRATIONS, await this.applied(this.sql));
  }

  private async up(): Promise<AppliedMigration[]> {
    return (await this.sql.begin(async (tx) => {
      // Transaction-scoped advisory lock: concurrent migrators queue here; the later sees nothing pending.
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
      await tx`CREATE TABLE IF NOT EXISTS ledger_schema_migrations (
        version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
      const plan = planMigrations(POSTGRES_MIGRATIONS, await this.applied(tx));
      if (plan.problems.length > 0) throw new LedgerError("migration_failed", plan.problems.join("; "));
      const done: AppliedMigration[] = [];
      for (const m of plan.pending) {
        await tx.unsafe(m.sql);
        const [row] = await tx<{ applied_at: Date }[]>`
          INSERT INTO ledger_schema_migrations (version, name, checksum) VALUES (${m.version}, ${m.name}, ${m.checksum}) RETURNING applied_at`;
        done.push({ version: m.version, name: m.name, checksum: m.checksum, appliedAt: new Date(row!.applied_at).toISOString() });
      }
      return done;
    })) as AppliedMigration[];
  }

  loadHeads(tenantId: string, chainIds: readonly string[]): Promise<Map<string, ChainHead>> {
    return guard(async () => {
      const out = new Map<string, ChainHead>();
      if (chainIds.length === 0) return out;
      const rows = await this.sql.unsafe<{ chain_id: string; sequence: string; event_hash: string; finding_status: string | null }[]>(
        `SELECT h.chain_id::text, e.sequence, e.event_hash, e.finding_status
           FROM unnest($2::uuid[]) AS h(chain_id)
           CROSS JOIN LATERAL (SELECT sequence, event_hash, finding_status FROM ledger_events
                               WHERE tenant_id = $1 AND chain_id = h.chain_id ORDER BY sequence DESC LIMIT 1) e`,
        [tenantId, chainIds as string[]],
        { prepare: true },
      );
      for (const r of rows) out.set(r.chain_id, { sequence: Number(r.sequence), eventHash: r.event_hash, findingStatus: r.finding_status as ChainHead["findingStatus"] });
      return out;
    });
  }

  findEvents(tenantId: string, eventIds: readonly string[]): Promise<Map<string, EventRow>> {
    return guard(async () => {
      const out = new Map<string, EventRow>();
      if (eventIds.length === 0) return out;
      const rows = await this.sql.unsafe<RawEventRow[]>(`${SELECT_EVENT} WHERE tenant_id = $1 AND event_id = ANY($2::uuid[])`, [tenantId, eventIds as string[]], { prepare: true });
      for (const r of rows) out.set(r.event_id, fromRaw(r));
      return out;
    });
  }

  insertEach(rows: readonly EventRow[]): Promise<Set<string>> {
    return guard(async () => {
      try {
        const res =
          rows.length === 1
            ? await this.sql.unsafe<{ tenant_id: string; event_id: string }[]>(INSERT_ONE, toTuple(rows[0]!) as unknown as never[], { prepare: true })
            : await this.sql.unsafe<{ tenant_id: string; event_id: string }[]>(INSERT_EACH, [recordsJson(inLockOrder(rows))], { prepare: true });
        return new Set(res.map((r) => rowKey(r.tenant_id, r.event_id)));
      } catch (e) {
        if (isRetryable(e)) return new Set<string>();
        throw e;
      }
    });
  }

  insertAll(_tenantId: string, unordered: readonly EventRow[]): Promise<boolean> {
    const rows = inLockOrder(unordered);
    return guard(async () => {
      try {
        if (rows.length < COPY_THRESHOLD) {
          await this.sql.unsafe(INSERT_ALL, [recordsJson(rows)], { prepare: true });
          return true;
        }
        await this.sql.begin(async (tx) => {
          const stream = await tx.unsafe(`COPY ledger_events (${COLS}) FROM STDIN`).writable();
          await new Promise<void>((resolve, reject) => {
            stream.on("error", reject);
            stream.on("finish", resolve);
            const CHUNK = 256;
            for (let i = 0; i < rows.length; i += CHUNK) stream.write(rows.slice(i, i + CHUNK).map(copyLine).join(""));
            stream.end();
          });
        });
        return true;
      } catch (e) {
        if (isUniqueViolation(e) || isRetryable(e)) return false;
        throw e;
      }
    });
  }

  getEvent(tenantId: string, eventId: string): Promise<StoredEvent | null> {
    return guard(async () => {
      const rows = await this.sql.unsafe<RawEventRow[]>(withLeafIndex(`${SELECT_EVENT} WHERE tenant_id = $1 AND event_id = $2::uuid`), [tenantId, eventId], { prepare: true });
      return rows[0] ? toStoredEvent(fromRaw(rows[0])) : null;
    });
  }

  listChain(tenantId: string, chainId: string, afterSequence: number, limit: number): Promise<StoredEvent[]> {
    return guard(async () => {
      const rows = await this.sql.unsafe<RawEventRow[]>(
        withLeafIndex(`${SELECT_EVENT} WHERE tenant_id = $1 AND chain_id = $2::uuid AND sequence > $3 ORDER BY sequence LIMIT $4`),
        [tenantId, chainId, afterSequence, limit],
        { prepare: true },
      );
      return rows.map((r) => toStoredEvent(fromRaw(r)));
    });
  }

  countEvents(tenantId: string): Promise<number> {
    return guard(async () => {
      const [r] = await this.sql`SELECT count(*)::int8 AS n FROM ledger_events WHERE tenant_id = ${tenantId}`;
      return Number(r!.n);
    });
  }

  ping(): Promise<void> {
    return guard(async () => void (await this.sql`SELECT 1`));
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}

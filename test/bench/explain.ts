// `bun run test/bench/explain.ts [--quick]`: the diagnostics behind docs/benchmarks.md "Where we fall short and why".
// Floors (raw single-row commits), appender CPU with no database, group-commit sizes with a one-line change, batch pipelining.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { Appender, MAX_BATCH_EVENTS } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { GroupCommitter } from "../../src/ledger/group-commit.ts";
import type { EventRow, EventStore } from "../../src/store/port.ts";
import { rowKey } from "../../src/store/port.ts";
import { PostgresEventStore } from "../../src/store/postgres.ts";
import { EVENT_COLUMNS, toTuple } from "../../src/store/rows.ts";
import { SqliteEventStore } from "../../src/store/sqlite.ts";
import { canonicalize } from "../../src/core/canonical/jcs.ts";
import { freshDatabase, stopTestPostgres } from "../support/pg.ts";
import { timeIngest, warmThenRun, type LatencyRun } from "./measure.ts";
import { checkpoint } from "./postgres.ts";
import { probeStore } from "./probe.ts";
import { chunks, ClientStreams, COPY_SQL, copyLine, ingestBodies, linkedRows, TENANT } from "./workload.ts";

const { values: flags } = parseArgs({ options: { quick: { type: "boolean" } } });
const S = flags.quick ? { warm: 0.3, seconds: 2, batchTotal: 40_000, cpuEvents: 20_000 } : { warm: 1, seconds: 6, batchTotal: 100_000, cpuEvents: 100_000 };
const log = (s: string) => void process.stdout.write(`${s}\n`);
const fmt = (r: LatencyRun) => `${r.eventsPerSec.toFixed(0)}/s p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms`;

/** A store that does nothing: what the appender costs on the CPU by itself. */
const nullStore: EventStore = {
  kind: "sqlite",
  migrations: { plan: async () => ({ applied: [], pending: [], problems: [] }) as never, up: async () => [] },
  loadHeads: async () => new Map(),
  findEvents: async () => new Map(),
  insertEach: async (rows) => new Set(rows.map((r) => rowKey(r.tenantId, r.eventId))),
  insertAll: async () => true,
  getEvent: async () => null,
  listChain: async () => [],
  countEvents: async () => 0,
  ping: async () => {},
  close: async () => {},
};

async function appenderCpu(): Promise<Record<string, number>> {
  const best = async (f: () => Promise<number>) => Math.min(await f(), await f(), await f());
  const batch = await best(async () => {
    const app = new Appender(nullStore, systemMicroClock());
    const batches = chunks(ingestBodies(S.cpuEvents), MAX_BATCH_EVENTS);
    const t0 = performance.now();
    for (const b of batches) await app.appendBatch(TENANT, b);
    return ((performance.now() - t0) * 1000) / S.cpuEvents;
  });
  const single = await best(async () => {
    const app = new Appender(nullStore, systemMicroClock());
    const s = new ClientStreams();
    const bodies = Array.from({ length: S.cpuEvents / 2 }, (_, n) => s.next(0, n).body);
    const t0 = performance.now();
    for (const b of bodies) await app.appendOne(TENANT, b);
    return ((performance.now() - t0) * 1000) / bodies.length;
  });
  return { appendBatchMicrosPerEvent: batch, appendOneMicrosPerEvent: single };
}

/** One realistic row with fresh keys per call: the cheapest durable single-row commit of our table. */
function rawRows() {
  const template = linkedRows(TENANT, ingestBodies(1))[0]!;
  return (client: number, n: number): EventRow => ({ ...template, chainId: crypto.randomUUID(), sequence: 1, eventId: crypto.randomUUID(), recordedAtUs: client * 1e9 + n });
}

const COLUMN_TYPES = ["text", "uuid", "int8", "uuid", "text", "text", "text", "text", "text", "text", "text", "uuid", "text", "bpchar", "bpchar", "bpchar", "bpchar", "text", "int8"];
const COLS = EVENT_COLUMNS.join(", ");

/** Statement shapes for a single-append commit, 1 client, autocommit, prepared: what one row costs in each form. */
async function postgresFloors(url: string) {
  const sql = postgres(url, { max: 10, onnotice: () => {}, prepare: true });
  const store = PostgresEventStore.open(url);
  const next = rawRows();
  const tuple = (r: EventRow) => toTuple(r, canonicalize(r.payload)) as unknown[];
  const arrays = (rs: EventRow[]) => EVENT_COLUMNS.map((_, c) => rs.map((r) => tuple(r)[c]));
  const values = `INSERT INTO ${"ledger_events"} (${COLS}) VALUES (${EVENT_COLUMNS.map((_, i) => `$${i + 1}`).join(", ")})`;
  const shapes: Record<string, [clients: number, op: (c: number, n: number) => Promise<unknown>]> = {
    "SELECT 1 round trip": [1, () => sql`SELECT 1`],
    "SELECT over unnest of 19 one-element arrays (no write)": [1, (c, n) => sql.unsafe(`SELECT count(*) FROM unnest(${COLUMN_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(", ")})`, arrays([next(c, n)]) as never[], { prepare: true })],
    "SELECT of 19 scalar params (no write)": [1, (c, n) => sql.unsafe(`SELECT ${COLUMN_TYPES.map((t, i) => `$${i + 1}::${t}`).join(", ")}`, tuple(next(c, n)) as never[], { prepare: true })],
    "INSERT VALUES, 1 row": [1, (c, n) => sql.unsafe(values, tuple(next(c, n)) as never[], { prepare: true })],
    "INSERT VALUES ON CONFLICT DO NOTHING RETURNING, 1 row": [1, (c, n) => sql.unsafe(`${values} ON CONFLICT DO NOTHING RETURNING tenant_id, event_id::text`, tuple(next(c, n)) as never[], { prepare: true })],
    "INSERT json_populate_recordset ON CONFLICT RETURNING, 1 row": [1, (c, n) => sql.unsafe(
      `INSERT INTO ledger_events (${COLS}) SELECT ${COLS} FROM json_populate_recordset(null::ledger_events, $1::text::json) ON CONFLICT DO NOTHING RETURNING tenant_id, event_id::text`,
      [JSON.stringify([Object.fromEntries(EVENT_COLUMNS.map((k, i) => [k, tuple(next(c, n))[i]]))])] as never[], { prepare: true })],
    "driver insertEach (unnest), 1 row": [1, (c, n) => store.insertEach([next(c, n)])],
    "INSERT VALUES, 16 clients": [16, (c, n) => sql.unsafe(values, tuple(next(c, n)) as never[], { prepare: true })],
  };
  const out: Record<string, LatencyRun> = {};
  try {
    for (const [name, [clients, op]] of Object.entries(shapes)) {
      await checkpoint();
      out[name] = await warmThenRun(clients, S.warm, S.seconds / 2, async (c, n) => void (await op(c, n)));
      log(`  ${name}: ${fmt(out[name]!)}`);
    }
  } finally {
    await sql.end({ timeout: 5 });
    await store.close();
  }
  return out;
}

type Flush = (this: unknown) => Promise<void>;
const proto = GroupCommitter.prototype as unknown as { flush: Flush };
const originalFlush = proto.flush;
/** The suggested change: after resolving a group, yield one macrotask so the writers just released can join the next group. */
const yieldingFlush: Flush = async function (this: unknown) {
  const self = this as { flushing: boolean; queue: Array<{ row: EventRow; resolve: (b: boolean) => void; reject: (e: unknown) => void }>; store: EventStore; maxGroup: number };
  self.flushing = true;
  try {
    while (self.queue.length > 0) {
      const group = self.queue.splice(0, self.maxGroup);
      try {
        const inserted = await self.store.insertEach(group.map((w) => w.row));
        for (const w of group) w.resolve(inserted.has(rowKey(w.row.tenantId, w.row.eventId)));
      } catch (e) {
        for (const w of group) w.reject(e);
      }
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    self.flushing = false;
  }
};

async function groupCommit(label: string, open: () => Promise<{ store: EventStore; close(): Promise<void> }>) {
  const out: Record<string, unknown> = {};
  for (const [variant, flush] of [["as is", originalFlush], ["yield before next group", yieldingFlush]] as const) {
    proto.flush = flush;
    const { store, close } = await open();
    const probe = probeStore(store);
    const app = new Appender(probe.store, systemMicroClock());
    try {
      for (const clients of [1, 16]) {
        const s = new ClientStreams();
        const r = await warmThenRun(clients, S.warm, S.seconds, async (c, n) => void (await app.appendOne(TENANT, s.next(c, n).body)), probe.reset);
        const g = probe.report().groups;
        out[`${variant}, ${clients} client(s)`] = { ...r, meanGroup: g.meanSize };
        log(`  ${label} ${variant}, ${clients} client(s): ${fmt(r)}, mean group ${g.meanSize.toFixed(1)} rows`);
      }
    } finally {
      await close();
      proto.flush = originalFlush;
    }
  }
  return out;
}

async function batchPipelining(url: string) {
  const out: Record<string, number> = {};
  for (const inFlight of [1, 2]) {
    const store = PostgresEventStore.open(url);
    const probe = probeStore(store);
    const app = new Appender(probe.store, systemMicroClock());
    const batches = chunks(ingestBodies(S.batchTotal), MAX_BATCH_EVENTS);
    await checkpoint();
    let next = 0;
    const r = await timeIngest(S.batchTotal, async () => {
      await Promise.all(Array.from({ length: inFlight }, async () => {
        while (next < batches.length) await app.appendBatch(TENANT, batches[next++]!);
      }));
    });
    out[`${inFlight} batch(es) in flight`] = r.eventsPerSec;
    log(`  appendBatch, ${inFlight} in flight: ${r.eventsPerSec.toFixed(0)}/s; store calls ${JSON.stringify(probe.report().calls)}`);
    await store.close();
  }
  // The driver's insertAll against a bare COPY of the same 10k rows (both in fresh chains).
  const store = PostgresEventStore.open(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rowsA = linkedRows(TENANT, ingestBodies(MAX_BATCH_EVENTS));
    const rowsB = linkedRows(TENANT, ingestBodies(MAX_BATCH_EVENTS));
    const t0 = performance.now();
    await store.insertAll(TENANT, rowsA);
    out["insertAll 10k ms"] = performance.now() - t0;
    const t1 = performance.now();
    const text = rowsB.map(copyLine).join("");
    out["copyLine 10k ms"] = performance.now() - t1;
    const stream = await sql.unsafe(COPY_SQL).writable();
    await new Promise<void>((ok, fail) => {
      stream.on("error", fail);
      stream.on("finish", ok);
      stream.write(text);
      stream.end();
    });
    out["text+COPY 10k ms"] = performance.now() - t1;
    log(`  10k rows: driver insertAll ${out["insertAll 10k ms"]!.toFixed(0)} ms; COPY text ${out["copyLine 10k ms"]!.toFixed(0)} ms + COPY = ${out["text+COPY 10k ms"]!.toFixed(0)} ms`);
  } finally {
    await sql.end({ timeout: 5 });
    await store.close();
  }
  return out;
}

async function main() {
  const result: Record<string, unknown> = {};
  log("appender CPU with a store that does nothing (us per event):");
  result.appenderCpu = await appenderCpu();
  log(`  ${JSON.stringify(result.appenderCpu)}`);

  log("PostgreSQL floors:");
  const floorsDb = await freshDatabase();
  try {
    const s = PostgresEventStore.open(floorsDb.url);
    await s.migrations.up();
    await s.close();
    result.postgresFloors = await postgresFloors(floorsDb.url);
  } finally {
    await floorsDb.drop();
  }

  log("group commit on PostgreSQL:");
  result.groupCommitPostgres = await groupCommit("PG", async () => {
    const db = await freshDatabase();
    const store = PostgresEventStore.open(db.url);
    await store.migrations.up();
    return { store, close: async () => (await store.close(), await db.drop()) };
  });
  log("group commit on the embedded store:");
  result.groupCommitEmbedded = await groupCommit("embedded", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ledger-explain-"));
    const store = SqliteEventStore.open({ dataDir: dir });
    await store.migrations.up();
    return { store, close: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
  });

  log("batch ingest pipelining on PostgreSQL:");
  const batchDb = await freshDatabase();
  try {
    const s = PostgresEventStore.open(batchDb.url);
    await s.migrations.up();
    await s.close();
    result.batch = await batchPipelining(batchDb.url);
  } finally {
    await batchDb.drop();
  }
  const out = flags.quick ? join(tmpdir(), "ledger-bench-explain-quick.json") : join(import.meta.dir, "results", "explain.json");
  writeFileSync(out, `${JSON.stringify(result, (_k, v) => (typeof v === "number" && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v), 2)}\n`);
  log(`results: ${out}`);
}

try {
  await main();
} finally {
  await stopTestPostgres();
}

// `bun run test/bench/projection-explain.ts [--quick]`: the diagnostics behind the projection section's "where we fall short" (~1-2 min).
//  1. PostgreSQL: a cold drain with ledger_findings never analysed and with an ANALYZE after 2 %, and which index the findings look-ups read.
//  2. Embedded: what one projector transaction costs the (shared) event loop, small and full batches, synchronous=FULL against NORMAL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { Appender, MAX_BATCH_EVENTS } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { PostgresEventStore } from "../../src/store/postgres.ts";
import { openProjectionStore } from "../../src/store/projection-port.ts";
import { SqliteEventStore } from "../../src/store/sqlite.ts";
import { foldInto, Projector } from "../../src/workers/projector.ts";
import { freshDatabase, stopTestPostgres } from "../support/pg.ts";
import { instrument, LagRecorder } from "./projection-lag.ts";
import { ingestBodies, TENANT } from "./workload.ts";

const { values: flags } = parseArgs({ options: { quick: { type: "boolean" } } });
const N = flags.quick ? 30_000 : 150_000;

async function write(appender: Appender, total: number): Promise<void> {
  for (let done = 0; done < total; done += MAX_BATCH_EVENTS) await appender.appendBatch(TENANT, ingestBodies(Math.min(MAX_BATCH_EVENTS, total - done)));
}

/** Mean ms per batch in each fifth of the drain. */
const fifths = (b: Array<{ ms: number }>) => {
  const k = Math.max(1, Math.floor(b.length / 5));
  return Array.from({ length: 5 }, (_, i) => b.slice(i * k, (i + 1) * k)).map((p) => (p.reduce((a, x) => a + x.ms, 0) / p.length).toFixed(1));
};

async function postgresDrain(analyzeAfter: number | null) {
  const db = await freshDatabase();
  const store = PostgresEventStore.open(db.url);
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await store.migrations.up();
    await write(new Appender(store, systemMicroClock()), N);
    const rec = new LagRecorder();
    const p = new Projector({ projection: instrument(openProjectionStore(store), rec), appender: null, log: silentLogger });
    const t0 = performance.now();
    let applied = 0;
    if (analyzeAfter !== null) {
      while (applied < analyzeAfter) applied += await p.pass();
      await sql`ANALYZE ledger_findings`;
    }
    const beforeDrain = applied;
    while (applied < N * 0.9) applied += await p.pass();
    const [cls] = await sql`SELECT reltuples::int8 AS reltuples FROM pg_class WHERE relname = 'ledger_findings'`;
    applied += await p.drain();
    // Which index the projector's findings look-ups went through (its connection caches a generic
    // plan chosen while the table was small): rows read per index over the whole drain.
    await Bun.sleep(1500); // backends flush their statistics about once a second
    const indexes = await sql`SELECT indexrelname AS index, idx_scan::int8 AS scans, idx_tup_read::int8 AS rows_read FROM pg_stat_user_indexes
      WHERE relname = 'ledger_findings' AND idx_scan > 0 ORDER BY idx_tup_read DESC`;
    const plan = indexes.map((r) => `${r.index}: ${r.scans} scans, ${r.rows_read} index entries read`);
    const seconds = (performance.now() - t0) / 1000;
    return { analyzeAfter, applied, beforeDrain, seconds, eventsPerSec: applied / seconds, batchMsByFifth: fifths(rec.batches), reltuplesAt90: Number(cls!.reltuples), plan };
  } finally {
    await sql.end({ timeout: 5 });
    await store.close();
    await db.drop();
  }
}

async function embeddedBatchCost(synchronous: "FULL" | "NORMAL") {
  const dir = mkdtempSync(join(tmpdir(), "ledger-bench-projection-explain-"));
  const store = SqliteEventStore.open({ dataDir: dir });
  try {
    await store.migrations.up();
    await write(new Appender(store, systemMicroClock()), 20_000);
    store.db.run(`PRAGMA synchronous=${synchronous}`);
    const projection = openProjectionStore(store);
    const out = { msPerBatchOf16: 0, msPerBatchOf500: 0 };
    for (const limit of [16, 500]) {
      const t0 = performance.now();
      let batches = 0;
      for (let n = 0; n < 8_000; batches++) {
        const r = await projection.applyNext(TENANT, limit, foldInto);
        if (r === "locked" || r.events === 0) break;
        n += r.events;
      }
      out[limit === 16 ? "msPerBatchOf16" : "msPerBatchOf500"] = (performance.now() - t0) / batches;
    }
    return { synchronous, ...out };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  const started = performance.now();
  for (const analyzeAfter of [null, Math.round(N * 0.02)]) {
    const r = await postgresDrain(analyzeAfter);
    process.stdout.write(`PostgreSQL drain of ${r.applied} events, ${r.analyzeAfter === null ? "statistics as autovacuum left them" : `ANALYZE ledger_findings after ${r.analyzeAfter} events`}: ` +
      `${r.eventsPerSec.toFixed(0)} events/s; ms per 500-event batch by fifth ${r.batchMsByFifth.join(" / ")}; reltuples at 90 % ${r.reltuplesAt90}; ledger_findings index use:\n  ${r.plan.join("\n  ")}\n`);
  }
  for (const s of ["FULL", "NORMAL"] as const) {
    const r = await embeddedBatchCost(s);
    process.stdout.write(`embedded applyNext, synchronous=${r.synchronous}: ${r.msPerBatchOf16.toFixed(2)} ms per 16-event batch, ${r.msPerBatchOf500.toFixed(1)} ms per 500-event batch (blocking the event loop)\n`);
  }
  process.stdout.write(`(${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
} finally {
  await stopTestPostgres();
}

// Embedded-store scenarios in process: batch ingest and durable single appends on bun:sqlite (WAL, synchronous=FULL).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Appender, MAX_BATCH_EVENTS } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { SqliteEventStore } from "../../src/store/sqlite.ts";
import { timeIngest, warmThenRun, type LatencyRun, type Throughput } from "./measure.ts";
import { probeStore, type ProbeReport } from "./probe.ts";
import type { SingleTiming } from "./postgres.ts";
import { chunks, ClientStreams, ingestBodies, TENANT } from "./workload.ts";

const SYNCHRONOUS = ["OFF", "NORMAL", "FULL", "EXTRA"];

async function openEmbedded(): Promise<{ store: SqliteEventStore; dir: string; durability: string }> {
  const dir = mkdtempSync(join(tmpdir(), "ledger-bench-sqlite-"));
  const store = SqliteEventStore.open({ dataDir: dir });
  await store.migrations.up();
  const sync = store.db.query<{ synchronous: number }, []>("PRAGMA synchronous").get()!.synchronous;
  const journal = store.db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()!.journal_mode;
  return { store, dir, durability: `journal_mode=${journal}, synchronous=${SYNCHRONOUS[sync] ?? sync}` };
}

async function closeEmbedded(e: { store: SqliteEventStore; dir: string }): Promise<void> {
  await e.store.close();
  rmSync(e.dir, { recursive: true, force: true });
}

/** (6a) Appender.appendBatch in batches of 10,000 on a fresh embedded store. */
export async function embeddedBatch(total: number): Promise<Throughput & { durability: string; breakdown: ProbeReport }> {
  const e = await openEmbedded();
  const probe = probeStore(e.store);
  const appender = new Appender(probe.store, systemMicroClock());
  const batches = chunks(ingestBodies(total), MAX_BATCH_EVENTS);
  try {
    const r = await timeIngest(total, async () => {
      for (const b of batches) await appender.appendBatch(TENANT, b);
    });
    const n = await e.store.countEvents(TENANT);
    if (n !== total) throw new Error(`embedded batch: expected ${total} rows, found ${n}`);
    return { ...r, durability: e.durability, breakdown: probe.report() };
  } finally {
    await closeEmbedded(e);
  }
}

/** (6b) Durable single appends, closed loop, each client on its own findings. */
export async function embeddedSingles(clientCounts: number[], t: SingleTiming): Promise<Record<string, LatencyRun & { durability: string; breakdown: ProbeReport }>> {
  const e = await openEmbedded();
  const probe = probeStore(e.store);
  const appender = new Appender(probe.store, systemMicroClock());
  const out: Record<string, LatencyRun & { durability: string; breakdown: ProbeReport }> = {};
  try {
    for (const clients of clientCounts) {
      const streams = new ClientStreams();
      const r = await warmThenRun(clients, t.warmSeconds, t.seconds, async (c, n) => {
        await appender.appendOne(TENANT, streams.next(c, n).body);
      }, probe.reset);
      out[clients] = { ...r, durability: e.durability, breakdown: probe.report() };
    }
    return out;
  } finally {
    await closeEmbedded(e);
  }
}

// PostgreSQL scenarios: the raw COPY ceiling, ledger batch and single appends, and Emmett doing the same appends.
import { getPostgreSQLEventStore, type PostgresEventStore as EmmettStore } from "@event-driven-io/emmett-postgresql";
import postgres from "postgres";
import { Appender, MAX_BATCH_EVENTS } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { PostgresEventStore } from "../../src/store/postgres.ts";
import { adminUrl, freshDatabase, type FreshDatabase } from "../support/pg.ts";
import { emptySamples, sampleClients, summarize, timeIngest, type LatencyRun, type Op, type Throughput } from "./measure.ts";
import { probeStore, type ProbeReport } from "./probe.ts";
import { chunks, ClientStreams, COPY_SQL, copyLine, emmettEvent, ingestBodies, linkedRows, TENANT } from "./workload.ts";

export const COPY_CHUNK = 10_000;
export const EMMETT_BATCH = 1_000;

export interface SingleTiming {
  warmSeconds: number;
  seconds: number;
}

/** Server facts for the report, read once. */
export async function serverFacts(): Promise<Record<string, string>> {
  const sql = postgres(await adminUrl(), { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql`SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync,
      current_setting('synchronous_commit') AS synchronous_commit, current_setting('wal_sync_method') AS wal_sync_method,
      current_setting('shared_buffers') AS shared_buffers, current_setting('max_wal_size') AS max_wal_size,
      current_setting('full_page_writes') AS full_page_writes`;
    return { ...(r as Record<string, string>) };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Flush dirty buffers before a timed scenario so the previous scenario's checkpoint does not land in it. */
export async function checkpoint(): Promise<void> {
  const sql = postgres(await adminUrl(), { max: 1, onnotice: () => {} });
  try {
    await sql`CHECKPOINT`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function countRows(url: string, table: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql.unsafe(`SELECT count(*)::int8 AS n FROM ${table}`);
    return Number(r!.n);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function expectCount(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what}: expected ${want} rows after the run, found ${got}`);
}

async function migratedLedger(): Promise<{ db: FreshDatabase; store: PostgresEventStore }> {
  const db = await freshDatabase();
  const store = PostgresEventStore.open(db.url);
  await store.migrations.up();
  return { db, store };
}

async function migratedEmmett(): Promise<{ db: FreshDatabase; store: EmmettStore }> {
  const db = await freshDatabase();
  const store = getPostgreSQLEventStore(db.url);
  await store.schema.migrate(); // create the schema before timing, not inside the first append
  return { db, store };
}

/** (1) Rows linked in advance and turned into COPY text; only the COPYs (10k rows each, autocommit) are timed. */
export async function copyCeiling(total: number): Promise<Throughput> {
  const { db, store } = await migratedLedger();
  await store.close();
  const texts = chunks(linkedRows(TENANT, ingestBodies(total)), COPY_CHUNK).map((c) => c.map(copyLine).join(""));
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await checkpoint();
    const r = await timeIngest(total, async () => {
      for (const text of texts) {
        const stream = await sql.unsafe(COPY_SQL).writable();
        await new Promise<void>((resolve, reject) => {
          stream.on("error", reject);
          stream.on("finish", resolve); // after CommandComplete, i.e. after the implicit commit
          stream.write(text);
          stream.end();
        });
      }
    });
    expectCount("COPY ceiling", await countRows(db.url, "ledger_events"), total);
    return r;
  } finally {
    await sql.end({ timeout: 5 });
    await db.drop();
  }
}

/** (2) Appender.appendBatch in batches of 10,000: validation, hashing, head reads, COPY. */
export async function ledgerBatch(total: number): Promise<Throughput & { breakdown: ProbeReport }> {
  const { db, store } = await migratedLedger();
  const probe = probeStore(store);
  const appender = new Appender(probe.store, systemMicroClock());
  const batches = chunks(ingestBodies(total), MAX_BATCH_EVENTS);
  try {
    await checkpoint();
    const r = await timeIngest(total, async () => {
      for (const b of batches) await appender.appendBatch(TENANT, b);
    });
    expectCount("ledger batch", await store.countEvents(TENANT), total);
    return { ...r, breakdown: probe.report() };
  } finally {
    await store.close();
    await db.drop();
  }
}

/** (3) Emmett appendToStream with 1,000 events per call (its API appends to one stream per call). */
export async function emmettBatch(total: number): Promise<Throughput> {
  const { db, store } = await migratedEmmett();
  const batches = chunks(ingestBodies(total).map(emmettEvent), EMMETT_BATCH);
  try {
    await checkpoint();
    const r = await timeIngest(total, async () => {
      for (const b of batches) await store.appendToStream(`finding-${crypto.randomUUID()}`, b);
    });
    expectCount("Emmett batch", await countRows(db.url, "emt_messages"), total);
    return r;
  } finally {
    await store.close();
    await db.drop();
  }
}

export interface SingleResults {
  ledger: Record<string, LatencyRun & { roundRates: number[]; breakdown: ProbeReport }>;
  emmett: Record<string, LatencyRun & { roundRates: number[] }>;
}

/**
 * (4, 5) Single appends, closed loop, each client on its own findings. Per client count, both
 * contenders warm up, then run `rounds` alternating rounds (ledger, Emmett, ledger, ...) of
 * seconds / rounds each, so drift in disk or CPU speed hits both; rounds are merged.
 */
export async function singleAppends(clientCounts: number[], t: SingleTiming & { rounds: number }): Promise<SingleResults> {
  const ledger = await migratedLedger();
  const emmett = await migratedEmmett();
  const probe = probeStore(ledger.store);
  const appender = new Appender(probe.store, systemMicroClock());
  const out: SingleResults = { ledger: {}, emmett: {} };
  try {
    for (const clients of clientCounts) {
      const ls = new ClientStreams();
      const es = new ClientStreams();
      const lOp: Op = async (c, n) => void (await appender.appendOne(TENANT, ls.next(c, n).body));
      const eOp: Op = async (c, n) => {
        const { body, stream } = es.next(c, n);
        await emmett.store.appendToStream(stream, [emmettEvent(body)]);
      };
      const lc = new Array(clients).fill(0), ec = new Array(clients).fill(0);
      const lS = emptySamples(), eS = emptySamples();
      const lRates: number[] = [], eRates: number[] = [];
      await sampleClients(clients, t.warmSeconds, lOp, lc, emptySamples());
      await sampleClients(clients, t.warmSeconds, eOp, ec, emptySamples());
      probe.reset();
      for (let r = 0; r < t.rounds; r++) {
        await checkpoint();
        lRates.push(await sampleClients(clients, t.seconds / t.rounds, lOp, lc, lS));
        await checkpoint();
        eRates.push(await sampleClients(clients, t.seconds / t.rounds, eOp, ec, eS));
      }
      out.ledger[clients] = { ...summarize(clients, lS), roundRates: lRates, breakdown: probe.report() };
      out.emmett[clients] = { ...summarize(clients, eS), roundRates: eRates };
    }
    return out;
  } finally {
    await Promise.all([ledger.store.close(), emmett.store.close()]);
    await Promise.all([ledger.db.drop(), emmett.db.drop()]);
  }
}

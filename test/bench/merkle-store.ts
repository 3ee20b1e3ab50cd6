// Issue 5, parts 2-4 on real stores: ingest, `ledger anchor --once`, proof latency, `ledger verify` (PostgreSQL and embedded).
import type { Subprocess } from "bun";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { EMPTY_ROOT } from "../../src/core/merkle/hash.ts";
import { Appender, MAX_BATCH_EVENTS } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { proveConsistency, proveInclusion } from "../../src/ledger/proofs.ts";
import { generateSigningKeyPem, loadSigningKey } from "../../src/ledger/signing-key.ts";
import { verifyTenant, type VerifyProgress } from "../../src/ledger/verifier.ts";
import { loadConfig } from "../../src/config/load.ts";
import { openAnchorStore, type AnchorStore, type PendingEvent } from "../../src/store/anchor-port.ts";
import type { EventStore } from "../../src/store/port.ts";
import { PostgresEventStore } from "../../src/store/postgres.ts";
import { SqliteEventStore } from "../../src/store/sqlite.ts";
import { sealWith } from "../../src/workers/anchorer.ts";
import { freshDatabase } from "../support/pg.ts";
import { checkpoint } from "./postgres.ts";
import { processMemory, quantile, sleep } from "./measure.ts";
import { ingestBodies, linkedRows, TENANT } from "./workload.ts";
import { ChainVerifier } from "../../src/core/chain/verify.ts";
import type { ChainedEvent } from "../../src/core/events/types.ts";
import { CompactRange } from "../../src/core/merkle/compact-range.ts";
import { HASH_SIZE, hashLeaf } from "../../src/core/merkle/hash.ts";
import { bytesEqual, hashFromHex } from "../../src/core/merkle/hex.ts";

const ROOT = resolve(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist/ledger");
const TOKEN = "bench-admin-token-0123456789abcdef";
const log = (s: string) => void process.stderr.write(`[merkle ${(performance.now() / 1000).toFixed(1)}s] ${s}\n`);

// ---- the binary -----------------------------------------------------------------------------

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

async function text(cmd: string[]): Promise<string> {
  const p = Bun.spawn(cmd, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return out.trim();
}

/** dist/ledger, rebuilt with `bun run build` when missing, built from another commit, or older than a file under src/. */
export async function freshBinary(): Promise<{ version: string; rebuilt: boolean }> {
  const head = await text(["git", "rev-parse", "--short=12", "HEAD"]);
  let rebuilt = false;
  const builtCommit = existsSync(BINARY) ? /commit\s+(\S+)/.exec(await text([BINARY, "version"]))?.[1] ?? "" : "";
  const stale = builtCommit === "" || !builtCommit.startsWith(head) || statSync(BINARY).mtimeMs < newestMtime(join(ROOT, "src"));
  if (stale) {
    log(`dist/ledger is ${builtCommit === "" ? "missing" : `stale (${builtCommit}, HEAD ${head})`}: bun run build`);
    const b = Bun.spawn(["bun", "run", "build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    if ((await b.exited) !== 0) throw new Error("bun run build failed");
    rebuilt = true;
  }
  return { version: (await text([BINARY, "version"])).split("\n").join("; "), rebuilt };
}

export interface CliRun {
  code: number;
  wallMs: number;
  stdout: string;
  stderr: string;
  peakRssMb: number;
}

/** Runs `ledger ARGS` (the binary, or `bun --cpu-prof-md src/main.ts` when profiling) and polls its peak RSS. */
async function runLedger(args: string[], env: Record<string, string>, profileDir: string | null): Promise<CliRun> {
  const cmd = profileDir ? ["bun", "--cpu-prof-md", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${args[0]}-${Date.now()}.md`, join(ROOT, "src/main.ts"), ...args] : [BINARY, ...args];
  const t0 = performance.now();
  const p = Bun.spawn(cmd, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const out = new Response(p.stdout).text();
  const err = new Response(p.stderr).text();
  let peak = 0;
  const poll = setInterval(() => {
    try {
      const hwm = processMemory(p.pid).peakRssMb;
      if (Number.isFinite(hwm)) peak = Math.max(peak, hwm);
    } catch {
      /* exited */
    }
  }, 100);
  const code = await p.exited;
  const wallMs = performance.now() - t0;
  clearInterval(poll);
  return { code, wallMs, stdout: await out, stderr: await err, peakRssMb: peak };
}

function ledgerEnv(opts: { pgUrl?: string; dataDir: string; keyFile: string }): Record<string, string> {
  return {
    LEDGER__DATA__DIR: opts.dataDir,
    LEDGER__SIGNING__KEYFILE: opts.keyFile,
    ...(opts.pgUrl ? { LEDGER__DB__CONNECTIONSTRING: opts.pgUrl } : {}),
  };
}

// ---- what the PostgreSQL backend is doing: pg_stat_activity sampled every 50 ms --------------

const CATEGORIES: Array<[string, RegExp]> = [
  ["pending select (anti-join + sort)", /pg_snapshot_xmin\(pg_current_snapshot\(\)\) AS xmin/],
  ["pendingTenants count", /count\(\*\)/],
  ["insert leaves", /INSERT INTO ledger_merkle_leaves/],
  ["insert checkpoint row", /INSERT INTO ledger_merkle_roots/],
  ["node/frontier read", /SELECT leaf_index, node_hashes/],
  ["head + advisory lock", /pg_try_advisory_xact_lock|SELECT tree_size, root_hash/],
  ["FETCH verify_events", /FETCH \d+ FROM verify_events/],
  ["FETCH verify_leaves", /FETCH \d+ FROM verify_leaves/],
  ["FETCH verify_checkpoints", /FETCH \d+ FROM verify_checkpoints/],
  ["DECLARE cursor", /DECLARE/],
  ["COMMIT", /^COMMIT/i],
];

export interface ActivityProfile {
  samples: number;
  /** Share of samples per state: "<statement> [CPU|<wait event type>]", "client busy inside the transaction", "no statement running". */
  shares: Record<string, number>;
  /** First and last sample (ms after start) each statement category was seen active. */
  spans: Record<string, [number, number]>;
  /** Share of samples in which an autovacuum worker was running in this database. */
  autovacuumShare: number;
}

/** Samples the other client backends of one database until stop(): which statement runs, or whether the client holds an idle transaction. */
export function sampleActivity(url: string, everyMs = 50): { stop(): Promise<ActivityProfile> } {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const counts = new Map<string, number>();
  const spans: Record<string, [number, number]> = {};
  let samples = 0;
  let autovacuum = 0;
  let running = true;
  const t0 = performance.now();
  const loop = (async () => {
    while (running) {
      const all = await sql<{ state: string | null; wait: string | null; query: string; kind: string }[]>`
        SELECT state, wait_event_type AS wait, query, backend_type AS kind FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type IN ('client backend', 'autovacuum worker')`;
      const at = performance.now() - t0;
      if (all.some((r) => r.kind === "autovacuum worker")) autovacuum++;
      const rows = all.filter((r) => r.kind === "client backend");
      const active = rows.filter((r) => r.state === "active");
      let key: string;
      if (active.length > 0) {
        const r = active[0]!;
        const cat = CATEGORIES.find(([, re]) => re.test(r.query))?.[0] ?? `other: ${r.query.replace(/\s+/g, " ").slice(0, 40)}`;
        spans[cat] = [spans[cat]?.[0] ?? at, at];
        key = `${cat} [${r.wait ?? "CPU"}]`;
      } else if (rows.some((r) => r.state === "idle in transaction")) key = "client busy inside the transaction (JS)";
      else key = "no statement running (client outside a transaction)";
      counts.set(key, (counts.get(key) ?? 0) + 1);
      samples++;
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await sql.end({ timeout: 5 });
      const shares = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / Math.max(samples, 1)]));
      return { samples, shares, spans, autovacuumShare: autovacuum / Math.max(samples, 1) };
    },
  };
}

/** Runs `fn` with the sampler on; the sampler is stopped either way. */
async function withActivity<T>(url: string, fn: () => Promise<T>): Promise<[T, ActivityProfile]> {
  const sampler = sampleActivity(url);
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    await sampler.stop().catch(() => {});
    throw e;
  }
  return [result, await sampler.stop()];
}

// ---- ingest ---------------------------------------------------------------------------------

export interface Rate {
  events: number;
  seconds: number;
  eventsPerSec: number;
}

/** Appender.appendBatch in batches of 10,000; each batch's bodies are built just before it (1M bodies at once would not fit nicely). */
export async function ingest(store: EventStore, total: number): Promise<Rate> {
  const appender = new Appender(store, systemMicroClock());
  let written = 0;
  let ms = 0;
  while (written < total) {
    const n = Math.min(MAX_BATCH_EVENTS, total - written);
    const bodies = ingestBodies(n);
    const t0 = performance.now();
    await appender.appendBatch(TENANT, bodies);
    ms += performance.now() - t0;
    written += n;
    if (written % 200_000 === 0) log(`  ingested ${written}`);
  }
  const count = await store.countEvents(TENANT);
  if (count !== total) throw new Error(`ingest: expected ${total} events, found ${count}`);
  return { events: total, seconds: ms / 1000, eventsPerSec: total / (ms / 1000) };
}

// ---- anchoring ------------------------------------------------------------------------------

export interface AnchorRun extends Rate {
  checkpoints: number;
  /** Wall time between successive "checkpoint signed" log lines (first: from the process start). */
  checkpointMs: number[];
  peakRssMb: number;
  stdout: string;
}

function parseCheckpointTimes(stderr: string, startedAtMs: number): number[] {
  const times = stderr.split("\n").flatMap((l) => {
    try {
      const j = JSON.parse(l);
      return j.msg === "checkpoint signed" ? [Date.parse(j.time)] : [];
    } catch {
      return [];
    }
  });
  return times.map((t, i) => t - (i === 0 ? startedAtMs : times[i - 1]!));
}

async function anchorOnce(env: Record<string, string>, events: number, profileDir: string | null): Promise<AnchorRun> {
  const startedAt = Date.now();
  const r = await runLedger(["anchor", "--once"], env, profileDir);
  if (r.code !== 0) throw new Error(`ledger anchor --once exited ${r.code}: ${r.stderr.slice(-2000)}`);
  const m = /anchored (\d+) events in (\d+) checkpoints/.exec(r.stdout);
  if (!m || Number(m[1]) !== events) throw new Error(`ledger anchor --once: expected ${events} events anchored, got: ${r.stdout}`);
  return {
    events, seconds: r.wallMs / 1000, eventsPerSec: events / (r.wallMs / 1000), checkpoints: Number(m[2]),
    checkpointMs: parseCheckpointTimes(r.stderr, startedAt), peakRssMb: r.peakRssMb, stdout: r.stdout.trim(),
  };
}

/** CPU of the anchorer's tree step alone (leaf hashes, nodes, hex, signature) for one 50,000-leaf checkpoint. */
function sealCpu(keyFile: string, leaves: number): { leaves: number; ms: number; usPerLeaf: number } {
  const key = loadSigningKey(loadConfig({ env: { LEDGER__SIGNING__KEYFILE: keyFile } }), { create: false });
  const seal = sealWith(key, () => Date.now() * 1000);
  const events: PendingEvent[] = Array.from({ length: leaves }, (_, i) => ({
    eventId: crypto.randomUUID(), chainId: crypto.randomUUID(), sequence: i + 1,
    eventHash: new Bun.CryptoHasher("sha256").update(String(i)).digest("hex"), recordedAtUs: i,
  }));
  const head = { tenantId: TENANT, treeSize: 0, rootHash: EMPTY_ROOT.slice(), frontier: [] };
  seal(head, events.slice(0, 1000)); // warm-up
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    seal(head, events);
    best = Math.min(best, performance.now() - t0);
  }
  return { leaves, ms: best, usPerLeaf: (best * 1000) / leaves };
}

/** EXPLAIN ANALYZE of the anchorer's pending-events query (a copy of PENDING in src/store/postgres-anchor.ts) before anything is anchored. */
async function explainPending(url: string, limit: number): Promise<{ ms: number; plan: string[] }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql.unsafe<{ "QUERY PLAN": string }[]>(
      `EXPLAIN (ANALYZE, BUFFERS) SELECT e.event_id::text, e.chain_id::text, e.sequence, e.event_hash, e.recorded_at_us, s.xmin::text AS xmin
        FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) s
        JOIN ledger_events e ON e.tenant_id = $1 AND e.tx_id >= $2::xid8 AND e.tx_id < s.xmin
        WHERE NOT EXISTS (SELECT 1 FROM ledger_merkle_leaves l WHERE l.tenant_id = e.tenant_id AND l.event_id = e.event_id)
        ORDER BY e.recorded_at_us, e.chain_id, e.sequence LIMIT $3`, [TENANT, "0", limit]);
    const plan = rows.map((r) => r["QUERY PLAN"]);
    const ms = Number(/Execution Time: ([\d.]+) ms/.exec(plan.join("\n"))?.[1] ?? Number.NaN);
    return { ms, plan };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

// ---- proofs ---------------------------------------------------------------------------------

export interface Latency {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  hashes: number;
}

export function latency(ms: number[], hashes: number): Latency {
  const s = [...ms].sort((a, b) => a - b);
  return { samples: s.length, p50Ms: quantile(s, 0.5), p99Ms: quantile(s, 0.99), maxMs: s[s.length - 1] ?? Number.NaN, meanMs: s.reduce((a, b) => a + b, 0) / s.length, hashes };
}

/** Deterministic pseudo-random integers in [lo, hi]. */
export function rng(seed: number): (lo: number, hi: number) => number {
  let x = seed >>> 0;
  return (lo, hi) => {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
    return lo + Math.floor((x / 2 ** 32) * (hi - lo + 1));
  };
}

export interface ProofLatencies {
  /** What GET /v1/ledger/proofs/inclusion does, in process: leafIndexOf, latestCheckpoint, proveInclusion at the latest size. */
  inclusionLatest: Latency;
  /** The same at a random earlier tree size above the leaf. */
  inclusionHistoric: Latency;
  /** latestCheckpoint + proveConsistency(from random, to latest). */
  consistencyToLatest: Latency;
  /** latestCheckpoint + proveConsistency between two random sizes. */
  consistencyRandom: Latency;
}

async function sampleEventIds(store: EventStore, n: number): Promise<string[]> {
  if (store instanceof PostgresEventStore) {
    const rows = await store.sql.unsafe<{ id: string }[]>("SELECT event_id::text AS id FROM ledger_events WHERE tenant_id = $1 ORDER BY random() LIMIT $2", [TENANT, n]);
    return rows.map((r) => r.id);
  }
  const db = (store as SqliteEventStore).db;
  return db.query<{ id: string }, [string, number]>("SELECT event_id AS id FROM ledger_events WHERE tenant_id = ? ORDER BY random() LIMIT ?").all(TENANT, n).map((r) => r.id);
}

async function proofLatencies(store: EventStore, samples: { inclusion: number; consistency: number }): Promise<ProofLatencies> {
  const anchors: AnchorStore = openAnchorStore(store);
  const ids = await sampleEventIds(store, samples.inclusion + 200);
  const rand = rng(0xc0ffee);
  const timed = async (ops: number, warm: number, op: (i: number) => Promise<number>): Promise<Latency> => {
    const ms: number[] = [];
    let hashes = 0;
    for (let i = 0; i < warm + ops; i++) {
      const t0 = performance.now();
      const h = await op(i);
      if (i >= warm) {
        ms.push(performance.now() - t0);
        hashes += h;
      }
    }
    return latency(ms, hashes / ops);
  };
  const inclusion = (historic: boolean) => async (i: number) => {
    const id = ids[i % ids.length]!;
    const leaf = await anchors.leafIndexOf(TENANT, id);
    const latest = await anchors.latestCheckpoint(TENANT);
    if (leaf === null || latest === null) throw new Error(`event ${id} is not anchored`);
    const size = historic ? rand(leaf + 1, latest.treeSize) : latest.treeSize;
    return (await proveInclusion(anchors, TENANT, leaf, size)).hashes.length;
  };
  const consistency = (toLatest: boolean) => async () => {
    const latest = (await anchors.latestCheckpoint(TENANT))!.treeSize;
    const to = toLatest ? latest : rand(2, latest);
    const from = rand(1, to - 1);
    return (await proveConsistency(anchors, TENANT, from, to)).hashes.length;
  };
  return {
    inclusionLatest: await timed(samples.inclusion, 200, inclusion(false)),
    inclusionHistoric: await timed(samples.consistency, 100, inclusion(true)),
    consistencyToLatest: await timed(samples.consistency, 100, consistency(true)),
    consistencyRandom: await timed(samples.consistency, 100, consistency(false)),
  };
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? ok(port) : fail(new Error("no free port"))));
    });
  });
}

/** GET proofs over HTTP from `dist/ledger serve --no-workers` (1 client, sequential), the whole request timed. */
async function httpProofs(env: Record<string, string>, ids: string[], requests: { inclusion: number; consistency: number }, latestSize: number): Promise<{ inclusion: Latency; consistency: Latency }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc: Subprocess = Bun.spawn([BINARY, "serve", "--no-workers"], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env, LEDGER__HTTP__URL: url, LEDGER__ADMIN__TOKEN: TOKEN },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stderr = new Response(proc.stderr as ReadableStream).text();
  try {
    const t0 = performance.now();
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`ledger serve exited ${proc.exitCode}: ${await stderr}`);
      if (performance.now() - t0 > 30_000) throw new Error("ledger serve not ready after 30 s");
      try {
        const res = await fetch(`${url}/health/ready`);
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch {
        /* not up yet */
      }
      await sleep(20);
    }
    const headers = { Authorization: `Bearer ${TOKEN}`, "X-Stella-Tenant": TENANT };
    const get = async (path: string): Promise<number> => {
      const res = await fetch(`${url}${path}`, { headers });
      const body = (await res.json()) as { hashes?: string[] };
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body)}`);
      return body.hashes!.length;
    };
    const rand = rng(0xbeef);
    const run = async (n: number, warm: number, path: (i: number) => string) => {
      const ms: number[] = [];
      let hashes = 0;
      for (let i = 0; i < warm + n; i++) {
        const t = performance.now();
        const h = await get(path(i));
        if (i >= warm) {
          ms.push(performance.now() - t);
          hashes += h;
        }
      }
      return latency(ms, hashes / n);
    };
    const inclusion = await run(requests.inclusion, 100, (i) => `/v1/ledger/proofs/inclusion?eventId=${ids[i % ids.length]}`);
    const consistency = await run(requests.consistency, 50, () => `/v1/ledger/proofs/consistency?from=${rand(1, latestSize - 1)}&to=${latestSize}`);
    return { inclusion, consistency };
  } finally {
    proc.kill("SIGTERM");
    const done = await Promise.race([proc.exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!done) {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  }
}

// ---- verify ---------------------------------------------------------------------------------

export interface VerifyRun extends Rate {
  /** The CLI's own figure (from its summary line: excludes process start and store open). */
  cliEventsPerSec: number;
  cliSeconds: number;
  peakRssMb: number;
  summary: string;
}

async function verifyCli(env: Record<string, string>, events: number, profileDir: string | null): Promise<VerifyRun> {
  const r = await runLedger(["verify", "--tenant", TENANT], env, profileDir);
  if (r.code !== 0) throw new Error(`ledger verify exited ${r.code}: ${r.stdout.slice(-2000)} ${r.stderr.slice(-2000)}`);
  const m = /verified 1 tenants, (\d+) events in ([\d.]+)s \((\d+) events\/s\)/.exec(r.stdout);
  if (!m || Number(m[1]) !== events) throw new Error(`ledger verify: unexpected output ${r.stdout}`);
  return {
    events, seconds: r.wallMs / 1000, eventsPerSec: events / (r.wallMs / 1000), cliSeconds: Number(m[2]), cliEventsPerSec: Number(m[3]),
    peakRssMb: r.peakRssMb, summary: r.stdout.trim().split("\n").join(" | "),
  };
}

/** verifyTenant in process with a progress hook: how the time splits between the event pass and the tree pass. */
async function verifyPhases(store: EventStore, keyFile: string): Promise<{ eventsPhaseS: number; treePhaseS: number; totalS: number; ok: boolean }> {
  const key = loadSigningKey(loadConfig({ env: { LEDGER__SIGNING__KEYFILE: keyFile } }), { create: false });
  const t0 = performance.now();
  let treeAt = Number.NaN;
  const report = await verifyTenant(openAnchorStore(store), TENANT, {
    verifiers: [key.verifier],
    progress: (p: VerifyProgress) => {
      if (p.phase === "tree" && Number.isNaN(treeAt)) treeAt = performance.now();
    },
  });
  const end = performance.now();
  // The first "tree" tick comes after the first leaf page: close enough at 5,000 leaves a page.
  return { eventsPhaseS: (treeAt - t0) / 1000, treePhaseS: (end - treeAt) / 1000, totalS: (end - t0) / 1000, ok: report.ok };
}

/**
 * The verifier's CPU work per event with no store at all: the event pass (ChainVerifier.push:
 * canonical form, SHA-256, leaf hash) and the tree pass (leaf hash, CompactRange.append, node
 * comparison, as verifyTree does), over events as a store returns them (fresh payload objects,
 * so the canonical-payload cache cannot hit). Best of 3; the ceiling of one core.
 */
export function verifyCpuFloor(n: number): { events: number; eventPassUs: number; treePassUs: number; eventsPerSec: number } {
  const rows = linkedRows(TENANT, ingestBodies(n)) as unknown as ChainedEvent[];
  const stored: Uint8Array[] = [];
  const r0 = CompactRange.empty();
  for (const e of rows) {
    const nodes = r0.append(hashLeaf(hashFromHex(e.eventHash)));
    const b = new Uint8Array(HASH_SIZE * nodes.length);
    nodes.forEach((x, k) => b.set(x.hash, HASH_SIZE * k));
    stored.push(b);
  }
  let eventBest = Number.POSITIVE_INFINITY;
  let treeBest = Number.POSITIVE_INFINITY;
  for (let rep = 0; rep < 3; rep++) {
    const fresh = JSON.parse(JSON.stringify(rows)) as ChainedEvent[];
    let t0 = performance.now();
    let chain: ChainVerifier | null = null;
    let failures = 0;
    for (const e of fresh) {
      if (chain === null || chain.chainId !== e.chainId) {
        failures += chain?.failures.length ?? 0;
        chain = new ChainVerifier(TENANT, e.chainId);
      }
      chain.push(e);
    }
    failures += chain?.failures.length ?? 0;
    eventBest = Math.min(eventBest, performance.now() - t0);
    if (failures > 0) throw new Error(`verify floor: ${failures} chain failures on good data`);
    t0 = performance.now();
    const range = CompactRange.empty();
    for (let i = 0; i < fresh.length; i++) {
      const s = stored[i]!;
      if (!bytesEqual(hashLeaf(hashFromHex(fresh[i]!.eventHash)), s.subarray(0, HASH_SIZE))) throw new Error("leaf mismatch");
      const nodes = range.append(s.subarray(0, HASH_SIZE));
      if (!(s.length === HASH_SIZE * nodes.length && nodes.every((x, k) => bytesEqual(x.hash, s.subarray(HASH_SIZE * k, HASH_SIZE * (k + 1)))))) throw new Error("node mismatch");
    }
    treeBest = Math.min(treeBest, performance.now() - t0);
  }
  const eventPassUs = (eventBest * 1000) / n;
  const treePassUs = (treeBest * 1000) / n;
  return { events: n, eventPassUs, treePassUs, eventsPerSec: 1e6 / (eventPassUs + treePassUs) };
}

// ---- the scenarios --------------------------------------------------------------------------

export interface StoreSizes {
  pgEvents: number;
  embeddedEvents: number;
  inclusionSamples: number;
  consistencySamples: number;
  httpInclusion: number;
  httpConsistency: number;
}

export function newKeyFile(dir: string): string {
  const path = join(dir, "signing.key");
  writeFileSync(path, generateSigningKeyPem(), { mode: 0o600 });
  return path;
}

export async function postgresScenario(sizes: StoreSizes, profileDir: string | null) {
  const n = sizes.pgEvents;
  const work = mkdtempSync(join(tmpdir(), "ledger-bench-merkle-pg-"));
  const keyFile = newKeyFile(work);
  const db = await freshDatabase();
  const env = ledgerEnv({ pgUrl: db.url, dataDir: work, keyFile });
  try {
    let store = PostgresEventStore.open(db.url);
    await store.migrations.up();
    log(`PostgreSQL: ingesting ${n} events (appendBatch, 10k per batch)`);
    const ingestRun = await ingest(store, n);
    log(`  ingest ${ingestRun.eventsPerSec.toFixed(0)}/s`);
    await store.sql.unsafe("ANALYZE ledger_events");
    await store.close();
    await checkpoint();
    const pending = await explainPending(db.url, 50_001);
    log(`  pending query over ${n} unanchored events: ${pending.ms.toFixed(0)} ms`);
    const seal = sealCpu(keyFile, 50_000);
    log(`  seal CPU: ${seal.usPerLeaf.toFixed(2)} us/leaf`);

    log(`PostgreSQL: ledger anchor --once (${n} pending)`);
    const [anchor, anchorActivity] = await withActivity(db.url, () => anchorOnce(env, n, profileDir));
    log(`  anchor ${anchor.eventsPerSec.toFixed(0)} events/s, ${anchor.checkpoints} checkpoints`);
    // The same query once every event is a leaf (horizon 0, as in every pass of a drain): the last pass's cost.
    const pendingAfter = await explainPending(db.url, 50_001);
    log(`  pending query with every event a leaf: ${pendingAfter.ms.toFixed(0)} ms`);
    await checkpoint();

    store = PostgresEventStore.open(db.url);
    let proofs: ProofLatencies;
    let proofActivity: ActivityProfile;
    let ids: string[];
    let latestSize: number;
    try {
      log("PostgreSQL: proof latency (in process)");
      [proofs, proofActivity] = await withActivity(db.url, () => proofLatencies(store, { inclusion: sizes.inclusionSamples, consistency: sizes.consistencySamples }));
      log(`  inclusion p99 ${proofs.inclusionLatest.p99Ms.toFixed(2)} ms, consistency p99 ${proofs.consistencyToLatest.p99Ms.toFixed(2)} ms`);
      ids = await sampleEventIds(store, sizes.httpInclusion + 100);
      latestSize = (await openAnchorStore(store).latestCheckpoint(TENANT))!.treeSize;
    } finally {
      await store.close();
    }
    log("PostgreSQL: proof latency over HTTP (dist/ledger serve --no-workers)");
    const http = await httpProofs(env, ids, { inclusion: sizes.httpInclusion, consistency: sizes.httpConsistency }, latestSize);
    log(`  HTTP inclusion p99 ${http.inclusion.p99Ms.toFixed(2)} ms, consistency p99 ${http.consistency.p99Ms.toFixed(2)} ms`);

    await checkpoint();
    log(`PostgreSQL: ledger verify --tenant ${TENANT}`);
    const [verify, verifyActivity] = await withActivity(db.url, () => verifyCli(env, n, profileDir));
    log(`  verify ${verify.cliEventsPerSec} events/s (CLI figure), ${verify.eventsPerSec.toFixed(0)}/s wall`);
    return { events: n, ingest: ingestRun, pendingQuery: pending, pendingQueryAfter: pendingAfter, sealCpu: seal, anchor, anchorActivity, proofs, proofActivity: proofActivity!, http, verify, verifyActivity };
  } finally {
    await db.drop();
    rmSync(work, { recursive: true, force: true });
  }
}

export async function embeddedScenario(sizes: StoreSizes, profileDir: string | null) {
  const n = sizes.embeddedEvents;
  const work = mkdtempSync(join(tmpdir(), "ledger-bench-merkle-emb-"));
  const keyFile = newKeyFile(work);
  const dataDir = join(work, "data");
  const env = ledgerEnv({ dataDir, keyFile });
  try {
    let store = SqliteEventStore.open({ dataDir });
    await store.migrations.up();
    log(`embedded: ingesting ${n} events`);
    const ingestRun = await ingest(store, n);
    await store.close();
    log(`embedded: ledger anchor --once (${n} pending)`);
    const anchor = await anchorOnce(env, n, profileDir);
    log(`  anchor ${anchor.eventsPerSec.toFixed(0)} events/s`);
    log(`embedded: ledger verify --tenant ${TENANT}`);
    const verify = await verifyCli(env, n, profileDir);
    log(`  verify ${verify.cliEventsPerSec} events/s (CLI figure)`);
    store = SqliteEventStore.open({ dataDir });
    try {
      const phases = await verifyPhases(store, keyFile);
      log(`  in process: events pass ${phases.eventsPhaseS.toFixed(2)} s, tree pass ${phases.treePhaseS.toFixed(2)} s`);
      const proofs = await proofLatencies(store, { inclusion: Math.min(sizes.inclusionSamples, 1000), consistency: Math.min(sizes.consistencySamples, 500) });
      log(`  inclusion p99 ${proofs.inclusionLatest.p99Ms.toFixed(2)} ms`);
      return { events: n, ingest: ingestRun, anchor, verify, verifyPhases: phases, proofs };
    } finally {
      await store.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

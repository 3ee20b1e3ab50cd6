// `bun run test/bench/projection.ts [--quick] [--out FILE]`: the projector's benchmark (issue 4): lag under 16 writers, apply throughput, `ledger project --rebuild` at two sizes.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Appender, MAX_BATCH_EVENTS } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { EventStore } from "../../src/store/port.ts";
import { PostgresEventStore } from "../../src/store/postgres.ts";
import { openProjectionStore, type ProjectionStore } from "../../src/store/projection-port.ts";
import { SqliteEventStore } from "../../src/store/sqlite.ts";
import { Projector } from "../../src/workers/projector.ts";
import { freshDatabase, stopTestPostgres } from "../support/pg.ts";
import { emptySamples, fdatasyncLatency, processMemory, sampleClients, sleep, summarize, type LatencyRun, type Op } from "./measure.ts";
import { checkpoint, serverFacts } from "./postgres.ts";
import { batchSummary, instrument, LagRecorder, lagOf, lagSummary, nowUs, type LagSummary } from "./projection-lag.ts";
import { ClientStreams, ingestBodies, TENANT } from "./workload.ts";

const ROOT = resolve(import.meta.dir, "../..");
const DIST = join(ROOT, "dist/ledger");
const { values: flags } = parseArgs({ options: { quick: { type: "boolean" }, out: { type: "string" } } });
const quick = !!flags.quick;
const out = resolve(flags.out ?? join(tmpdir(), quick ? "ledger-bench-projection-quick.json" : "ledger-bench-projection.json"));

const SIZES = quick
  ? { lagSeconds: 6, baselineSeconds: 2, backlog: 20_000, rebuildSmall: 20_000, rebuildLarge: 60_000, probeWritesPerSec: 50, windowS: 2 }
  : { lagSeconds: 60, baselineSeconds: 10, backlog: 250_000, rebuildSmall: 250_000, rebuildLarge: 1_000_000, probeWritesPerSec: 50, windowS: 10 };
const WRITERS = 16;
const PROBE_TENANT = "probe";
const LAG_GOAL_MS = 1_000;
const LAG_SEED_MS = 30_000;

const t0 = performance.now();
const log = (s: string) => void process.stderr.write(`[projection ${((performance.now() - t0) / 1000).toFixed(1)}s] ${s}\n`);
const load = () => loadavg().map((l) => Math.round(l * 100) / 100);
const sh = (cmd: string[]) => Bun.spawnSync(cmd, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] }).stdout.toString().trim();
const quietLog = createLogger({ level: "warn" });

// ---------------------------------------------------------------- the binary

function newestUnder(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

/**
 * dist/ledger when it is newer than every file under src/ and sql/; `bun run build` when it is
 * missing; when it is stale, a private build of the working tree in a temp dir (the same
 * Bun.build options as .ci/build.ts), so a binary other people's tests may be running is not
 * replaced under them.
 */
async function projectBinary(): Promise<{ path: string; origin: string; version: string; cleanup: () => void }> {
  let path = DIST;
  let origin = "dist/ledger (newer than src/ and sql/)";
  let cleanup = () => {};
  if (!existsSync(DIST)) {
    const build = Bun.spawn(["bun", "run", "build"], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
    if ((await build.exited) !== 0) throw new Error("bun run build failed");
    origin = "dist/ledger, built by this run";
  } else if (statSync(DIST).mtimeMs < Math.max(newestUnder(join(ROOT, "src")), newestUnder(join(ROOT, "sql")))) {
    const dir = mkdtempSync(join(tmpdir(), "ledger-bench-bin-"));
    path = join(dir, "ledger");
    const r = await Bun.build({
      entrypoints: [join(ROOT, "src/main.ts")],
      compile: { outfile: path },
      minify: { syntax: true, whitespace: true, identifiers: false },
      sourcemap: "none",
      define: { LEDGER_BUILD_COMMIT: JSON.stringify(`${sh(["git", "rev-parse", "--short=12", "HEAD"])}-bench`), LEDGER_BUILD_TIME: JSON.stringify(new Date().toISOString()) },
    });
    if (!r.success) throw new Error(`private build failed: ${r.logs.join("\n")}`);
    origin = "private build of the working tree (dist/ledger was older than src/)";
    cleanup = () => rmSync(dir, { recursive: true, force: true });
  }
  const version = sh([path, "version"]).split("\n").join("; ");
  return { path, origin, version, cleanup };
}

// ---------------------------------------------------------------- shared steps

async function waitApplied(projection: ProjectionStore, tenantId: string, target: number, timeoutS: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    const ck = await projection.checkpoint(tenantId);
    if ((ck?.eventsApplied ?? 0) >= target) return (performance.now() - start) / 1000;
    if (performance.now() - start > timeoutS * 1000) throw new Error(`projection of ${tenantId} did not reach ${target} events in ${timeoutS} s (at ${ck?.eventsApplied ?? 0})`);
    await sleep(10);
  }
}

/** appendBatch of `total` events, 10,000 per call, findings of 10 events. */
async function writeBacklog(appender: Appender, tenantId: string, total: number): Promise<{ events: number; seconds: number; eventsPerSec: number }> {
  const start = performance.now();
  for (let done = 0; done < total; done += MAX_BATCH_EVENTS) await appender.appendBatch(tenantId, ingestBodies(Math.min(MAX_BATCH_EVENTS, total - done)));
  const seconds = (performance.now() - start) / 1000;
  return { events: total, seconds, eventsPerSec: total / seconds };
}

const inRun = (samples: Array<[number, number]>, fromUs: number) => samples.filter(([at]) => at >= fromUs).map(([, lag]) => lag);

// ---------------------------------------------------------------- lag under 16 writers

type LagSetup = "postgres, projector in its own process" | "postgres, projector in the writers' process" | "embedded, projector in the writers' process";

export interface LagRun {
  setup: LagSetup;
  baseline: LatencyRun | null;
  writers: LatencyRun;
  lag: ReturnType<typeof lagOf>;
  /** The ApplySample lags (last event of each batch), as the metrics will report them. */
  sampleLag: LagSummary;
  batches: ReturnType<typeof batchSummary>;
  /** From the writers' stop to the projection holding every event. */
  drainAfterStopS: number;
  projectorPeakRssMb: number | null;
  loadavg: number[][];
}

async function lagRun(setup: LagSetup, baselineSeconds: number): Promise<LagRun> {
  const pg = setup.startsWith("postgres");
  const db = pg ? await freshDatabase() : null;
  const dir = pg ? null : mkdtempSync(join(tmpdir(), "ledger-bench-projection-"));
  const store: EventStore = db ? PostgresEventStore.open(db.url) : SqliteEventStore.open({ dataDir: dir! });
  await store.migrations.up();
  const projection = openProjectionStore(store);
  const appender = new Appender(store, systemMicroClock());
  const streams = new ClientStreams();
  const counters = new Array(WRITERS).fill(0);
  const op: Op = async (c, n) => void (await appender.appendOne(TENANT, streams.next(c, n).body));
  const loads = [load()];
  let worker: ReturnType<typeof Bun.spawn> | null = null;
  let projector: Projector | null = null;
  const workerOut = join(tmpdir(), `ledger-bench-projector-${process.pid}-${Date.now()}.json`);
  try {
    if (pg) await checkpoint();
    let baseline: LatencyRun | null = null;
    if (baselineSeconds > 0) {
      const s = emptySamples();
      await sampleClients(WRITERS, baselineSeconds, op, counters, s);
      baseline = summarize(WRITERS, s);
      log(`  ${setup}: baseline without a projector ${baseline.eventsPerSec.toFixed(0)}/s, p99 ${baseline.p99Ms.toFixed(1)} ms`);
    } else {
      await sampleClients(WRITERS, 1, op, counters, emptySamples()); // warm-up
    }

    const rec = new LagRecorder();
    const samples: Array<[number, number]> = [];
    if (setup === "postgres, projector in its own process") {
      worker = Bun.spawn([process.execPath, join(import.meta.dir, "projection-worker.ts"), db!.url, workerOut], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
      const reader = (worker.stdout as ReadableStream<Uint8Array>).getReader();
      for (let text = ""; !text.includes("ready"); ) {
        const { value, done } = await reader.read();
        if (done) throw new Error("projection worker exited before it was ready");
        text += new TextDecoder().decode(value);
      }
      reader.releaseLock();
    } else {
      projector = new Projector({ projection: instrument(projection, rec), appender, log: quietLog, onApplied: (s) => void samples.push([nowUs(), s.lagSeconds * 1000]) });
      projector.start();
    }
    // The projector catches up on the warm-up/baseline events before the measured run begins.
    await waitApplied(projection, TENANT, await store.countEvents(TENANT), 120);
    if (pg) await checkpoint();
    loads.push(load());

    const fromUs = nowUs();
    const s = emptySamples();
    await sampleClients(WRITERS, SIZES.lagSeconds, op, counters, s);
    const toUs = nowUs();
    const writers = summarize(WRITERS, s);
    const drainAfterStopS = await waitApplied(projection, TENANT, await store.countEvents(TENANT), 300);
    loads.push(load());

    let data: { tenants: string[]; recordedUs: number[]; appliedUs: number[]; batches: Array<{ events: number; ms: number }> } = rec;
    let sampleLags = samples;
    let projectorPeakRssMb: number | null = null;
    if (worker) {
      worker.kill("SIGTERM");
      await worker.exited;
      worker = null;
      const w = JSON.parse(readFileSync(workerOut, "utf8"));
      if (w.problems.length > 0) throw new Error(`projection worker: ${w.problems.join("; ")}`);
      data = w;
      sampleLags = w.sampleLagsMs;
      projectorPeakRssMb = w.peakRssMb;
    } else {
      await projector!.stop();
      if (projector!.problems().length > 0) throw new Error(`projector: ${projector!.problems().join("; ")}`);
      projector = null;
    }
    const firstBatch = data.appliedUs.findIndex((a) => a >= fromUs);
    const runBatches = (() => {
      // Batches applied from the start of the run on (the catch-up before it is excluded).
      let seen = 0;
      const out: Array<{ events: number; ms: number }> = [];
      for (const b of data.batches) {
        if (seen >= firstBatch && firstBatch >= 0) out.push(b);
        seen += b.events;
      }
      return out;
    })();
    const r: LagRun = {
      setup,
      baseline,
      writers,
      lag: lagOf(data, TENANT, fromUs, toUs, SIZES.windowS),
      sampleLag: lagSummary(inRun(sampleLags, fromUs)),
      batches: batchSummary(runBatches),
      drainAfterStopS,
      projectorPeakRssMb,
      loadavg: loads,
    };
    log(`  ${setup}: writers ${writers.eventsPerSec.toFixed(0)}/s (p99 ${writers.p99Ms.toFixed(1)} ms); lag p50 ${r.lag.p50Ms.toFixed(0)} ms, p99 ${r.lag.p99Ms.toFixed(0)} ms, max ${r.lag.maxMs.toFixed(0)} ms over ${r.lag.events} events; ${r.batches.batches} batches of ${r.batches.meanEvents.toFixed(1)} events`);
    return r;
  } finally {
    if (worker) {
      worker.kill("SIGKILL");
      await worker.exited;
    }
    await projector?.stop();
    rmSync(workerOut, { force: true });
    await store.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- apply throughput

interface ApplyRun {
  driver: string;
  written: { events: number; seconds: number; eventsPerSec: number };
  events: number;
  seconds: number;
  eventsPerSec: number;
  batches: ReturnType<typeof batchSummary>;
  /** Mean ms per 500-event batch in the first and the last tenth of the drain: does a batch get dearer as the table grows? */
  firstTenthMs: number;
  lastTenthMs: number;
}

async function drainBacklog(driver: string, store: EventStore, written: ApplyRun["written"]): Promise<ApplyRun> {
  const rec = new LagRecorder();
  const projector = new Projector({ projection: instrument(openProjectionStore(store), rec), appender: null, log: quietLog });
  const start = performance.now();
  const events = await projector.drain();
  const seconds = (performance.now() - start) / 1000;
  if (projector.problems().length > 0) throw new Error(`apply: ${projector.problems().join("; ")}`);
  if (events !== written.events) throw new Error(`apply: ${events} events applied, ${written.events} written`);
  const tenth = Math.max(1, Math.floor(rec.batches.length / 10));
  const mean = (xs: Array<{ ms: number }>) => xs.reduce((a, b) => a + b.ms, 0) / xs.length;
  const r = { driver, written, events, seconds, eventsPerSec: events / seconds, batches: batchSummary(rec.batches), firstTenthMs: mean(rec.batches.slice(0, tenth)), lastTenthMs: mean(rec.batches.slice(-tenth)) };
  log(`  apply ${driver}: ${events} events in ${seconds.toFixed(1)} s = ${r.eventsPerSec.toFixed(0)}/s (batch ${r.firstTenthMs.toFixed(1)} ms first tenth, ${r.lastTenthMs.toFixed(1)} ms last tenth)`);
  return r;
}

// ---------------------------------------------------------------- rebuild through the binary

export interface RebuildRun {
  events: number;
  findings: number;
  wallSeconds: number;
  /** As `ledger project --rebuild` prints them. */
  reportedSeconds: number;
  reportedEventsPerSec: number;
  reportedPeakRssMiB: number;
  /** The kernel's maximum resident set size of the process (wait4 rusage via /usr/bin/time -f %M), MiB. */
  peakRssMiB: number;
  /** Highest VmRSS polled from /proc every 50 ms in each quarter of the run (MiB): flat = memory does not grow with progress. */
  rssByQuarterMiB: number[];
  verdict: string;
  loadavg: number[];
}

const TIME = "/usr/bin/time";

/** The pid of the only child of `pid` (the binary under /usr/bin/time), once it exists. */
function childOf(pid: number): number | null {
  try {
    const c = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return c ? Number(c.split(/\s+/)[0]) : null;
  } catch {
    return null;
  }
}

/**
 * `ledger project --rebuild --tenant bench` under /usr/bin/time. Its own "peak RSS" comes from
 * getrusage's ru_maxrss, which on Linux keeps the high-water mark of the image the process had
 * before exec: spawned straight from this (large) bench process it printed this process's RSS.
 * /usr/bin/time is small, so the maxrss it reports for its child is the binary's own.
 */
async function runRebuild(bin: string, env: Record<string, string>): Promise<RebuildRun> {
  if (!existsSync(TIME)) throw new Error(`${TIME} is needed to read the rebuild's peak RSS`);
  const start = performance.now();
  const proc = Bun.spawn([TIME, "-f", "ledger-bench-maxrss-kb %M", bin, "project", "--rebuild", "--tenant", TENANT], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout = new Response(proc.stdout).text();
  const stderr = new Response(proc.stderr).text();
  const series: Array<[number, number]> = [];
  let child: number | null = null;
  const timer = setInterval(() => {
    child ??= childOf(proc.pid);
    if (child === null) return;
    try {
      const m = processMemory(child);
      if (Number.isFinite(m.rssMb)) series.push([performance.now() - start, m.rssMb]);
    } catch {
      /* exited between polls */
    }
  }, 50);
  const code = await proc.exited;
  clearInterval(timer);
  const wallSeconds = (performance.now() - start) / 1000;
  const text = await stdout;
  const err = await stderr;
  if (code !== 0) throw new Error(`ledger project --rebuild exited ${code}: ${text}${err}`);
  const total = /rebuilt \d+ tenants: (\d+) events, (\d+) findings in ([\d.]+)s \((\d+) events\/s, peak RSS (\d+) MiB\)/.exec(text);
  const tenant = /^tenant \S+: .*checksum \S+ \((.*); [\d.]+s\)$/m.exec(text);
  const maxrss = /ledger-bench-maxrss-kb (\d+)/.exec(err);
  if (!total || !tenant || !maxrss) throw new Error(`unexpected rebuild output: ${text}${err}`);
  const span = wallSeconds * 1000;
  const quarters = [0, 1, 2, 3].map((q) => Math.max(0, ...series.filter(([t]) => t >= (q * span) / 4 && t < ((q + 1) * span) / 4).map(([, m]) => m)));
  const r: RebuildRun = {
    events: Number(total[1]),
    findings: Number(total[2]),
    wallSeconds,
    reportedSeconds: Number(total[3]),
    reportedEventsPerSec: Number(total[4]),
    reportedPeakRssMiB: Number(total[5]),
    peakRssMiB: Number(maxrss[1]) / 1024,
    rssByQuarterMiB: quarters,
    verdict: tenant[1]!,
    loadavg: load(),
  };
  log(`  rebuild: ${r.events} events in ${r.reportedSeconds} s = ${r.reportedEventsPerSec}/s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB (it printed ${r.reportedPeakRssMiB} MiB; VmRSS by quarter ${quarters.map((q) => q.toFixed(0)).join("/")} MiB); ${r.verdict}`);
  return r;
}

/**
 * A light writer on another tenant (with an in-process projector) while a rebuild runs: on
 * PostgreSQL the rebuild is one long transaction holding an xid, so pg_snapshot_xmin stays at
 * or below it and no projector in the cluster applies anything committed after it began.
 */
async function rebuildWithProbe(bin: string, env: Record<string, string>, store: EventStore): Promise<{ rebuild: RebuildRun; probeWrites: number; before: LagSummary; during: LagSummary; after: LagSummary }> {
  const rec = new LagRecorder();
  const projection = openProjectionStore(store);
  const projector = new Projector({ projection: instrument(projection, rec), appender: null, log: quietLog });
  const appender = new Appender(store, systemMicroClock());
  const streams = new ClientStreams();
  let stop = false;
  let writes = 0;
  const writer = (async () => {
    for (let n = 0; !stop; n++) {
      await appender.appendOne(PROBE_TENANT, streams.next(0, n).body);
      writes++;
      await sleep(1000 / SIZES.probeWritesPerSec);
    }
  })();
  projector.start();
  try {
    await sleep(3000);
    const begin = nowUs();
    const rebuild = await runRebuild(bin, env);
    const end = nowUs();
    await sleep(3000);
    stop = true;
    await writer;
    await waitApplied(projection, PROBE_TENANT, writes, 60);
    const of = (a: number, b: number): LagSummary => {
      const { windows: _, ...s } = lagOf(rec, PROBE_TENANT, a, b);
      return s;
    };
    const res = { rebuild, probeWrites: writes, before: of(begin - 2.5e6, begin), during: of(begin, end), after: of(end, end + 2.5e6) };
    log(`  probe tenant during the rebuild: lag max ${res.during.maxMs.toFixed(0)} ms (p50 ${res.during.p50Ms.toFixed(0)} ms) vs ${res.before.maxMs.toFixed(0)} ms before`);
    return res;
  } finally {
    stop = true;
    await writer.catch(() => {});
    await projector.stop();
  }
}

// ---------------------------------------------------------------- main

async function main() {
  const meta = {
    date: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    sizes: SIZES,
    writers: WRITERS,
    commit: sh(["git", "rev-parse", "--short=12", "HEAD"]),
    uncommitted: sh(["git", "status", "--porcelain", "--untracked-files=no"]).split("\n").filter(Boolean),
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? "?"}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    bun: Bun.version,
    loadavgStart: load(),
    loadavgEnd: [] as number[],
    fdatasyncStart: fdatasyncLatency(),
    fdatasyncEnd: { p50Ms: 0, p99Ms: 0 },
    postgres: {} as Record<string, string>,
    binary: { origin: "", version: "" },
    seconds: 0,
  };
  log(`mode ${meta.mode}; load average ${meta.loadavgStart.join(" ")}`);
  const bin = await projectBinary();
  meta.binary = { origin: bin.origin, version: bin.version };
  log(`binary: ${bin.origin}: ${bin.version}`);
  meta.postgres = await serverFacts();
  try {
    log(`lag: ${WRITERS} writers (appendOne) for ${SIZES.lagSeconds} s`);
    const lagPgProcess = await lagRun("postgres, projector in its own process", SIZES.baselineSeconds);
    const lagPgInProcess = await lagRun("postgres, projector in the writers' process", 0);
    const lagEmbedded = await lagRun("embedded, projector in the writers' process", SIZES.baselineSeconds);

    log(`apply + rebuild, PostgreSQL: ${SIZES.backlog} events, then ${SIZES.rebuildLarge}`);
    const db = await freshDatabase();
    const store = PostgresEventStore.open(db.url);
    let pg: { apply: ApplyRun; rebuildSmall: RebuildRun; probed: Awaited<ReturnType<typeof rebuildWithProbe>>; grow: ApplyRun["written"]; rebuildLarge: RebuildRun };
    try {
      await store.migrations.up();
      const appender = new Appender(store, systemMicroClock());
      await checkpoint();
      const written = await writeBacklog(appender, TENANT, SIZES.backlog);
      log(`  wrote ${written.events} events at ${written.eventsPerSec.toFixed(0)}/s`);
      await checkpoint();
      const apply = await drainBacklog("postgres", store, written);
      const env = { LEDGER__DB__CONNECTIONSTRING: db.url };
      await checkpoint();
      const rebuildSmall = await runRebuild(bin.path, env);
      await checkpoint();
      const probed = await rebuildWithProbe(bin.path, env, store);
      const grow = await writeBacklog(appender, TENANT, SIZES.rebuildLarge - SIZES.rebuildSmall);
      log(`  wrote ${grow.events} more events at ${grow.eventsPerSec.toFixed(0)}/s`);
      await checkpoint();
      const rebuildLarge = await runRebuild(bin.path, env);
      pg = { apply, rebuildSmall, probed, grow, rebuildLarge };
    } finally {
      await store.close();
      await db.drop();
    }

    log(`apply + rebuild, embedded: ${SIZES.backlog} events`);
    const dir = mkdtempSync(join(tmpdir(), "ledger-bench-projection-"));
    let emb: { apply: ApplyRun; rebuild: RebuildRun };
    try {
      const e = SqliteEventStore.open({ dataDir: dir });
      let apply: ApplyRun;
      try {
        await e.migrations.up();
        const written = await writeBacklog(new Appender(e, systemMicroClock()), TENANT, SIZES.backlog);
        log(`  wrote ${written.events} events at ${written.eventsPerSec.toFixed(0)}/s`);
        apply = await drainBacklog("embedded", e, written);
      } finally {
        await e.close();
      }
      emb = { apply, rebuild: await runRebuild(bin.path, { LEDGER__DATA__DIR: dir }) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    meta.fdatasyncEnd = fdatasyncLatency();
    meta.loadavgEnd = load();
    meta.seconds = (performance.now() - t0) / 1000;

    const lagRuns = [lagPgProcess, lagPgInProcess, lagEmbedded];
    const rssRatio = pg.rebuildLarge.peakRssMiB / pg.rebuildSmall.peakRssMiB;
    const targets = [
      ...lagRuns.map((r) => ({ name: `lag p99, ${r.setup} (goal)`, measured: `${r.lag.p99Ms.toFixed(0)} ms at ${r.writers.eventsPerSec.toFixed(0)} writes/s`, bound: `< ${LAG_GOAL_MS} ms`, pass: r.lag.p99Ms < LAG_GOAL_MS })),
      ...lagRuns.map((r) => ({ name: `lag p99, ${r.setup} (seed requirement)`, measured: `${r.lag.p99Ms.toFixed(0)} ms`, bound: `< ${LAG_SEED_MS} ms`, pass: r.lag.p99Ms < LAG_SEED_MS })),
      {
        name: `rebuild peak RSS bounded (${SIZES.rebuildLarge.toLocaleString("en-US")} vs ${SIZES.rebuildSmall.toLocaleString("en-US")} events, PostgreSQL)`,
        measured: `${pg.rebuildLarge.peakRssMiB.toFixed(0)} vs ${pg.rebuildSmall.peakRssMiB.toFixed(0)} MiB (${rssRatio.toFixed(2)}x for ${(SIZES.rebuildLarge / SIZES.rebuildSmall).toFixed(0)}x the events)`,
        bound: "<= 1.2x",
        pass: rssRatio <= 1.2,
      },
      {
        name: "rebuild during live writes: another tenant's lag (PostgreSQL)",
        measured: `max ${(pg.probed.during.maxMs / 1000).toFixed(1)} s during a ${pg.probed.rebuild.wallSeconds.toFixed(1)} s rebuild`,
        bound: `p99 < ${LAG_GOAL_MS} ms`,
        pass: pg.probed.during.p99Ms < LAG_GOAL_MS,
      },
    ];
    const result = { meta, lag: lagRuns, apply: { postgres: pg.apply, embedded: emb.apply }, rebuild: { postgres: { small: pg.rebuildSmall, large: pg.rebuildLarge, grow: pg.grow, duringLiveWrites: pg.probed }, embedded: emb.rebuild }, targets };
    writeFileSync(out, `${JSON.stringify(result, (_k, v) => (typeof v === "number" && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v), 2)}\n`);

    const n = (v: number, d = 0) => v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
    const lines = [
      `${"lag run".padEnd(46)} ${"writes/s".padStart(8)} ${"base/s".padStart(7)} ${"w p99".padStart(6)} ${"lag p50".padStart(8)} ${"p90".padStart(6)} ${"p99".padStart(6)} ${"max".padStart(6)} ${"events".padStart(8)} ${"batch".padStart(6)} ${"drain s".padStart(7)}`,
      ...lagRuns.map((r) =>
        `${r.setup.padEnd(46)} ${n(r.writers.eventsPerSec).padStart(8)} ${(r.baseline ? n(r.baseline.eventsPerSec) : "").padStart(7)} ${n(r.writers.p99Ms, 1).padStart(6)} ${n(r.lag.p50Ms).padStart(8)} ${n(r.lag.p90Ms).padStart(6)} ${n(r.lag.p99Ms).padStart(6)} ${n(r.lag.maxMs).padStart(6)} ${n(r.lag.events).padStart(8)} ${n(r.batches.meanEvents, 1).padStart(6)} ${n(r.drainAfterStopS, 2).padStart(7)}`),
      ...lagRuns.map((r) => `  ${r.setup}: lag p99 per ${SIZES.windowS} s window ${r.lag.windows.map((w) => n(w.p99Ms)).join(" / ")} ms; ApplySample lag p50 ${n(r.sampleLag.p50Ms)} p99 ${n(r.sampleLag.p99Ms)} ms`),
      "",
      ...[pg.apply, emb.apply].map((a) => `apply ${a.driver}: ${n(a.events)} events (written at ${n(a.written.eventsPerSec)}/s) applied in ${n(a.seconds, 1)} s = ${n(a.eventsPerSec)} events/s; batch p50 ${n(a.batches.p50Ms, 1)} ms, first/last tenth ${n(a.firstTenthMs, 1)}/${n(a.lastTenthMs, 1)} ms`),
      "",
      ...([["PostgreSQL", pg.rebuildSmall], ["PostgreSQL", pg.rebuildLarge], ["embedded", emb.rebuild]] as const).map(([d, r]) =>
        `rebuild ${d} ${n(r.events)} events: ${n(r.reportedSeconds, 1)} s, ${n(r.reportedEventsPerSec)} events/s, peak RSS ${n(r.peakRssMiB)} MiB (printed ${r.reportedPeakRssMiB}; VmRSS by quarter ${r.rssByQuarterMiB.map((q) => n(q)).join("/")} MiB); ${r.verdict}`),
      `rebuild PostgreSQL ${n(pg.probed.rebuild.events)} events with a ${SIZES.probeWritesPerSec}/s writer on tenant ${PROBE_TENANT}: ${n(pg.probed.rebuild.reportedEventsPerSec)} events/s; ${PROBE_TENANT} lag p50/max ${n(pg.probed.before.p50Ms)}/${n(pg.probed.before.maxMs)} ms before, ${n(pg.probed.during.p50Ms)}/${n(pg.probed.during.maxMs)} ms during, ${n(pg.probed.after.p50Ms)}/${n(pg.probed.after.maxMs)} ms after`,
      "",
      `disk 8 KiB write+fdatasync p50 ${n(meta.fdatasyncStart.p50Ms, 2)} / ${n(meta.fdatasyncEnd.p50Ms, 2)} ms (start/end); load average ${meta.loadavgStart.join(" ")} -> ${meta.loadavgEnd.join(" ")}; ${n(meta.seconds)} s in all`,
      "",
      ...targets.map((t) => `${t.pass ? "PASS " : "SHORT"}  ${t.name}: ${t.measured} (target ${t.bound})`),
      "",
      `results: ${out}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    bin.cleanup();
  }
}

try {
  await main();
} finally {
  await stopTestPostgres();
}

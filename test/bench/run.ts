// `bun run bench [--quick] [--out FILE]`: every scenario in one process on one PostgreSQL and the embedded store; table + JSON.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { freshDatabase, stopTestPostgres } from "../support/pg.ts";
import { embeddedServe, ensureBinary, postgresServe } from "./binary.ts";
import { cpuBreakdown } from "./cpu.ts";
import { embeddedBatch, embeddedSingles } from "./embedded.ts";
import { fdatasyncLatency, type LatencyRun, type Throughput } from "./measure.ts";
import { copyCeiling, emmettBatch, ledgerBatch, serverFacts, singleAppends } from "./postgres.ts";
import { evaluate, ratios } from "./targets.ts";

const ROOT = resolve(import.meta.dir, "../..");
const { values: flags } = parseArgs({ options: { quick: { type: "boolean" }, out: { type: "string" } } });
const quick = !!flags.quick;
// A smoke run's figures are not worth keeping next to the full run's: they go to the temp dir.
const out = resolve(flags.out ?? (quick ? join(tmpdir(), "ledger-bench-quick.json") : join(import.meta.dir, "results", "latest.json")));

const SIZES = quick
  ? { total: 20_000, warm: 0.3, seconds: 2, rounds: 2, httpWarm: 0.2, httpSeconds: 1, readyRuns: 3, cpuEvents: 5_000 }
  : { total: 200_000, warm: 1, seconds: 12, rounds: 3, httpWarm: 1, httpSeconds: 5, readyRuns: 5, cpuEvents: 20_000 };
const CLIENTS = [1, 16];

const log = (s: string) => void process.stderr.write(`[bench ${(performance.now() / 1000).toFixed(1)}s] ${s}\n`);
const sh = (cmd: string[]) => {
  const r = Bun.spawnSync(cmd, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] });
  return r.stdout.toString().trim();
};
const pkgVersion = (name: string) => JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version as string;

async function main() {
  const meta = {
    date: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    sizes: SIZES,
    commit: sh(["git", "rev-parse", "--short=12", "HEAD"]),
    uncommitted: sh(["git", "status", "--porcelain", "--untracked-files=no"]).split("\n").filter(Boolean),
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? "?"}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    loadavgStart: loadavg().map((l) => Math.round(l * 100) / 100),
    bun: Bun.version,
    emmettPostgresql: pkgVersion("@event-driven-io/emmett-postgresql"),
    binary: "",
    postgres: {} as Record<string, string>,
    loadavgEnd: [] as number[],
    fdatasyncStart: fdatasyncLatency(),
    fdatasyncEnd: { p50Ms: 0, p99Ms: 0 },
  };
  log(`mode ${meta.mode}: ${SIZES.total} events per ingest, ${SIZES.seconds} s per single-append run`);
  meta.binary = await ensureBinary();
  meta.postgres = await serverFacts();
  log(`PostgreSQL ${meta.postgres.version}, fsync=${meta.postgres.fsync}, synchronous_commit=${meta.postgres.synchronous_commit}`);

  const cpu = cpuBreakdown(SIZES.cpuEvents);
  log(`cpu per event (us): ${JSON.stringify(cpu)}`);
  const copy = await copyCeiling(SIZES.total);
  log(`COPY ceiling: ${copy.eventsPerSec.toFixed(0)}/s`);
  const lBatch = await ledgerBatch(SIZES.total);
  log(`ledger batch: ${lBatch.eventsPerSec.toFixed(0)}/s ${JSON.stringify(lBatch.breakdown.calls)}`);
  const eBatch = await emmettBatch(SIZES.total);
  log(`Emmett batch: ${eBatch.eventsPerSec.toFixed(0)}/s`);
  const singles = await singleAppends(CLIENTS, { warmSeconds: SIZES.warm, seconds: SIZES.seconds, rounds: SIZES.rounds });
  for (const c of CLIENTS) log(`singles x${c}: ledger ${singles.ledger[c]!.eventsPerSec.toFixed(0)}/s p99 ${singles.ledger[c]!.p99Ms.toFixed(1)} ms, Emmett ${singles.emmett[c]!.eventsPerSec.toFixed(0)}/s p99 ${singles.emmett[c]!.p99Ms.toFixed(1)} ms`);
  const embBatch = await embeddedBatch(SIZES.total);
  log(`embedded batch: ${embBatch.eventsPerSec.toFixed(0)}/s (${embBatch.durability})`);
  const embSingles = await embeddedSingles(CLIENTS, { warmSeconds: SIZES.warm, seconds: SIZES.seconds });
  for (const c of CLIENTS) log(`embedded singles x${c}: ${embSingles[c]!.eventsPerSec.toFixed(0)}/s p99 ${embSingles[c]!.p99Ms.toFixed(1)} ms`);
  const serveEmb = await embeddedServe({ readyRuns: SIZES.readyRuns, batchTotal: SIZES.total, clientCounts: CLIENTS, warmSeconds: SIZES.httpWarm, seconds: SIZES.httpSeconds });
  log(`serve (embedded): ready ${serveEmb.readyFreshMs.medianMs.toFixed(0)} ms, RSS after load ${serveEmb.afterLoad.rssMb.toFixed(0)} MB`);
  const httpDb = await freshDatabase();
  let servePg: Awaited<ReturnType<typeof postgresServe>>;
  try {
    servePg = await postgresServe(httpDb.url, { clientCounts: CLIENTS, warmSeconds: SIZES.httpWarm, seconds: SIZES.httpSeconds });
  } finally {
    await httpDb.drop();
  }
  meta.fdatasyncEnd = fdatasyncLatency();
  meta.loadavgEnd = loadavg().map((l) => Math.round(l * 100) / 100);

  const figures = {
    copy, ledgerBatch: lBatch, emmettBatch: eBatch, ledgerSingle: singles.ledger, emmettSingle: singles.emmett,
    embeddedBatch: embBatch, embeddedSingle: embSingles, rssMb: serveEmb.afterLoad.rssMb, peakRssMb: serveEmb.afterLoad.peakRssMb, readyMs: serveEmb.readyFreshMs.medianMs,
  };
  const targets = evaluate(figures);
  const result = {
    meta, cpuMicrosPerEvent: cpu,
    postgres: { copyCeiling: copy, ledgerBatch: lBatch, emmettBatch: eBatch, singles },
    embedded: { batch: embBatch, singles: embSingles },
    serve: { embedded: serveEmb, postgres: servePg },
    ratios: ratios(figures), targets,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, roundFloats, 2)}\n`);

  const rows: Array<[string, Throughput | LatencyRun]> = [
    ["PG  COPY ceiling (rows prepared, 10k/COPY)", copy],
    ["PG  ledger appendBatch (10k/batch)", lBatch],
    ["PG  Emmett appendToStream (1k/call)", eBatch],
    ...CLIENTS.flatMap((c): Array<[string, LatencyRun]> => [
      [`PG  ledger appendOne, ${c} client(s)`, singles.ledger[c]!],
      [`PG  Emmett appendToStream(1), ${c} client(s)`, singles.emmett[c]!],
    ]),
    ["SQL embedded appendBatch (10k/batch)", embBatch],
    ...CLIENTS.map((c): [string, LatencyRun] => [`SQL embedded appendOne, ${c} client(s)`, embSingles[c]!]),
    ["HTTP embedded serve, batch (10k/request)", serveEmb.batch],
    ...CLIENTS.map((c): [string, LatencyRun] => [`HTTP embedded serve, single, ${c} client(s)`, serveEmb.singles[c]!]),
    ...CLIENTS.map((c): [string, LatencyRun] => [`HTTP PG serve, single, ${c} client(s)`, servePg.singles[c]!]),
  ];
  const fmt = (v: number | undefined, d = 1) => (v === undefined ? "" : v.toFixed(d));
  const lines = [
    `${"scenario".padEnd(46)} ${"events".padStart(8)} ${"s".padStart(6)} ${"events/s".padStart(9)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)}`,
    ...rows.map(([name, r]) => {
      const l = r as Partial<LatencyRun>;
      return `${name.padEnd(46)} ${String(r.events).padStart(8)} ${fmt(r.seconds).padStart(6)} ${fmt(r.eventsPerSec, 0).padStart(9)} ${fmt(l.p50Ms, 2).padStart(7)} ${fmt(l.p99Ms, 2).padStart(7)}`;
    }),
    "",
    `serve (embedded): ready median ${serveEmb.readyFreshMs.medianMs.toFixed(0)} ms fresh [${serveEmb.readyFreshMs.runsMs.join(", ")}], ${serveEmb.readyLoadedMs.medianMs.toFixed(0)} ms on the loaded dir; ` +
      `RSS idle ${serveEmb.idleRssMb.toFixed(0)} MB, after load ${serveEmb.afterLoad.rssMb.toFixed(0)} MB (peak ${serveEmb.afterLoad.peakRssMb.toFixed(0)} MB)`,
    `disk 8 KiB write+fdatasync: p50 ${meta.fdatasyncStart.p50Ms.toFixed(2)} / p99 ${meta.fdatasyncStart.p99Ms.toFixed(2)} ms at start, ` +
      `${meta.fdatasyncEnd.p50Ms.toFixed(2)} / ${meta.fdatasyncEnd.p99Ms.toFixed(2)} ms at end; load average ${meta.loadavgStart.join(" ")} -> ${meta.loadavgEnd.join(" ")}`,
    "",
    ...targets.map((t) => `${t.pass ? "PASS " : "SHORT"}  ${t.name}: ${t.measured} (target ${t.bound})`),
    "",
    `results: ${out}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** Keep the JSON small and readable: 3 significant decimals. */
function roundFloats(_key: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v;
}

try {
  await main();
} finally {
  await stopTestPostgres();
}

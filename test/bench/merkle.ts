// `bun run test/bench/merkle.ts [--quick] [--out FILE] [--oz-leaves N] [--skip-pure|--skip-pg|--skip-embedded] [--profile DIR]`:
// issue 5's benchmark in one process: the pure tree against merkletreejs and @openzeppelin/merkle-tree,
// then anchoring, proof latency and `ledger verify` on PostgreSQL and on the embedded store.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { stopTestPostgres } from "../support/pg.ts";
import { fdatasyncLatency } from "./measure.ts";
import { runPure, type PureResult } from "./merkle-pure.ts";
import { embeddedScenario, freshBinary, postgresScenario, verifyCpuFloor, type ActivityProfile } from "./merkle-store.ts";
import { serverFacts } from "./postgres.ts";

const ROOT = resolve(import.meta.dir, "../..");
const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean" },
    out: { type: "string" },
    "oz-leaves": { type: "string" },
    "skip-pure": { type: "boolean" },
    "skip-pg": { type: "boolean" },
    "skip-embedded": { type: "boolean" },
    profile: { type: "string" },
  },
});
const quick = !!flags.quick;
const out = resolve(flags.out ?? join(tmpdir(), quick ? "ledger-bench-merkle-quick.json" : "ledger-bench-merkle.json"));
const profileDir = flags.profile ? resolve(flags.profile) : null;

const SIZES = quick
  ? { leaves: 50_000, proofs: 200, ozLeaves: 10_000, reps: 2, pgEvents: 50_000, embeddedEvents: 20_000, inclusionSamples: 300, consistencySamples: 200, httpInclusion: 200, httpConsistency: 100 }
  : { leaves: 1_000_000, proofs: 1_000, ozLeaves: 1_000_000, reps: 3, pgEvents: 1_000_000, embeddedEvents: 200_000, inclusionSamples: 2_000, consistencySamples: 1_000, httpInclusion: 1_000, httpConsistency: 500 };
if (flags["oz-leaves"] !== undefined) SIZES.ozLeaves = Number(flags["oz-leaves"]);

const log = (s: string) => void process.stderr.write(`[merkle ${(performance.now() / 1000).toFixed(1)}s] ${s}\n`);
const sh = (cmd: string[]) => Bun.spawnSync(cmd, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] }).stdout.toString().trim();
const pkgVersion = (name: string) => JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version as string;
const round2 = (v: number[]) => v.map((x) => Math.round(x * 100) / 100);

const GOALS = { treeVsMerkletreejs: 5, proofP99Ms: 5, verifyEventsPerSec: 300_000 };

interface Target {
  name: string;
  measured: string;
  bound: string;
  pass: boolean;
}

function targets(pure: PureResult | null, pg: Awaited<ReturnType<typeof postgresScenario>> | null, emb: Awaited<ReturnType<typeof embeddedScenario>> | null): Target[] {
  const t: Target[] = [];
  if (pure) {
    const ours = pure.contenders[0]!.best;
    const mt = pure.contenders[1]!.best;
    const total = mt.totalMs / ours.totalMs;
    t.push({ name: `tree head + ${pure.proofs} proofs of ${pure.leaves} leaves vs merkletreejs`, measured: `${total.toFixed(1)}x (${ours.totalMs.toFixed(0)} vs ${mt.totalMs.toFixed(0)} ms)`, bound: `>= ${GOALS.treeVsMerkletreejs}x`, pass: total >= GOALS.treeVsMerkletreejs });
    const head = mt.headMs / ours.headMs;
    t.push({ name: "tree head alone vs merkletreejs", measured: `${head.toFixed(1)}x (${ours.headMs.toFixed(0)} vs ${mt.headMs.toFixed(0)} ms)`, bound: `>= ${GOALS.treeVsMerkletreejs}x`, pass: head >= GOALS.treeVsMerkletreejs });
  }
  if (pg) {
    const p = pg.proofs;
    for (const [name, l] of [["inclusion proof p99 (store, latest size)", p.inclusionLatest], ["inclusion proof p99 (store, earlier size)", p.inclusionHistoric], ["consistency proof p99 (store, to latest)", p.consistencyToLatest], ["consistency proof p99 (store, random sizes)", p.consistencyRandom], ["inclusion proof p99 over HTTP", pg.http.inclusion], ["consistency proof p99 over HTTP", pg.http.consistency]] as const) {
      t.push({ name: `PostgreSQL, ${pg.events} leaves: ${name}`, measured: `${l.p99Ms.toFixed(2)} ms`, bound: `< ${GOALS.proofP99Ms} ms`, pass: l.p99Ms < GOALS.proofP99Ms });
    }
    t.push({ name: `PostgreSQL: \`ledger verify\`, ${pg.events} events (CLI figure)`, measured: `${pg.verify.cliEventsPerSec.toLocaleString("en-US")}/s`, bound: ">= 300,000/s", pass: pg.verify.cliEventsPerSec >= GOALS.verifyEventsPerSec });
  }
  if (emb) {
    t.push({ name: `embedded: \`ledger verify\`, ${emb.events} events (CLI figure)`, measured: `${emb.verify.cliEventsPerSec.toLocaleString("en-US")}/s`, bound: ">= 300,000/s", pass: emb.verify.cliEventsPerSec >= GOALS.verifyEventsPerSec });
    t.push({ name: `embedded, ${emb.events} leaves: inclusion proof p99 (store)`, measured: `${emb.proofs.inclusionLatest.p99Ms.toFixed(2)} ms`, bound: `< ${GOALS.proofP99Ms} ms`, pass: emb.proofs.inclusionLatest.p99Ms < GOALS.proofP99Ms });
  }
  return t;
}

function activityLines(name: string, a: ActivityProfile): string[] {
  return [
    `${name}: ${a.samples} samples of pg_stat_activity every 50 ms (autovacuum running in ${(a.autovacuumShare * 100).toFixed(0)} %)`,
    ...Object.entries(a.shares).map(([k, v]) => `    ${(v * 100).toFixed(1).padStart(5)} %  ${k}`),
  ];
}

async function main() {
  const meta = {
    date: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    sizes: SIZES,
    commit: sh(["git", "rev-parse", "--short=12", "HEAD"]),
    uncommitted: sh(["git", "status", "--porcelain", "--untracked-files=no"]).split("\n").filter(Boolean),
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? "?"}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    bun: Bun.version,
    merkletreejs: pkgVersion("merkletreejs"),
    openzeppelinMerkleTree: pkgVersion("@openzeppelin/merkle-tree"),
    loadavgStart: round2(loadavg()),
    loadavgAfterPure: [] as number[],
    loadavgEnd: [] as number[],
    fdatasyncStart: fdatasyncLatency(),
    fdatasyncEnd: { p50Ms: 0, p99Ms: 0 },
    binary: "",
    binaryRebuilt: false,
    postgres: {} as Record<string, string>,
    profileDir,
  };
  log(`mode ${meta.mode}; load average ${meta.loadavgStart.join(" ")}`);

  const pure = flags["skip-pure"] ? null : runPure({ leaves: SIZES.leaves, proofs: SIZES.proofs, ozLeaves: SIZES.ozLeaves, reps: SIZES.reps });
  meta.loadavgAfterPure = round2(loadavg());

  let pg: Awaited<ReturnType<typeof postgresScenario>> | null = null;
  let emb: Awaited<ReturnType<typeof embeddedScenario>> | null = null;
  const storeSizes = { pgEvents: SIZES.pgEvents, embeddedEvents: SIZES.embeddedEvents, inclusionSamples: SIZES.inclusionSamples, consistencySamples: SIZES.consistencySamples, httpInclusion: SIZES.httpInclusion, httpConsistency: SIZES.httpConsistency };
  if (!flags["skip-pg"] || !flags["skip-embedded"]) {
    const b = await freshBinary();
    meta.binary = b.version;
    meta.binaryRebuilt = b.rebuilt;
    log(`binary: ${b.version}`);
  }
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  if (!flags["skip-pg"]) {
    meta.postgres = await serverFacts();
    pg = await postgresScenario(storeSizes, profileDir);
  }
  if (!flags["skip-embedded"]) emb = await embeddedScenario(storeSizes, profileDir);
  const verifyFloor = pg || emb ? verifyCpuFloor(quick ? 20_000 : 100_000) : null;
  if (verifyFloor) log(`verify CPU floor: event pass ${verifyFloor.eventPassUs.toFixed(2)} us, tree pass ${verifyFloor.treePassUs.toFixed(2)} us per event`);
  meta.loadavgEnd = round2(loadavg());
  meta.fdatasyncEnd = fdatasyncLatency();

  const goals = targets(pure, pg, emb);
  const result = { meta, pure, postgres: pg, embedded: emb, verifyCpuFloor: verifyFloor, targets: goals };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, (_k, v) => (typeof v === "number" && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v), 2)}\n`);

  const f = (v: number, d = 0) => v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  const lines: string[] = [];
  if (pure) {
    const ours = pure.contenders[0]!.best;
    lines.push(`pure tree, ${f(pure.leaves)} leaves, ${pure.proofs} inclusion proofs generated + verified (best of the runs, ms):`);
    lines.push(`${"contender".padEnd(48)} ${"head".padStart(8)} ${"build".padStart(8)} ${"proofs".padStart(8)} ${"total".padStart(8)} ${"vs ours".padStart(8)}  same root+proofs`);
    for (const c of pure.contenders) {
      const b = c.best;
      lines.push(`${c.name.padEnd(48)} ${f(b.headMs).padStart(8)} ${f(b.buildMs).padStart(8)} ${f(b.proofsMs, 1).padStart(8)} ${f(b.totalMs).padStart(8)} ${`${(b.totalMs / ours.totalMs).toFixed(1)}x`.padStart(8)}  ${c.sameAsOurs ?? "n/a"}`);
    }
    lines.push(`CompactRange.append x ${f(pure.leaves)} + root (the anchorer's way): ${f(pure.compactRangeMs)} ms; raw Bun.SHA256 of 65 bytes: ${pure.rawSha256Ns.toFixed(0)} ns`);
    lines.push("");
  }
  if (pg) {
    lines.push(`PostgreSQL, ${f(pg.events)} events: ingest ${f(pg.ingest.eventsPerSec)}/s; pending query (sort + anti-join, LIMIT 50,001) ${f(pg.pendingQuery.ms)} ms with no leaf, ${f(pg.pendingQueryAfter.ms)} ms with every event a leaf; seal CPU ${pg.sealCpu.usPerLeaf.toFixed(2)} us/leaf`);
    lines.push(`  ledger anchor --once: ${f(pg.anchor.seconds, 1)} s, ${f(pg.anchor.eventsPerSec)} events/s, ${pg.anchor.checkpoints} checkpoints (ms each: ${pg.anchor.checkpointMs.map((x) => f(x)).join(", ")}), peak RSS ${f(pg.anchor.peakRssMb)} MB`);
    lines.push(...activityLines("  anchor", pg.anchorActivity));
    const l = (name: string, x: { p50Ms: number; p99Ms: number; maxMs: number; samples: number; hashes: number }) =>
      `  ${name.padEnd(44)} n=${String(x.samples).padStart(5)}  p50 ${x.p50Ms.toFixed(2)} ms  p99 ${x.p99Ms.toFixed(2)} ms  max ${x.maxMs.toFixed(2)} ms  (${x.hashes.toFixed(1)} hashes)`;
    lines.push(l("inclusion, latest size (store)", pg.proofs.inclusionLatest), l("inclusion, earlier size (store)", pg.proofs.inclusionHistoric));
    lines.push(l("consistency, to latest (store)", pg.proofs.consistencyToLatest), l("consistency, random sizes (store)", pg.proofs.consistencyRandom));
    lines.push(`  (autovacuum running in ${(pg.proofActivity.autovacuumShare * 100).toFixed(0)} % of the samples taken during the in-process proofs)`);
    lines.push(l("inclusion over HTTP", pg.http.inclusion), l("consistency over HTTP", pg.http.consistency));
    lines.push(`  ledger verify: ${f(pg.verify.cliEventsPerSec)} events/s (CLI, ${f(pg.verify.cliSeconds, 2)} s), ${f(pg.verify.eventsPerSec)}/s wall incl. start (${f(pg.verify.seconds, 2)} s), peak RSS ${f(pg.verify.peakRssMb)} MB`);
    lines.push(...activityLines("  verify", pg.verifyActivity));
    lines.push("");
  }
  if (emb) {
    lines.push(`embedded, ${f(emb.events)} events: ingest ${f(emb.ingest.eventsPerSec)}/s; ledger anchor --once ${f(emb.anchor.seconds, 1)} s = ${f(emb.anchor.eventsPerSec)} events/s (${emb.anchor.checkpoints} checkpoints)`);
    lines.push(`  ledger verify: ${f(emb.verify.cliEventsPerSec)} events/s (CLI, ${f(emb.verify.cliSeconds, 2)} s), wall ${f(emb.verify.seconds, 2)} s, peak RSS ${f(emb.verify.peakRssMb)} MB; in process: events pass ${emb.verifyPhases.eventsPhaseS.toFixed(2)} s, tree pass ${emb.verifyPhases.treePhaseS.toFixed(2)} s`);
    lines.push(`  inclusion p50 ${emb.proofs.inclusionLatest.p50Ms.toFixed(2)} / p99 ${emb.proofs.inclusionLatest.p99Ms.toFixed(2)} ms; consistency to latest p99 ${emb.proofs.consistencyToLatest.p99Ms.toFixed(2)} ms`);
    lines.push("");
  }
  if (verifyFloor) {
    lines.push(`verify CPU with no store (${f(verifyFloor.events)} events, one core): event pass ${verifyFloor.eventPassUs.toFixed(2)} us + tree pass ${verifyFloor.treePassUs.toFixed(2)} us per event = at most ${f(verifyFloor.eventsPerSec)} events/s`, "");
  }
  lines.push(`load average ${meta.loadavgStart.join(" ")} -> ${meta.loadavgAfterPure.join(" ")} (after the pure part) -> ${meta.loadavgEnd.join(" ")}; fdatasync p50 ${meta.fdatasyncStart.p50Ms.toFixed(2)} -> ${meta.fdatasyncEnd.p50Ms.toFixed(2)} ms`);
  lines.push("", ...goals.map((g) => `${g.pass ? "PASS " : "SHORT"}  ${g.name}: ${g.measured} (goal ${g.bound})`), "", `results: ${out}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

try {
  await main();
} finally {
  await stopTestPostgres();
}

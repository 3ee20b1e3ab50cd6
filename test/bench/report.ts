// `bun run test/bench/report.ts [results.json]`: the figures of one run as the Markdown tables docs/benchmarks.md quotes.
import { readFileSync } from "node:fs";
import { join } from "node:path";

interface Run {
  events: number;
  seconds: number;
  eventsPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  roundRates?: number[];
}

const file = process.argv[2] ?? join(import.meta.dir, "results", "latest.json");
const r = JSON.parse(readFileSync(file, "utf8"));
const n = (v: number, d = 0) => v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
const row = (name: string, x: Run) =>
  `| ${name} | ${n(x.events)} | ${n(x.seconds, 1)} | **${n(x.eventsPerSec)}** | ${x.p50Ms === undefined ? "" : n(x.p50Ms, 2)} | ${x.p99Ms === undefined ? "" : n(x.p99Ms, 2)} |` +
  (x.roundRates ? ` rounds: ${x.roundRates.map((v) => n(v)).join(" / ")}/s |` : " |");

const pg = r.postgres, emb = r.embedded, serve = r.serve;
const lines = [
  `Run of ${r.meta.date} (${r.meta.mode}), commit ${r.meta.commit}${r.meta.uncommitted.length ? " + uncommitted changes" : ""}; ${r.meta.cpu}, PostgreSQL ${r.meta.postgres.version},`,
  `fsync=${r.meta.postgres.fsync}, synchronous_commit=${r.meta.postgres.synchronous_commit}, wal_sync_method=${r.meta.postgres.wal_sync_method}; ` +
    `disk 8 KiB write+fdatasync p50 ${n(r.meta.fdatasyncStart.p50Ms, 2)} ms (start) / ${n(r.meta.fdatasyncEnd.p50Ms, 2)} ms (end); load average ${r.meta.loadavgStart.join(" ")} -> ${r.meta.loadavgEnd.join(" ")}.`,
  "",
  "| scenario | events | s | events/s | p50 ms | p99 ms | notes |",
  "|---|---:|---:|---:|---:|---:|---|",
  row("PostgreSQL: COPY ceiling (rows prepared, 10k per COPY)", pg.copyCeiling),
  row("PostgreSQL: ledger `appendBatch`, 10k per batch", pg.ledgerBatch),
  row("PostgreSQL: Emmett `appendToStream`, 1,000 per call", pg.emmettBatch),
  row("PostgreSQL: ledger `appendOne`, 1 client", pg.singles.ledger["1"]),
  row("PostgreSQL: Emmett `appendToStream` (1 event), 1 client", pg.singles.emmett["1"]),
  row("PostgreSQL: ledger `appendOne`, 16 clients", pg.singles.ledger["16"]),
  row("PostgreSQL: Emmett `appendToStream` (1 event), 16 clients", pg.singles.emmett["16"]),
  row("embedded: ledger `appendBatch`, 10k per batch", emb.batch),
  row("embedded: ledger `appendOne`, 1 client", emb.singles["1"]),
  row("embedded: ledger `appendOne`, 16 clients", emb.singles["16"]),
  row("HTTP, `dist/ledger serve` embedded: batch, 10k per request", serve.embedded.batch),
  row("HTTP, `dist/ledger serve` embedded: single, 1 client", serve.embedded.singles["1"]),
  row("HTTP, `dist/ledger serve` embedded: single, 16 clients", serve.embedded.singles["16"]),
  row("HTTP, `dist/ledger serve` PostgreSQL: single, 1 client", serve.postgres.singles["1"]),
  row("HTTP, `dist/ledger serve` PostgreSQL: single, 16 clients", serve.postgres.singles["16"]),
  "",
  `\`ledger serve\` (embedded): time-to-ready median ${n(serve.embedded.readyFreshMs.medianMs)} ms on a fresh data dir (runs ${serve.embedded.readyFreshMs.runsMs.join(", ")} ms), ` +
    `${n(serve.embedded.readyLoadedMs.medianMs)} ms on the loaded one; RSS ${n(serve.embedded.idleRssMb)} MB idle, ${n(serve.embedded.afterLoad.rssMb)} MB after the load, ` +
    `peak ${n(serve.embedded.afterLoad.peakRssMb)} MB.`,
  "",
  `Where the PostgreSQL batch time went (${n(pg.ledgerBatch.seconds, 1)} s): ` +
    Object.entries(pg.ledgerBatch.breakdown.calls as Record<string, { count: number; ms: number }>).map(([k, v]) => `${k} ${n(v.ms / 1000, 2)} s (${v.count} calls)`).join(", ") +
    `, the rest (validation, hashing, planning, locks) ${n(pg.ledgerBatch.seconds - Object.values(pg.ledgerBatch.breakdown.calls as Record<string, { ms: number }>).reduce((a, v) => a + v.ms / 1000, 0), 2)} s.`,
  `Group commit: mean rows per commit ${n(pg.singles.ledger["16"].breakdown.groups.meanSize, 1)} (PostgreSQL, 16 clients), ${n(emb.singles["16"].breakdown.groups.meanSize, 1)} (embedded, 16 clients).`,
  `CPU per event of each step, in isolation (us): ${Object.entries(r.cpuMicrosPerEvent as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(", ")}.`,
  "",
  "| target | measured | bound | |",
  "|---|---:|---:|---|",
  ...r.targets.map((t: { name: string; measured: string; bound: string; pass: boolean }) => `| ${t.name} | ${t.measured} | ${t.bound} | ${t.pass ? "PASS" : "**SHORT**"} |`),
];
process.stdout.write(`${lines.join("\n")}\n`);

// `bun run test/bench/merkle-explain.ts [--events N] [--out FILE]`: diagnostics behind the issue 5 shortfalls on PostgreSQL.
// (1) Per checkpoint of a drain: anchorNext wall time, and the pending-events query's custom and generic plans mid-drain.
// (2) Where an inclusion proof's time goes: each read of the route, and the JS.
// (3) `--cpu`: only the split of the verifier's per-event CPU (no database): canonical form, the two SHA-256 calls, the leaf hash.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { assembleInclusionProof, inclusionProofNodes, rootFromNodes } from "../../src/core/merkle/tree.ts";
import { rangeNodes } from "../../src/core/merkle/node-id.ts";
import { verifyInclusion } from "../../src/core/merkle/verify.ts";
import { loadConfig } from "../../src/config/load.ts";
import { readerFor } from "../../src/ledger/proofs.ts";
import { loadSigningKey } from "../../src/ledger/signing-key.ts";
import { openAnchorStore } from "../../src/store/anchor-port.ts";
import { PostgresEventStore } from "../../src/store/postgres.ts";
import { sealWith } from "../../src/workers/anchorer.ts";
import { freshDatabase, stopTestPostgres } from "../support/pg.ts";
import { canonicalFormOf } from "../../src/core/chain/link.ts";
import type { ChainedEvent } from "../../src/core/events/types.ts";
import { merkleLeafHashOf, sha256Hex } from "../../src/core/hash/digest.ts";
import { ingest, latency, newKeyFile } from "./merkle-store.ts";
import { ingestBodies, linkedRows, TENANT } from "./workload.ts";

const { values: flags } = parseArgs({ options: { events: { type: "string" }, out: { type: "string" }, cpu: { type: "boolean" } } });
const N = Number(flags.events ?? 300_000);
const MAX_LEAVES = 50_000;
const out = resolve(flags.out ?? join(tmpdir(), "ledger-bench-merkle-explain.json"));
const log = (s: string) => void process.stderr.write(`[merkle-explain ${(performance.now() / 1000).toFixed(1)}s] ${s}\n`);

// A copy of PENDING in src/store/postgres-anchor.ts.
const PENDING = `SELECT e.event_id::text, e.chain_id::text, e.sequence, e.event_hash, e.recorded_at_us, s.xmin::text AS xmin
  FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) s
  JOIN ledger_events e ON e.tenant_id = $1 AND e.tx_id >= $2::xid8 AND e.tx_id < s.xmin
  WHERE NOT EXISTS (SELECT 1 FROM ledger_merkle_leaves l WHERE l.tenant_id = e.tenant_id AND l.event_id = e.event_id)
  ORDER BY e.recorded_at_us, e.chain_id, e.sequence LIMIT $3`;

async function explainBoth(store: PostgresEventStore): Promise<Record<string, { ms: number; plan: string[] }>> {
  const result: Record<string, { ms: number; plan: string[] }> = {};
  await store.sql.begin(async (tx) => {
    await tx.unsafe(`PREPARE pending_diag(text, text, int8) AS ${PENDING}`);
    for (const mode of ["force_custom_plan", "force_generic_plan"]) {
      await tx.unsafe(`SET LOCAL plan_cache_mode = ${mode}`);
      const rows = await tx.unsafe<{ "QUERY PLAN": string }[]>(`EXPLAIN (ANALYZE, BUFFERS) EXECUTE pending_diag('${TENANT}', '0', ${MAX_LEAVES + 1})`);
      const plan = rows.map((r) => r["QUERY PLAN"]);
      result[mode] = { ms: Number(/Execution Time: ([\d.]+) ms/.exec(plan.join("\n"))?.[1] ?? Number.NaN), plan };
    }
    await tx.unsafe("DEALLOCATE pending_diag");
  });
  return result;
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), "ledger-bench-merkle-explain-"));
  const db = await freshDatabase();
  const store = PostgresEventStore.open(db.url);
  try {
    await store.migrations.up();
    log(`ingesting ${N} events`);
    const ingestRun = await ingest(store, N);
    await store.sql.unsafe("ANALYZE ledger_events");
    const key = loadSigningKey(loadConfig({ env: { LEDGER__SIGNING__KEYFILE: newKeyFile(work) } }), { create: false });
    const seal = sealWith(key, () => Date.now() * 1000);
    const anchors = openAnchorStore(store);

    // (1) The drain, one anchorNext at a time (what Anchorer.anchorTenant loops over), with plans mid-drain.
    const checkpointsMs: number[] = [];
    let plansMidDrain: Record<string, { ms: number; plan: string[] }> = {};
    const half = Math.floor(N / MAX_LEAVES / 2);
    for (let k = 0; ; k++) {
      if (k === half) {
        plansMidDrain = await explainBoth(store);
        log(`mid-drain (${k * MAX_LEAVES} leaves): custom plan ${plansMidDrain.force_custom_plan!.ms.toFixed(0)} ms, generic plan ${plansMidDrain.force_generic_plan!.ms.toFixed(0)} ms`);
      }
      const t0 = performance.now();
      const r = await anchors.anchorNext(TENANT, MAX_LEAVES, seal);
      if (r === null || r === "locked") break;
      checkpointsMs.push(performance.now() - t0);
      log(`checkpoint ${k + 1}: ${checkpointsMs[k]!.toFixed(0)} ms`);
      if (!r.more) break;
    }
    const stats = await store.sql.unsafe<{ relname: string; n_live_tup: string; last_autoanalyze: string | null; autoanalyze_count: string }[]>(
      "SELECT relname, n_live_tup, last_autoanalyze::text, autoanalyze_count FROM pg_stat_user_tables WHERE relname IN ('ledger_events', 'ledger_merkle_leaves')");

    // (2) An inclusion proof as GET /v1/ledger/proofs/inclusion builds it, each step timed.
    const ids = (await store.sql.unsafe<{ id: string }[]>("SELECT event_id::text AS id FROM ledger_events WHERE tenant_id = $1 ORDER BY random() LIMIT 1200", [TENANT])).map((r) => r.id);
    const steps: Record<string, number[]> = { leafIndexOf: [], latestCheckpoint: [], "readNodes (one query)": [], "JS: assemble + root + verify + hex": [], total: [] };
    let rows = 0;
    for (let i = 0; i < ids.length; i++) {
      const t0 = performance.now();
      const leaf = (await anchors.leafIndexOf(TENANT, ids[i]!))!;
      const t1 = performance.now();
      const size = (await anchors.latestCheckpoint(TENANT))!.treeSize;
      const t2 = performance.now();
      const nodeIds = [{ level: 0, index: leaf }, ...inclusionProofNodes(leaf, size), ...rangeNodes(0, size)];
      const read = await readerFor(anchors, TENANT, nodeIds);
      const t3 = performance.now();
      const proof = assembleInclusionProof(leaf, size, read);
      const root = rootFromNodes(size, read);
      verifyInclusion(read(0, leaf), leaf, size, proof, root);
      proof.map((h) => Buffer.from(h).toString("hex"));
      const t4 = performance.now();
      if (i < 200) continue; // warm-up
      rows += new Set(nodeIds.map((id) => (id.index + 1) * 2 ** id.level - 1)).size;
      steps.leafIndexOf!.push(t1 - t0);
      steps.latestCheckpoint!.push(t2 - t1);
      steps["readNodes (one query)"]!.push(t3 - t2);
      steps["JS: assemble + root + verify + hex"]!.push(t4 - t3);
      steps.total!.push(t4 - t0);
    }
    const proofSteps = Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, latency(v, 0)]));
    const result = { events: N, ingest: ingestRun, maxLeaves: MAX_LEAVES, checkpointsMs, plansMidDrain, tableStats: stats, proofSteps, rowsPerProof: rows / 1000 };
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    const f = (x: number) => x.toFixed(2);
    process.stdout.write([
      `${N} events, checkpoints of ${MAX_LEAVES}: anchorNext ms ${checkpointsMs.map((x) => x.toFixed(0)).join(", ")}`,
      `pending query mid-drain: custom plan ${plansMidDrain.force_custom_plan!.ms.toFixed(0)} ms, generic plan ${plansMidDrain.force_generic_plan!.ms.toFixed(0)} ms`,
      ...Object.entries(plansMidDrain).flatMap(([mode, p]) => [`  ${mode}:`, ...p.plan.filter((l) => /->|Limit|Execution/.test(l)).map((l) => `    ${l.trim().slice(0, 150)}`)]),
      `table stats: ${JSON.stringify(stats)}`,
      `inclusion proof steps at ${N} leaves (1,000 proofs, ${(rows / 1000).toFixed(1)} leaf rows read per proof):`,
      ...Object.entries(proofSteps).map(([k, l]) => `  ${k.padEnd(36)} p50 ${f(l.p50Ms)} ms  p99 ${f(l.p99Ms)} ms  mean ${f(l.meanMs)} ms`),
      `results: ${out}`,
    ].join("\n") + "\n");
  } finally {
    await store.close();
    await db.drop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Microseconds per event of each step of ChainVerifier.push's hashing, on events with fresh payload objects (as a store returns them); best of 5. */
function verifierCpuSplit(n: number): Record<string, number> {
  const rows = linkedRows(TENANT, ingestBodies(n)) as unknown as ChainedEvent[];
  const best: Record<string, number> = {};
  const keep = (k: string, ms: number) => void (best[k] = Math.min(best[k] ?? Number.POSITIVE_INFINITY, (ms * 1000) / n));
  for (let rep = 0; rep < 5; rep++) {
    const fresh = JSON.parse(JSON.stringify(rows)) as ChainedEvent[];
    let t = performance.now();
    const forms = fresh.map((e) => canonicalFormOf(e));
    keep("canonicalFormOf (payload canonicalised, fresh object)", performance.now() - t);
    t = performance.now();
    const a = forms.map((f) => sha256Hex(f));
    keep("sha256Hex: createHash().update().digest('hex')", performance.now() - t);
    t = performance.now();
    const b = forms.map((f) => Bun.CryptoHasher.hash("sha256", f, "hex") as string);
    keep("Bun.CryptoHasher.hash('sha256', form, 'hex')", performance.now() - t);
    t = performance.now();
    fresh.forEach((e) => merkleLeafHashOf(e.eventHash));
    keep("merkleLeafHashOf (hex -> bytes -> SHA-256 -> hex)", performance.now() - t);
    if (a[0] !== b[0] || a[0] !== fresh[0]!.eventHash) throw new Error("hash mismatch");
  }
  best["canonical form length (chars)"] = canonicalFormOf(rows[0]!).length;
  return best;
}

try {
  if (flags.cpu) {
    const split = verifierCpuSplit(Number(flags.events ?? 50_000));
    for (const [k, v] of Object.entries(split)) process.stdout.write(`${k.padEnd(56)} ${v.toFixed(2)}\n`);
  } else await main();
} finally {
  await stopTestPostgres();
}

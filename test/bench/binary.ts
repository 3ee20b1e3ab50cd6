// The compiled binary: `ledger serve` time-to-ready, HTTP appends end to end, and the server's RSS after load.
import type { Subprocess } from "bun";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { MAX_BATCH_EVENTS } from "../../src/ledger/appender.ts";
import { median, processMemory, sleep, timeIngest, warmThenRun, type LatencyRun, type Throughput } from "./measure.ts";
import { chunks, ClientStreams, ingestBodies, TENANT } from "./workload.ts";

const ROOT = resolve(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist/ledger");
const TOKEN = "bench-admin-token-0123456789abcdef";

/** Build dist/ledger if it is missing (an existing binary is used as is; its version is reported). */
export async function ensureBinary(): Promise<string> {
  if (!existsSync(BINARY)) {
    const build = Bun.spawn(["bun", "run", "build"], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
    if ((await build.exited) !== 0) throw new Error("bun run build failed");
  }
  const v = Bun.spawn([BINARY, "version"], { stdio: ["ignore", "pipe", "ignore"] });
  const text = await new Response(v.stdout).text();
  await v.exited;
  return text.trim().split("\n").join("; ");
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

export interface Server {
  proc: Subprocess;
  url: string;
  readyMs: number;
  stop(): Promise<void>;
}

/** Spawn `ledger serve` and poll /health/ready every 2 ms; readyMs runs from spawn to the first 200. */
export async function startServe(opts: { dataDir?: string; pgUrl?: string }): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LEDGER__HTTP__URL: url, LEDGER__ADMIN__TOKEN: TOKEN };
  if (opts.dataDir) env.LEDGER__DATA__DIR = opts.dataDir;
  if (opts.pgUrl) env.LEDGER__DB__CONNECTIONSTRING = opts.pgUrl;
  const args = [BINARY, "serve", ...(opts.pgUrl ? ["--migrate"] : [])];
  const t0 = performance.now();
  const proc = Bun.spawn(args, { env, stdio: ["ignore", "ignore", "pipe"] });
  const stderr = new Response(proc.stderr).text();
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const exited = await Promise.race([proc.exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!exited) {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  };
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`ledger serve exited ${proc.exitCode}: ${await stderr}`);
    if (performance.now() - t0 > 30_000) {
      await stop();
      throw new Error(`ledger serve not ready after 30 s: ${await stderr}`);
    }
    try {
      const res = await fetch(`${url}/health/ready`);
      await res.arrayBuffer();
      if (res.status === 200) return { proc, url, readyMs: performance.now() - t0, stop };
    } catch {
      /* not listening yet */
    }
    await sleep(2);
  }
}

/** Median time-to-ready of `runs` starts; each start gets a fresh data dir unless one is given. */
export async function readiness(runs: number, dataDir?: string): Promise<{ runsMs: number[]; medianMs: number }> {
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = dataDir ?? mkdtempSync(join(tmpdir(), "ledger-bench-ready-"));
    const s = await startServe({ dataDir: dir });
    runsMs.push(s.readyMs);
    await s.stop();
    if (!dataDir) rmSync(dir, { recursive: true, force: true });
  }
  return { runsMs: runsMs.map((x) => Math.round(x * 10) / 10), medianMs: median(runsMs) };
}

const headers = { authorization: `Bearer ${TOKEN}`, "x-stella-tenant": TENANT, "content-type": "application/json" };

async function post(url: string, body: string, want: number): Promise<void> {
  const res = await fetch(url, { method: "POST", headers, body });
  const text = await res.text();
  if (res.status !== want) throw new Error(`POST ${url}: ${res.status} ${text.slice(0, 300)}`);
}

/** Single appends over HTTP (POST /v1/ledger/events, keep-alive), closed loop per client. */
export async function httpSingles(server: Server, clientCounts: number[], warmSeconds: number, seconds: number): Promise<Record<string, LatencyRun>> {
  const out: Record<string, LatencyRun> = {};
  for (const clients of clientCounts) {
    const streams = new ClientStreams();
    out[clients] = await warmThenRun(clients, warmSeconds, seconds, (c, n) => post(`${server.url}/v1/ledger/events`, JSON.stringify(streams.next(c, n).body), 201));
  }
  return out;
}

/** Batch ingest over HTTP (POST /v1/ledger/events:batch, JSON arrays of 10,000), one client. */
export async function httpBatch(server: Server, total: number): Promise<Throughput> {
  const bodies = chunks(ingestBodies(total), MAX_BATCH_EVENTS).map((b) => JSON.stringify(b));
  return timeIngest(total, async () => {
    for (const b of bodies) await post(`${server.url}/v1/ledger/events:batch`, b, 201);
  });
}

export interface EmbeddedServeResults {
  readyFreshMs: { runsMs: number[]; medianMs: number };
  readyLoadedMs: { runsMs: number[]; medianMs: number };
  idleRssMb: number;
  batch: Throughput;
  singles: Record<string, LatencyRun>;
  afterLoad: { rssMb: number; peakRssMb: number };
}

/** dist/ledger on the embedded store: ready time, HTTP load, RSS after the load, ready time again on the loaded dir. */
export async function embeddedServe(cfg: { readyRuns: number; batchTotal: number; clientCounts: number[]; warmSeconds: number; seconds: number }): Promise<EmbeddedServeResults> {
  const readyFreshMs = await readiness(cfg.readyRuns);
  const dir = mkdtempSync(join(tmpdir(), "ledger-bench-serve-"));
  try {
    const server = await startServe({ dataDir: dir });
    let batch: Throughput, singles: Record<string, LatencyRun>, afterLoad: { rssMb: number; peakRssMb: number }, idleRssMb: number;
    try {
      await sleep(200);
      idleRssMb = processMemory(server.proc.pid).rssMb;
      batch = await httpBatch(server, cfg.batchTotal);
      singles = await httpSingles(server, cfg.clientCounts, cfg.warmSeconds, cfg.seconds);
      afterLoad = processMemory(server.proc.pid);
    } finally {
      await server.stop();
    }
    const readyLoadedMs = await readiness(cfg.readyRuns, dir);
    return { readyFreshMs, readyLoadedMs, idleRssMb, batch, singles, afterLoad };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** dist/ledger on PostgreSQL (--migrate): HTTP single appends. */
export async function postgresServe(pgUrl: string, cfg: { clientCounts: number[]; warmSeconds: number; seconds: number }): Promise<{ singles: Record<string, LatencyRun>; afterLoad: { rssMb: number; peakRssMb: number } }> {
  const server = await startServe({ pgUrl });
  try {
    const singles = await httpSingles(server, cfg.clientCounts, cfg.warmSeconds, cfg.seconds);
    return { singles, afterLoad: processMemory(server.proc.pid) };
  } finally {
    await server.stop();
  }
}

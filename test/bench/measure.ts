// Timing helpers for the benchmark: closed-loop clients with per-call latency, percentiles, process RSS.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Throughput {
  events: number;
  seconds: number;
  eventsPerSec: number;
}

export interface LatencyRun extends Throughput {
  clients: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The q-quantile (0..1) of sorted samples, nearest-rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (xs: readonly number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);

/** Time one async job that writes `events` events. */
export async function timeIngest(events: number, job: () => Promise<void>): Promise<Throughput> {
  const t0 = performance.now();
  await job();
  const seconds = (performance.now() - t0) / 1000;
  return { events, seconds, eventsPerSec: events / seconds };
}

/** One client's next operation; `client` is 0..clients-1, `n` counts that client's calls. */
export type Op = (client: number, n: number) => Promise<void>;

/** Latencies (ms) and elapsed wall time gathered over one or more closed-loop runs. */
export interface Samples {
  latencies: number[];
  seconds: number;
}

export const emptySamples = (): Samples => ({ latencies: [], seconds: 0 });

/**
 * Closed loop: `clients` concurrent loops, each calling `op` back to back until `seconds` have
 * passed (calls already started finish and count). Latency is taken around each awaited call,
 * from just before the call to its resolution, with performance.now(). Adds to `into`.
 */
export async function sampleClients(clients: number, seconds: number, op: Op, counters: number[], into: Samples): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let calls = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (performance.now() < deadline) {
        const s = performance.now();
        await op(c, counters[c]!++);
        into.latencies.push(performance.now() - s);
        calls++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  into.seconds += elapsed;
  return calls / elapsed;
}

export function summarize(clients: number, s: Samples): LatencyRun {
  const sorted = [...s.latencies].sort((a, b) => a - b);
  return {
    clients,
    events: sorted.length,
    seconds: s.seconds,
    eventsPerSec: sorted.length / s.seconds,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

export async function runClients(clients: number, seconds: number, op: Op, counters: number[] = new Array(clients).fill(0)): Promise<LatencyRun> {
  const s = emptySamples();
  await sampleClients(clients, seconds, op, counters, s);
  return summarize(clients, s);
}

/** Warm up with the same op (same counters, so the measured run continues the clients' streams), then measure. */
export async function warmThenRun(clients: number, warmSeconds: number, seconds: number, op: Op, beforeRun: () => void = () => {}): Promise<LatencyRun> {
  const counters = new Array(clients).fill(0);
  await runClients(clients, warmSeconds, op, counters);
  beforeRun();
  return runClients(clients, seconds, op, counters);
}

/** VmRSS and VmHWM (peak) of a process in MB, from /proc/<pid>/status. */
export function processMemory(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb("VmRSS") / 1024, peakRssMb: kb("VmHWM") / 1024 };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The disk's durable-write latency where the temp dirs live: 8 KiB write + fdatasync, `n` times (ms). */
export function fdatasyncLatency(n = 200): { p50Ms: number; p99Ms: number } {
  const dir = mkdtempSync(join(tmpdir(), "ledger-bench-fsync-"));
  const fd = openSync(join(dir, "probe"), "w");
  const block = Buffer.alloc(8192, 7);
  const samples: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      writeSync(fd, block, 0, block.length, (i % 64) * block.length);
      fdatasyncSync(fd);
      samples.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  samples.sort((a, b) => a - b);
  return { p50Ms: quantile(samples, 0.5), p99Ms: quantile(samples, 0.99) };
}

// The targets as data: each a measured value from this run, its bound, and PASS or SHORT.
import type { LatencyRun, Throughput } from "./measure.ts";

export interface Target {
  name: string;
  measured: string;
  bound: string;
  pass: boolean;
}

export interface Figures {
  copy: Throughput;
  ledgerBatch: Throughput;
  emmettBatch: Throughput;
  ledgerSingle: Record<string, LatencyRun>;
  emmettSingle: Record<string, LatencyRun>;
  embeddedBatch: Throughput;
  embeddedSingle: Record<string, LatencyRun>;
  rssMb: number;
  peakRssMb: number;
  readyMs: number;
}

const x = (v: number) => `${v.toFixed(2)}x`;
const pct = (v: number) => `${(v * 100).toFixed(0)} %`;

export function ratios(f: Figures) {
  return {
    ledgerBatchVsCopy: f.ledgerBatch.eventsPerSec / f.copy.eventsPerSec,
    ledgerBatchVsEmmett: f.ledgerBatch.eventsPerSec / f.emmettBatch.eventsPerSec,
    ledgerSingle1VsEmmett: f.ledgerSingle[1]!.eventsPerSec / f.emmettSingle[1]!.eventsPerSec,
    ledgerSingle16VsEmmett: f.ledgerSingle[16]!.eventsPerSec / f.emmettSingle[16]!.eventsPerSec,
    embeddedBatchVsPostgres: f.embeddedBatch.eventsPerSec / f.ledgerBatch.eventsPerSec,
    embeddedSingle1VsEmmett1: f.embeddedSingle[1]!.eventsPerSec / f.emmettSingle[1]!.eventsPerSec,
  };
}

export function evaluate(f: Figures): Target[] {
  const r = ratios(f);
  const l16 = f.ledgerSingle[16]!;
  return [
    { name: "batch ingest vs COPY ceiling", measured: pct(r.ledgerBatchVsCopy), bound: ">= 60 %", pass: r.ledgerBatchVsCopy >= 0.6 },
    { name: "batch ingest vs Emmett (1,000/call)", measured: x(r.ledgerBatchVsEmmett), bound: ">= 3x", pass: r.ledgerBatchVsEmmett >= 3 },
    { name: "single appends, 1 client, vs Emmett", measured: x(r.ledgerSingle1VsEmmett), bound: ">= 1.5x", pass: r.ledgerSingle1VsEmmett >= 1.5 },
    { name: "single appends, 16 clients, vs Emmett", measured: x(r.ledgerSingle16VsEmmett), bound: ">= 2x", pass: r.ledgerSingle16VsEmmett >= 2 },
    { name: "single appends, 16 clients, p99", measured: `${l16.p99Ms.toFixed(1)} ms`, bound: "< 10 ms", pass: l16.p99Ms < 10 },
    { name: "embedded batch ingest vs PostgreSQL path", measured: pct(r.embeddedBatchVsPostgres), bound: ">= 40 %", pass: r.embeddedBatchVsPostgres >= 0.4 },
    {
      name: "embedded durable single appends (1 client) vs Emmett 1 client on PostgreSQL",
      measured: `${f.embeddedSingle[1]!.eventsPerSec.toFixed(0)}/s vs ${f.emmettSingle[1]!.eventsPerSec.toFixed(0)}/s (${x(r.embeddedSingle1VsEmmett1)})`,
      bound: ">= 1x",
      pass: r.embeddedSingle1VsEmmett1 >= 1,
    },
    { name: "ledger serve RSS after load (embedded)", measured: `${f.rssMb.toFixed(0)} MB`, bound: "< 150 MB", pass: f.rssMb < 150 },
    { name: "ledger serve peak RSS during the load (VmHWM; stricter reading)", measured: `${f.peakRssMb.toFixed(0)} MB`, bound: "< 150 MB", pass: f.peakRssMb < 150 },
    { name: "ledger serve time-to-ready (embedded, median)", measured: `${f.readyMs.toFixed(0)} ms`, bound: "< 300 ms", pass: f.readyMs < 300 },
  ];
}

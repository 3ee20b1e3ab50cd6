// Per-event projection lag: a ProjectionStore wrapper that notes, for every event a committed batch applied, its recordedAt and the commit time.
import type { ProjectionStore } from "../../src/store/projection-port.ts";
import { quantile } from "./measure.ts";

/** Wall clock in µs, the same source as systemMicroClock (recordedAt): performance.timeOrigin + performance.now(). */
export const nowUs = (): number => Math.floor((performance.timeOrigin + performance.now()) * 1000);

/** (tenant, recordedAt, appliedAt) of every applied event, in apply order. */
export class LagRecorder {
  readonly tenants: string[] = [];
  readonly recordedUs: number[] = [];
  readonly appliedUs: number[] = [];
  /** Per committed batch: events and the time applyNext took (lock, read, fold, upsert, commit). */
  readonly batches: Array<{ events: number; ms: number }> = [];

  add(tenantId: string, recorded: readonly number[], appliedAt: number, ms: number): void {
    for (const r of recorded) {
      this.tenants.push(tenantId);
      this.recordedUs.push(r);
      this.appliedUs.push(appliedAt);
    }
    this.batches.push({ events: recorded.length, ms });
  }

  toJSON() {
    return { tenants: this.tenants, recordedUs: this.recordedUs, appliedUs: this.appliedUs, batches: this.batches };
  }
}

/**
 * The store as the Projector sees it, except that applyNext remembers the recordedAt of the
 * events handed to the fold and, once the transaction has committed (applyNext resolved), files
 * them with the commit time: lag = when a reader of the projection can first see the event
 * minus when the appender stamped it (just before its own commit).
 */
export function instrument(inner: ProjectionStore, rec: LagRecorder): ProjectionStore {
  const applyNext: ProjectionStore["applyNext"] = async (tenantId, limit, apply) => {
    let recorded: number[] = [];
    const t0 = performance.now();
    const r = await inner.applyNext(tenantId, limit, (current, events) => {
      recorded = events.map((e) => e.recordedAtUs);
      return apply(current, events);
    });
    if (r !== "locked" && r.events > 0) rec.add(tenantId, recorded, nowUs(), performance.now() - t0);
    return r;
  };
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === "applyNext") return applyNext;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

export interface LagSummary {
  events: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  over1s: number;
}

export function lagSummary(lagsMs: readonly number[]): LagSummary {
  const s = [...lagsMs].sort((a, b) => a - b);
  return {
    events: s.length,
    p50Ms: quantile(s, 0.5),
    p90Ms: quantile(s, 0.9),
    p99Ms: quantile(s, 0.99),
    maxMs: s[s.length - 1] ?? Number.NaN,
    over1s: s.filter((x) => x >= 1000).length,
  };
}

/**
 * Lags of one tenant's events recorded in [fromUs, toUs), overall and per window of `windowS`
 * seconds by recordedAt (does the lag stay flat or grow over the run?).
 */
export function lagOf(rec: { tenants: string[]; recordedUs: number[]; appliedUs: number[] }, tenantId: string, fromUs: number, toUs: number, windowS = 10) {
  const all: number[] = [];
  const windows: number[][] = [];
  for (let i = 0; i < rec.recordedUs.length; i++) {
    const r = rec.recordedUs[i]!;
    if (rec.tenants[i] !== tenantId || r < fromUs || r >= toUs) continue;
    const lag = (rec.appliedUs[i]! - r) / 1000;
    all.push(lag);
    ((windows[Math.floor((r - fromUs) / (windowS * 1e6))] ??= [])).push(lag);
  }
  return {
    ...lagSummary(all),
    windows: [...windows].map((w, i) => ({ fromS: i * windowS, ...(w ? lagSummary(w) : lagSummary([])) })),
  };
}

export function batchSummary(batches: ReadonlyArray<{ events: number; ms: number }>) {
  const ms = batches.map((b) => b.ms).sort((a, b) => a - b);
  const events = batches.reduce((a, b) => a + b.events, 0);
  return {
    batches: batches.length,
    meanEvents: batches.length ? events / batches.length : 0,
    maxEvents: Math.max(0, ...batches.map((b) => b.events)),
    p50Ms: quantile(ms, 0.5),
    p99Ms: quantile(ms, 0.99),
  };
}

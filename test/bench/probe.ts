// A timing wrapper around an EventStore: where an append's wall time goes (store calls vs the rest) and group-commit sizes.
import type { EventRow, EventStore } from "../../src/store/port.ts";

export interface ProbeReport {
  calls: Record<string, { count: number; ms: number }>;
  /** insertEach calls = commits of single appends; mean rows per commit. */
  groups: { commits: number; meanSize: number; maxSize: number };
}

export interface Probe {
  store: EventStore;
  reset(): void;
  report(): ProbeReport;
}

const TIMED = ["loadHeads", "findEvents", "insertEach", "insertAll"] as const;

export function probeStore(inner: EventStore): Probe {
  let calls: ProbeReport["calls"] = {};
  let sizes: number[] = [];
  const timed = <A extends unknown[], R>(name: string, fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const t0 = performance.now();
      try {
        return await fn(...a);
      } finally {
        const c = (calls[name] ??= { count: 0, ms: 0 });
        c.count++;
        c.ms += performance.now() - t0;
      }
    };
  const store: EventStore = {
    kind: inner.kind,
    migrations: inner.migrations,
    loadHeads: timed("loadHeads", (t: string, ids: readonly string[]) => inner.loadHeads(t, ids)),
    findEvents: timed("findEvents", (t: string, ids: readonly string[]) => inner.findEvents(t, ids)),
    insertEach: timed("insertEach", (rows: readonly EventRow[]) => {
      sizes.push(rows.length);
      return inner.insertEach(rows);
    }),
    insertAll: timed("insertAll", (t: string, rows: readonly EventRow[]) => inner.insertAll(t, rows)),
    getEvent: (t, id) => inner.getEvent(t, id),
    listChain: (t, c, a, l) => inner.listChain(t, c, a, l),
    countEvents: (t) => inner.countEvents(t),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
  return {
    store,
    reset() {
      calls = {};
      sizes = [];
    },
    report() {
      const out: ProbeReport["calls"] = {};
      for (const name of TIMED) if (calls[name]) out[name] = { count: calls[name]!.count, ms: Math.round(calls[name]!.ms) };
      const total = sizes.reduce((a, b) => a + b, 0);
      return { calls: out, groups: { commits: sizes.length, meanSize: sizes.length ? total / sizes.length : 0, maxSize: Math.max(0, ...sizes) } };
    },
  };
}

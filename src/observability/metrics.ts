// The Prometheus metrics, declared once with units and help (DESIGN.md section 8 fixes the names).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { BUILD_INFO } from "../build-info.ts";

export interface LedgerMetrics {
  registry: Registry;
  projectionApply: Histogram;
  projectionLag: Gauge<"tenant">;
  projectionRebuild: Histogram;
  anchorDuration: Histogram;
  anchorFailures: Counter;
  /** Prometheus text exposition. */
  render(): Promise<{ contentType: string; body: string }>;
}

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LONG_SECONDS = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

export interface MetricsSources {
  /** Latest projection lag per tenant (seconds), read at scrape time. */
  projectionLag?: () => ReadonlyMap<string, number>;
}

export function createMetrics(sources: MetricsSources = {}): LedgerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  new Gauge({
    name: "ledger_build_info",
    help: "Build of the running ledger binary (always 1)",
    labelNames: ["version", "commit", "build_time"],
    registers,
  }).set({ version: BUILD_INFO.version, commit: BUILD_INFO.commit, build_time: BUILD_INFO.buildTime }, 1);
  const projectionLag = new Gauge({
    name: "ledger_projection_lag_seconds",
    help: "Seconds between the newest applied event's commit and its projection, per tenant (0 when caught up)",
    labelNames: ["tenant"],
    registers,
    collect() {
      for (const [tenant, lag] of sources.projectionLag?.() ?? []) this.set({ tenant }, lag);
    },
  });
  const metrics: LedgerMetrics = {
    registry,
    projectionApply: new Histogram({ name: "ledger_projection_apply_seconds", help: "Seconds to apply one projector batch (read, fold, write, checkpoint)", buckets: SECONDS, registers }),
    projectionLag,
    projectionRebuild: new Histogram({ name: "ledger_projection_rebuild_seconds", help: "Seconds to rebuild one tenant's projection from event 0", buckets: LONG_SECONDS, registers }),
    anchorDuration: new Histogram({ name: "ledger_merkle_anchor_duration_seconds", help: "Seconds to seal one checkpoint (leaves, tree nodes, signed root) in one transaction", buckets: SECONDS, registers }),
    anchorFailures: new Counter({ name: "ledger_merkle_anchor_failures_total", help: "Anchoring attempts that failed (the tenant is retried)", registers }),
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
  return metrics;
}

// GET /metrics: Prometheus text exposition (no token, as DESIGN.md section 12 allows).
import { Elysia } from "elysia";
import type { LedgerMetrics } from "../../observability/metrics.ts";

export function metricsRoutes(metrics: LedgerMetrics) {
  return new Elysia({ name: "routes.metrics" }).get(
    "/metrics",
    async () => {
      const { contentType, body } = await metrics.render();
      return new Response(body, { headers: { "content-type": contentType } });
    },
    { detail: { summary: "Prometheus metrics" } },
  );
}

// Operational routes that need no token: liveness, readiness, status.
import { Elysia } from "elysia";
import { BUILD_INFO } from "../../build-info.ts";
import { describeConfig } from "../../config/load.ts";
import type { AppDeps } from "../context.ts";
import { jsonResponse } from "../errors.ts";

const READINESS_CACHE_MS = 1000;

export function operationRoutes(deps: AppDeps) {
  let cached: { at: number; body: { ready: boolean; checks: Record<string, unknown> } } | null = null;

  async function readiness() {
    if (cached && Date.now() - cached.at < READINESS_CACHE_MS) return cached.body;
    const checks: Record<string, unknown> = {};
    let ready = true;
    try {
      await deps.store.ping();
      checks.database = { ok: true, driver: deps.store.kind };
      const plan = await deps.store.migrations.plan();
      const ok = plan.pending.length === 0 && plan.problems.length === 0;
      checks.migrations = ok
        ? { ok: true, applied: plan.applied.length }
        : { ok: false, pending: plan.pending.map((m) => `${m.version}_${m.name}`), problems: plan.problems, hint: "run `ledger migrate up` (or `ledger serve --migrate`)" };
      ready &&= ok;
    } catch (e) {
      ready = false;
      checks.database = { ok: false, driver: deps.store.kind, message: (e as Error).message };
    }
    const workers = deps.workers();
    checks.workers = workers;
    if (workers.some((w) => w.state === "failed")) ready = false;
    cached = { at: Date.now(), body: { ready, checks } };
    return cached.body;
  }

  return new Elysia({ name: "routes.operations" })
    .get("/health/live", () => jsonResponse(200, { status: "live" }), { detail: { summary: "Liveness: the process answers" } })
    .get(
      "/health/ready",
      async () => {
        const r = await readiness();
        return jsonResponse(r.ready ? 200 : 503, { status: r.ready ? "ready" : "not_ready", checks: r.checks }, r.ready ? {} : { "retry-after": "5" });
      },
      { detail: { summary: "Readiness: database reachable, migrations applied, workers healthy" } },
    )
    .get(
      "/status",
      () =>
        jsonResponse(200, {
          version: BUILD_INFO.version,
          commit: BUILD_INFO.commit,
          buildTime: BUILD_INFO.buildTime,
          runtime: BUILD_INFO.runtime,
          features: deps.features,
          config: describeConfig(deps.config),
          workers: deps.workers(),
          store: deps.store.kind,
        }),
      { detail: { summary: "Build version, commit, feature flags, config summary (no secrets), workers" } },
    );
}

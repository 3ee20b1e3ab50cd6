// Composes the HTTP API: error mapping once, then one Elysia instance per resource.
import { Elysia } from "elysia";
import { LedgerError } from "../core/errors.ts";
import type { AppDeps } from "./context.ts";
import { errorResponse, jsonResponse } from "./errors.ts";
import { eventRoutes } from "./routes/events.ts";
import { findingRoutes } from "./routes/findings.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { operationRoutes } from "./routes/operations.ts";
import { proofRoutes } from "./routes/proofs.ts";
import { swaggerRoutes } from "./routes/swagger.ts";

export function createApp(deps: AppDeps) {
  return new Elysia({ name: "findings-ledger" })
    .onError(({ code, error, request }) => {
      if (error instanceof LedgerError) {
        if (error.code === "internal" || error.code === "config_invalid") deps.log.error("request failed", { path: new URL(request.url).pathname, error: error.message });
        return errorResponse(error);
      }
      if (code === "NOT_FOUND") return jsonResponse(404, { error: "not_found", message: "no such route" });
      if (code === "PARSE") return jsonResponse(400, { error: "bad_request", message: "the body could not be parsed" });
      if (code === "VALIDATION") return jsonResponse(400, { error: "bad_request", message: "the request is malformed" });
      deps.log.error("unhandled error", { path: new URL(request.url).pathname, error: String((error as Error)?.stack ?? error) });
      return jsonResponse(500, { error: "internal", message: "internal error; the server log has the details" });
    })
    .use(operationRoutes(deps))
    .use(eventRoutes(deps))
    .use(proofRoutes(deps))
    .use(findingRoutes(deps))
    .use(deps.metrics ? metricsRoutes(deps.metrics) : new Elysia({ name: "routes.metrics.off" }))
    .use(swaggerRoutes());
}

export type LedgerApp = ReturnType<typeof createApp>;

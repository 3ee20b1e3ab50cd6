// Event routes: append one, append a batch, read one event, read a chain page.
import { Elysia } from "elysia";
import { LedgerError } from "../../core/errors.ts";
import { isUuid } from "../../core/hash/uuid.ts";
import { MAX_BATCH_EVENTS } from "../../ledger/appender.ts";
import { parseJson, parseNdjson, readBodyText } from "../body.ts";
import { authorize, decodeCursor, pageLimit, pageOf, type AppDeps } from "../context.ts";
import { jsonResponse } from "../errors.ts";

const isSequenceCursor = (v: Record<string, unknown>): v is { s: number } => Number.isSafeInteger(v.s) && (v.s as number) >= 0;

function eventIdParam(raw: string): string {
  if (!isUuid(raw)) throw new LedgerError("bad_request", `malformed event id ${JSON.stringify(String(raw).slice(0, 80))}: must be a UUID`);
  return raw.toLowerCase();
}

export function eventRoutes(deps: AppDeps) {
  return new Elysia({ name: "routes.events" })
    .post(
      "/v1/ledger/events:batch",
      async ({ request }) => {
        const { tenantId } = await authorize(deps, request, "findings:write");
        const text = await readBodyText(request, deps.config.http.maxBatchBodyBytes);
        const ndjson = (request.headers.get("content-type") ?? "").toLowerCase().includes("ndjson");
        let items: unknown[];
        if (ndjson) items = parseNdjson(text, MAX_BATCH_EVENTS);
        else {
          const body = parseJson(text);
          if (!Array.isArray(body)) throw new LedgerError("bad_request", "a batch body must be a JSON array of events (or application/x-ndjson)");
          if (body.length > MAX_BATCH_EVENTS) throw new LedgerError("batch_too_large", `a batch holds at most ${MAX_BATCH_EVENTS} events, got ${body.length}`);
          items = body;
        }
        const results = await deps.appender.appendBatch(tenantId, items);
        const allDuplicates = results.every((r) => r.status === "duplicate");
        return jsonResponse(allDuplicates ? 200 : 201, { results: results.map((r, index) => ({ index, status: r.status, receipt: r.receipt })) });
      },
      { parse: "none", detail: { summary: "Append up to 10,000 events, all or nothing (JSON array or NDJSON)" } },
    )
    .post(
      "/v1/ledger/events",
      async ({ request }) => {
        const { tenantId } = await authorize(deps, request, "findings:write");
        const body = parseJson(await readBodyText(request, deps.config.http.maxBodyBytes));
        if (body === null || typeof body !== "object" || Array.isArray(body)) throw new LedgerError("bad_request", "the body must be a JSON object (one event)");
        const result = await deps.appender.appendOne(tenantId, body);
        return jsonResponse(result.status === "created" ? 201 : 200, result.receipt);
      },
      { parse: "none", detail: { summary: "Append one event; 201 with its receipt (200 with the original on an identical replay)" } },
    )
    .get(
      "/v1/ledger/events/:eventId",
      async ({ request, params }) => {
        const { tenantId } = await authorize(deps, request, "findings:read");
        const event = await deps.store.getEvent(tenantId, eventIdParam(params.eventId));
        if (!event) throw new LedgerError("not_found", "no such event");
        return jsonResponse(200, event);
      },
      { detail: { summary: "One event with its hashes and, once anchored, its leaf index" } },
    )
    .get(
      "/v1/ledger/chains/:chainId",
      async ({ request, params, query }) => {
        const { tenantId } = await authorize(deps, request, "findings:read");
        if (!isUuid(params.chainId)) throw new LedgerError("bad_request", "malformed chain id: must be a UUID");
        const limit = pageLimit(query.limit);
        const after = decodeCursor(query.cursor, isSequenceCursor)?.s ?? 0;
        const rows = await deps.store.listChain(tenantId, params.chainId.toLowerCase(), after, limit + 1);
        return jsonResponse(200, pageOf(rows, limit, (e) => ({ s: e.sequence })));
      },
      { detail: { summary: "A chain's events in sequence order, paged" } },
    );
}

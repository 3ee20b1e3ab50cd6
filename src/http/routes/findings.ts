// Findings routes: the projection filtered and paged, and one finding with its history (DESIGN.md sections 6 and 12).
import { Elysia } from "elysia";
import { LedgerError } from "../../core/errors.ts";
import { parseRfc3339 } from "../../core/events/time.ts";
import { FINDING_STATUSES, SEVERITIES, type FindingStatus, type Severity, type StoredEvent } from "../../core/events/types.ts";
import { findingChainId } from "../../core/hash/uuid.ts";
import { withExpiry } from "../../core/projection/expiry.ts";
import type { Finding } from "../../core/projection/finding.ts";
import { foldFinding } from "../../core/projection/fold.ts";
import { openProjectionStore, type FindingFilter, type ProjectionStore } from "../../store/projection-port.ts";
import { authorize, decodeCursor, pageLimit, pageOf, type AppDeps } from "../context.ts";
import { jsonResponse } from "../errors.ts";

const LIST_PARAMS = new Set(["status", "severity", "minCvss", "maxCvss", "policyVersion", "artifactId", "vulnerabilityId", "assignee", "updatedSince", "limit", "cursor"]);
const MAX_VALUE = 512;
const HISTORY_PAGE = 1000;

const bad = (message: string) => new LedgerError("bad_request", message);
const isFindingCursor = (v: Record<string, unknown>): v is { f: string } => typeof v.f === "string" && v.f.length > 0;

/** A comma list of a fixed vocabulary; repeated parameters add to the list. */
function listOf<T extends string>(params: URLSearchParams, name: string, allowed: readonly T[]): T[] | null {
  const raw = params.getAll(name);
  if (raw.length === 0) return null;
  const values = raw.flatMap((r) => r.split(",")).map((v) => v.trim());
  for (const v of values) {
    if (!(allowed as readonly string[]).includes(v)) throw bad(`${name}: ${JSON.stringify(v.slice(0, 80))} is not one of ${allowed.join(", ")}`);
  }
  return [...new Set(values)] as T[];
}

function single(params: URLSearchParams, name: string): string | null {
  const raw = params.getAll(name);
  if (raw.length === 0) return null;
  if (raw.length > 1) throw bad(`${name} may be given once`);
  const v = raw[0]!;
  if (v === "") throw bad(`${name} must not be empty`);
  if (v.length > MAX_VALUE) throw bad(`${name} must have at most ${MAX_VALUE} characters`);
  return v;
}

function cvss(params: URLSearchParams, name: string): number | null {
  const v = single(params, name);
  if (v === null) return null;
  if (!/^\d{1,2}(\.\d+)?$/.test(v) || Number(v) > 10) throw bad(`${name} must be a CVSS score between 0 and 10, got ${JSON.stringify(v.slice(0, 40))}`);
  return Number(v);
}

/** GET /v1/findings query -> filter; any unknown parameter or malformed value is a 400 that names it. */
export function parseFindingFilter(params: URLSearchParams): FindingFilter {
  for (const name of params.keys()) if (!LIST_PARAMS.has(name)) throw bad(`unknown query parameter ${JSON.stringify(name.slice(0, 80))}; filters are ${[...LIST_PARAMS].join(", ")}`);
  const minCvss = cvss(params, "minCvss");
  const maxCvss = cvss(params, "maxCvss");
  if (minCvss !== null && maxCvss !== null && minCvss > maxCvss) throw bad(`minCvss ${minCvss} is above maxCvss ${maxCvss}`);
  const since = single(params, "updatedSince");
  let updatedSinceMs: number | null = null;
  if (since !== null) {
    const t = parseRfc3339(since);
    if (!t.ok) throw bad(`updatedSince: ${t.message}`);
    updatedSinceMs = t.epochMs;
  }
  return {
    statuses: listOf<FindingStatus>(params, "status", FINDING_STATUSES),
    severities: listOf<Severity>(params, "severity", SEVERITIES),
    minCvss,
    maxCvss,
    policyVersion: single(params, "policyVersion"),
    artifactId: single(params, "artifactId"),
    vulnerabilityId: single(params, "vulnerabilityId"),
    assignee: single(params, "assignee"),
    updatedSinceMs,
  };
}

async function historyOf(deps: AppDeps, tenantId: string, findingId: string): Promise<StoredEvent[]> {
  const chainId = findingChainId(tenantId, findingId);
  const events: StoredEvent[] = [];
  for (let after = 0; ; ) {
    const page = await deps.store.listChain(tenantId, chainId, after, HISTORY_PAGE);
    events.push(...page);
    if (page.length < HISTORY_PAGE) return events;
    after = page[page.length - 1]!.sequence;
  }
}

export function findingRoutes(deps: AppDeps, given?: ProjectionStore) {
  // Opened on first use: the companion store over the same pool/connection as deps.store.
  let opened: ProjectionStore | null = given ?? null;
  const projection = () => (opened ??= openProjectionStore(deps.store));
  const now = () => new Date().toISOString();
  return new Elysia({ name: "routes.findings" })
    .get(
      "/v1/findings",
      async ({ request }) => {
        const { tenantId } = await authorize(deps, request, "findings:read");
        const params = new URL(request.url).searchParams;
        const filter = parseFindingFilter(params);
        const limit = pageLimit(params.get("limit"));
        const after = decodeCursor(params.get("cursor"), isFindingCursor)?.f ?? "";
        const rows = await projection().listFindings(tenantId, filter, after, limit + 1);
        const at = now();
        const page = pageOf(rows, limit, (f) => ({ f: f.findingId }));
        return jsonResponse(200, { items: page.items.map((f) => withExpiry(f, at)), nextCursor: page.nextCursor });
      },
      { detail: { summary: "The findings projection, filtered, in findingId order with cursor paging" } },
    )
    .get(
      "/v1/findings/:findingId",
      async ({ request, params }) => {
        const { tenantId } = await authorize(deps, request, "findings:read");
        const findingId = params.findingId;
        if (findingId.length === 0 || findingId.length > MAX_VALUE) throw bad(`malformed finding id: 1 to ${MAX_VALUE} characters`);
        // Row first, then the chain: the history is never behind the row. Events the projector
        // has not applied yet are folded on top, so the answer always equals fold(history).
        const row = await projection().getFinding(tenantId, findingId);
        const history = await historyOf(deps, tenantId, findingId);
        let finding: Finding | null = row;
        for (const e of history) if (finding === null || e.sequence > finding.lastSequence) finding = foldFinding(finding, e);
        if (finding === null) throw new LedgerError("not_found", "no such finding");
        return jsonResponse(200, { finding: withExpiry(finding, now()), history });
      },
      { detail: { summary: "One finding's current state and its history (the chain's events)" } },
    );
}

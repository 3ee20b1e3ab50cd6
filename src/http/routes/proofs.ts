// Proof routes: signed checkpoints, RFC 9162 inclusion and consistency proofs, the verifier keys, and tenant verification.
import { Elysia } from "elysia";
import { LedgerError } from "../../core/errors.ts";
import { isUuid } from "../../core/hash/uuid.ts";
import { proveConsistency, proveInclusion } from "../../ledger/proofs.ts";
import { verifyTenant, type VerifyReport } from "../../ledger/verifier.ts";
import { openAnchorStore, type AnchorStore, type CheckpointRow } from "../../store/anchor-port.ts";
import { formatMicros } from "../../store/rows.ts";
import { parseJson, readBodyText } from "../body.ts";
import { authorize, decodeCursor, pageLimit, pageOf, type AppDeps } from "../context.ts";
import { jsonResponse } from "../errors.ts";

const bad = (message: string, details?: unknown) => new LedgerError("bad_request", message, details);
const isSizeCursor = (v: Record<string, unknown>): v is { s: number } => Number.isSafeInteger(v.s) && (v.s as number) >= 0;

/** The checkpoint as the API shows it (DESIGN section 6). */
export const checkpointBody = (cp: CheckpointRow) => ({
  treeSize: cp.treeSize,
  rootHash: cp.rootHash,
  previousTreeSize: cp.previousTreeSize,
  previousRootHash: cp.previousRootHash,
  createdAt: formatMicros(cp.createdAtUs),
  note: cp.note,
});

/** Only the named query parameters, each at most once. */
function queryOf(request: Request, allowed: readonly string[]): URLSearchParams {
  const params = new URL(request.url).searchParams;
  for (const name of new Set(params.keys())) {
    if (!allowed.includes(name)) throw bad(`unknown query parameter ${JSON.stringify(name.slice(0, 80))}; this route takes ${allowed.join(", ")}`);
    if (params.getAll(name).length > 1) throw bad(`${name} may be given once`);
  }
  return params;
}

/** A tree size or index: a whole number (no sign, no exponent). */
function wholeNumber(params: URLSearchParams, name: string): number | null {
  const raw = params.get(name);
  if (raw === null) return null;
  if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw bad(`${name} must be a whole number, got ${JSON.stringify(raw.slice(0, 40))}`);
  return Number(raw);
}

export function proofRoutes(deps: AppDeps) {
  // Opened on first use: the companion store over the same pool/connection as deps.store.
  let opened: AnchorStore | null = deps.anchors ?? null;
  const anchors = () => (opened ??= openAnchorStore(deps.store));
  // Concurrent verify requests for one tenant share the run in flight: a full pass is expensive.
  const running = new Map<string, Promise<VerifyReport>>();

  return new Elysia({ name: "routes.proofs" })
    .get(
      "/v1/ledger/checkpoints/latest",
      async ({ request }) => {
        const { tenantId } = await authorize(deps, request, "findings:read");
        queryOf(request, []);
        const cp = await anchors().latestCheckpoint(tenantId);
        if (cp === null) throw new LedgerError("not_found", "this tenant has no checkpoint yet");
        return jsonResponse(200, checkpointBody(cp));
      },
      { detail: { summary: "The tenant's latest signed checkpoint (C2SP tlog-checkpoint in a signed note)" } },
    )
    .get(
      "/v1/ledger/checkpoints",
      async ({ request }) => {
        const { tenantId } = await authorize(deps, request, "findings:read");
        const params = queryOf(request, ["fromSize", "limit", "cursor"]);
        const limit = pageLimit(params.get("limit"));
        const cursor = decodeCursor(params.get("cursor"), isSizeCursor);
        const fromSize = cursor !== null ? cursor.s + 1 : (wholeNumber(params, "fromSize") ?? 0);
        const rows = await anchors().listCheckpoints(tenantId, fromSize, limit + 1);
        const page = pageOf(rows, limit, (c) => ({ s: c.treeSize }));
        return jsonResponse(200, { items: page.items.map(checkpointBody), nextCursor: page.nextCursor });
      },
      { detail: { summary: "Signed checkpoints with treeSize >= fromSize, ascending, paged" } },
    )
    .get(
      "/v1/ledger/proofs/inclusion",
      async ({ request }) => {
        const { tenantId } = await authorize(deps, request, "findings:read");
        const params = queryOf(request, ["eventId", "treeSize"]);
        const eventId = params.get("eventId");
        if (eventId === null || eventId === "") throw bad("eventId is required");
        if (!isUuid(eventId)) throw bad(`malformed eventId ${JSON.stringify(String(eventId).slice(0, 80))}: must be a UUID`);
        const asked = wholeNumber(params, "treeSize");
        const store = anchors();
        const leafIndex = await store.leafIndexOf(tenantId, eventId.toLowerCase());
        if (leafIndex === null) {
          if ((await deps.store.getEvent(tenantId, eventId.toLowerCase())) === null) throw new LedgerError("not_found", "no such event");
          throw new LedgerError("not_anchored", "the event is not anchored yet; it joins the tree at the next checkpoint");
        }
        const latest = await store.latestCheckpoint(tenantId);
        if (latest === null) throw new LedgerError("not_anchored", "this tenant has no checkpoint yet");
        const treeSize = asked ?? latest.treeSize;
        if (treeSize < 1 || treeSize > latest.treeSize) throw bad(`treeSize must be between 1 and the latest checkpoint's ${latest.treeSize}, got ${treeSize}`, { treeSize, latest: latest.treeSize });
        if (leafIndex >= treeSize) throw bad(`the event is leaf ${leafIndex}, so it is not in the tree of size ${treeSize}`, { leafIndex, treeSize });
        return jsonResponse(200, await proveInclusion(store, tenantId, leafIndex, treeSize));
      },
      { detail: { summary: "RFC 9162 inclusion proof of an event in the tree at treeSize (default: the latest checkpoint)" } },
    )
    .get(
      "/v1/ledger/proofs/consistency",
      async ({ request }) => {
        const { tenantId } = await authorize(deps, request, "findings:read");
        const params = queryOf(request, ["from", "to"]);
        const from = wholeNumber(params, "from");
        const to = wholeNumber(params, "to");
        if (from === null || to === null) throw bad("from and to are required");
        const store = anchors();
        const latest = (await store.latestCheckpoint(tenantId))?.treeSize ?? 0;
        if (!(from > 0 && from <= to && to <= latest)) throw bad(`need 0 < from <= to <= ${latest} (the latest checkpoint's tree size), got from=${from} to=${to}`, { from, to, latest });
        return jsonResponse(200, await proveConsistency(store, tenantId, from, to));
      },
      { detail: { summary: "RFC 9162 consistency proof between two tree sizes" } },
    )
    .get(
      "/v1/ledger/keys",
      () => jsonResponse(200, { keys: deps.signingKey ? [deps.signingKey.info] : [] }),
      { detail: { summary: "The checkpoint verifier keys (C2SP note vkeys); no token needed" } },
    )
    .post(
      "/v1/ledger/verify",
      async ({ request }) => {
        const { tenantId } = await authorize(deps, request, "findings:read");
        const text = await readBodyText(request, deps.config.http.maxBodyBytes);
        if (text.trim() !== "") {
          const body = parseJson(text);
          if (body === null || typeof body !== "object" || Array.isArray(body)) throw bad("the body, if any, must be a JSON object");
        }
        const key = deps.signingKey;
        if (key === undefined) throw new LedgerError("unavailable", "no checkpoint signing key is loaded in this process");
        let run = running.get(tenantId);
        if (run === undefined) {
          run = verifyTenant(anchors(), tenantId, { verifiers: [key.verifier] }).finally(() => running.delete(tenantId));
          running.set(tenantId, run);
        }
        return jsonResponse(200, await run);
      },
      { parse: "none", detail: { summary: "Verify the tenant's chains, leaves and checkpoints; {ok, failures[]}" } },
    );
}

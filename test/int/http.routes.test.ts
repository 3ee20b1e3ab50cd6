// Event routes in-process, as table-style scenarios (given events, when one request, then status, body and events written): appends, reads, chains, workflow.
import { describe, expect, test } from "bun:test";
import { eventHashOf } from "../../src/core/chain/link.ts";
import type { Receipt, StoredEvent } from "../../src/core/events/types.ts";
import {
  commentAdded,
  comments,
  describeScenarios,
  expectWellFormedReceipt,
  familyChainOf,
  findingChainOf,
  findingClosed,
  findingCreated,
  findingEvent,
  findingReopened,
  get,
  items,
  makeTestApp,
  post,
  RECEIPT_KEYS,
  receiptOf,
  statusChanged,
  STORED_KEYS,
  timeAnchorUpdated,
  ZERO_HASH,
} from "../support/http.ts";

describeScenarios({
  "append one event": [
    {
      name: "finding.created -> 201 with exactly the receipt fields, sequence 1, zero previousHash, microsecond recordedAt",
      when: (w) => post(w.f),
      then: {
        status: 201,
        keys: RECEIPT_KEYS,
        written: 1,
        check: (r, w) => {
          const receipt = r.json as unknown as Receipt;
          expectWellFormedReceipt(receipt, "acme", w.f);
          expect(receipt.sequence).toBe(1);
          expect(receipt.previousHash).toBe(ZERO_HASH);
        },
      },
    },
    {
      name: "second event links to the first: sequence 2, previousHash = first eventHash",
      given: (w) => [w.f],
      when: (w) => post(commentAdded(w.f.findingId)),
      then: { status: 201, written: 1, body: (w) => ({ sequence: 2, previousHash: w.receipts[0]!.eventHash, chainId: w.receipts[0]!.chainId }) },
    },
    {
      name: "non-finding event -> 201 on the tenant's family chain",
      when: () => post(timeAnchorUpdated()),
      then: { status: 201, written: 1, keys: RECEIPT_KEYS, body: { chainId: familyChainOf("acme", "airgap"), sequence: 1, previousHash: ZERO_HASH } },
    },
    {
      name: "identical replay -> 200 with the original receipt, recordedAt included",
      given: (w) => [w.f],
      when: (w) => post(w.f),
      then: { status: 200, written: 0, exact: (w) => w.receipts[0] },
    },
    {
      name: "replay with an upper-case eventId and the same instant at another offset (sub-ms digits) -> 200 original receipt",
      given: (w) => [w.f],
      when: (w) => post({ ...w.f, eventId: w.f.eventId.toUpperCase(), occurredAt: "2026-11-01t11:00:00.000999+01:00" }),
      then: { status: 200, written: 0, exact: (w) => w.receipts[0] },
    },
    {
      name: "replay carrying expectedSequence -> 200 original receipt (expectedSequence is not content)",
      given: (w) => [w.f, commentAdded(w.f.findingId)],
      when: (w) => post({ ...w.f, expectedSequence: 1 }),
      then: { status: 200, written: 0, exact: (w) => w.receipts[0] },
    },
    {
      name: "same eventId, different content -> 409 idempotency_conflict",
      given: (w) => [w.f],
      when: (w) => post({ ...w.f, payload: { ...w.f.payload, severity: "low" } }),
      then: { status: 409, error: "idempotency_conflict", written: 0 },
    },
    {
      name: "same eventId reused for another finding -> 409 idempotency_conflict",
      given: (w) => [w.f],
      when: (w) => post(findingCreated({ eventId: w.f.eventId })),
      then: { status: 409, error: "idempotency_conflict", written: 0 },
    },
    {
      name: "same event in another tenant is that tenant's own event -> 201 on its own chain",
      given: (w) => [w.f],
      when: (w) => post(w.f, { tenant: "beta" }),
      then: { status: 201, written: 1, body: (w) => ({ sequence: 1, chainId: findingChainOf("beta", w.f.findingId) }) },
    },
    {
      name: "expectedSequence = head + 1 -> 201",
      given: (w) => [w.f],
      when: (w) => post({ ...commentAdded(w.f.findingId), expectedSequence: 2 }),
      then: { status: 201, written: 1, body: { sequence: 2 } },
    },
    {
      name: "expectedSequence 1 on a new chain -> 201",
      when: (w) => post({ ...w.f, expectedSequence: 1 }),
      then: { status: 201, written: 1, body: { sequence: 1 } },
    },
    {
      name: "wrong expectedSequence -> 409 sequence_mismatch {expected, actual}",
      given: (w) => [w.f],
      when: (w) => post({ ...commentAdded(w.f.findingId), expectedSequence: 5 }),
      then: { status: 409, error: "sequence_mismatch", written: 0, body: { details: { expected: 5, actual: 2 } } },
    },
    {
      name: "expectedSequence 2 on a new chain -> 409 sequence_mismatch {expected 2, actual 1}",
      when: (w) => post({ ...w.f, expectedSequence: 2 }),
      then: { status: 409, error: "sequence_mismatch", written: 0, body: { details: { expected: 2, actual: 1 } } },
    },
  ],

  "read one event": [
    {
      name: "every written field plus tenantId, chain fields, recordedAt, leafIndex null; ids lower-cased, occurredAt normalised",
      given: (w) => [{ ...w.f, eventId: w.f.eventId.toUpperCase(), sourceRunId: w.f.sourceRunId!.toUpperCase(), occurredAt: "2026-11-01T12:00:00.123456+02:00" }],
      when: (w) => get(`/v1/ledger/events/${w.f.eventId}`),
      then: {
        status: 200,
        written: 0,
        keys: STORED_KEYS,
        body: (w) => ({
          eventId: w.f.eventId.toLowerCase(),
          eventType: "finding.created",
          findingId: w.f.findingId,
          artifactId: w.f.artifactId,
          policyVersion: w.f.policyVersion,
          actor: w.f.actor,
          occurredAt: "2026-11-01T10:00:00.123Z",
          sourceRunId: w.f.sourceRunId!.toLowerCase(),
          payload: w.f.payload,
          tenantId: "acme",
          leafIndex: null,
          ...w.receipts[0],
        }),
        check: (r) => expect(eventHashOf(r.json as unknown as StoredEvent)).toBe(r.json.eventHash as string),
      },
    },
    {
      name: "absent optional fields read back as null",
      given: (w) => [w.f, commentAdded(w.f.findingId)],
      when: (w) => get(`/v1/ledger/events/${w.given[1]!.eventId}`),
      then: { status: 200, written: 0, keys: STORED_KEYS, body: { artifactId: null, policyVersion: null, sourceRunId: null, sequence: 2, leafIndex: null } },
    },
    {
      name: "by an upper-case id -> 200",
      given: (w) => [w.f],
      when: (w) => get(`/v1/ledger/events/${w.f.eventId.toUpperCase()}`),
      then: { status: 200, written: 0, body: (w) => ({ eventId: w.f.eventId }) },
    },
    {
      name: "unknown id -> 404 not_found",
      when: () => get(`/v1/ledger/events/${crypto.randomUUID()}`),
      then: { status: 404, error: "not_found", written: 0 },
    },
    {
      name: "another tenant's event -> 404, the same body as an unknown id",
      given: (w) => [w.f],
      when: (w) => get(`/v1/ledger/events/${w.f.eventId}`, "beta"),
      then: {
        status: 404,
        error: "not_found",
        written: 0,
        check: async (r, w) => expect(r.json).toEqual((await w.t.request("GET", `/v1/ledger/events/${crypto.randomUUID()}`, { tenant: "beta" })).json),
      },
    },
  ],

  "read a chain": [
    {
      name: "limit 2 pages through 5 events in sequence order; nextCursor null on the last page",
      given: (w) => [w.f, ...comments(w, 4)],
      when: (w) => get(`/v1/ledger/chains/${w.receipts[0]!.chainId}?limit=2`),
      then: {
        status: 200,
        written: 0,
        keys: ["items", "nextCursor"],
        check: async (first, w) => {
          const pages = [items(first).map((e) => e.sequence)];
          let cursor = first.json.nextCursor as string | null;
          while (cursor !== null) {
            expect(typeof cursor).toBe("string");
            const r = await w.t.request("GET", `/v1/ledger/chains/${w.receipts[0]!.chainId}?limit=2&cursor=${encodeURIComponent(cursor)}`);
            expect(r.status).toBe(200);
            pages.push(items(r).map((e) => e.sequence));
            cursor = r.json.nextCursor as string | null;
          }
          expect(pages).toEqual([[1, 2], [3, 4], [5]]);
        },
      },
    },
    {
      name: "items are the stored events, linked, equal to their receipts",
      given: (w) => [w.f, ...comments(w, 2)],
      when: (w) => get(`/v1/ledger/chains/${w.receipts[0]!.chainId}`),
      then: {
        status: 200,
        written: 0,
        check: (r, w) => {
          expect(items(r).map(receiptOf)).toEqual(w.receipts);
          items(r).forEach((e, i) => {
            expect(Object.keys(e).sort()).toEqual(STORED_KEYS);
            expect(eventHashOf(e)).toBe(e.eventHash);
            expect(e.previousHash).toBe(i === 0 ? ZERO_HASH : items(r)[i - 1]!.eventHash);
          });
          expect(r.json.nextCursor).toBeNull();
        },
      },
    },
    {
      name: "limit equal to the chain length -> all items, nextCursor null",
      given: (w) => [w.f, ...comments(w, 2)],
      when: (w) => get(`/v1/ledger/chains/${w.receipts[0]!.chainId}?limit=3`),
      then: { status: 200, written: 0, check: (r) => expect([items(r).length, r.json.nextCursor]).toEqual([3, null]) },
    },
    {
      name: "default limit is 100",
      given: (w) => [w.f, ...comments(w, 100)],
      when: (w) => get(`/v1/ledger/chains/${w.receipts[0]!.chainId}`),
      then: { status: 200, written: 0, check: (r) => expect([items(r).length, items(r).at(-1)!.sequence, typeof r.json.nextCursor]).toEqual([100, 100, "string"]) },
    },
    {
      name: "limit 1000 is allowed",
      when: () => get(`/v1/ledger/chains/${crypto.randomUUID()}?limit=1000`),
      then: { status: 200, written: 0, exact: () => ({ items: [], nextCursor: null }) },
    },
    {
      name: "limit 1001 -> 400 bad_request",
      when: () => get(`/v1/ledger/chains/${crypto.randomUUID()}?limit=1001`),
      then: { status: 400, error: "bad_request", written: 0 },
    },
    {
      name: "unknown chain -> 200 empty page",
      when: () => get(`/v1/ledger/chains/${crypto.randomUUID()}`),
      then: { status: 200, written: 0, exact: () => ({ items: [], nextCursor: null }) },
    },
    {
      name: "another tenant's chain -> 200 empty page",
      given: (w) => [w.f],
      when: (w) => get(`/v1/ledger/chains/${w.receipts[0]!.chainId}`, "beta"),
      then: { status: 200, written: 0, exact: () => ({ items: [], nextCursor: null }) },
    },
  ],

  "workflow": [
    {
      name: "an event before finding.created -> 409 finding_not_found",
      when: (w) => post(commentAdded(w.f.findingId)),
      then: { status: 409, error: "finding_not_found", written: 0 },
    },
    {
      name: "a second finding.created -> 409 finding_exists",
      given: (w) => [w.f],
      when: (w) => post(findingCreated({ findingId: w.f.findingId })),
      then: { status: 409, error: "finding_exists", written: 0 },
    },
    {
      name: "status_changed on a closed finding -> 409 invalid_transition {current: closed, requested: <status>}",
      given: (w) => [w.f, findingClosed(w.f.findingId)],
      when: (w) => post(statusChanged(w.f.findingId, { status: "fixed" })),
      then: { status: 409, error: "invalid_transition", written: 0, body: { details: { current: "closed", requested: "fixed" } } },
    },
    {
      name: "a non-status event on a closed finding -> 409 {current: closed, requested: <eventType>}",
      given: (w) => [w.f, findingClosed(w.f.findingId)],
      when: (w) => post(findingEvent(w.f.findingId, "finding.tag_updated", { add: ["x"] })),
      then: { status: 409, error: "invalid_transition", written: 0, body: { details: { current: "closed", requested: "finding.tag_updated" } } },
    },
    {
      name: "a comment on a closed finding -> 201",
      given: (w) => [w.f, findingClosed(w.f.findingId)],
      when: (w) => post(commentAdded(w.f.findingId)),
      then: { status: 201, written: 1, body: { sequence: 3 } },
    },
    {
      name: "reopened on a closed finding -> 201",
      given: (w) => [w.f, findingClosed(w.f.findingId)],
      when: (w) => post(findingReopened(w.f.findingId)),
      then: { status: 201, written: 1, body: { sequence: 3 } },
    },
    {
      name: "reopened on an open finding -> 409 invalid_transition {current: open}",
      given: (w) => [w.f],
      when: (w) => post(findingReopened(w.f.findingId)),
      then: { status: 409, error: "invalid_transition", written: 0, body: { details: { current: "open" } } },
    },
    {
      name: "status_changed to accepted_risk -> 422 at payload.status",
      given: (w) => [w.f],
      when: (w) => post(statusChanged(w.f.findingId, { status: "accepted_risk" })),
      then: { status: 422, error: "validation_failed", written: 0, paths: ["payload.status"] },
    },
    {
      name: "status_changed to closed -> 422 at payload.status",
      given: (w) => [w.f],
      when: (w) => post(statusChanged(w.f.findingId, { status: "closed" })),
      then: { status: 422, error: "validation_failed", written: 0, paths: ["payload.status"] },
    },
    {
      name: "not_affected with neither justification nor impactStatement -> 422 at payload.justification",
      given: (w) => [w.f],
      when: (w) => post(statusChanged(w.f.findingId, { status: "not_affected" })),
      then: { status: 422, error: "validation_failed", written: 0, paths: ["payload.justification"] },
    },
    {
      name: "vex_decision not_affected with neither field -> 422 at payload.justification",
      given: (w) => [w.f],
      when: (w) => post(findingEvent(w.f.findingId, "finding.vex_decision", { status: "not_affected" })),
      then: { status: 422, error: "validation_failed", written: 0, paths: ["payload.justification"] },
    },
    {
      name: "not_affected with a justification -> 201",
      given: (w) => [w.f],
      when: (w) => post(statusChanged(w.f.findingId, { status: "not_affected", justification: "vulnerable_code_not_in_execute_path" })),
      then: { status: 201, written: 1 },
    },
    {
      name: "not_affected with only an impactStatement -> 201",
      given: (w) => [w.f],
      when: (w) => post(statusChanged(w.f.findingId, { status: "not_affected", impactStatement: "only reachable from tests" })),
      then: { status: 201, written: 1 },
    },
    {
      name: "affected without an actionStatement -> 422 at payload.actionStatement",
      given: (w) => [w.f],
      when: (w) => post(statusChanged(w.f.findingId, { status: "affected" })),
      then: { status: 422, error: "validation_failed", written: 0, paths: ["payload.actionStatement"] },
    },
    {
      name: "accepted_risk with reason and a later expiresAt -> 201",
      given: (w) => [w.f],
      when: (w) => post(findingEvent(w.f.findingId, "finding.accepted_risk", { reason: "compensating control", expiresAt: "2027-01-01T00:00:00Z" })),
      then: { status: 201, written: 1 },
    },
    {
      name: "accepted_risk expiring before occurredAt -> 422 at payload.expiresAt",
      given: (w) => [w.f],
      when: (w) => post(findingEvent(w.f.findingId, "finding.accepted_risk", { reason: "r", expiresAt: "2026-01-01T00:00:00Z" })),
      then: { status: 422, error: "validation_failed", written: 0, paths: ["payload.expiresAt"] },
    },
  ],
});

describe("operations", () => {
  test("live, ready and status answer without a token or tenant", async () => {
    const t = await makeTestApp();
    const live = await t.request("GET", "/health/live", { token: null, tenant: null });
    expect([live.status, live.json.status]).toEqual([200, "live"]);
    const ready = await t.request("GET", "/health/ready", { token: null, tenant: null });
    expect([ready.status, ready.json.status]).toEqual([200, "ready"]);
    const status = await t.request("GET", "/status", { token: null, tenant: null });
    expect(status.status).toBe(200);
    expect(Object.keys(status.json)).toEqual(expect.arrayContaining(["version", "commit", "buildTime", "features", "config", "workers"]));
    expect(status.text).not.toContain(t.token);
    await t.close();
  });
});

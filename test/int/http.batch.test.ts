// Batch route in-process, as table-style scenarios: JSON array and NDJSON, per-event results, replays, all-or-nothing refusals, limits.
import { expect } from "bun:test";
import type { StoredEvent } from "../../src/core/events/types.ts";
import {
  batch,
  commentAdded,
  comments,
  describeScenarios,
  expectWellFormedReceipt,
  familyChainOf,
  findingCreated,
  ndjson,
  receiptOf,
  results,
  timeAnchorUpdated,
} from "../support/http.ts";

const BIG = 10_000;

describeScenarios({
  "append a batch": [
    {
      name: "JSON array -> 201 with results [{index, status, receipt}] in request order",
      when: (w) => batch([w.f, commentAdded(w.f.findingId), timeAnchorUpdated(), commentAdded(w.f.findingId)]),
      then: {
        status: 201,
        written: 4,
        keys: ["results"],
        check: async (r, w) => {
          const rs = results(r);
          expect(rs.map((x) => [x.index, x.status, x.receipt.sequence])).toEqual([[0, "created", 1], [1, "created", 2], [2, "created", 1], [3, "created", 3]]);
          for (const x of rs) {
            expect(Object.keys(x).sort()).toEqual(["index", "receipt", "status"]);
            const got = await w.t.request("GET", `/v1/ledger/events/${x.receipt.eventId}`);
            expect(receiptOf(got.json as unknown as StoredEvent)).toEqual(x.receipt);
          }
          expect(rs[1]!.receipt.previousHash).toBe(rs[0]!.receipt.eventHash);
          expect(rs[3]!.receipt.previousHash).toBe(rs[1]!.receipt.eventHash);
          expect(rs[2]!.receipt.chainId).toBe(familyChainOf("acme", "airgap"));
          expectWellFormedReceipt(rs[0]!.receipt, "acme", w.f);
        },
      },
    },
    {
      name: "NDJSON -> 201 with results in order",
      when: (w) => ndjson([w.f, commentAdded(w.f.findingId), commentAdded(w.f.findingId)]),
      then: { status: 201, written: 3, check: (r) => expect(results(r).map((x) => [x.index, x.status, x.receipt.sequence])).toEqual([[0, "created", 1], [1, "created", 2], [2, "created", 3]]) },
    },
    {
      name: "NDJSON with CRLF line ends and a charset parameter -> 201",
      when: (w) => ({ ...ndjson([w.f, commentAdded(w.f.findingId)], "\r\n"), headers: { "content-type": "application/x-ndjson; charset=utf-8" } }),
      then: { status: 201, written: 2, check: (r) => expect(results(r).map((x) => x.status)).toEqual(["created", "created"]) },
    },
    {
      name: "an all-duplicate replay -> 200, every result duplicate with the original receipt",
      given: (w) => [w.f, commentAdded(w.f.findingId)],
      when: (w) => ndjson(w.given),
      then: {
        status: 200,
        written: 0,
        check: (r, w) => {
          expect(results(r).map((x) => x.status)).toEqual(["duplicate", "duplicate"]);
          expect(results(r).map((x) => x.receipt)).toEqual(w.receipts);
        },
      },
    },
    {
      name: "duplicates mixed with new events -> 201 with per-event status",
      given: (w) => [w.f],
      when: (w) => batch([w.f, commentAdded(w.f.findingId)]),
      then: {
        status: 201,
        written: 1,
        check: (r, w) => {
          expect(results(r).map((x) => [x.status, x.receipt.sequence])).toEqual([["duplicate", 1], ["created", 2]]);
          expect(results(r)[0]!.receipt).toEqual(w.receipts[0]!);
        },
      },
    },
    {
      name: "the same event twice in one batch -> 201, the second a duplicate with the first's receipt",
      when: (w) => batch([w.f, w.f]),
      then: { status: 201, written: 1, check: (r) => expect([results(r)[1]!.status, results(r)[1]!.receipt]).toEqual(["duplicate", results(r)[0]!.receipt]) },
    },
    {
      name: "invalid events among valid ones -> 422 listing every failing [i].path; nothing written",
      when: (w) => batch([w.f, { ...commentAdded(w.f.findingId), eventId: "nope" }, commentAdded(w.f.findingId), { ...findingCreated(), payload: { vulnerabilityId: "x", severity: "huge" } }]),
      then: { status: 422, error: "validation_failed", written: 0, paths: ["[1].eventId", "[3].payload.severity"] },
    },
    {
      name: "workflow refusals -> 409 with details [{index, error}] for every refused event; nothing written",
      when: (w) => batch([w.f, commentAdded(`ghost-${crypto.randomUUID()}`), commentAdded(w.f.findingId), findingCreated({ findingId: w.f.findingId })]),
      then: {
        status: 409,
        error: "finding_not_found",
        written: 0,
        check: (r) => expect((r.json.details as { index: number; error: string }[]).map((d) => [d.index, d.error])).toEqual([[1, "finding_not_found"], [3, "finding_exists"]]),
      },
    },
    {
      name: "a wrong expectedSequence inside a batch -> 409 sequence_mismatch at its index; nothing written",
      given: (w) => [w.f],
      when: (w) => batch([commentAdded(w.f.findingId), { ...commentAdded(w.f.findingId), expectedSequence: 3 }, { ...commentAdded(w.f.findingId), expectedSequence: 3 }]),
      then: {
        status: 409,
        error: "sequence_mismatch",
        written: 0,
        check: (r) => expect(r.json.details).toMatchObject([{ index: 2, error: "sequence_mismatch", details: { expected: 3, actual: 4 } }]),
      },
    },
    {
      name: "one eventId twice with different content -> 409 idempotency_conflict at the second index; nothing written",
      when: (w) => batch([w.f, { ...w.f, payload: { ...w.f.payload, severity: "low" } }]),
      then: { status: 409, error: "idempotency_conflict", written: 0, check: (r) => expect(r.json.details).toMatchObject([{ index: 1, error: "idempotency_conflict" }]) },
    },
    {
      name: "exactly 10,000 events -> 201",
      when: (w) => batch([w.f, ...comments(w, BIG - 1)]),
      then: { status: 201, written: BIG, check: (r) => expect([results(r).length, results(r).at(-1)!.receipt.sequence]).toEqual([BIG, BIG]) },
    },
    {
      name: "10,001 events in a JSON array -> 413 batch_too_large",
      when: () => batch(Array.from({ length: BIG + 1 }, () => ({}))),
      then: { status: 413, error: "batch_too_large", written: 0 },
    },
    {
      name: "10,001 NDJSON lines -> 413 batch_too_large",
      when: () => ndjson(Array.from({ length: BIG + 1 }, () => ({}))),
      then: { status: 413, error: "batch_too_large", written: 0 },
    },
    {
      name: "an unparsable NDJSON line -> 400 naming the line",
      when: (w) => ({ ...ndjson([w.f]), rawBody: `${JSON.stringify(w.f)}\n\n{"eventId": oops}\n${JSON.stringify(commentAdded(w.f.findingId))}\n` }),
      then: { status: 400, error: "bad_request", written: 0, check: (r) => expect(r.json.message as string).toContain("line 3") },
    },
  ],
});

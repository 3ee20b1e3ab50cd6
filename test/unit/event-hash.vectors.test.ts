// Contract vectors: the events of shared/vectors reproduce byte for byte.
import { describe, expect, test } from "bun:test";
import vectors from "../vectors/events.json";
import jcsNumbers from "../vectors/jcs-numbers.json";
import { canonicalize } from "../../src/core/canonical/jcs.ts";
import { canonicalFormOf, chainIdOf, linkEvent } from "../../src/core/chain/link.ts";
import { validateEvent } from "../../src/core/events/validate.ts";
import { ZERO_HASH } from "../../src/core/events/types.ts";

describe("shared/vectors/events.json", () => {
  const heads = new Map<string, { sequence: number; hash: string }>();
  for (const c of vectors.cases) {
    test(c.name, () => {
      const { draft } = validateEvent(c.event);
      const chainId = chainIdOf(c.tenantId, draft);
      expect(chainId).toBe(c.expected.chainId);
      const head = heads.get(chainId) ?? { sequence: 0, hash: ZERO_HASH };
      expect(head.sequence + 1).toBe(c.expected.sequence);
      expect(head.hash).toBe(c.expected.previousHash);
      const linked = linkEvent(c.tenantId, chainId, head.sequence + 1, head.hash, draft);
      expect(canonicalFormOf(linked)).toBe(c.expected.canonical);
      expect(linked.eventHash).toBe(c.expected.eventHash);
      expect(linked.merkleLeafHash).toBe(c.expected.merkleLeafHash);
      heads.set(chainId, { sequence: linked.sequence, hash: linked.eventHash });
    });
  }
});

describe("shared/vectors/jcs-numbers.json", () => {
  for (const c of jcsNumbers.cases) {
    test(`${c.number} -> ${c.canonical}`, () => {
      expect(canonicalize(JSON.parse(c.number))).toBe(c.canonical);
    });
  }
});

describe("the written-out canonical forms equal the generic encoder", () => {
  const fc = require("fast-check") as typeof import("fast-check");
  const { contentDigestOf, contentInputOf, hashInputOf } = require("../../src/core/chain/link.ts") as typeof import("../../src/core/chain/link.ts");
  const { sha256Hex } = require("../../src/core/hash/digest.ts") as typeof import("../../src/core/hash/digest.ts");
  const str = fc.string({ unit: "grapheme", maxLength: 12 });
  const event = fc.record({
    tenantId: str, chainId: str, sequence: fc.integer({ min: 1, max: 2 ** 40 }), eventId: str, eventType: str,
    findingId: fc.option(str), artifactId: fc.option(str), policyVersion: fc.option(str),
    actor: fc.record({ id: str, type: str }), occurredAt: str, sourceRunId: fc.option(str),
    payload: fc.dictionary(str, fc.jsonValue()), previousHash: str,
  });
  test("canonicalFormOf == canonicalize(hashInputOf) and contentDigestOf == sha256(canonicalize(contentInputOf))", () => {
    fc.assert(
      fc.property(event, (e) => {
        const typed = e as unknown as Parameters<typeof canonicalFormOf>[0];
        expect(canonicalFormOf(typed)).toBe(canonicalize(hashInputOf(typed)));
        expect(contentDigestOf(e.tenantId, e.chainId, typed)).toBe(sha256Hex(canonicalize(contentInputOf(e.tenantId, e.chainId, typed))));
      }),
      { numRuns: 500 },
    );
  });
});

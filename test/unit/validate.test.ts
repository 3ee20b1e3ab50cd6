// Envelope and payload validation: every refusal names the offending path (DESIGN.md section 12).
import { describe, expect, test } from "bun:test";
import { ValidationError } from "../../src/core/errors.ts";
import { parseRfc3339 } from "../../src/core/events/time.ts";
import { validateEvent } from "../../src/core/events/validate.ts";

const base = {
  eventId: "1c3f7e2a-6b4d-4e8f-a1b2-c3d4e5f60718",
  eventType: "finding.created",
  findingId: "CVE-2026-1@sha256:aa",
  artifactId: "sha256:aa",
  actor: { id: "alice", type: "operator" },
  occurredAt: "2026-11-01T10:00:00Z",
  payload: { vulnerabilityId: "CVE-2026-1", severity: "high" },
};
const status = (payload: Record<string, unknown>) => ({ ...base, eventType: "finding.status_changed", payload });

function pathsOf(body: unknown, prefix?: string): string[] {
  try {
    validateEvent(body, prefix);
  } catch (e) {
    if (e instanceof ValidationError) return e.problems.map((p) => p.path);
    throw e;
  }
  return [];
}

describe("valid events normalise", () => {
  test("ids lower-cased, absent optionals null, occurredAt in UTC millis", () => {
    const { draft, expectedSequence } = validateEvent({ ...base, eventId: base.eventId.toUpperCase(), occurredAt: "2026-11-01t23:30:15.123456+02:00", expectedSequence: 3 });
    expect(draft.eventId).toBe(base.eventId);
    expect(draft.occurredAt).toBe("2026-11-01T21:30:15.123Z");
    expect(draft.policyVersion).toBeNull();
    expect(draft.sourceRunId).toBeNull();
    expect(expectedSequence).toBe(3);
  });
  test.each([
    ["non-finding event without findingId", { ...base, eventType: "airgap.time_anchor_updated", findingId: null, artifactId: undefined, payload: { anchorTime: "2026-10-31T00:00:00Z", source: "bundle" } }],
    ["not_affected with impactStatement only", status({ status: "not_affected", impactStatement: "never called" })],
    ["affected with actionStatement", status({ status: "affected", actionStatement: "upgrade" })],
    ["assignment to null", { ...base, eventType: "finding.assignment_changed", payload: { assignee: null } }],
    ["tag removal only", { ...base, eventType: "finding.tag_updated", payload: { remove: ["x"] } }],
    ["vex decision fixed", { ...base, eventType: "finding.vex_decision", payload: { status: "fixed" } }],
    ["attestation with rekor", { ...base, eventType: "finding.attestation_linked", payload: { dsseDigest: `sha256:${"a".repeat(64)}`, predicateType: "https://slsa.dev/provenance/v1", rekor: { logIndex: 1, logId: "x", integratedTime: 1700000000 } } }],
    ["orchestrator export", { ...base, eventType: "orchestrator.run_exported", findingId: undefined, artifactId: undefined, payload: { runId: "r1", exportedAt: "2026-11-01T00:00:00Z", producer: "scanner", artifacts: [{ artifactId: "sha256:aa", digest: "sha256:aa" }] } }],
  ])("%s", (_name, body) => {
    expect(pathsOf(body)).toEqual([]);
  });
});

describe("refusals name the path", () => {
  const cases: Array<[string, unknown, string[]]> = [
    ["missing everything", {}, ["eventId", "eventType", "actor", "occurredAt", "payload"]],
    ["bad eventId", { ...base, eventId: "not-a-uuid" }, ["eventId"]],
    ["bad sourceRunId", { ...base, sourceRunId: "123" }, ["sourceRunId"]],
    ["unknown eventType", { ...base, eventType: "finding.deleted" }, ["eventType"]],
    ["unknown envelope field", { ...base, tenantId: "acme" }, ["tenantId"]],
    ["findingId missing on finding event", { ...base, findingId: undefined }, ["findingId"]],
    ["findingId on non-finding event", { ...base, eventType: "airgap.time_anchor_updated", payload: { anchorTime: "2026-10-31T00:00:00Z", source: "b" } }, ["findingId"]],
    ["artifactId missing on created", { ...base, artifactId: null }, ["artifactId"]],
    ["actor type", { ...base, actor: { id: "a", type: "robot" } }, ["actor.type"]],
    ["actor extra field", { ...base, actor: { id: "a", type: "operator", email: "x" } }, ["actor.email"]],
    ["occurredAt without offset", { ...base, occurredAt: "2026-11-01T10:00:00" }, ["occurredAt"]],
    ["occurredAt leap second", { ...base, occurredAt: "2016-12-31T23:59:60Z" }, ["occurredAt"]],
    ["occurredAt Feb 30", { ...base, occurredAt: "2026-02-30T10:00:00Z" }, ["occurredAt"]],
    ["occurredAt number", { ...base, occurredAt: 1700000000 }, ["occurredAt"]],
    ["payload not an object", { ...base, payload: [] }, ["payload"]],
    ["unknown payload field", { ...base, payload: { ...base.payload, extra: 1 } }, ["payload.extra"]],
    ["bad severity", { ...base, payload: { vulnerabilityId: "x", severity: "urgent" } }, ["payload.severity"]],
    ["cvss out of range", { ...base, payload: { ...base.payload, cvssScore: 11 } }, ["payload.cvssScore"]],
    ["integer beyond 2^53", { ...base, payload: { ...base.payload, cvssScore: 2 ** 60 } }, ["payload.cvssScore"]],
    ["lone surrogate", { ...base, payload: { ...base.payload, title: "a\ud800b" } }, ["payload.title"]],
    ["status_changed to accepted_risk", status({ status: "accepted_risk" }), ["payload.status"]],
    ["status_changed to closed", status({ status: "closed" }), ["payload.status"]],
    ["not_affected with neither field", status({ status: "not_affected" }), ["payload.justification"]],
    ["not_affected with a bad justification", status({ status: "not_affected", justification: "because" }), ["payload.justification"]],
    ["affected without actionStatement", status({ status: "affected" }), ["payload.actionStatement"]],
    ["empty tag update", { ...base, eventType: "finding.tag_updated", payload: { add: [], remove: [] } }, ["payload.add"]],
    ["comment too long", { ...base, eventType: "finding.comment_added", payload: { comment: "x".repeat(10_001) } }, ["payload.comment"]],
    ["accepted risk expiring before it occurred", { ...base, eventType: "finding.accepted_risk", payload: { reason: "r", expiresAt: "2026-10-01T00:00:00Z" } }, ["payload.expiresAt"]],
    ["attachment sha256 not hex", { ...base, eventType: "finding.attachment_added", payload: { attachmentId: "a", fileName: "f", mediaType: "text/plain", sizeBytes: 1, sha256: "xyz" } }, ["payload.sha256"]],
    ["dsse digest without prefix", { ...base, eventType: "finding.attestation_linked", payload: { dsseDigest: "a".repeat(64), predicateType: "p" } }, ["payload.dsseDigest"]],
    ["batch prefix", { ...base, eventId: 7 }, ["[12].eventId"]],
  ];
  for (const [name, body, expected] of cases) {
    test(name, () => {
      expect(pathsOf(body, name === "batch prefix" ? "[12]." : undefined)).toEqual(expected);
    });
  }
  test("a body that is not an object", () => {
    expect(pathsOf([1, 2])).toEqual(["$"]);
  });
});

describe("RFC 3339 parsing", () => {
  test.each([
    ["2026-11-01T10:00:00Z", "2026-11-01T10:00:00.000Z"],
    ["2026-11-01T10:00:00.1Z", "2026-11-01T10:00:00.100Z"],
    ["2026-11-01T10:00:00.123999999Z", "2026-11-01T10:00:00.123Z"],
    ["2026-11-01T00:30:00+01:00", "2026-10-31T23:30:00.000Z"],
    ["2026-12-31T23:00:00-02:00", "2027-01-01T01:00:00.000Z"],
    ["2024-02-29T12:00:00z", "2024-02-29T12:00:00.000Z"],
  ])("%s -> %s", (input, iso) => {
    const t = parseRfc3339(input);
    expect(t.ok && t.iso).toBe(iso);
  });
  test.each(["2026-11-01 10:00:00Z", "2026-13-01T10:00:00Z", "2025-02-29T10:00:00Z", "2026-11-01T24:00:00Z", "2026-11-01T10:00:00+24:00", "2026-11-01T10:00:00.Z", "x"])("%s is refused", (input) => {
    expect(parseRfc3339(input).ok).toBe(false);
  });
});

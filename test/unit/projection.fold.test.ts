// The projection fold: what each event does to a finding row, what it refuses, and accepted-risk expiry.
import { describe, expect, test } from "bun:test";
import { chainIdOf, linkEvent } from "../../src/core/chain/link.ts";
import { LedgerError } from "../../src/core/errors.ts";
import { ZERO_HASH, type ChainedEvent, type EventDraft, type EventType, type JsonObject } from "../../src/core/events/types.ts";
import { uuidV5 } from "../../src/core/hash/uuid.ts";
import { decide } from "../../src/core/workflow/decide.ts";
import { evolveWorkflow } from "../../src/core/workflow/evolve.ts";
import { initialWorkflowState } from "../../src/core/workflow/state.ts";
import { EXPIRY_COMMENT, draftExpiryEvent, isAcceptedRiskExpired, withExpiry } from "../../src/core/projection/expiry.ts";
import { findingKey, workflowStateOf, type Finding } from "../../src/core/projection/finding.ts";
import { foldEvents, foldFinding } from "../../src/core/projection/fold.ts";

const ARTIFACT = "sha256:0d5e2a1b3c4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
const OPERATOR = { id: "alice@example.com", type: "operator" } as const;
const ID_NS = "9c3f2d1e-0b4a-4c5d-8e7f-6a5b4c3d2e1f";

interface AppendOptions {
  occurredAt?: string;
  policyVersion?: string | null;
}

/** A real chain (linkEvent hashes) for one finding; each append checks the workflow first, as the write path does. */
function chain(tenantId: string, findingId: string) {
  const events: ChainedEvent[] = [];
  let state = initialWorkflowState;
  const append = (eventType: EventType, payload: JsonObject, opts: AppendOptions = {}): ChainedEvent => {
    decide(state, eventType, payload);
    state = evolveWorkflow(state, eventType, payload);
    const sequence = events.length + 1;
    const draft: EventDraft = {
      eventId: uuidV5(ID_NS, `${tenantId}/${findingId}/${sequence}`),
      eventType,
      findingId,
      artifactId: ARTIFACT,
      policyVersion: opts.policyVersion ?? null,
      actor: OPERATOR,
      occurredAt: opts.occurredAt ?? `2024-05-01T10:${String(sequence).padStart(2, "0")}:00.000Z`,
      sourceRunId: null,
      payload,
    };
    const event = linkEvent(tenantId, chainIdOf(tenantId, draft), sequence, events.at(-1)?.eventHash ?? ZERO_HASH, draft);
    events.push(event);
    return event;
  };
  return { events, append };
}

const fold = (events: ChainedEvent[]): Finding => {
  const row = events.reduce<Finding | null>(foldFinding, null);
  if (row === null) throw new Error("no events");
  return row;
};

const CREATED = {
  vulnerabilityId: "CVE-2024-3094",
  severity: "critical",
  cvssScore: 10,
  component: "pkg:deb/debian/xz-utils@5.6.0-0.2",
  title: "xz/liblzma backdoor",
  tags: ["supply-chain", "backdoor", "supply-chain"],
} satisfies JsonObject;

const ACCEPT = { reason: "Air-gapped build host.", expiresAt: "2024-06-01T00:00:00+02:00", approvedBy: "ciso@example.com" };

const refusal = (f: () => unknown): { code: string; details: unknown } => {
  try {
    f();
  } catch (e) {
    if (e instanceof LedgerError) return { code: e.code, details: e.details };
    throw e;
  }
  throw new Error("expected a refusal");
};

describe("projection fold: effects", () => {
  test("finding.created makes an open row with every DESIGN field; tags sorted and unique", () => {
    const c = chain("acme", "F-1");
    const e = c.append("finding.created", CREATED, { policyVersion: "policy-7" });
    expect(fold(c.events)).toEqual({
      findingId: "F-1",
      artifactId: ARTIFACT,
      vulnerabilityId: "CVE-2024-3094",
      component: "pkg:deb/debian/xz-utils@5.6.0-0.2",
      status: "open",
      severity: "critical",
      cvssScore: 10,
      assignee: null,
      tags: ["backdoor", "supply-chain"],
      justification: null,
      impactStatement: null,
      actionStatement: null,
      acceptedRisk: null,
      remediationPlans: [],
      attachments: [],
      attestations: [],
      policyVersion: "policy-7",
      createdAt: "2024-05-01T10:01:00.000Z",
      updatedAt: "2024-05-01T10:01:00.000Z",
      lastSequence: 1,
      lastEventHash: e.eventHash,
    });
  });

  test("optional created fields absent read as null / empty", () => {
    const c = chain("acme", "F-1");
    c.append("finding.created", { vulnerabilityId: "GHSA-xxxx-yyyy-zzzz", severity: "low" });
    const row = fold(c.events);
    expect([row.component, row.cvssScore, row.tags, row.policyVersion]).toEqual([null, null, [], null]);
  });

  test("status decisions replace the VEX triple with their own fields, kept only where OpenVEX gives them a meaning", () => {
    const c = chain("acme", "F-1");
    c.append("finding.created", CREATED);
    c.append("finding.status_changed", {
      status: "not_affected",
      justification: "vulnerable_code_not_in_execute_path",
      impactStatement: "liblzma is never linked into sshd here.",
    });
    let row = fold(c.events);
    expect([row.status, row.justification, row.impactStatement, row.actionStatement]).toEqual([
      "not_affected",
      "vulnerable_code_not_in_execute_path",
      "liblzma is never linked into sshd here.",
      null,
    ]);
    c.append("finding.vex_decision", { status: "affected", actionStatement: "Downgrade to 5.4.6." });
    row = fold(c.events);
    expect([row.status, row.justification, row.impactStatement, row.actionStatement]).toEqual([
      "affected",
      null,
      null,
      "Downgrade to 5.4.6.",
    ]);
    c.append("finding.status_changed", { status: "fixed", comment: "Rebuilt." });
    row = fold(c.events);
    expect([row.status, row.justification, row.impactStatement, row.actionStatement]).toEqual(["fixed", null, null, null]);
    // Validation lets these fields ride along on any status; the row keeps them only where they apply.
    c.append("finding.status_changed", {
      status: "under_investigation",
      justification: "component_not_present",
      impactStatement: "Maybe not shipped.",
      actionStatement: "Check the SBOM.",
    });
    row = fold(c.events);
    expect([row.status, row.justification, row.impactStatement, row.actionStatement]).toEqual(["under_investigation", null, null, null]);
    c.append("finding.vex_decision", { status: "affected", actionStatement: "Upgrade.", impactStatement: "Reachable from sshd." });
    row = fold(c.events);
    expect([row.status, row.justification, row.impactStatement, row.actionStatement]).toEqual(["affected", null, null, "Upgrade."]);
  });

  test("accepted_risk sets status and acceptedRisk (expired false); annotations keep it; leaving the status clears it", () => {
    const c = chain("acme", "F-1");
    c.append("finding.created", CREATED);
    c.append("finding.vex_decision", { status: "not_affected", justification: "component_not_present" });
    c.append("finding.accepted_risk", ACCEPT);
    c.append("finding.comment_added", { comment: "Reviewed by security board." });
    let row = fold(c.events);
    expect(row.status).toBe("accepted_risk");
    expect(row.justification).toBeNull();
    expect(row.acceptedRisk).toEqual({ ...ACCEPT, expired: false });
    c.append("finding.status_changed", { status: "under_investigation" });
    row = fold(c.events);
    expect([row.status, row.acceptedRisk]).toEqual(["under_investigation", null]);
  });

  test("approvedBy is optional and reads as null", () => {
    const c = chain("acme", "F-1");
    c.append("finding.created", CREATED);
    c.append("finding.accepted_risk", { reason: "r", expiresAt: "2030-01-01T00:00:00Z" });
    expect(fold(c.events).acceptedRisk).toEqual({ reason: "r", expiresAt: "2030-01-01T00:00:00Z", approvedBy: null, expired: false });
  });

  test("closed clears the VEX triple and accepted risk; reopened makes it open", () => {
    const c = chain("acme", "F-1");
    c.append("finding.created", CREATED);
    c.append("finding.accepted_risk", ACCEPT);
    c.append("finding.closed", { reason: "Host retired." });
    expect([fold(c.events).status, fold(c.events).acceptedRisk]).toEqual(["closed", null]);
    c.append("finding.comment_added", { comment: "Archived." });
    c.append("finding.reopened", {});
    expect(fold(c.events).status).toBe("open");
  });

  test("severity_changed keeps the CVSS score unless it brings one", () => {
    const c = chain("acme", "F-1");
    c.append("finding.created", CREATED);
    c.append("finding.severity_changed", { severity: "high", reason: "Not internet-facing." });
    expect([fold(c.events).severity, fold(c.events).cvssScore]).toEqual(["high", 10]);
    c.append("finding.severity_changed", { severity: "medium", cvssScore: 5.3 });
    expect([fold(c.events).severity, fold(c.events).cvssScore]).toEqual(["medium", 5.3]);
  });

  test("tag_updated adds then removes, so a tag in both lists ends removed; result sorted and unique", () => {
    const c = chain("acme", "F-1");
    c.append("finding.created", CREATED);
    c.append("finding.tag_updated", { add: ["pci", "Zeta", "pci", "edge"], remove: ["backdoor", "edge"] });
    expect(fold(c.events).tags).toEqual(["Zeta", "pci", "supply-chain"]);
    c.append("finding.tag_updated", { remove: ["not-there"] });
    expect(fold(c.events).tags).toEqual(["Zeta", "pci", "supply-chain"]);
  });

  test("assignment_changed sets or clears the assignee", () => {
    const c = chain("acme", "F-1");
    c.append("finding.created", CREATED);
    c.append("finding.assignment_changed", { assignee: "bob@example.com" });
    expect(fold(c.events).assignee).toBe("bob@example.com");
    c.append("finding.assignment_changed", { assignee: null });
    expect(fold(c.events).assignee).toBeNull();
  });

  test("plans, attachments and attestations append entries with their event id and time, absent optionals null", () => {
    const c = chain("acme", "F-1");
    c.append("finding.created", CREATED);
    const p = c.append("finding.remediation_plan_added", { plan: "Pin 5.4.x.", ticketUrl: "https://jira.example.com/browse/SEC-1" });
    const attachment = {
      attachmentId: "0b6f4a52-1f0e-4c57-9a3e-1d2f3c4b5a69",
      fileName: "strace.txt",
      mediaType: "text/plain",
      sizeBytes: 12_345,
      sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    };
    const a = c.append("finding.attachment_added", attachment);
    const envelope = { payloadType: "application/vnd.in-toto+json", payload: "eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEifQ==", signatures: [{ sig: "MEUCIQ==" }] };
    const t = c.append("finding.attestation_linked", {
      dsseDigest: "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
      predicateType: "https://slsa.dev/provenance/v1",
      envelope,
    });
    c.append("finding.remediation_plan_added", { plan: "Then upgrade.", dueAt: "2024-07-01T00:00:00Z" });
    const row = fold(c.events);
    expect(row.remediationPlans).toEqual([
      { eventId: p.eventId, occurredAt: p.occurredAt, plan: "Pin 5.4.x.", dueAt: null, ticketUrl: "https://jira.example.com/browse/SEC-1" },
      { eventId: c.events[4]!.eventId, occurredAt: c.events[4]!.occurredAt, plan: "Then upgrade.", dueAt: "2024-07-01T00:00:00Z", ticketUrl: null },
    ]);
    expect(row.attachments).toEqual([{ eventId: a.eventId, occurredAt: a.occurredAt, ...attachment }]);
    expect(row.attestations).toEqual([
      {
        eventId: t.eventId,
        occurredAt: t.occurredAt,
        dsseDigest: "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
        predicateType: "https://slsa.dev/provenance/v1",
        envelope,
        rekor: null,
      },
    ]);
  });

  test("comment_added moves only the head: updatedAt, lastSequence, lastEventHash", () => {
    const c = chain("acme", "F-1");
    c.append("finding.created", CREATED);
    const before = fold(c.events);
    const e = c.append("finding.comment_added", { comment: "See upstream oss-security thread." });
    expect(fold(c.events)).toEqual({ ...before, updatedAt: e.occurredAt, lastSequence: 2, lastEventHash: e.eventHash });
  });

  test("policyVersion is the latest one any event carried; events without one keep it", () => {
    const c = chain("acme", "F-1");
    c.append("finding.created", CREATED, { policyVersion: "p-1" });
    c.append("finding.comment_added", { comment: "x" });
    expect(fold(c.events).policyVersion).toBe("p-1");
    c.append("finding.severity_changed", { severity: "high" }, { policyVersion: "p-2" });
    expect(fold(c.events).policyVersion).toBe("p-2");
  });

  test("updatedAt is the occurredAt of the last event in chain order, even when a writer backdates it", () => {
    const c = chain("acme", "F-1");
    c.append("finding.created", CREATED, { occurredAt: "2024-05-02T00:00:00.000Z" });
    c.append("finding.comment_added", { comment: "late import" }, { occurredAt: "2024-04-01T00:00:00.000Z" });
    const row = fold(c.events);
    expect([row.createdAt, row.updatedAt]).toEqual(["2024-05-02T00:00:00.000Z", "2024-04-01T00:00:00.000Z"]);
  });

  test("the fold never mutates its input row", () => {
    const c = chain("acme", "F-1");
    c.append("finding.created", CREATED);
    const row = fold(c.events);
    const frozen = structuredClone(row);
    c.append("finding.tag_updated", { add: ["x"] });
    c.append("finding.attachment_added", {
      attachmentId: "a",
      fileName: "f",
      mediaType: "text/plain",
      sizeBytes: 1,
      sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    });
    foldFinding(foldFinding(row, c.events[1]!), c.events[2]!);
    expect(row).toEqual(frozen);
  });

  test("workflowStateOf(row) equals the workflow state evolved from the same events", () => {
    const c = chain("acme", "F-1");
    c.append("finding.created", CREATED);
    c.append("finding.closed", {});
    const evolved = c.events.reduce((s, e) => evolveWorkflow(s, e.eventType, e.payload), initialWorkflowState);
    expect(workflowStateOf(fold(c.events))).toEqual(evolved);
    expect(workflowStateOf(null)).toEqual(initialWorkflowState);
  });
});

describe("projection fold: refusals (never skip, never apply twice)", () => {
  const c = chain("acme", "F-1");
  c.append("finding.created", CREATED);
  c.append("finding.comment_added", { comment: "one" });
  c.append("finding.comment_added", { comment: "two" });
  const [e1, e2, e3] = c.events as [ChainedEvent, ChainedEvent, ChainedEvent];
  const at2 = fold([e1, e2]);

  test("applying the same event twice is sequence_mismatch", () => {
    expect(refusal(() => foldFinding(at2, e2))).toEqual({ code: "sequence_mismatch", details: { expected: 3, actual: 2 } });
  });

  test("skipping an event is sequence_mismatch", () => {
    expect(refusal(() => foldFinding(fold([e1]), e3))).toEqual({ code: "sequence_mismatch", details: { expected: 2, actual: 3 } });
  });

  test("a new row must start at sequence 1 with finding.created", () => {
    expect(refusal(() => foldFinding(null, e2))).toEqual({ code: "sequence_mismatch", details: { expected: 1, actual: 2 } });
    const orphan = chain("acme", "F-2");
    orphan.append("finding.created", CREATED);
    const notCreated = { ...orphan.events[0]!, eventType: "finding.comment_added" as const, payload: { comment: "x" } };
    expect(refusal(() => foldFinding(null, notCreated))).toEqual({
      code: "finding_not_found",
      details: { current: null, requested: "finding.comment_added" },
    });
  });

  test("a second finding.created at the right sequence is finding_exists", () => {
    const second = { ...e3, eventType: "finding.created" as const, payload: CREATED };
    expect(refusal(() => foldFinding(at2, second)).code).toBe("finding_exists");
  });

  test("an event that does not extend the row's chain head (fork or foreign chain) is refused", () => {
    expect(refusal(() => foldFinding(at2, { ...e3, previousHash: e1.eventHash })).code).toBe("internal");
    const other = chain("acme", "F-9");
    other.append("finding.created", CREATED);
    other.append("finding.comment_added", { comment: "a" });
    expect(refusal(() => foldFinding(fold([e1]), other.events[1]!)).code).toBe("internal");
    expect(refusal(() => foldFinding(null, { ...e1, previousHash: e3.eventHash })).code).toBe("internal");
  });

  test("a non-finding event has no row", () => {
    const airgap = { ...e1, eventType: "airgap.time_anchor_updated" as const, findingId: null };
    expect(refusal(() => foldFinding(null, airgap)).code).toBe("internal");
  });
});

describe("projection fold: foldEvents", () => {
  test("keys rows by tenant and finding, skips non-finding events, any interleaving of chains", () => {
    const a = chain("acme", "F-1");
    const b = chain("globex", "F-1");
    a.append("finding.created", CREATED);
    b.append("finding.created", { vulnerabilityId: "CVE-2021-44228", severity: "critical", cvssScore: 10 });
    a.append("finding.assignment_changed", { assignee: "alice" });
    b.append("finding.closed", {});
    const airgap = linkEvent("acme", chainIdOf("acme", { eventType: "airgap.time_anchor_updated", findingId: null }), 1, ZERO_HASH, {
      eventId: "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
      eventType: "airgap.time_anchor_updated",
      findingId: null,
      artifactId: null,
      policyVersion: null,
      actor: { id: "importer", type: "system" },
      occurredAt: "2024-05-01T00:00:00.000Z",
      sourceRunId: null,
      payload: { anchorTime: "2024-05-01T00:00:00Z", source: "roughtime" },
    });
    const interleaved = [a.events[0]!, airgap, b.events[0]!, b.events[1]!, a.events[1]!];
    const rows = foldEvents(interleaved);
    expect([...rows.keys()].sort()).toEqual([findingKey("acme", "F-1"), findingKey("globex", "F-1")].sort());
    expect(rows.get(findingKey("acme", "F-1"))).toEqual(fold(a.events));
    expect(rows.get(findingKey("globex", "F-1"))).toEqual(fold(b.events));
    expect(foldEvents([...a.events, ...b.events, airgap])).toEqual(rows);
  });

  test("continuing from a previous fold equals folding everything, and the start map is not mutated", () => {
    const a = chain("acme", "F-1");
    a.append("finding.created", CREATED);
    a.append("finding.severity_changed", { severity: "low" });
    a.append("finding.closed", {});
    const prefix = foldEvents(a.events.slice(0, 1));
    const prefixCopy = new Map(prefix);
    expect(foldEvents(a.events.slice(1), prefix)).toEqual(foldEvents(a.events));
    expect(prefix).toEqual(prefixCopy);
  });

  test("re-feeding events already folded is refused", () => {
    const a = chain("acme", "F-1");
    a.append("finding.created", CREATED);
    expect(refusal(() => foldEvents(a.events, foldEvents(a.events))).code).toBe("sequence_mismatch");
  });
});

describe("accepted risk expiry", () => {
  const c = chain("acme", "F-1");
  c.append("finding.created", CREATED);
  c.append("finding.accepted_risk", ACCEPT); // expiresAt 2024-06-01T00:00:00+02:00 = 2024-05-31T22:00:00Z
  const row = fold(c.events);

  test("expired exactly from expiresAt on, comparing instants, not strings", () => {
    expect(isAcceptedRiskExpired(row, "2024-05-31T21:59:59.999Z")).toBe(false);
    expect(isAcceptedRiskExpired(row, "2024-05-31T22:00:00.000Z")).toBe(true);
    expect(isAcceptedRiskExpired(row, "2024-06-01T00:00:00+02:00")).toBe(true);
    // Sorts after expiresAt as a string, but is 2024-05-31T21:30:00Z.
    expect(isAcceptedRiskExpired(row, "2024-06-01T00:30:00+03:00")).toBe(false);
  });

  test("withExpiry sets only acceptedRisk.expired and leaves the folded row alone", () => {
    expect(withExpiry(row, "2024-05-01T00:00:00Z")).toEqual(row);
    expect(withExpiry(row, "2024-07-01T00:00:00Z")).toEqual({ ...row, acceptedRisk: { ...row.acceptedRisk!, expired: true } });
    expect(row.acceptedRisk!.expired).toBe(false);
    const open = fold(c.events.slice(0, 1));
    expect(withExpiry(open, "2099-01-01T00:00:00Z")).toBe(open);
  });

  test("no expiry event before expiresAt or for a finding without accepted risk", () => {
    expect(draftExpiryEvent(row, "2024-05-01T00:00:00Z")).toBeNull();
    expect(draftExpiryEvent(fold(c.events.slice(0, 1)), "2099-01-01T00:00:00Z")).toBeNull();
  });

  test("after expiresAt: a system status_changed to open, which the workflow accepts and the fold applies", () => {
    const draft = draftExpiryEvent(row, "2024-06-02T00:00:00Z");
    expect(draft).toEqual({
      eventType: "finding.status_changed",
      findingId: "F-1",
      artifactId: ARTIFACT,
      policyVersion: null,
      actor: { id: "ledger", type: "system" },
      sourceRunId: null,
      payload: { status: "open", comment: EXPIRY_COMMENT },
    });
    expect(EXPIRY_COMMENT).toBe("accepted risk expired");
    const event = linkEvent("acme", c.events[0]!.chainId, row.lastSequence + 1, row.lastEventHash, {
      ...draft!,
      eventId: "6ba7b810-9dad-41d1-80b4-00c04fd430c8",
      occurredAt: "2024-06-02T00:00:00.000Z",
    });
    expect(() => decide(workflowStateOf(row), event.eventType, event.payload)).not.toThrow();
    const after = foldFinding(row, event);
    expect([after.status, after.acceptedRisk, after.lastSequence]).toEqual(["open", null, 3]);
    expect(draftExpiryEvent(after, "2024-06-03T00:00:00Z")).toBeNull();
  });

  test("a malformed instant is refused loudly", () => {
    expect(() => isAcceptedRiskExpired(row, "yesterday")).toThrow(LedgerError);
  });
});

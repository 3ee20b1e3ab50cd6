// Given events / when an event / then a state or an error: the finding workflow's decide and evolve.
import { describe, expect, test } from "bun:test";
import { LedgerError, TransitionError, ValidationError } from "../../src/core/errors.ts";
import type { EventType, JsonObject } from "../../src/core/events/types.ts";
import { validateEvent } from "../../src/core/events/validate.ts";
import { decide } from "../../src/core/workflow/decide.ts";
import { evolveWorkflow } from "../../src/core/workflow/evolve.ts";
import { initialWorkflowState, type WorkflowState } from "../../src/core/workflow/state.ts";

type Step = [EventType, JsonObject];

/** Realistic payloads, one per event type, each valid per the DESIGN.md payload table. */
const P = {
  created: {
    vulnerabilityId: "CVE-2024-3094",
    severity: "critical",
    cvssScore: 10,
    component: "pkg:deb/debian/xz-utils@5.6.0-0.2",
    title: "xz/liblzma backdoor",
    tags: ["supply-chain"],
  },
  investigating: { status: "under_investigation", comment: "Reproducing in staging." },
  notAffected: { status: "not_affected", justification: "vulnerable_code_not_in_execute_path" },
  affected: { status: "affected", actionStatement: "Upgrade xz-utils to 5.6.1+really5.4.5." },
  fixed: { status: "fixed", comment: "Rebuilt image on a clean base." },
  falsePositive: { status: "false_positive", comment: "Scanner matched the wrong package." },
  reopen: { status: "open", comment: "New evidence." },
  severity: { severity: "high", cvssScore: 8.1, reason: "Not internet-facing." },
  tags: { add: ["pci"], remove: ["supply-chain"] },
  comment: { comment: "Vendor advisory says 5.6.1 is also affected." },
  assign: { assignee: "alice@example.com" },
  acceptRisk: { reason: "Compensating WAF rule.", expiresAt: "2031-01-01T00:00:00Z", approvedBy: "ciso@example.com" },
  plan: { plan: "Pin xz-utils 5.4.x.", dueAt: "2030-07-01T00:00:00Z", ticketUrl: "https://jira.example.com/browse/SEC-42" },
  attachment: {
    attachmentId: "0b6f4a52-1f0e-4c57-9a3e-1d2f3c4b5a69",
    fileName: "repro.txt",
    mediaType: "text/plain",
    sizeBytes: 2048,
    sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  },
  vexFixed: { status: "fixed" },
  attestation: {
    dsseDigest: "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
    predicateType: "https://slsa.dev/provenance/v1",
    rekor: { logIndex: 74835, logId: "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d", integratedTime: 1711000000 },
  },
  close: { reason: "Artifact retired." },
  reopened: { reason: "Artifact redeployed." },
  bundle: {
    bundleId: "bundle-2024-06",
    digest: "sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9",
    source: "usb://vault-7",
    createdAt: "2024-06-01T00:00:00Z",
  },
} satisfies Record<string, JsonObject>;

/** Fold the given events through decide + evolve, as the append path does. */
function given(steps: Step[]): WorkflowState {
  return steps.reduce((state, [type, payload]) => {
    decide(state, type, payload);
    return evolveWorkflow(state, type, payload);
  }, initialWorkflowState);
}

type Outcome = { state: WorkflowState } | { error: { code: string; details: unknown } };

function when(state: WorkflowState, [type, payload]: Step): Outcome {
  try {
    decide(state, type, payload);
  } catch (e) {
    if (!(e instanceof LedgerError)) throw e;
    return { error: { code: e.code, details: e.details } };
  }
  return { state: evolveWorkflow(state, type, payload) };
}

const created: Step = ["finding.created", P.created];
const closed: Step = ["finding.closed", P.close];

describe("workflow decide", () => {
  test("every payload in these scenarios passes validation (they are realistic, not convenient)", () => {
    for (const [type, payload] of Object.entries({
      "finding.created": [P.created],
      "finding.status_changed": [P.investigating, P.notAffected, P.affected, P.fixed, P.falsePositive, P.reopen],
      "finding.severity_changed": [P.severity],
      "finding.tag_updated": [P.tags],
      "finding.comment_added": [P.comment],
      "finding.assignment_changed": [P.assign, { assignee: null }],
      "finding.accepted_risk": [P.acceptRisk],
      "finding.remediation_plan_added": [P.plan],
      "finding.attachment_added": [P.attachment],
      "finding.vex_decision": [P.vexFixed, P.notAffected],
      "finding.attestation_linked": [P.attestation],
      "finding.closed": [P.close],
      "finding.reopened": [P.reopened],
      "airgap.bundle_imported": [P.bundle],
    }).flatMap(([t, ps]) => ps.map((p) => [t, p] as const))) {
      const finding = type.startsWith("finding.");
      expect(() =>
        validateEvent({
          eventId: "7d444840-9dc0-11d1-b245-5ffdce74fad2",
          eventType: type,
          findingId: finding ? "F-1" : null,
          artifactId: "sha256:5d41402abc4b2a76b9719d911017c592ae2f7d1e6e2f8a7b3c1d2e3f4a5b6c7d",
          actor: { id: "alice", type: "operator" },
          occurredAt: "2024-04-01T12:00:00Z",
          payload,
        }),
      ).not.toThrow();
    }
  });

  test("given nothing, when finding.created, then the finding exists and is open", () => {
    expect(when(given([]), created)).toEqual({ state: { exists: true, status: "open" } });
  });

  test("given nothing, when any other finding event, then 409 finding_not_found", () => {
    expect(when(given([]), ["finding.comment_added", P.comment])).toEqual({
      error: { code: "finding_not_found", details: { current: null, requested: "finding.comment_added" } },
    });
    expect(when(given([]), ["finding.reopened", P.reopened])).toEqual({
      error: { code: "finding_not_found", details: { current: null, requested: "finding.reopened" } },
    });
  });

  test("given a created finding, when finding.created again, then 409 finding_exists", () => {
    expect(when(given([created]), created)).toEqual({
      error: { code: "finding_exists", details: { current: "open", requested: "finding.created" } },
    });
  });

  test("given an open finding, when status_changed through every non-closed status, then each is allowed", () => {
    const path: Step[] = [
      ["finding.status_changed", P.investigating],
      ["finding.status_changed", P.affected],
      ["finding.status_changed", P.notAffected],
      ["finding.status_changed", P.fixed],
      ["finding.status_changed", P.falsePositive],
      ["finding.status_changed", P.reopen],
      ["finding.status_changed", P.reopen],
    ];
    let state = given([created]);
    for (const step of path) {
      const out = when(state, step);
      expect(out).toEqual({ state: { exists: true, status: step[1]["status"] as never } });
      state = (out as { state: WorkflowState }).state;
    }
  });

  test("given accepted risk, when status_changed to open, then open; when accepted_risk again (renewal), then allowed", () => {
    const state = given([created, ["finding.accepted_risk", P.acceptRisk]]);
    expect(state).toEqual({ exists: true, status: "accepted_risk" });
    expect(when(state, ["finding.status_changed", P.reopen])).toEqual({ state: { exists: true, status: "open" } });
    expect(when(state, ["finding.accepted_risk", P.acceptRisk])).toEqual({ state });
  });

  test("given an open finding, when vex_decision, then the status is the VEX status", () => {
    expect(when(given([created]), ["finding.vex_decision", P.notAffected])).toEqual({
      state: { exists: true, status: "not_affected" },
    });
    expect(when(given([created]), ["finding.vex_decision", P.vexFixed])).toEqual({ state: { exists: true, status: "fixed" } });
  });

  test("given a closed finding, when a non-status event, then 409 invalid_transition naming the event type", () => {
    const out = when(given([created, closed]), ["finding.severity_changed", P.severity]);
    expect(out).toEqual({
      error: { code: "invalid_transition", details: { current: "closed", requested: "finding.severity_changed" } },
    });
  });

  test("given a closed finding, when status_changed, then 409 invalid_transition naming the target status", () => {
    expect(when(given([created, closed]), ["finding.status_changed", P.fixed])).toEqual({
      error: { code: "invalid_transition", details: { current: "closed", requested: "fixed" } },
    });
  });

  test("given a closed finding, when comment, attachment or attestation, then allowed and still closed", () => {
    const state = given([created, closed]);
    for (const step of [
      ["finding.comment_added", P.comment],
      ["finding.attachment_added", P.attachment],
      ["finding.attestation_linked", P.attestation],
    ] satisfies Step[]) {
      expect(when(state, step)).toEqual({ state: { exists: true, status: "closed" } });
    }
  });

  test("given a closed finding, when finding.reopened, then open", () => {
    expect(when(given([created, closed]), ["finding.reopened", P.reopened])).toEqual({
      state: { exists: true, status: "open" },
    });
  });

  test("given an open finding, when finding.reopened, then 409 invalid_transition from open to open", () => {
    expect(when(given([created]), ["finding.reopened", P.reopened])).toEqual({
      error: { code: "invalid_transition", details: { current: "open", requested: "open" } },
    });
  });

  test("given a closed finding, when closed again, then 409 invalid_transition closed -> closed", () => {
    expect(when(given([created, closed]), closed)).toEqual({
      error: { code: "invalid_transition", details: { current: "closed", requested: "closed" } },
    });
  });

  test("given any state, when a non-finding event, then allowed and nothing moves", () => {
    for (const state of [given([]), given([created]), given([created, closed])]) {
      expect(when(state, ["airgap.bundle_imported", P.bundle])).toEqual({ state });
      expect(evolveWorkflow(state, "airgap.bundle_imported", P.bundle)).toBe(state);
    }
  });

  test("a rejected transition is a TransitionError, a LedgerError with a message naming both states", () => {
    const state = given([created, closed]);
    let caught: unknown;
    try {
      decide(state, "finding.tag_updated", P.tags);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TransitionError);
    expect((caught as TransitionError).message).toContain("finding.tag_updated");
    expect((caught as TransitionError).message).toContain("closed");
  });

  test("a status the payload table forbids is still a 422, never a silent state", () => {
    // validate.ts refuses these first; decide/evolve refuse them too rather than fold nonsense.
    const state = given([created]);
    expect(() => evolveWorkflow(state, "finding.status_changed", { status: "closed" })).toThrow(ValidationError);
    expect(() => evolveWorkflow(state, "finding.vex_decision", { status: "false_positive" })).toThrow(ValidationError);
    expect(() => decide(given([created, closed]), "finding.status_changed", { status: "accepted_risk" })).toThrow(ValidationError);
  });

  test("a corrupt cached state (exists without status) is refused, not guessed", () => {
    expect(() => decide({ exists: true, status: null }, "finding.comment_added", P.comment)).toThrow(LedgerError);
  });

  test("evolve never mutates, returns the same object when nothing moves, and the state survives JSON", () => {
    expect(Object.isFrozen(initialWorkflowState)).toBe(true);
    const open = given([created]);
    const snapshot = structuredClone(open);
    expect(evolveWorkflow(open, "finding.comment_added", P.comment)).toBe(open);
    expect(evolveWorkflow(open, "finding.closed", P.close)).toEqual({ exists: true, status: "closed" });
    expect(open).toEqual(snapshot);
    expect(JSON.parse(JSON.stringify(open))).toEqual(open);
  });
});

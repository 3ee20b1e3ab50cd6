// Every workflow state x every event type: allowed (and the status it leads to) or the exact 409 code and details.
import { describe, expect, test } from "bun:test";
import { LedgerError } from "../../src/core/errors.ts";
import {
  FINDING_EVENT_TYPES,
  FINDING_STATUSES,
  NON_FINDING_EVENT_TYPES,
  VEX_STATUSES,
  type EventType,
  type FindingEventType,
  type FindingStatus,
  type JsonObject,
} from "../../src/core/events/types.ts";
import { decide } from "../../src/core/workflow/decide.ts";
import { evolveWorkflow } from "../../src/core/workflow/evolve.ts";
import { initialWorkflowState, type WorkflowState } from "../../src/core/workflow/state.ts";

type Given = "absent" | FindingStatus;
type Then = { status: FindingStatus } | { code: string; details: { current: FindingStatus | null; requested: string } };

const ok = (status: FindingStatus): Then => ({ status });
const refused = (code: string, current: FindingStatus | null, requested: string): Then => ({
  code,
  details: { current, requested },
});

/** The payload each event type is tried with (valid per DESIGN.md section 12). */
const WHEN: Record<FindingEventType, JsonObject> = {
  "finding.created": { vulnerabilityId: "CVE-2023-44487", severity: "high", cvssScore: 7.5, component: "pkg:golang/golang.org/x/net@0.16.0" },
  "finding.status_changed": { status: "fixed", comment: "Patched in 0.17.0." },
  "finding.severity_changed": { severity: "medium", reason: "Behind a rate-limiting proxy." },
  "finding.tag_updated": { add: ["http2"] },
  "finding.comment_added": { comment: "Rapid reset; see GHSA-qppj-fm5r-hxr3." },
  "finding.assignment_changed": { assignee: "bob@example.com" },
  "finding.accepted_risk": { reason: "Internal-only service.", expiresAt: "2031-06-30T00:00:00Z" },
  "finding.remediation_plan_added": { plan: "Bump golang.org/x/net to 0.17.0." },
  "finding.attachment_added": {
    attachmentId: "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
    fileName: "h2load.log",
    mediaType: "text/plain",
    sizeBytes: 913,
    sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  },
  "finding.vex_decision": { status: "not_affected", justification: "vulnerable_code_not_present" },
  "finding.attestation_linked": {
    dsseDigest: "sha256:a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3",
    predicateType: "https://openvex.dev/ns/v0.2.0",
  },
  "finding.closed": { reason: "Service decommissioned." },
  "finding.reopened": { reason: "Service restored." },
};

/** How to reach each state: the given events. */
const GIVEN: Record<Given, Array<[FindingEventType, JsonObject]>> = {
  absent: [],
  open: [["finding.created", WHEN["finding.created"]]],
  under_investigation: [["finding.created", WHEN["finding.created"]], ["finding.status_changed", { status: "under_investigation" }]],
  affected: [["finding.created", WHEN["finding.created"]], ["finding.status_changed", { status: "affected", actionStatement: "Upgrade." }]],
  not_affected: [["finding.created", WHEN["finding.created"]], ["finding.vex_decision", { status: "not_affected", impactStatement: "HTTP/2 disabled." }]],
  fixed: [["finding.created", WHEN["finding.created"]], ["finding.status_changed", { status: "fixed" }]],
  accepted_risk: [["finding.created", WHEN["finding.created"]], ["finding.accepted_risk", WHEN["finding.accepted_risk"]]],
  false_positive: [["finding.created", WHEN["finding.created"]], ["finding.status_changed", { status: "false_positive" }]],
  closed: [["finding.created", WHEN["finding.created"]], ["finding.closed", WHEN["finding.closed"]]],
};

const NOT_FOUND = (type: FindingEventType): Then => refused("finding_not_found", null, type);

const ABSENT: Array<[FindingEventType, Then]> = [
  ["finding.created", ok("open")],
  ["finding.status_changed", NOT_FOUND("finding.status_changed")],
  ["finding.severity_changed", NOT_FOUND("finding.severity_changed")],
  ["finding.tag_updated", NOT_FOUND("finding.tag_updated")],
  ["finding.comment_added", NOT_FOUND("finding.comment_added")],
  ["finding.assignment_changed", NOT_FOUND("finding.assignment_changed")],
  ["finding.accepted_risk", NOT_FOUND("finding.accepted_risk")],
  ["finding.remediation_plan_added", NOT_FOUND("finding.remediation_plan_added")],
  ["finding.attachment_added", NOT_FOUND("finding.attachment_added")],
  ["finding.vex_decision", NOT_FOUND("finding.vex_decision")],
  ["finding.attestation_linked", NOT_FOUND("finding.attestation_linked")],
  ["finding.closed", NOT_FOUND("finding.closed")],
  ["finding.reopened", NOT_FOUND("finding.reopened")],
];

/** Any live (non-closed) status s: the seven live statuses share these rules. */
const live = (s: FindingStatus): Array<[FindingEventType, Then]> => [
  ["finding.created", refused("finding_exists", s, "finding.created")],
  ["finding.status_changed", ok("fixed")],
  ["finding.severity_changed", ok(s)],
  ["finding.tag_updated", ok(s)],
  ["finding.comment_added", ok(s)],
  ["finding.assignment_changed", ok(s)],
  ["finding.accepted_risk", ok("accepted_risk")],
  ["finding.remediation_plan_added", ok(s)],
  ["finding.attachment_added", ok(s)],
  ["finding.vex_decision", ok("not_affected")],
  ["finding.attestation_linked", ok(s)],
  ["finding.closed", ok("closed")],
  ["finding.reopened", refused("invalid_transition", s, "open")],
];

const CLOSED: Array<[FindingEventType, Then]> = [
  ["finding.created", refused("finding_exists", "closed", "finding.created")],
  ["finding.status_changed", refused("invalid_transition", "closed", "fixed")],
  ["finding.severity_changed", refused("invalid_transition", "closed", "finding.severity_changed")],
  ["finding.tag_updated", refused("invalid_transition", "closed", "finding.tag_updated")],
  ["finding.comment_added", ok("closed")],
  ["finding.assignment_changed", refused("invalid_transition", "closed", "finding.assignment_changed")],
  ["finding.accepted_risk", refused("invalid_transition", "closed", "accepted_risk")],
  ["finding.remediation_plan_added", refused("invalid_transition", "closed", "finding.remediation_plan_added")],
  ["finding.attachment_added", ok("closed")],
  ["finding.vex_decision", refused("invalid_transition", "closed", "not_affected")],
  ["finding.attestation_linked", ok("closed")],
  ["finding.closed", refused("invalid_transition", "closed", "closed")],
  ["finding.reopened", ok("open")],
];

const TABLE: Record<Given, Array<[FindingEventType, Then]>> = {
  absent: ABSENT,
  open: live("open"),
  under_investigation: live("under_investigation"),
  affected: live("affected"),
  not_affected: live("not_affected"),
  fixed: live("fixed"),
  accepted_risk: live("accepted_risk"),
  false_positive: live("false_positive"),
  closed: CLOSED,
};

function stateOf(given: Given): WorkflowState {
  return GIVEN[given].reduce((state, [type, payload]) => {
    decide(state, type, payload);
    return evolveWorkflow(state, type, payload);
  }, initialWorkflowState);
}

function outcome(state: WorkflowState, type: EventType, payload: JsonObject): Then {
  try {
    decide(state, type, payload);
  } catch (e) {
    if (!(e instanceof LedgerError)) throw e;
    return { code: e.code, details: e.details as { current: FindingStatus | null; requested: string } };
  }
  const next = evolveWorkflow(state, type, payload);
  if (next.status === null) throw new Error("an accepted finding event left no status");
  return { status: next.status };
}

const label = (t: Then): string =>
  "status" in t ? `ok -> ${t.status}` : `409 ${t.code} {${t.details.current}, ${t.details.requested}}`;

const ALL_GIVEN = Object.keys(TABLE) as Given[];

describe("workflow exhaustive", () => {
  test("the tables cover every state and, per state, every finding event type exactly once", () => {
    expect([...ALL_GIVEN].sort() as string[]).toEqual(["absent", ...FINDING_STATUSES].sort());
    for (const given of ALL_GIVEN) {
      expect(TABLE[given].map(([type]) => type)).toEqual([...FINDING_EVENT_TYPES]);
    }
  });

  test("each given path reaches the state it names", () => {
    for (const given of ALL_GIVEN) {
      expect(stateOf(given)).toEqual(given === "absent" ? { exists: false, status: null } : { exists: true, status: given });
    }
  });

  for (const given of ALL_GIVEN) {
    describe(`given ${given}`, () => {
      for (const [type, then] of TABLE[given]) {
        test(`when ${type}, then ${label(then)}`, () => {
          expect(outcome(stateOf(given), type, WHEN[type])).toEqual(then);
        });
      }
    });
  }

  describe("status_changed from every state to every target it may name", () => {
    const targets = ["open", "under_investigation", "affected", "not_affected", "fixed", "false_positive"] as const;
    const payloadFor = (status: string): JsonObject =>
      status === "affected"
        ? { status, actionStatement: "Upgrade." }
        : status === "not_affected"
          ? { status, justification: "component_not_present" }
          : { status };
    for (const given of ALL_GIVEN) {
      for (const target of targets) {
        const then =
          given === "absent"
            ? refused("finding_not_found", null, "finding.status_changed")
            : given === "closed"
              ? refused("invalid_transition", "closed", target)
              : ok(target);
        test(`given ${given}, when status_changed to ${target}, then ${label(then)}`, () => {
          expect(outcome(stateOf(given), "finding.status_changed", payloadFor(target))).toEqual(then);
        });
      }
    }
  });

  describe("vex_decision from every state to every VEX status", () => {
    const payloadFor = (status: string): JsonObject =>
      status === "affected"
        ? { status, actionStatement: "Upgrade." }
        : status === "not_affected"
          ? { status, impactStatement: "Not reachable." }
          : { status };
    for (const given of ALL_GIVEN) {
      for (const target of VEX_STATUSES) {
        const then =
          given === "absent"
            ? refused("finding_not_found", null, "finding.vex_decision")
            : given === "closed"
              ? refused("invalid_transition", "closed", target)
              : ok(target);
        test(`given ${given}, when vex_decision ${target}, then ${label(then)}`, () => {
          expect(outcome(stateOf(given), "finding.vex_decision", payloadFor(target))).toEqual(then);
        });
      }
    }
  });

  describe("non-finding events have no workflow", () => {
    const payloads: Record<(typeof NON_FINDING_EVENT_TYPES)[number], JsonObject> = {
      "airgap.bundle_imported": { bundleId: "b-1", digest: "sha256:00", source: "usb", createdAt: "2024-06-01T00:00:00Z" },
      "airgap.time_anchor_updated": { anchorTime: "2024-06-01T00:00:00Z", source: "roughtime" },
      "orchestrator.run_exported": {
        runId: "8a1e0c1b-54b1-4c1e-9f0d-2a3b4c5d6e7f",
        exportedAt: "2024-06-01T00:00:00Z",
        producer: "scanner/1.2",
        artifacts: [{ artifactId: "sha256:ab", digest: "sha256:ab" }],
      },
    };
    for (const given of ALL_GIVEN) {
      for (const type of NON_FINDING_EVENT_TYPES) {
        test(`given ${given}, when ${type}, then allowed and the state is unchanged`, () => {
          const state = stateOf(given);
          expect(() => decide(state, type, payloads[type])).not.toThrow();
          expect(evolveWorkflow(state, type, payloads[type])).toBe(state);
        });
      }
    }
  });
});

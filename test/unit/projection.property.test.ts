// Random valid histories (walking the workflow state machine): every way of folding them gives the same rows and checksum.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { chainIdOf, linkEvent } from "../../src/core/chain/link.ts";
import { LedgerError } from "../../src/core/errors.ts";
import { STATUS_CHANGE_TARGETS } from "../../src/core/events/payloads.ts";
import {
  FINDING_EVENT_TYPES,
  SEVERITIES,
  VEX_JUSTIFICATIONS,
  VEX_STATUSES,
  ZERO_HASH,
  type ChainedEvent,
  type EventType,
  type JsonObject,
} from "../../src/core/events/types.ts";
import { validateEvent } from "../../src/core/events/validate.ts";
import { sha256Hex } from "../../src/core/hash/digest.ts";
import { uuidV5 } from "../../src/core/hash/uuid.ts";
import { projectionChecksum } from "../../src/core/projection/checksum.ts";
import { findingKey, workflowStateOf, type Finding } from "../../src/core/projection/finding.ts";
import { foldEvents, foldFinding } from "../../src/core/projection/fold.ts";
import { decide } from "../../src/core/workflow/decide.ts";
import { evolveWorkflow } from "../../src/core/workflow/evolve.ts";
import { initialWorkflowState, type WorkflowState } from "../../src/core/workflow/state.ts";

const ID_NS = "3d1c7a2e-5b4f-4e6d-9c8b-7a6f5e4d3c2b";
const VULNS = ["CVE-2024-3094", "CVE-2023-44487", "CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q", "CVE-2022-22965"];
const PURLS = [
  "pkg:deb/debian/xz-utils@5.6.0-0.2",
  "pkg:golang/golang.org/x/net@0.16.0",
  "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
  "pkg:npm/lodash@4.17.20",
  "pkg:pypi/requests@2.19.0",
];
const TAGS = ["pci", "internet-facing", "supply-chain", "kev", "prod", "backdoor"];
const PEOPLE = ["alice@example.com", "bob@example.com", "carol@example.com"];
/** Finding slots: two tenants share a findingId on purpose. */
const SLOTS = [
  ["acme", "F-1"],
  ["acme", "F-2"],
  ["acme", "F-3"],
  ["globex", "F-1"],
] as const;

interface Step {
  slot: number;
  kind: number; // 0: a non-finding event on the tenant's airgap chain
  pick: number;
  a: number;
  b: number;
  c: number;
  gapSeconds: number;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  slot: fc.nat(SLOTS.length - 1),
  kind: fc.nat(9),
  pick: fc.nat(),
  a: fc.nat(1_000),
  b: fc.nat(1_000),
  c: fc.nat(1_000),
  gapSeconds: fc.integer({ min: 0, max: 3 * 86_400 }),
});

const at = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;
const subset = (xs: readonly string[], bits: number): string[] => xs.filter((_, i) => (bits >> i) & 1);
/** RFC 3339 with a +02:00 offset, to exercise non-Z forms in payload times. */
const withPlusTwo = (ms: number): string => `${new Date(ms + 7_200_000).toISOString().slice(0, 19)}+02:00`;

function vexFields(status: string, s: Step): JsonObject {
  if (status === "not_affected") {
    const j = { justification: at(VEX_JUSTIFICATIONS, s.b) };
    const i = { impactStatement: `Not exploitable in this deployment (${s.c}).` };
    return s.b % 3 === 0 ? j : s.b % 3 === 1 ? i : { ...j, ...i };
  }
  if (status === "affected") return { actionStatement: `Upgrade ${at(PURLS, s.c)} (${s.a}).` };
  // Validation allows VEX fields on any status; the fold must drop them where they do not apply.
  return s.c % 5 === 0 ? { justification: at(VEX_JUSTIFICATIONS, s.a), actionStatement: "Keep watching." } : {};
}

/** A payload for `type`, valid per DESIGN.md section 12, chosen by the step's numbers. */
function payloadFor(type: EventType, s: Step, occurredAtMs: number): JsonObject {
  switch (type) {
    case "finding.created":
      return {
        vulnerabilityId: at(VULNS, s.a),
        severity: at(SEVERITIES, s.b),
        ...(s.c % 2 ? { cvssScore: (s.a % 101) / 10 } : {}),
        ...(s.c % 3 ? { component: at(PURLS, s.b) } : {}),
        ...(s.c % 4 === 0 ? { title: `Finding ${s.a}` } : {}),
        ...(s.c % 5 ? { tags: subset(TAGS, s.a) } : {}),
      };
    case "finding.status_changed": {
      const status = at(STATUS_CHANGE_TARGETS, s.a);
      return { status, ...vexFields(status, s), ...(s.c % 2 ? { comment: `Triage note ${s.c}.` } : {}) };
    }
    case "finding.vex_decision": {
      const status = at(VEX_STATUSES, s.a);
      return { status, ...vexFields(status, s) };
    }
    case "finding.severity_changed":
      return {
        severity: at(SEVERITIES, s.a),
        ...(s.b % 2 ? { cvssScore: (s.c % 101) / 10 } : {}),
        ...(s.c % 2 ? { reason: "Reassessed reachability." } : {}),
      };
    case "finding.tag_updated": {
      const add = subset(TAGS, s.a);
      const remove = subset(TAGS, s.b);
      return add.length + remove.length === 0 ? { add: [at(TAGS, s.c)] } : { add, remove };
    }
    case "finding.comment_added":
      return { comment: `Comment ${s.a}: checked the advisory.` };
    case "finding.assignment_changed":
      return { assignee: s.a % 4 === 3 ? null : at(PEOPLE, s.a) };
    case "finding.accepted_risk": {
      const expires = occurredAtMs + (1 + (s.a % 90)) * 86_400_000;
      return {
        reason: `Compensating control ${s.b}.`,
        expiresAt: s.c % 2 ? withPlusTwo(expires) : new Date(expires).toISOString(),
        ...(s.b % 2 ? { approvedBy: at(PEOPLE, s.c) } : {}),
      };
    }
    case "finding.remediation_plan_added":
      return {
        plan: `Upgrade ${at(PURLS, s.a)}.`,
        ...(s.b % 2 ? { dueAt: new Date(occurredAtMs + 14 * 86_400_000).toISOString() } : {}),
        ...(s.c % 2 ? { ticketUrl: `https://jira.example.com/browse/SEC-${s.c}` } : {}),
      };
    case "finding.attachment_added":
      return {
        attachmentId: uuidV5(ID_NS, `attachment-${s.a}-${s.b}`),
        fileName: `evidence-${s.a}.txt`,
        mediaType: "text/plain",
        sizeBytes: s.b * 17,
        sha256: sha256Hex(`evidence-${s.a}`),
      };
    case "finding.attestation_linked":
      return {
        dsseDigest: `sha256:${sha256Hex(`dsse-${s.a}`)}`,
        predicateType: s.b % 2 ? "https://slsa.dev/provenance/v1" : "https://openvex.dev/ns/v0.2.0",
        ...(s.c % 2 ? { rekor: { logIndex: s.a, logId: sha256Hex("rekor"), integratedTime: 1_700_000_000 + s.b } } : {}),
      };
    case "finding.closed":
    case "finding.reopened":
      return s.a % 2 ? { reason: `Reason ${s.b}.` } : {};
    case "airgap.time_anchor_updated":
      return { anchorTime: new Date(occurredAtMs).toISOString(), source: "roughtime://time.example" };
    default:
      throw new Error(`no generator for ${type}`);
  }
}

interface History {
  events: ChainedEvent[];
  /** The workflow state each finding chain reached, by findingKey. */
  states: Map<string, WorkflowState>;
}

/** Walk the state machine: at each step pick one event the workflow allows, validate it, link it. */
function walk(steps: Step[]): History {
  const heads = new Map<string, ChainedEvent>();
  const states = new Map<string, WorkflowState>();
  const events: ChainedEvent[] = [];
  let clock = Date.parse("2024-01-01T00:00:00Z");
  for (const [i, s] of steps.entries()) {
    clock += s.gapSeconds * 1000;
    const [tenantId, findingId] = SLOTS[s.slot]!;
    const finding = s.kind !== 0;
    const key = finding ? findingKey(tenantId, findingId) : `${tenantId}\n@airgap`;
    const state = states.get(key) ?? initialWorkflowState;
    let eventType: EventType = "airgap.time_anchor_updated";
    if (finding) {
      const allowed = FINDING_EVENT_TYPES.filter((t) => {
        try {
          decide(state, t, payloadFor(t, s, clock));
          return true;
        } catch (e) {
          if (e instanceof LedgerError) return false;
          throw e;
        }
      });
      eventType = at(allowed, s.pick);
    }
    const { draft } = validateEvent({
      eventId: uuidV5(ID_NS, `event-${i}`),
      eventType,
      findingId: finding ? findingId : null,
      artifactId: finding && s.c % 7 !== 0 ? `sha256:${sha256Hex(`artifact-${s.slot}`)}` : eventType === "finding.created" ? `sha256:${sha256Hex(`artifact-${s.slot}`)}` : null,
      policyVersion: s.b % 3 === 0 ? `policy-${s.b % 4}` : null,
      actor: { id: at(PEOPLE, s.c), type: s.c % 5 === 0 ? "integration" : "operator" },
      occurredAt: new Date(clock).toISOString(),
      payload: payloadFor(eventType, s, clock),
    });
    decide(state, draft.eventType, draft.payload);
    states.set(key, evolveWorkflow(state, draft.eventType, draft.payload));
    const head = heads.get(key);
    const event = linkEvent(tenantId, chainIdOf(tenantId, draft), (head?.sequence ?? 0) + 1, head?.eventHash ?? ZERO_HASH, draft);
    heads.set(key, event);
    events.push(event);
  }
  return { events, states };
}

const historyArb = fc.array(stepArb, { minLength: 1, maxLength: 150, size: "max" }).map(walk);

/** The projector's way: one event at a time, the row read back from a JSON store each time. */
function foldThroughStore(events: ChainedEvent[]): Map<string, Finding> {
  const store = new Map<string, string>();
  for (const e of events) {
    if (e.findingId === null) continue;
    const key = findingKey(e.tenantId, e.findingId);
    const stored = store.get(key);
    store.set(key, JSON.stringify(foldFinding(stored === undefined ? null : (JSON.parse(stored) as Finding), e)));
  }
  return new Map([...store].map(([k, v]) => [k, JSON.parse(v) as Finding]));
}

/** Another interleaving of the same chains: each chain's order kept, the merge chosen by `choices`. */
function reinterleave(events: ChainedEvent[], choices: number[]): ChainedEvent[] {
  const queues = new Map<string, ChainedEvent[]>();
  for (const e of events) queues.set(e.chainId, [...(queues.get(e.chainId) ?? []), e]);
  const lists = [...queues.values()];
  const out: ChainedEvent[] = [];
  let i = 0;
  while (out.length < events.length) {
    const open = lists.filter((q) => q.length > 0);
    out.push(at(open, choices[i++ % Math.max(choices.length, 1)] ?? 0).shift()!);
  }
  return out;
}

function shuffle<T>(xs: T[], choices: number[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (choices[i % Math.max(choices.length, 1)] ?? 0) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const RUNS = { numRuns: 200 };

describe("projection properties", () => {
  test("incremental (through a JSON store) == rebuild from scratch == any prefix continued", () => {
    fc.assert(
      fc.property(historyArb, fc.nat(), ({ events }, cut) => {
        const rebuild = foldEvents(events);
        expect(foldThroughStore(events)).toEqual(rebuild);
        const k = cut % (events.length + 1);
        expect(foldEvents(events.slice(k), foldEvents(events.slice(0, k)))).toEqual(rebuild);
      }),
      RUNS,
    );
  });

  test("cross-chain interleaving does not matter, only each chain's own order", () => {
    fc.assert(
      fc.property(historyArb, fc.array(fc.nat(), { minLength: 1, maxLength: 50 }), ({ events }, choices) => {
        expect(foldEvents(reinterleave(events, choices))).toEqual(foldEvents(events));
      }),
      RUNS,
    );
  });

  test("the checksum is the same for the same rows in any order, and for every way of folding", () => {
    fc.assert(
      fc.property(historyArb, fc.array(fc.nat(), { minLength: 1, maxLength: 50 }), ({ events }, choices) => {
        const rows = [...foldEvents(events).values()];
        const sum = projectionChecksum(rows);
        expect(projectionChecksum(shuffle(rows, choices))).toBe(sum);
        expect(projectionChecksum(foldThroughStore(events).values())).toBe(sum);
        expect(projectionChecksum(foldEvents(reinterleave(events, choices)).values())).toBe(sum);
      }),
      RUNS,
    );
  });

  test("rows agree with the workflow and keep their invariants", () => {
    fc.assert(
      fc.property(historyArb, ({ events, states }) => {
        const rows = foldEvents(events);
        for (const [key, row] of rows) {
          const chain = events.filter((e) => e.findingId !== null && findingKey(e.tenantId, e.findingId) === key);
          expect(workflowStateOf(row)).toEqual(states.get(key)!);
          expect(row.lastSequence).toBe(chain.length);
          expect(row.lastEventHash).toBe(chain.at(-1)!.eventHash);
          expect(row.createdAt).toBe(chain[0]!.occurredAt);
          expect(row.updatedAt).toBe(chain.at(-1)!.occurredAt);
          expect(row.acceptedRisk !== null).toBe(row.status === "accepted_risk");
          expect(row.tags).toEqual([...new Set(row.tags)].sort());
          // The VEX triple is set exactly where OpenVEX gives it a meaning.
          if (row.status !== "not_affected") expect([row.justification, row.impactStatement]).toEqual([null, null]);
          else expect(row.justification !== null || row.impactStatement !== null).toBe(true);
          expect(row.actionStatement !== null).toBe(row.status === "affected");
          expect(row.attachments.length).toBe(chain.filter((e) => e.eventType === "finding.attachment_added").length);
        }
        const findingChains = new Set(events.filter((e) => e.findingId !== null).map((e) => e.chainId));
        expect(rows.size).toBe(findingChains.size);
      }),
      RUNS,
    );
  });

  test("any event already applied, or not next in its chain, is refused rather than skipped or applied twice", () => {
    fc.assert(
      fc.property(historyArb, fc.nat(), ({ events }, pick) => {
        const findingEvents = events.filter((e) => e.findingId !== null);
        fc.pre(findingEvents.length > 0);
        const rows = foldEvents(events);
        const e = at(findingEvents, pick);
        const row = rows.get(findingKey(e.tenantId, e.findingId!))!;
        expect(() => foldFinding(row, e)).toThrow(LedgerError);
        const next = { ...e, sequence: row.lastSequence + 2 };
        expect(() => foldFinding(row, next)).toThrow(LedgerError);
      }),
      RUNS,
    );
  });
});

// Folds chained events into finding rows; the one fold shared by the live projector, rebuild and replay.
import { LedgerError } from "../errors.ts";
import { ZERO_HASH, type ChainedEvent, type FindingStatus, type JsonObject } from "../events/types.ts";
import { isFindingEventType, targetStatusOf } from "../workflow/rules.ts";
import { findingKey, type Finding } from "./finding.ts";
import {
  readNumber,
  readOptionalJson,
  readOptionalNumber,
  readOptionalObject,
  readOptionalString,
  readSeverity,
  readString,
  readStringList,
  sortedUnique,
} from "./payload-reader.ts";

/**
 * Apply one event to one finding row. Never mutates `current`; unchanged arrays are shared.
 *
 * Refuses (throws) anything that would make the row disagree with its chain, so an event is
 * never skipped or applied twice:
 * - sequence other than lastSequence + 1 (1 for a new row) -> `sequence_mismatch {expected, actual}`;
 * - previousHash other than lastEventHash (ZERO_HASH for sequence 1), or another findingId,
 *   or a non-finding event -> `internal` (the event belongs to another chain);
 * - an event before finding.created -> `finding_not_found`; a second created -> `finding_exists`.
 * Workflow rules (what a closed finding accepts, ...) are NOT re-checked: they were decided
 * at append time, and the fold must reproduce whatever the chain holds.
 */
export function foldFinding(current: Finding | null, event: ChainedEvent): Finding {
  const { eventType, findingId } = event;
  if (!isFindingEventType(eventType) || findingId === null) {
    throw new LedgerError("internal", `${eventType} is not a finding event and has no projection`, {
      eventId: event.eventId,
    });
  }
  const expected = current === null ? 1 : current.lastSequence + 1;
  if (event.sequence !== expected) {
    throw new LedgerError(
      "sequence_mismatch",
      `finding ${findingId}: expected sequence ${expected}, got ${event.sequence}`,
      { expected, actual: event.sequence },
    );
  }
  if (current === null) {
    if (eventType !== "finding.created") {
      throw new LedgerError("finding_not_found", `finding ${findingId}: ${eventType} before finding.created`, {
        current: null,
        requested: eventType,
      });
    }
    assertLinks(event, findingId, ZERO_HASH);
    return createFinding(event, findingId);
  }
  if (findingId !== current.findingId) {
    throw new LedgerError("internal", `event for finding ${findingId} folded into finding ${current.findingId}`, {
      expected: current.findingId,
      actual: findingId,
    });
  }
  assertLinks(event, findingId, current.lastEventHash);
  if (eventType === "finding.created") {
    throw new LedgerError("finding_exists", `finding ${findingId}: second finding.created`, {
      current: current.status,
      requested: eventType,
    });
  }
  const next = applyEffect(current, event);
  return {
    ...next,
    // The latest policy that spoke about the finding; events without one keep the old value.
    policyVersion: event.policyVersion ?? current.policyVersion,
    updatedAt: event.occurredAt,
    lastSequence: event.sequence,
    lastEventHash: event.eventHash,
  };
}

/**
 * Fold a stream of events (any tenants, chains interleaved in any way, each chain in sequence
 * order) into rows keyed by `findingKey(tenantId, findingId)`. Non-finding events are skipped.
 * `start` (e.g. a previous fold) is copied, never mutated, so `foldEvents(b, foldEvents(a))`
 * equals `foldEvents([...a, ...b])`.
 */
export function foldEvents(events: Iterable<ChainedEvent>, start?: ReadonlyMap<string, Finding>): Map<string, Finding> {
  const rows = new Map<string, Finding>(start);
  for (const event of events) {
    if (!isFindingEventType(event.eventType)) continue;
    if (event.findingId === null) {
      throw new LedgerError("internal", `${event.eventType} without a findingId`, { eventId: event.eventId });
    }
    const key = findingKey(event.tenantId, event.findingId);
    rows.set(key, foldFinding(rows.get(key) ?? null, event));
  }
  return rows;
}

function assertLinks(event: ChainedEvent, findingId: string, previousHash: string): void {
  if (event.previousHash !== previousHash) {
    throw new LedgerError(
      "internal",
      `finding ${findingId}: event ${event.sequence} does not extend the projected chain head`,
      { expected: previousHash, actual: event.previousHash },
    );
  }
}

function createFinding(event: ChainedEvent, findingId: string): Finding {
  const p = event.payload;
  return {
    findingId,
    artifactId: event.artifactId,
    vulnerabilityId: readString(p, "vulnerabilityId"),
    component: readOptionalString(p, "component"),
    status: "open",
    severity: readSeverity(p, "severity"),
    cvssScore: readOptionalNumber(p, "cvssScore") ?? null,
    assignee: null,
    tags: sortedUnique(readStringList(p, "tags")),
    justification: null,
    impactStatement: null,
    actionStatement: null,
    acceptedRisk: null,
    remediationPlans: [],
    attachments: [],
    attestations: [],
    policyVersion: event.policyVersion,
    createdAt: event.occurredAt,
    updatedAt: event.occurredAt,
    lastSequence: event.sequence,
    lastEventHash: event.eventHash,
  };
}

/**
 * Any change of status replaces the VEX triple with the deciding event's own fields, kept only
 * where OpenVEX gives them a meaning: justification and impactStatement for `not_affected`,
 * actionStatement for `affected`; everything else reads null (the raw payload stays in the
 * history). So the triple always describes the decision that set the current status, never
 * an earlier one, and a VEX export straight from the row is well-formed. The accepted risk is
 * dropped too; only finding.accepted_risk sets one.
 */
function withStatus(f: Finding, status: FindingStatus, decision: JsonObject): Finding {
  const notAffected = status === "not_affected";
  return {
    ...f,
    status,
    justification: notAffected ? readOptionalString(decision, "justification") : null,
    impactStatement: notAffected ? readOptionalString(decision, "impactStatement") : null,
    actionStatement: status === "affected" ? readOptionalString(decision, "actionStatement") : null,
    acceptedRisk: null,
  };
}

function applyEffect(f: Finding, event: ChainedEvent): Finding {
  const p = event.payload;
  const origin = { eventId: event.eventId, occurredAt: event.occurredAt };
  switch (event.eventType) {
    case "finding.status_changed":
    case "finding.vex_decision":
      return withStatus(f, targetStatusOf(event.eventType, p)!, p);
    case "finding.closed":
      return withStatus(f, "closed", {});
    case "finding.reopened":
      return withStatus(f, "open", {});
    case "finding.accepted_risk":
      return {
        ...withStatus(f, "accepted_risk", {}),
        acceptedRisk: {
          reason: readString(p, "reason"),
          expiresAt: readString(p, "expiresAt"),
          approvedBy: readOptionalString(p, "approvedBy"),
          expired: false,
        },
      };
    case "finding.severity_changed": {
      // A severity override keeps the CVSS score unless the event brings a new one.
      const cvssScore = readOptionalNumber(p, "cvssScore");
      return { ...f, severity: readSeverity(p, "severity"), cvssScore: cvssScore ?? f.cvssScore };
    }
    case "finding.tag_updated": {
      // Add first, then remove: a tag named in both ends up removed.
      const remove = new Set(readStringList(p, "remove"));
      const tags = sortedUnique([...f.tags, ...readStringList(p, "add")].filter((t) => !remove.has(t)));
      return { ...f, tags };
    }
    case "finding.assignment_changed":
      return { ...f, assignee: readOptionalString(p, "assignee") };
    case "finding.remediation_plan_added":
      return {
        ...f,
        remediationPlans: [
          ...f.remediationPlans,
          {
            ...origin,
            plan: readString(p, "plan"),
            dueAt: readOptionalString(p, "dueAt"),
            ticketUrl: readOptionalString(p, "ticketUrl"),
          },
        ],
      };
    case "finding.attachment_added":
      return {
        ...f,
        attachments: [
          ...f.attachments,
          {
            ...origin,
            attachmentId: readString(p, "attachmentId"),
            fileName: readString(p, "fileName"),
            mediaType: readString(p, "mediaType"),
            sizeBytes: readNumber(p, "sizeBytes"),
            sha256: readString(p, "sha256"),
          },
        ],
      };
    case "finding.attestation_linked":
      return {
        ...f,
        attestations: [
          ...f.attestations,
          {
            ...origin,
            dsseDigest: readString(p, "dsseDigest"),
            predicateType: readString(p, "predicateType"),
            envelope: readOptionalJson(p, "envelope"),
            rekor: readOptionalObject(p, "rekor"),
          },
        ],
      };
    case "finding.comment_added":
      // Comments live in the history only; the row just moves its head.
      return f;
    default:
      // finding.created is handled by the caller; non-finding events never get here.
      throw new LedgerError("internal", `no projection effect for ${event.eventType}`, { eventId: event.eventId });
  }
}

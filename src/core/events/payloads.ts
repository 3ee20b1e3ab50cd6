// Per-event-type payload schemas and their cross-field rules (DESIGN.md section 12, Payloads).
import type { FieldProblem } from "../errors.ts";
import { FINDING_STATUSES, SEVERITIES, VEX_JUSTIFICATIONS, VEX_STATUSES, type EventType } from "./types.ts";
import { anyObject, arrayOf, checkFields, nullable, num, object, oneOf, opt, req, str, time, type FieldSpec } from "./schema.ts";
import { parseRfc3339 } from "./time.ts";

const SHA256_HEX = /^[0-9a-f]{64}$/;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const text = (max = 4096) => str({ max });
const longText = str({ max: 10_000 });
const tag = str({ max: 128 });
const purl = str({ max: 2048, pattern: /^pkg:[a-z][a-z0-9.+-]*\//, patternHint: "must be a package URL (pkg:type/...)" });
const url = str({ max: 2048, pattern: /^https?:\/\/\S+$/, patternHint: "must be an http(s) URL" });
const vexFields = {
  justification: opt(oneOf(VEX_JUSTIFICATIONS)),
  impactStatement: opt(longText),
  actionStatement: opt(longText),
};

/** Statuses a `finding.status_changed` may request; accepted_risk and closed have their own events. */
export const STATUS_CHANGE_TARGETS = FINDING_STATUSES.filter((s) => s !== "accepted_risk" && s !== "closed");

export const PAYLOAD_FIELDS: Record<EventType, Record<string, FieldSpec>> = {
  "finding.created": {
    vulnerabilityId: req(text(256)),
    severity: req(oneOf(SEVERITIES)),
    cvssScore: opt(num({ min: 0, max: 10 })),
    component: opt(purl),
    title: opt(text(1024)),
    tags: opt(arrayOf(tag)),
  },
  "finding.status_changed": {
    status: req(oneOf(STATUS_CHANGE_TARGETS)),
    ...vexFields,
    comment: opt(longText),
  },
  "finding.severity_changed": { severity: req(oneOf(SEVERITIES)), cvssScore: opt(num({ min: 0, max: 10 })), reason: opt(longText) },
  "finding.tag_updated": { add: opt(arrayOf(tag)), remove: opt(arrayOf(tag)) },
  "finding.comment_added": { comment: req(str({ min: 1, max: 10_000 })) },
  "finding.assignment_changed": { assignee: nullable(text(256)) },
  "finding.accepted_risk": { reason: req(longText), expiresAt: req(time), approvedBy: opt(text(256)) },
  "finding.remediation_plan_added": { plan: req(longText), dueAt: opt(time), ticketUrl: opt(url) },
  "finding.attachment_added": {
    attachmentId: req(text(256)),
    fileName: req(text(1024)),
    mediaType: req(text(256)),
    sizeBytes: req(num({ min: 0, integer: true })),
    sha256: req(str({ pattern: SHA256_HEX, patternHint: "must be 64 lower-case hex digits" })),
  },
  "finding.vex_decision": { status: req(oneOf(VEX_STATUSES)), ...vexFields },
  "finding.attestation_linked": {
    dsseDigest: req(str({ pattern: SHA256_DIGEST, patternHint: "must be sha256:<64 lower-case hex digits>" })),
    predicateType: req(text(1024)),
    envelope: opt(
      object({
        payloadType: req(text(1024)),
        payload: req(str({ max: 16 * 1024 * 1024 })),
        signatures: req(arrayOf(object({ keyid: opt(text(1024)), sig: req(str({ max: 65536 })) }), { max: 64 })),
      }),
    ),
    rekor: opt(
      object({
        logIndex: req(num({ min: 0, integer: true })),
        logId: req(text(1024)),
        integratedTime: req(num({ min: 0, integer: true })),
        inclusionProof: opt(anyObject),
      }),
    ),
  },
  "finding.closed": { reason: opt(longText) },
  "finding.reopened": { reason: opt(longText) },
  "airgap.bundle_imported": {
    bundleId: req(text(256)),
    digest: req(text(256)),
    source: req(text(1024)),
    createdAt: req(time),
    signer: opt(text(1024)),
    contents: opt(arrayOf(anyOrString(), { max: 10_000 })),
  },
  "airgap.time_anchor_updated": { anchorTime: req(time), source: req(text(1024)) },
  "orchestrator.run_exported": {
    runId: req(text(256)),
    exportedAt: req(time),
    producer: req(text(1024)),
    artifacts: req(arrayOf(object({ artifactId: req(text(512)), digest: req(text(256)) }), { max: 10_000 })),
    policyVersion: opt(text(256)),
  },
};

function anyOrString() {
  return (v: unknown, path: string, problems: FieldProblem[]) => {
    if (typeof v !== "string" && (v === null || typeof v !== "object" || Array.isArray(v)))
      problems.push({ path, message: "must be a string or an object" });
  };
}

/** Rules that span fields; run only when the field-level checks passed. */
export function checkPayloadRules(eventType: EventType, payload: Record<string, unknown>, occurredAtMs: number | null, problems: FieldProblem[]): void {
  switch (eventType) {
    case "finding.status_changed":
    case "finding.vex_decision":
      if (payload.status === "not_affected" && payload.justification == null && payload.impactStatement == null)
        problems.push({ path: "payload.justification", message: "not_affected needs a justification (one of the five OpenVEX values) or an impactStatement" });
      if (payload.status === "affected" && payload.actionStatement == null)
        problems.push({ path: "payload.actionStatement", message: "affected needs an actionStatement" });
      return;
    case "finding.tag_updated": {
      const add = (payload.add as unknown[] | undefined) ?? [];
      const remove = (payload.remove as unknown[] | undefined) ?? [];
      if (add.length === 0 && remove.length === 0) problems.push({ path: "payload.add", message: "add or remove must list at least one tag" });
      return;
    }
    case "finding.accepted_risk": {
      const t = parseRfc3339(payload.expiresAt as string);
      if (t.ok && occurredAtMs !== null && t.epochMs <= occurredAtMs) problems.push({ path: "payload.expiresAt", message: "must be after occurredAt" });
      return;
    }
    default:
      return;
  }
}

export function checkPayload(eventType: EventType, payload: Record<string, unknown>, occurredAtMs: number | null, problems: FieldProblem[]): void {
  const before = problems.length;
  checkFields(payload, PAYLOAD_FIELDS[eventType], "payload", problems);
  if (problems.length === before) checkPayloadRules(eventType, payload, occurredAtMs, problems);
}

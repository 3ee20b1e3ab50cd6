// Validates and normalises one event envelope as a writer sends it (DESIGN.md section 12, Envelope).
import { ValidationError, type FieldProblem } from "../errors.ts";
import { isUuid } from "../hash/uuid.ts";
import { ACTOR_TYPES, EVENT_TYPES, type EventDraft, type EventType, type JsonObject } from "./types.ts";
import { checkPayload } from "./payloads.ts";
import { checkJsonHygiene } from "./schema.ts";
import { parseRfc3339 } from "./time.ts";

export interface ValidatedEvent {
  draft: EventDraft;
  /** The sequence the event must receive (head + 1); not stored or hashed. */
  expectedSequence: number | null;
}

const ENVELOPE_FIELDS = new Set([
  "eventId", "eventType", "findingId", "artifactId", "policyVersion", "actor", "occurredAt", "sourceRunId", "payload", "expectedSequence",
]);

const TENANT = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const isTenantId = (s: unknown): s is string => typeof s === "string" && TENANT.test(s);

const kind = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
const isObject = (v: unknown): v is Record<string, unknown> => kind(v) === "object";
const isEventType = (v: unknown): v is EventType => typeof v === "string" && (EVENT_TYPES as readonly string[]).includes(v);

function optionalString(body: Record<string, unknown>, name: string, max: number, problems: FieldProblem[], path: string): string | null {
  const v = body[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") return problems.push({ path, message: `must be a string or null, got ${kind(v)}` }), null;
  if (v.length === 0) return problems.push({ path, message: "must not be empty" }), null;
  if (v.length > max) return problems.push({ path, message: `must have at most ${max} characters` }), null;
  return v;
}

/**
 * Validate an event body. `prefix` is prepended to every problem path (a batch passes `[i].`).
 * Throws ValidationError listing every problem found; returns the normalised draft otherwise.
 */
export function validateEvent(body: unknown, prefix = ""): ValidatedEvent {
  const problems: FieldProblem[] = [];
  const at = (p: string) => `${prefix}${p}`;
  if (!isObject(body)) throw new ValidationError([{ path: prefix ? prefix.replace(/\.$/, "") : "$", message: `event must be a JSON object, got ${kind(body)}` }]);

  for (const name of Object.keys(body)) if (!ENVELOPE_FIELDS.has(name)) problems.push({ path: at(name), message: "is not a known field" });

  const eventId = body.eventId;
  if (eventId === undefined) problems.push({ path: at("eventId"), message: "is required" });
  else if (!isUuid(eventId)) problems.push({ path: at("eventId"), message: "must be a UUID" });

  const eventType = body.eventType;
  if (eventType === undefined) problems.push({ path: at("eventType"), message: "is required" });
  else if (!isEventType(eventType)) problems.push({ path: at("eventType"), message: `unknown event type ${JSON.stringify(String(eventType)).slice(0, 80)}` });

  const isFinding = typeof eventType === "string" && eventType.startsWith("finding.");
  const findingId = optionalString(body, "findingId", 512, problems, at("findingId"));
  if (isEventType(eventType)) {
    if (isFinding && findingId === null && body.findingId == null) problems.push({ path: at("findingId"), message: `is required for ${eventType}` });
    if (!isFinding && body.findingId != null) problems.push({ path: at("findingId"), message: `must be absent or null for ${eventType}` });
  }
  const artifactId = optionalString(body, "artifactId", 512, problems, at("artifactId"));
  if (eventType === "finding.created" && body.artifactId == null) problems.push({ path: at("artifactId"), message: "is required for finding.created" });
  const policyVersion = optionalString(body, "policyVersion", 256, problems, at("policyVersion"));

  const actor = body.actor;
  if (actor === undefined) problems.push({ path: at("actor"), message: "is required" });
  else if (!isObject(actor)) problems.push({ path: at("actor"), message: `must be an object, got ${kind(actor)}` });
  else {
    if (typeof actor.id !== "string" || actor.id.length === 0 || actor.id.length > 256) problems.push({ path: at("actor.id"), message: "must be a non-empty string of at most 256 characters" });
    if (!(ACTOR_TYPES as readonly unknown[]).includes(actor.type)) problems.push({ path: at("actor.type"), message: `must be one of ${ACTOR_TYPES.join(", ")}` });
    for (const k of Object.keys(actor)) if (k !== "id" && k !== "type") problems.push({ path: at(`actor.${k}`), message: "is not a known field" });
  }

  let occurredAt: string | null = null;
  let occurredAtMs: number | null = null;
  if (body.occurredAt === undefined) problems.push({ path: at("occurredAt"), message: "is required" });
  else if (typeof body.occurredAt !== "string") problems.push({ path: at("occurredAt"), message: `must be an RFC 3339 string, got ${kind(body.occurredAt)}` });
  else {
    const t = parseRfc3339(body.occurredAt);
    if (t.ok) (occurredAt = t.iso), (occurredAtMs = t.epochMs);
    else problems.push({ path: at("occurredAt"), message: t.message });
  }

  const sourceRunId = body.sourceRunId;
  if (sourceRunId != null && !isUuid(sourceRunId)) problems.push({ path: at("sourceRunId"), message: "must be a UUID or null" });

  let expectedSequence: number | null = null;
  const es = body.expectedSequence;
  if (es != null) {
    if (typeof es !== "number" || !Number.isInteger(es) || es < 1 || es > Number.MAX_SAFE_INTEGER) problems.push({ path: at("expectedSequence"), message: "must be a positive integer" });
    else expectedSequence = es;
  }

  const payload = body.payload;
  if (payload === undefined) problems.push({ path: at("payload"), message: "is required" });
  else if (!isObject(payload)) problems.push({ path: at("payload"), message: `must be an object, got ${kind(payload)}` });
  else {
    const hygiene: FieldProblem[] = [];
    checkJsonHygiene(payload, "payload", hygiene);
    const shape: FieldProblem[] = [];
    if (hygiene.length === 0 && isEventType(eventType)) checkPayload(eventType, payload, occurredAtMs, shape);
    for (const p of [...hygiene, ...shape]) problems.push({ path: at(p.path), message: p.message });
  }
  for (const field of ["findingId", "artifactId", "policyVersion"] as const) {
    const v = body[field];
    if (typeof v === "string") checkJsonHygiene(v, at(field), problems);
  }
  if (isObject(actor) && typeof actor.id === "string") checkJsonHygiene(actor.id, at("actor.id"), problems);

  if (problems.length > 0) throw new ValidationError(problems);
  return {
    draft: {
      eventId: (eventId as string).toLowerCase(),
      eventType: eventType as EventType,
      findingId,
      artifactId,
      policyVersion,
      actor: { id: (actor as { id: string }).id, type: (actor as { type: EventDraft["actor"]["type"] }).type },
      occurredAt: occurredAt!,
      sourceRunId: sourceRunId == null ? null : (sourceRunId as string).toLowerCase(),
      payload: payload as JsonObject,
    },
    expectedSequence,
  };
}

// Accepted-risk expiry: whether it has passed at a given instant, and the system event that records it.
import { LedgerError } from "../errors.ts";
import { parseRfc3339 } from "../events/time.ts";
import type { Actor, EventDraft } from "../events/types.ts";
import type { Finding } from "./finding.ts";

export const EXPIRY_ACTOR: Readonly<Actor> = Object.freeze({ id: "ledger", type: "system" });
export const EXPIRY_COMMENT = "accepted risk expired";

/** The expiry event without the two fields the caller owns (eventId, occurredAt). */
export type ExpiryEventDraft = Omit<EventDraft, "eventId" | "occurredAt"> & {
  eventType: "finding.status_changed";
  findingId: string;
};

/**
 * Milliseconds since the epoch of an RFC 3339 date-time, parsed exactly as validation parses
 * it (events/time.ts). Instants are compared as numbers, never as strings, because `+02:00`
 * and `Z` forms do not sort together.
 */
export function instantOf(dateTime: string): number {
  const t = parseRfc3339(dateTime);
  if (!t.ok) throw new LedgerError("internal", `not an RFC 3339 date-time: ${dateTime} (${t.message})`);
  return t.epochMs;
}

/**
 * True when the finding is in accepted_risk and `now` has reached its expiresAt
 * (expiresAt is the first instant the acceptance no longer holds: now >= expiresAt).
 */
export function isAcceptedRiskExpired(finding: Finding, now: string): boolean {
  return (
    finding.status === "accepted_risk" &&
    finding.acceptedRisk !== null &&
    instantOf(finding.acceptedRisk.expiresAt) <= instantOf(now)
  );
}

/** The row as a reader sees it at `now`: acceptedRisk.expired computed; nothing else changes. */
export function withExpiry(finding: Finding, now: string): Finding {
  if (finding.acceptedRisk === null) return finding;
  const expired = isAcceptedRiskExpired(finding, now);
  return expired === finding.acceptedRisk.expired ? finding : { ...finding, acceptedRisk: { ...finding.acceptedRisk, expired } };
}

/**
 * The event the projector appends once an accepted risk has expired, or null if it has not:
 * `finding.status_changed` to `open` by `{id: "ledger", type: "system"}` with comment
 * `accepted risk expired`. The caller supplies eventId and occurredAt and should append with
 * `expectedSequence: finding.lastSequence + 1`, so a renewal that lands first wins and this
 * draft is re-evaluated instead of reopening a freshly renewed risk.
 */
export function draftExpiryEvent(finding: Finding, now: string): ExpiryEventDraft | null {
  if (!isAcceptedRiskExpired(finding, now)) return null;
  return {
    eventType: "finding.status_changed",
    findingId: finding.findingId,
    artifactId: finding.artifactId,
    policyVersion: null,
    actor: { ...EXPIRY_ACTOR },
    sourceRunId: null,
    payload: { status: "open", comment: EXPIRY_COMMENT },
  };
}

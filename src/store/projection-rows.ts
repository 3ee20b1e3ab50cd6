// The stored shape of a projected finding (filter columns, canonical JSON, row hash) and the streaming checksum, shared by both drivers.
import { canonicalize } from "../core/canonical/jcs.ts";
import { sha256Hex } from "../core/hash/digest.ts";
import { PROJECTION_CHECKSUM_DOMAIN } from "../core/projection/checksum.ts";
import { instantOf } from "../core/projection/expiry.ts";
import type { Finding } from "../core/projection/finding.ts";
import type { ProjectedEvent } from "./projection-port.ts";

/** The columns of one ledger_findings row, in the order both drivers insert them (after tenant_id). */
export type FindingTuple = [
  string, string, string, number | null, string | null, string | null, string, string | null, number, number | null, number, string, string,
];

export const FINDING_COLUMNS = [
  "finding_id", "status", "severity", "cvss_score", "policy_version", "artifact_id", "vulnerability_id",
  "assignee", "updated_at_ms", "risk_expires_at_ms", "last_sequence", "row_hash", "finding",
] as const;

/** The stored form of a folded row: indexed filter columns, its canonical JSON and that JSON's hash (findingRowHash). */
export function findingTuple(f: Finding): FindingTuple {
  const json = canonicalize(f);
  const riskExpiry = f.status === "accepted_risk" && f.acceptedRisk !== null ? instantOf(f.acceptedRisk.expiresAt) : null;
  return [
    f.findingId, f.status, f.severity, f.cvssScore, f.policyVersion, f.artifactId, f.vulnerabilityId,
    f.assignee, instantOf(f.updatedAt), riskExpiry, f.lastSequence, sha256Hex(json), json,
  ];
}

export const parseFinding = (json: string): Finding => JSON.parse(json) as Finding;

/**
 * projectionChecksum (core/projection/checksum.ts) fed one stored row hash at a time, so a
 * store can checksum millions of rows without holding them. Same formula, same domain tag;
 * test/unit/projector.checksum.test.ts pins the two together.
 */
export class ChecksumAccumulator {
  private sum = 0n;
  private count = 0;
  private static readonly MODULUS = 1n << 256n;

  add(rowHash: string): void {
    this.sum = (this.sum + BigInt(`0x${rowHash}`)) % ChecksumAccumulator.MODULUS;
    this.count++;
  }

  get findings(): number {
    return this.count;
  }

  digest(): string {
    return sha256Hex(`${PROJECTION_CHECKSUM_DOMAIN}\n${this.count}\n${this.sum.toString(16).padStart(64, "0")}`);
  }
}

/** Distinct finding ids of the finding events in a page (non-finding events have none). */
export const touchedFindings = (events: readonly ProjectedEvent[]): string[] => [
  ...new Set(events.flatMap((e) => (e.findingId === null ? [] : [e.findingId]))),
];

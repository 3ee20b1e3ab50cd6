// A few realistic findings for a first look (`ledger serve --sample-data`), appended through the normal write path.
import type { Actor } from "../core/events/types.ts";
import { uuidV5 } from "../core/hash/uuid.ts";
import type { Appender } from "./appender.ts";

const SAMPLE_NS = "3b1f0c52-8a5e-5d7c-9f4e-2a6b8c0d1e3f";
const ARTIFACT = "sha256:8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4";
const actor: Actor = { id: "alice@example.com", type: "operator" };
const scanner: Actor = { id: "scanner", type: "system" };

function sampleEvents() {
  const events: Record<string, unknown>[] = [];
  let n = 0;
  const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 9, minute)).toISOString();
  const add = (findingId: string, eventType: string, payload: Record<string, unknown>, who = actor) =>
    events.push({ eventId: uuidV5(SAMPLE_NS, `sample-${n++}`), eventType, findingId, artifactId: ARTIFACT, policyVersion: "policy-1", actor: who, occurredAt: at(n), payload });
  const f1 = `CVE-2026-0001@${ARTIFACT}`;
  const f2 = `CVE-2026-0002@${ARTIFACT}`;
  const f3 = `CVE-2026-0003@${ARTIFACT}`;
  add(f1, "finding.created", { vulnerabilityId: "CVE-2026-0001", severity: "critical", cvssScore: 9.8, component: "pkg:npm/lodash@4.17.20", title: "Prototype pollution in lodash" }, scanner);
  add(f1, "finding.assignment_changed", { assignee: "bob@example.com" });
  add(f1, "finding.status_changed", { status: "affected", actionStatement: "Upgrade lodash to 4.17.21" });
  add(f1, "finding.remediation_plan_added", { plan: "Bump lodash in the next release", ticketUrl: "https://tickets.example.com/SEC-42" });
  add(f2, "finding.created", { vulnerabilityId: "CVE-2026-0002", severity: "high", cvssScore: 7.5, component: "pkg:pypi/requests@2.31.0" }, scanner);
  add(f2, "finding.status_changed", { status: "not_affected", justification: "vulnerable_code_not_in_execute_path", impactStatement: "The proxy code path is never used." });
  add(f3, "finding.created", { vulnerabilityId: "CVE-2026-0003", severity: "medium", component: "pkg:golang/golang.org/x/net@0.17.0" }, scanner);
  add(f3, "finding.comment_added", { comment: "Reachable only from the admin port; low exposure." });
  add(f3, "finding.accepted_risk", { reason: "Mitigated by network policy", expiresAt: "2027-06-01T00:00:00Z", approvedBy: "carol@example.com" });
  return events;
}

/**
 * Appends the sample events to `tenantId` (an identical replay if they are already there);
 * returns how many were new and the chains they live on.
 */
export async function seedSampleData(appender: Appender, tenantId: string): Promise<{ appended: number; chainIds: string[] }> {
  const results = await appender.appendBatch(tenantId, sampleEvents());
  return {
    appended: results.filter((r) => r.status === "created").length,
    chainIds: [...new Set(results.map((r) => r.receipt.chainId))],
  };
}

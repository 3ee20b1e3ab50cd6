// Event builders and a whole-tenant chain check for tests.
import { verifyChain, type ChainFailure } from "../../src/core/chain/verify.ts";
import type { ChainedEvent } from "../../src/core/events/types.ts";
import type { EventStore } from "../../src/store/port.ts";

let counter = 0;
export const randomTenant = () => `t-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

const ARTIFACT = `sha256:${"ab".repeat(32)}`;

export function created(over: Partial<{ findingId: string; severity: string }> = {}) {
  const findingId = over.findingId ?? `CVE-2026-${Math.floor(Math.random() * 1e6)}@${crypto.randomUUID()}`;
  return {
    eventId: crypto.randomUUID(),
    eventType: "finding.created",
    findingId,
    artifactId: ARTIFACT,
    policyVersion: "policy-1",
    actor: { id: "scanner", type: "system" },
    occurredAt: "2026-11-01T10:00:00Z",
    payload: { vulnerabilityId: findingId.split("@")[0]!, severity: over.severity ?? "high", cvssScore: 7.5 },
  };
}

export function comment(findingId: string, text = "looked at it") {
  return {
    eventId: crypto.randomUUID(),
    eventType: "finding.comment_added",
    findingId,
    artifactId: ARTIFACT,
    actor: { id: "alice@example.com", type: "operator" },
    occurredAt: "2026-11-01T11:00:00.5+01:00",
    payload: { comment: text },
  };
}

/** Read every listed chain page by page and verify it; returns failures and counts. */
export async function verifyAllChains(store: EventStore, tenantId: string, chainIds: Iterable<string>) {
  const failures: ChainFailure[] = [];
  let events = 0;
  const lengths = new Map<string, number>();
  for (const chainId of chainIds) {
    const all: ChainedEvent[] = [];
    for (let after = 0; ; ) {
      const page = await store.listChain(tenantId, chainId, after, 1000);
      all.push(...page);
      if (page.length < 1000) break;
      after = page[page.length - 1]!.sequence;
    }
    failures.push(...verifyChain(tenantId, chainId, all));
    events += all.length;
    lengths.set(chainId, all.length);
  }
  return { failures, events, lengths };
}

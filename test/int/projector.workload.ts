// Seeded random finding workloads for the projector and findings tests, and the reference fold they are checked against.
import { LedgerError } from "../../src/core/errors.ts";
import type { ChainedEvent } from "../../src/core/events/types.ts";
import { findingChainId } from "../../src/core/hash/uuid.ts";
import { projectionChecksum } from "../../src/core/projection/checksum.ts";
import type { Finding } from "../../src/core/projection/finding.ts";
import { foldEvents } from "../../src/core/projection/fold.ts";
import type { Appender } from "../../src/ledger/appender.ts";
import type { EventStore } from "../../src/store/port.ts";

export type Body = Record<string, unknown>;

/** mulberry32: small, fast, good enough to pick test events reproducibly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

export const ARTIFACTS = ["sha256:" + "a1".repeat(32), "sha256:" + "b2".repeat(32), "sha256:" + "c3".repeat(32)];
export const POLICIES = ["policy-1", "policy-2"];
export const PEOPLE = ["alice@example.com", "bob@example.com", "carol@example.com"];
const SEVERITIES = ["critical", "high", "medium", "low", "informational"];
const VULNS = ["CVE-2024-3094", "CVE-2021-44228", "CVE-2023-44487", "GHSA-jfh8-c2jp-5v3q"];
const TAGS = ["kev", "prod", "pci", "internet-facing"];

/** Finding ids with a mix of ASCII, '/', '@' and non-ASCII characters, so byte-order paging is exercised. */
export function findingIds(prefix: string, n: number): string[] {
  const shapes = ["F-%", "pkg:npm/lodash@4.17.%", "Ärger-%", "z-%", "日本-%", "A%"];
  return Array.from({ length: n }, (_, i) => `${prefix}${shapes[i % shapes.length]!.replace("%", String(i))}`);
}

const time = (r: () => number) => new Date(Date.UTC(2026, 0, 1) + Math.floor(r() * 300 * 86_400_000)).toISOString();

export function createdBody(r: () => number, findingId: string): Body {
  return {
    eventId: crypto.randomUUID(),
    eventType: "finding.created",
    findingId,
    artifactId: pick(r, ARTIFACTS),
    policyVersion: pick(r, POLICIES),
    actor: { id: "scanner", type: "system" },
    occurredAt: time(r),
    payload: { vulnerabilityId: pick(r, VULNS), severity: pick(r, SEVERITIES), ...(r() < 0.8 ? { cvssScore: Math.round(r() * 100) / 10 } : {}) },
  };
}

/**
 * Any finding event; some will be refused by the workflow (e.g. on a closed finding) and that is
 * fine. `neverClose` leaves out closed/reopened, so every event applies to any live finding (batches).
 */
export function updateBody(r: () => number, findingId: string, opts: { pastExpiries?: boolean; neverClose?: boolean } = {}): Body {
  const occurredAt = time(r);
  const payloads: [string, Record<string, unknown>][] = [
    ["finding.comment_added", { comment: `note ${Math.floor(r() * 1000)}` }],
    ["finding.assignment_changed", { assignee: r() < 0.2 ? null : pick(r, PEOPLE) }],
    ["finding.severity_changed", { severity: pick(r, SEVERITIES), ...(r() < 0.5 ? { cvssScore: Math.round(r() * 100) / 10 } : {}) }],
    ["finding.tag_updated", { add: [pick(r, TAGS)], ...(r() < 0.3 ? { remove: [pick(r, TAGS)] } : {}) }],
    ["finding.status_changed", pick(r, [
      { status: "under_investigation" }, { status: "open" }, { status: "fixed" }, { status: "false_positive" },
      { status: "affected", actionStatement: "upgrade" }, { status: "not_affected", justification: "component_not_present" },
    ])],
    ["finding.vex_decision", { status: "not_affected", impactStatement: "not reachable" }],
    ["finding.accepted_risk", {
      reason: "compensating control",
      expiresAt: opts.pastExpiries && r() < 0.5 ? new Date(Date.parse(occurredAt) + 60_000).toISOString() : "2099-01-01T00:00:00Z",
    }],
    ["finding.remediation_plan_added", { plan: "bump the dependency" }],
    ...(opts.neverClose ? [] : ([["finding.closed", {}], ["finding.reopened", {}]] as [string, Record<string, unknown>][])),
  ];
  const [eventType, payload] = pick(r, payloads);
  return {
    eventId: crypto.randomUUID(),
    eventType,
    findingId,
    ...(r() < 0.3 ? { policyVersion: pick(r, POLICIES) } : {}),
    actor: { id: pick(r, PEOPLE), type: "operator" },
    occurredAt,
    payload,
  };
}

export const airgapBody = (r: () => number): Body => ({
  eventId: crypto.randomUUID(),
  eventType: "airgap.time_anchor_updated",
  actor: { id: "importer", type: "system" },
  occurredAt: time(r),
  payload: { anchorTime: time(r), source: "roughtime" },
});

/** Append, treating workflow refusals as the legitimate outcome of racing writers. */
export async function tryAppend(appender: Appender, tenantId: string, body: Body): Promise<boolean> {
  try {
    await appender.appendOne(tenantId, body);
    return true;
  } catch (e) {
    if (e instanceof LedgerError && ["invalid_transition", "finding_not_found", "sequence_mismatch"].includes(e.code)) return false;
    throw e;
  }
}

/** Run `count` jobs over `writers` concurrent loops. */
export async function concurrently(count: number, writers: number, job: (i: number, writer: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    while (next < count) {
      await job(next++, w);
      // Embedded appends settle in microtasks; a macrotask turn lets timers (the live projector) run, as HTTP traffic would.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }));
}

/** The reference: every chain read back from the event store, folded by the core fold, keyed by findingId. */
export async function referenceFold(store: EventStore, tenantId: string, ids: Iterable<string>): Promise<Map<string, Finding>> {
  const events: ChainedEvent[] = [];
  for (const id of ids) {
    const chainId = findingChainId(tenantId, id);
    for (let after = 0; ; ) {
      const page = await store.listChain(tenantId, chainId, after, 1000);
      events.push(...page);
      if (page.length < 1000) break;
      after = page[page.length - 1]!.sequence;
    }
  }
  return new Map([...foldEvents(events).values()].map((f) => [f.findingId, f]));
}

export const referenceChecksum = (rows: Map<string, Finding>): string => projectionChecksum(rows.values());

/** UTF-8 byte order (PostgreSQL COLLATE "C", SQLite BINARY). */
export const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

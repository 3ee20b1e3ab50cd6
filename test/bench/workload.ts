// The benchmark's data: findings of 10 events (finding.created + 9 comments), as ledger bodies, linked rows, COPY text and Emmett events.
import { canonicalize } from "../../src/core/canonical/jcs.ts";
import { chainIdOf, contentDigestOf, linkEvent } from "../../src/core/chain/link.ts";
import { ZERO_HASH } from "../../src/core/events/types.ts";
import { validateEvent } from "../../src/core/events/validate.ts";
import { evolveWorkflow } from "../../src/core/workflow/evolve.ts";
import type { EventRow } from "../../src/store/port.ts";
import { EVENT_COLUMNS, toTuple } from "../../src/store/rows.ts";
import { comment, created } from "../support/events.ts";

export const TENANT = "bench";
export const EVENTS_PER_CHAIN = 10;

export type Body = ReturnType<typeof created> | ReturnType<typeof comment>;

/** One finding's events in order: created, then EVENTS_PER_CHAIN - 1 comments. */
export function findingEvents(perChain = EVENTS_PER_CHAIN): Body[] {
  const first = created();
  const out: Body[] = [first];
  for (let i = 1; i < perChain; i++) out.push(comment(first.findingId, `triage note ${i}: checked reachability of the vulnerable call path`));
  return out;
}

/** `total` events over total / EVENTS_PER_CHAIN findings, chain after chain (a scanner import). */
export function ingestBodies(total: number): Body[] {
  const out: Body[] = [];
  while (out.length < total) out.push(...findingEvents());
  return out.slice(0, total);
}

export function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/**
 * Rows exactly as the ledger would store them, computed with the core's linkEvent: what the
 * COPY ceiling writes. Bodies must be chain-major (a chain's events in order).
 */
export function linkedRows(tenantId: string, bodies: readonly Body[]): EventRow[] {
  const heads = new Map<string, { sequence: number; hash: string; status: EventRow["findingStatus"] }>();
  let clock = Date.now() * 1000;
  return bodies.map((b) => {
    const { draft } = validateEvent(b);
    const chainId = chainIdOf(tenantId, draft);
    const head = heads.get(chainId) ?? { sequence: 0, hash: ZERO_HASH, status: null };
    const linked = linkEvent(tenantId, chainId, head.sequence + 1, head.hash, draft);
    const status = evolveWorkflow({ exists: head.sequence > 0, status: head.status }, draft.eventType, draft.payload).status;
    heads.set(chainId, { sequence: linked.sequence, hash: linked.eventHash, status });
    return { ...linked, contentDigest: contentDigestOf(tenantId, chainId, draft), findingStatus: status, recordedAtUs: clock++ };
  });
}

// COPY text format, escaped the same way the PostgreSQL driver does.
const copyEscape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
export const copyLine = (r: EventRow) => toTuple(r, canonicalize(r.payload)).map((v) => (v === null ? "\\N" : copyEscape(String(v)))).join("\t") + "\n";
export const COPY_SQL = `COPY ledger_events (${EVENT_COLUMNS.join(", ")}) FROM STDIN`;

/** An Emmett event carrying the same envelope the ledger receives. */
export const emmettEvent = (b: Body) => ({ type: b.eventType, data: b as unknown as Record<string, unknown> });

/**
 * Single-append clients: client c appends to its own findings, 10 events each (created then
 * comments), so clients never share a chain or stream. `next(c, n)` is the n-th event of client c.
 */
export class ClientStreams {
  private readonly current: Array<{ events: Body[]; stream: string }> = [];

  next(client: number, n: number): { body: Body; stream: string } {
    const i = n % EVENTS_PER_CHAIN;
    if (i === 0 || !this.current[client]) this.current[client] = { events: findingEvents(), stream: `finding-${crypto.randomUUID()}` };
    const cur = this.current[client]!;
    return { body: cur.events[i]!, stream: cur.stream };
  }
}

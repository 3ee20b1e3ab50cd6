// The one write path: validate, decide against the chain head, link, commit, receipt (DESIGN.md sections 4 and 12).
import { chainIdOf, contentDigestOf, linkEvent } from "../core/chain/link.ts";
import { LedgerError } from "../core/errors.ts";
import { ZERO_HASH, type EventDraft, type Receipt } from "../core/events/types.ts";
import { validateEvent, type ValidatedEvent } from "../core/events/validate.ts";
import { ValidationError, type FieldProblem } from "../core/errors.ts";
import { decide } from "../core/workflow/decide.ts";
import { evolveWorkflow } from "../core/workflow/evolve.ts";
import type { ChainHead, EventRow, EventStore } from "../store/port.ts";
import { formatMicros } from "../store/rows.ts";
import { ChainLocks } from "./chain-locks.ts";
import type { MicroClock } from "./clock.ts";
import { GroupCommitter } from "./group-commit.ts";

export const MAX_BATCH_EVENTS = 10_000;
const MAX_ATTEMPTS = 32;
/** Jittered pause before re-deciding after losing a race to another replica (ms). */
const backoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
const HEAD_CACHE_LIMIT = 200_000;
const GENESIS: ChainHead = { sequence: 0, eventHash: ZERO_HASH, findingStatus: null };

export interface AppendResult {
  status: "created" | "duplicate";
  receipt: Receipt;
}

export interface BatchFailure {
  index: number;
  error: string;
  message: string;
  details?: unknown;
}

export const receiptOf = (r: EventRow): Receipt => ({
  eventId: r.eventId,
  chainId: r.chainId,
  sequence: r.sequence,
  eventHash: r.eventHash,
  previousHash: r.previousHash,
  merkleLeafHash: r.merkleLeafHash,
  recordedAt: formatMicros(r.recordedAtUs),
});

/** The writer resent an eventId: the original receipt if the content is identical, else a 409. */
function replayOf(existing: EventRow, contentDigest: string): AppendResult {
  if (existing.contentDigest !== contentDigest)
    throw new LedgerError("idempotency_conflict", `event ${existing.eventId} was already recorded with different content`, {
      eventId: existing.eventId,
      chainId: existing.chainId,
      sequence: existing.sequence,
    });
  return { status: "duplicate", receipt: receiptOf(existing) };
}

/** Check expectedSequence and the workflow against a head; throws the 409 when refused. */
function decideAgainst(head: ChainHead, v: ValidatedEvent): void {
  const next = head.sequence + 1;
  if (v.expectedSequence !== null && v.expectedSequence !== next)
    throw new LedgerError("sequence_mismatch", `expectedSequence ${v.expectedSequence} but the event would receive sequence ${next}`, {
      expected: v.expectedSequence,
      actual: next,
    });
  decide({ exists: head.sequence > 0, status: head.findingStatus }, v.draft.eventType, v.draft.payload);
}

export class Appender {
  private readonly locks = new ChainLocks();
  private readonly heads = new Map<string, ChainHead>();
  private readonly committer: GroupCommitter;

  constructor(private readonly store: EventStore, private readonly clock: MicroClock) {
    this.committer = new GroupCommitter(store);
  }

  private buildRow(tenantId: string, chainId: string, head: ChainHead, draft: EventDraft, contentDigest: string): EventRow {
    const linked = linkEvent(tenantId, chainId, head.sequence + 1, head.eventHash, draft);
    const status = draft.findingId === null
      ? null
      : evolveWorkflow({ exists: head.sequence > 0, status: head.findingStatus }, draft.eventType, draft.payload).status;
    return { ...linked, contentDigest, findingStatus: status, recordedAtUs: this.clock() };
  }

  private remember(key: string, head: ChainHead): void {
    if (this.heads.size >= HEAD_CACHE_LIMIT && !this.heads.has(key)) {
      const oldest = this.heads.keys().next().value;
      if (oldest !== undefined) this.heads.delete(oldest);
    }
    this.heads.delete(key);
    this.heads.set(key, head);
  }

  private async headOf(tenantId: string, chainId: string, draft: EventDraft): Promise<ChainHead> {
    const key = `${tenantId}\n${chainId}`;
    const cached = this.heads.get(key);
    if (cached) return cached;
    // A finding.created can only start a chain: assume it does and save the read. If the chain
    // exists after all, the insert collides on (chain, sequence 1) and the head is loaded then.
    if (draft.eventType === "finding.created") return GENESIS;
    const head = (await this.store.loadHeads(tenantId, [chainId])).get(chainId) ?? GENESIS;
    this.remember(key, head);
    return head;
  }

  private async reloadHead(tenantId: string, chainId: string): Promise<ChainHead> {
    const head = (await this.store.loadHeads(tenantId, [chainId])).get(chainId) ?? GENESIS;
    this.remember(`${tenantId}\n${chainId}`, head);
    return head;
  }

  /** Append one event; resolves only after its commit. */
  async appendOne(tenantId: string, body: unknown): Promise<AppendResult> {
    const v = validateEvent(body);
    const { draft } = v;
    const chainId = chainIdOf(tenantId, draft);
    const digest = contentDigestOf(tenantId, chainId, draft);
    const key = `${tenantId}\n${chainId}`;
    const release = await this.locks.acquire(key);
    try {
      // A cached head may be stale when other replicas write the same chain: a refusal or a
      // collision is only final once decided against a head read fresh from the store.
      let fresh = false;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const head = fresh ? await this.reloadHead(tenantId, chainId) : await this.headOf(tenantId, chainId, draft);
        try {
          decideAgainst(head, v);
        } catch (refusal) {
          const existing = (await this.store.findEvents(tenantId, [draft.eventId])).get(draft.eventId);
          if (existing) return replayOf(existing, digest);
          if (fresh) throw refusal;
          fresh = true;
          continue;
        }
        const row = this.buildRow(tenantId, chainId, head, draft, digest);
        if (await this.committer.submit(row)) {
          this.remember(key, { sequence: row.sequence, eventHash: row.eventHash, findingStatus: row.findingStatus });
          return { status: "created", receipt: receiptOf(row) };
        }
        const existing = (await this.store.findEvents(tenantId, [draft.eventId])).get(draft.eventId);
        if (existing) return replayOf(existing, digest);
        // Another process moved the chain (or it existed before we knew): decide again.
        if (fresh) await backoff(attempt);
        fresh = true;
      }
      throw new LedgerError("unavailable", "the chain is under heavy concurrent writing; retry");
    } finally {
      release();
    }
  }

  /**
   * Append up to 10,000 events all-or-nothing: any invalid event fails the batch (422 listing
   * every failing path; 409 listing every refused index) and nothing is written.
   */
  async appendBatch(tenantId: string, bodies: readonly unknown[]): Promise<AppendResult[]> {
    if (bodies.length > MAX_BATCH_EVENTS)
      throw new LedgerError("batch_too_large", `a batch holds at most ${MAX_BATCH_EVENTS} events, got ${bodies.length}`);
    if (bodies.length === 0) throw new LedgerError("bad_request", "the batch is empty");
    const problems: FieldProblem[] = [];
    const validated: ValidatedEvent[] = [];
    bodies.forEach((b, i) => {
      try {
        validated.push(validateEvent(b, `[${i}].`));
      } catch (e) {
        if (e instanceof ValidationError) problems.push(...e.problems);
        else throw e;
      }
    });
    if (problems.length > 0) throw new ValidationError(problems, `${new Set(problems.map((p) => p.path.slice(0, p.path.indexOf("]") + 1))).size} events are invalid`);

    const chainIds = validated.map((v) => chainIdOf(tenantId, v.draft));
    const digests = validated.map((v, i) => contentDigestOf(tenantId, chainIds[i]!, v.draft));
    const release = await this.locks.acquireAll(chainIds.map((c) => `${tenantId}\n${c}`));
    try {
      let fresh = false;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (fresh) for (const c of new Set(chainIds)) this.heads.delete(`${tenantId}\n${c}`);
        const plan = await this.planBatch(tenantId, validated, chainIds, digests, fresh);
        if (plan === "stale") {
          fresh = true;
          continue;
        }
        if (plan.rows.length === 0) return plan.results;
        if (await this.store.insertAll(tenantId, plan.rows)) {
          for (const [chainId, head] of plan.heads) this.remember(`${tenantId}\n${chainId}`, head);
          return plan.results;
        }
        if (fresh) await backoff(attempt);
        fresh = true;
      }
      throw new LedgerError("unavailable", "the chains are under heavy concurrent writing; retry");
    } finally {
      release();
    }
  }

  /** Plan the rows of a batch against the heads; "stale" asks for a re-plan on fresh heads before refusing. */
  private async planBatch(tenantId: string, validated: ValidatedEvent[], chainIds: string[], digests: string[], fresh: boolean) {
    // Optimistic first plan: no resend look-up, and chains the batch starts with finding.created
    // are taken as new. A resend or an existing chain makes the write collide on a unique key,
    // and the batch is planned again with every read done ("fresh").
    const existing = fresh ? await this.store.findEvents(tenantId, validated.map((v) => v.draft.eventId)) : new Map<string, EventRow>();
    const startsNew = new Set<string>();
    if (!fresh) {
      const seen = new Set<string>();
      validated.forEach((v, i) => {
        const c = chainIds[i]!;
        if (!seen.has(c) && v.draft.eventType === "finding.created") startsNew.add(c);
        seen.add(c);
      });
    }
    const distinct = [...new Set(chainIds)];
    const missing = distinct.filter((c) => !this.heads.has(`${tenantId}\n${c}`) && !startsNew.has(c));
    const loaded = missing.length > 0 ? await this.store.loadHeads(tenantId, missing) : new Map<string, ChainHead>();
    const heads = new Map<string, ChainHead>();
    for (const c of distinct) heads.set(c, this.heads.get(`${tenantId}\n${c}`) ?? loaded.get(c) ?? GENESIS);

    const results: AppendResult[] = [];
    const rows: EventRow[] = [];
    const inBatch = new Map<string, EventRow>();
    const failures: BatchFailure[] = [];
    validated.forEach((v, i) => {
      const chainId = chainIds[i]!;
      try {
        const prior = existing.get(v.draft.eventId) ?? inBatch.get(v.draft.eventId);
        if (prior) return void results.push(replayOf(prior, digests[i]!));
        const head = heads.get(chainId)!;
        decideAgainst(head, v);
        const row = this.buildRow(tenantId, chainId, head, v.draft, digests[i]!);
        rows.push(row);
        inBatch.set(v.draft.eventId, row);
        heads.set(chainId, { sequence: row.sequence, eventHash: row.eventHash, findingStatus: row.findingStatus });
        results.push({ status: "created", receipt: receiptOf(row) });
      } catch (e) {
        if (!(e instanceof LedgerError)) throw e;
        failures.push({ index: i, error: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) });
      }
    });
    if (failures.length > 0 && !fresh) return "stale" as const;
    if (failures.length > 0) {
      const first = failures[0]!;
      throw new LedgerError(first.error as LedgerError["code"], `${failures.length} of ${validated.length} events were refused; nothing was written (first: [${first.index}] ${first.message})`, failures);
    }
    return { rows, results, heads };
  }
}

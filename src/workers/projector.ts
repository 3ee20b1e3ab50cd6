// The projector worker: folds committed events into the findings projection tenant by tenant, and appends accepted-risk expiries.
import { LedgerError } from "../core/errors.ts";
import { uuidV5 } from "../core/hash/uuid.ts";
import { draftExpiryEvent, instantOf } from "../core/projection/expiry.ts";
import type { Finding } from "../core/projection/finding.ts";
import { foldFinding } from "../core/projection/fold.ts";
import { isFindingEventType } from "../core/workflow/rules.ts";
import type { WorkerState } from "../http/context.ts";
import type { Appender } from "../ledger/appender.ts";
import { WorkerLoop } from "./loop.ts";
import type { Logger } from "../observability/logger.ts";
import type { ApplyFn, ProjectionStore, RebuildResult } from "../store/projection-port.ts";

/** Namespace of the expiry events' ids: UUIDv5(NS, tenant + "\n" + lastEventHash) makes retries idempotent. */
export const EXPIRY_EVENT_NAMESPACE = "5a0f3c1e-7d2b-5e4a-8c6f-1b9d0e2a4c7f";

/**
 * The fold the stores run inside their transaction: each event onto its finding's latest row.
 * foldFinding refuses an event that is not exactly the row's next (sequence, previousHash), so
 * a skipped or doubly applied event stops the projector loudly instead of corrupting a row.
 */
export const foldInto: ApplyFn = (current, events) => {
  const changed = new Map<string, Finding>();
  for (const e of events) {
    if (!isFindingEventType(e.eventType) || e.findingId === null) continue;
    changed.set(e.findingId, foldFinding(changed.get(e.findingId) ?? current.get(e.findingId) ?? null, e));
  }
  return changed;
};

/** One applied batch, for metrics (issue 8 exposes ledger_projection_apply_seconds and _lag_seconds from these). */
export interface ApplySample {
  tenantId: string;
  events: number;
  findings: number;
  seconds: number;
  /** now - recordedAt of the batch's last event: how far behind the writes the projection was. */
  lagSeconds: number;
}

export interface ProjectorOptions {
  projection: ProjectionStore;
  /** The write path for expiry events; null disables expiry appends (rows still read as expired). */
  appender: Appender | null;
  log: Logger;
  batchSize?: number;
  /** Idle wait between passes. */
  pollMs?: number;
  expiryIntervalMs?: number;
  /** Wall clock in ms (tests pin it to trigger expiries). */
  now?: () => number;
  onApplied?: (sample: ApplySample) => void;
}

export interface ProjectorStats {
  eventsApplied: number;
  batches: number;
  expiriesAppended: number;
  /** Latest lag per tenant (0 once a pass finds nothing pending). */
  lagSeconds: Map<string, number>;
  /** The most recent apply durations (seconds), newest last, at most 1024. */
  applySeconds: number[];
}

const APPLY_RING = 1024;

export class Projector {
  readonly stats: ProjectorStats = { eventsApplied: 0, batches: 0, expiriesAppended: 0, lagSeconds: new Map(), applySeconds: [] };
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly expiryIntervalMs: number;
  private readonly now: () => number;
  private readonly failures = new Map<string, string>();
  private readonly loop: WorkerLoop;
  private lastExpiryScan = 0;

  constructor(private readonly opts: ProjectorOptions) {
    this.batchSize = opts.batchSize ?? 500;
    this.pollMs = opts.pollMs ?? 100;
    this.expiryIntervalMs = opts.expiryIntervalMs ?? 1000;
    this.now = opts.now ?? Date.now;
    this.loop = new WorkerLoop({
      name: "projector",
      log: opts.log,
      pollMs: this.pollMs,
      step: () => this.step(),
      failures: this.failures,
      detail: () => `${this.stats.eventsApplied} events applied`,
    });
  }

  /** One batch for every tenant with pending events; returns the events applied. Tenant failures are kept, not thrown. */
  async pass(): Promise<number> {
    let applied = 0;
    const pending = new Set(await this.opts.projection.pendingTenants());
    for (const tenantId of this.stats.lagSeconds.keys()) if (!pending.has(tenantId)) this.stats.lagSeconds.set(tenantId, 0);
    for (const tenantId of pending) {
      const started = performance.now();
      try {
        const r = await this.opts.projection.applyNext(tenantId, this.batchSize, foldInto);
        this.failures.delete(tenantId);
        if (r === "locked" || r.events === 0) continue;
        const sample: ApplySample = {
          tenantId,
          events: r.events,
          findings: r.findings,
          seconds: (performance.now() - started) / 1000,
          lagSeconds: Math.max(0, (this.now() * 1000 - (r.lastRecordedAtUs ?? 0)) / 1e6),
        };
        this.record(sample);
        applied += r.events;
        // The embedded driver is synchronous: without a macrotask turn between batches a backlog
        // would keep the HTTP server of the same process from answering until it is drained.
        await new Promise<void>((resolve) => setImmediate(resolve));
      } catch (e) {
        const message = (e as Error).message;
        if (this.failures.get(tenantId) !== message) this.opts.log.error("projection failed", { tenant: tenantId, error: message, code: (e as LedgerError).code });
        this.failures.set(tenantId, message);
      }
    }
    return applied;
  }

  private record(s: ApplySample): void {
    this.stats.eventsApplied += s.events;
    this.stats.batches++;
    this.stats.lagSeconds.set(s.tenantId, s.lagSeconds);
    this.stats.applySeconds.push(s.seconds);
    if (this.stats.applySeconds.length > APPLY_RING) this.stats.applySeconds.shift();
    this.opts.onApplied?.(s);
  }

  /** Passes until nothing committed is left (or only failing tenants are); returns the events applied. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.pass();
      total += n;
      if (n === 0) return total;
    }
  }

  /**
   * Append `finding.status_changed` to open for every accepted risk past its expiry, through the
   * Appender: expectedSequence = lastSequence + 1 (a renewal that landed first wins; the row is
   * looked at again once projected) and an id derived from the last event hash, so a retry, a
   * restart or a second replica resends the identical event and gets the original receipt.
   */
  async expire(): Promise<number> {
    const appender = this.opts.appender;
    if (appender === null) return 0;
    const nowMs = this.now();
    const nowIso = new Date(nowMs).toISOString();
    let appended = 0;
    for (const { tenantId, finding } of await this.opts.projection.dueExpiries(nowMs, 100)) {
      const draft = draftExpiryEvent(finding, nowIso);
      if (draft === null) continue;
      // The status changed when the risk expired, but never before the finding's last event.
      const occurredMs = Math.max(instantOf(finding.acceptedRisk!.expiresAt), instantOf(finding.updatedAt));
      const body = {
        ...draft,
        eventId: uuidV5(EXPIRY_EVENT_NAMESPACE, `${tenantId}\n${finding.lastEventHash}`),
        occurredAt: new Date(occurredMs).toISOString(),
        expectedSequence: finding.lastSequence + 1,
      };
      try {
        const r = await appender.appendOne(tenantId, body);
        if (r.status === "created") appended++;
      } catch (e) {
        // The chain moved past the row (renewed, closed, commented): decided again once projected.
        if (e instanceof LedgerError && (e.code === "sequence_mismatch" || e.code === "invalid_transition")) continue;
        this.opts.log.warn("accepted-risk expiry not appended", { tenant: tenantId, findingId: finding.findingId, error: (e as Error).message });
      }
    }
    this.stats.expiriesAppended += appended;
    return appended;
  }

  /** One loop step: a pass over pending tenants, and the expiry scan when it is due; true while events were applied. */
  private async step(): Promise<boolean> {
    const applied = await this.pass();
    if (this.now() - this.lastExpiryScan >= this.expiryIntervalMs) {
      this.lastExpiryScan = this.now();
      await this.expire();
    }
    return applied > 0;
  }

  start(): void {
    this.loop.start();
  }

  /** Finish the batch in flight, then stop; safe to call twice. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** What failed in the latest attempt: the pass itself, or tenants whose batch was refused. */
  problems(): string[] {
    return this.loop.problems();
  }

  state(): WorkerState {
    return this.loop.state();
  }
}

/** `ledger project --rebuild` for one tenant: the same fold, from event 0, replacing the rows in one transaction. */
export async function rebuildProjection(projection: ProjectionStore, tenantId: string, opts: { pageSize?: number; progress?: (events: number) => void } = {}): Promise<RebuildResult & { seconds: number }> {
  const started = performance.now();
  const r = await projection.rebuild(tenantId, opts.pageSize ?? 1000, foldInto, opts.progress);
  return { ...r, seconds: (performance.now() - started) / 1000 };
}

// The projection store interface (findings rows, projector checkpoint, findings reads) and its factory.
import { LedgerError } from "../core/errors.ts";
import type { ChainedEvent, FindingStatus, Severity } from "../core/events/types.ts";
import type { Finding } from "../core/projection/finding.ts";
import type { DriverKind, EventStore } from "./port.ts";
import { PostgresEventStore } from "./postgres.ts";
import { PostgresProjectionStore } from "./postgres-projection.ts";
import { SqliteEventStore } from "./sqlite.ts";
import { SqliteProjectionStore } from "./sqlite-projection.ts";

/** An event as the projector reads it: chained, plus the server time it was recorded (for lag). */
export interface ProjectedEvent extends ChainedEvent {
  recordedAtUs: number;
}

/**
 * The pure step a store runs inside its transaction: the current rows of the findings the
 * events touch (keyed by findingId; absent = no row yet) and the events in read order ->
 * every row that changed. The worker passes a fold (src/workers/projector.ts); the store
 * owns only the transaction around it.
 */
export type ApplyFn = (current: ReadonlyMap<string, Finding>, events: readonly ProjectedEvent[]) => Map<string, Finding>;

export interface ApplyResult {
  /** Events applied in this transaction (finding and non-finding); 0 when nothing new is committed. */
  events: number;
  /** Finding rows written. */
  findings: number;
  /** recordedAt (µs) of the last event applied, null when none. */
  lastRecordedAtUs: number | null;
}

export interface RebuildResult {
  events: number;
  findings: number;
  /** projectionChecksum of the rebuilt rows, computed inside the rebuilding transaction. */
  checksum: string;
}

export interface ProjectionChecksum {
  checksum: string;
  findings: number;
  /** Events the projection had applied in the same snapshot as the rows. */
  eventsApplied: number;
}

export interface ProjectionCheckpoint {
  eventsApplied: number;
  lastRecordedAtUs: number | null;
  /** Driver-specific position, for humans: `tx:chain:sequence` on PostgreSQL, the position on SQLite. */
  position: string;
  updatedAt: string;
}

/** GET /v1/findings filters; null means "no constraint". */
export interface FindingFilter {
  statuses: FindingStatus[] | null;
  severities: Severity[] | null;
  minCvss: number | null;
  maxCvss: number | null;
  policyVersion: string | null;
  artifactId: string | null;
  vulnerabilityId: string | null;
  assignee: string | null;
  updatedSinceMs: number | null;
}

export const NO_FILTER: Readonly<FindingFilter> = Object.freeze({
  statuses: null, severities: null, minCvss: null, maxCvss: null, policyVersion: null,
  artifactId: null, vulnerabilityId: null, assignee: null, updatedSinceMs: null,
});

export interface DueExpiry {
  tenantId: string;
  finding: Finding;
}

export interface ProjectionStore {
  readonly kind: DriverKind;
  /** Every tenant with at least one event, in byte order. */
  tenants(): Promise<string[]>;
  /** Tenants with committed events past their checkpoint (on PostgreSQL: below the snapshot xmin). */
  pendingTenants(): Promise<string[]>;
  /**
   * Apply the next `limit` committed events of a tenant in commit order, rows and checkpoint
   * in one transaction. "locked" when another projector holds the tenant (PostgreSQL).
   */
  applyNext(tenantId: string, limit: number, apply: ApplyFn): Promise<ApplyResult | "locked">;
  /**
   * Replace the tenant's projection with one recomputed from event 0, in one transaction,
   * reading events in pages of `pageSize` (memory stays bounded); waits for a live projector.
   */
  rebuild(tenantId: string, pageSize: number, apply: ApplyFn, progress?: (events: number) => void): Promise<RebuildResult>;
  /** The checksum of the tenant's live projection, from one consistent snapshot. */
  checksum(tenantId: string): Promise<ProjectionChecksum>;
  checkpoint(tenantId: string): Promise<ProjectionCheckpoint | null>;
  getFinding(tenantId: string, findingId: string): Promise<Finding | null>;
  /** A page of findings in findingId byte order, strictly after `afterFindingId` ("" for the first page). */
  listFindings(tenantId: string, filter: FindingFilter, afterFindingId: string, limit: number): Promise<Finding[]>;
  /** Accepted risks (any tenant) whose expiresAt is at or before `nowMs`, oldest first. */
  dueExpiries(nowMs: number, limit: number): Promise<DueExpiry[]>;
}

/** The companion projection store over an event store's own handle (same pool / same connection). */
export function openProjectionStore(store: EventStore): ProjectionStore {
  if (store instanceof PostgresEventStore) return new PostgresProjectionStore(store.sql);
  if (store instanceof SqliteEventStore) return new SqliteProjectionStore(store.db);
  throw new LedgerError("internal", `no projection store for the ${store.kind} driver`);
}

// The narrow store interface the append path and read routes call; one implementation per driver.
import type { ChainedEvent, FindingStatus, StoredEvent } from "../core/events/types.ts";
import type { AppliedMigration, MigrationPlan } from "./migrate/plan.ts";

export type DriverKind = "postgres" | "sqlite";

/** A chained event plus what the store keeps beside it (not hashed). */
export interface EventRow extends ChainedEvent {
  contentDigest: string;
  /** Workflow status after this event, for finding chains. */
  findingStatus: FindingStatus | null;
  recordedAtUs: number;
}

export interface ChainHead {
  sequence: number;
  eventHash: string;
  findingStatus: FindingStatus | null;
}

export interface MigrationPort {
  plan(): Promise<MigrationPlan>;
  /** Apply pending migrations under the driver's lock; returns what was applied. */
  up(): Promise<AppliedMigration[]>;
}

export interface EventStore {
  readonly kind: DriverKind;
  readonly migrations: MigrationPort;
  loadHeads(tenantId: string, chainIds: readonly string[]): Promise<Map<string, ChainHead>>;
  /** Stored rows for these event ids (tenant-scoped), keyed by event id. */
  findEvents(tenantId: string, eventIds: readonly string[]): Promise<Map<string, EventRow>>;
  /**
   * Insert rows, each independently, in one commit; a row whose (tenant, chain, sequence) or
   * (tenant, eventId) already exists is skipped. Returns the keys `tenant\neventId` inserted.
   * Callers guarantee at most one row per chain per call.
   */
  insertEach(rows: readonly EventRow[]): Promise<Set<string>>;
  /** Insert all rows of one tenant in one transaction, or none: false when any key already exists. */
  insertAll(tenantId: string, rows: readonly EventRow[]): Promise<boolean>;
  getEvent(tenantId: string, eventId: string): Promise<StoredEvent | null>;
  listChain(tenantId: string, chainId: string, afterSequence: number, limit: number): Promise<StoredEvent[]>;
  countEvents(tenantId: string): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const rowKey = (tenantId: string, eventId: string): string => `${tenantId}\n${eventId}`;

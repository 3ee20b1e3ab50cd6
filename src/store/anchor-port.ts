// The anchor store interface (leaves, stored tree nodes, checkpoints, the verify snapshot), node addressing, and its factory.
import type { ChainedEvent } from "../core/events/types.ts";
import { LedgerError } from "../core/errors.ts";
import type { NodeId } from "../core/merkle/node-id.ts";
import type { DriverKind, EventStore } from "./port.ts";
import { PostgresAnchorStore } from "./postgres-anchor.ts";
import { PostgresEventStore } from "./postgres.ts";
import { SqliteAnchorStore } from "./sqlite-anchor.ts";
import { SqliteEventStore } from "./sqlite.ts";

/** One row of ledger_merkle_roots as the API shows it (hashes lowercase hex). */
export interface CheckpointRow {
  tenantId: string;
  treeSize: number;
  rootHash: string;
  previousTreeSize: number;
  previousRootHash: string;
  createdAtUs: number;
  /** The C2SP signed note of the tlog-checkpoint body. */
  note: string;
}

/** A committed event not yet in the tree, in anchoring order (recordedAt, chainId, sequence). */
export interface PendingEvent {
  eventId: string;
  chainId: string;
  sequence: number;
  eventHash: string;
  recordedAtUs: number;
}

/** The tree as the anchoring transaction found it: size, root and frontier (rangeNodes(0, size)). */
export interface TreeHead {
  tenantId: string;
  treeSize: number;
  rootHash: Uint8Array;
  frontier: Uint8Array[];
}

/** A leaf to insert: node_hashes = the leaf hash then every node it completed, bottom-up (32 bytes each). */
export interface NewLeaf {
  leafIndex: number;
  eventId: string;
  chainId: string;
  sequence: number;
  nodeHashes: Uint8Array;
}

export interface Sealed {
  leaves: NewLeaf[];
  checkpoint: CheckpointRow;
}

/** The step the store runs inside its anchoring transaction (the worker's tree math and signing). */
export type SealFn = (head: TreeHead, events: readonly PendingEvent[]) => Sealed;

export interface AnchorResult {
  checkpoint: CheckpointRow;
  leaves: number;
  /** Committed events were left pending (more than maxLeaves): anchor again. */
  more: boolean;
}

export interface PendingTenant {
  tenantId: string;
  /** Committed events not yet anchored, counted up to the cap asked for. */
  pending: number;
  lastCheckpointAtUs: number | null;
}

/** An event as the verifier streams it: chained content plus where the tree holds it. */
export interface VerifyEvent extends ChainedEvent {
  leafIndex: number | null;
  /** Committed before the latest checkpoint's horizon: it must be a leaf. */
  mustBeAnchored: boolean;
}

/** A leaf as the verifier streams it, with the stored hashes of the event it names (null when the row is gone). */
export interface VerifyLeaf {
  leafIndex: number;
  eventId: string;
  chainId: string;
  sequence: number;
  nodeHashes: Uint8Array;
  event: { chainId: string; sequence: number; eventHash: string } | null;
}

/**
 * One consistent read view of a tenant (a REPEATABLE READ transaction / a WAL read snapshot). Each
 * stream is one ordered scan delivered in pages of at most `pageSize`; streams may be interleaved.
 */
export interface AnchorSnapshot {
  /** Every event in (chainId, sequence) order. */
  events(pageSize: number): AsyncIterable<VerifyEvent[]>;
  /** Every leaf in index order. */
  leaves(pageSize: number): AsyncIterable<VerifyLeaf[]>;
  /** Every checkpoint in tree size order. */
  checkpoints(pageSize: number): AsyncIterable<CheckpointRow[]>;
  readNodes(ids: readonly NodeId[]): Promise<Uint8Array[]>;
}

export interface AnchorStore {
  readonly kind: DriverKind;
  /** Every tenant with at least one event or checkpoint, in byte order. */
  tenants(): Promise<string[]>;
  /** Tenants with committed, unanchored events (counted up to `cap`), with their last checkpoint time. */
  pendingTenants(cap: number): Promise<PendingTenant[]>;
  /**
   * One checkpoint in one transaction: take the tenant's anchor lock, read the head, take up to
   * `maxLeaves` pending events in anchoring order, seal them, write leaves and root row together.
   * null when nothing is pending; "locked" when another anchorer holds the tenant (PostgreSQL).
   */
  anchorNext(tenantId: string, maxLeaves: number, seal: SealFn): Promise<AnchorResult | "locked" | null>;
  latestCheckpoint(tenantId: string): Promise<CheckpointRow | null>;
  /** Checkpoints with treeSize >= fromSize, ascending. */
  listCheckpoints(tenantId: string, fromSize: number, limit: number): Promise<CheckpointRow[]>;
  leafIndexOf(tenantId: string, eventId: string): Promise<number | null>;
  /** Stored complete nodes, in the order asked; a missing one is a ProofError `missing_node`. */
  readNodes(tenantId: string, ids: readonly NodeId[]): Promise<Uint8Array[]>;
  /** Runs `fn` over one consistent snapshot of the tenant. */
  withSnapshot<T>(tenantId: string, fn: (snapshot: AnchorSnapshot) => Promise<T>): Promise<T>;
}

/** The companion anchor store over an event store's own handle (same pool / same connection). */
export function openAnchorStore(store: EventStore): AnchorStore {
  if (store instanceof PostgresEventStore) return new PostgresAnchorStore(store.sql);
  if (store instanceof SqliteEventStore) return new SqliteAnchorStore(store.db);
  throw new LedgerError("internal", `no anchor store for the ${store.kind} driver`);
}

// Shared by both anchor drivers: where a stored tree node lives, and raw checkpoint rows -> CheckpointRow.
import { ProofError } from "../core/merkle/errors.ts";
import { HASH_SIZE } from "../core/merkle/hash.ts";
import type { NodeId } from "../core/merkle/node-id.ts";
import type { CheckpointRow } from "./anchor-port.ts";

/** The leaf whose row stores node (level, index): the last leaf the node covers (it completed the node). */
export const nodeRowOf = (id: NodeId): number => (id.index + 1) * 2 ** id.level - 1;

/** The distinct leaf rows holding these nodes, for one `leaf_index = ANY(...)` / `IN (...)` read. */
export const nodeRows = (ids: readonly NodeId[]): number[] => [...new Set(ids.map(nodeRowOf))];

/** Picks node hashes out of fetched leaf rows (leafIndex -> node_hashes), in the order of `ids`. */
export function pickNodes(ids: readonly NodeId[], rows: ReadonlyMap<number, Uint8Array>): Uint8Array[] {
  return ids.map((id) => {
    const row = rows.get(nodeRowOf(id));
    const start = id.level * HASH_SIZE;
    if (row === undefined || row.length < start + HASH_SIZE) {
      throw new ProofError("missing_node", `the store holds no node (level ${id.level}, index ${id.index})`, { level: id.level, index: id.index });
    }
    return row.subarray(start, start + HASH_SIZE);
  });
}

export interface RawCheckpoint {
  tenant_id: string;
  tree_size: number | bigint | string;
  root_hash: string;
  previous_tree_size: number | bigint | string;
  previous_root_hash: string;
  created_at_us: number | bigint | string;
  note: string;
}

export const CHECKPOINT_COLUMNS = "tenant_id, tree_size, root_hash, previous_tree_size, previous_root_hash, created_at_us, note";

export function toCheckpoint(r: RawCheckpoint): CheckpointRow {
  return {
    tenantId: r.tenant_id,
    treeSize: Number(r.tree_size),
    rootHash: r.root_hash,
    previousTreeSize: Number(r.previous_tree_size),
    previousRootHash: r.previous_root_hash,
    createdAtUs: Number(r.created_at_us),
    note: r.note,
  };
}

/** Leaf rows keyed by index, as pickNodes wants them. */
export const rowMap = (rows: readonly { leaf_index: number | bigint | string; node_hashes: Uint8Array }[]): Map<number, Uint8Array> =>
  new Map(rows.map((r) => [Number(r.leaf_index), new Uint8Array(r.node_hashes.buffer, r.node_hashes.byteOffset, r.node_hashes.byteLength)]));

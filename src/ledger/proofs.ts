// RFC 9162 proofs from the stored tree: one indexed read of O(log n) leaf rows per proof, checked before it is served.
import { LedgerError } from "../core/errors.ts";
import { toHex } from "../core/merkle/hex.ts";
import { rangeNodes, type NodeId } from "../core/merkle/node-id.ts";
import {
  assembleConsistencyProof, assembleInclusionProof, consistencyProofNodes, inclusionProofNodes, nodeReaderFromList, rootFromNodes, type NodeReader,
} from "../core/merkle/tree.ts";
import { verifyConsistency, verifyInclusion } from "../core/merkle/verify.ts";
import type { AnchorStore } from "../store/anchor-port.ts";

export interface InclusionProof {
  leafIndex: number;
  treeSize: number;
  rootHash: string;
  hashes: string[];
}

export interface ConsistencyProof {
  fromSize: number;
  toSize: number;
  fromRoot: string;
  toRoot: string;
  hashes: string[];
}

/** Fetches every listed node (duplicates collapsed) in one read and returns a reader over them. */
export async function readerFor(anchors: AnchorStore, tenantId: string, ids: readonly NodeId[]): Promise<NodeReader> {
  const seen = new Map<string, NodeId>();
  for (const id of ids) seen.set(`${id.level}/${id.index}`, id);
  const unique = [...seen.values()];
  return nodeReaderFromList(unique, await anchors.readNodes(tenantId, unique));
}

/**
 * The root of the tenant's tree at `size` (any size up to the latest checkpoint), folded from its
 * stored frontier nodes.
 */
export async function rootAt(anchors: AnchorStore, tenantId: string, size: number): Promise<Uint8Array> {
  return rootFromNodes(size, await readerFor(anchors, tenantId, rangeNodes(0, size)));
}

/** Stored data that no longer proves itself is corruption (500), never a client mistake. */
function corrupt(tenantId: string, what: string, e: unknown): LedgerError {
  return new LedgerError("internal", `tenant ${tenantId}: the stored tree does not prove ${what} (${(e as Error).message}); run \`ledger verify --tenant ${tenantId}\``);
}

/** Inclusion of leaf `leafIndex` in the tree of `treeSize` leaves; the caller checks the bounds against its checkpoints. */
export async function proveInclusion(anchors: AnchorStore, tenantId: string, leafIndex: number, treeSize: number): Promise<InclusionProof> {
  const read = await readerFor(anchors, tenantId, [{ level: 0, index: leafIndex }, ...inclusionProofNodes(leafIndex, treeSize), ...rangeNodes(0, treeSize)]);
  const proof = assembleInclusionProof(leafIndex, treeSize, read);
  const root = rootFromNodes(treeSize, read);
  try {
    verifyInclusion(read(0, leafIndex), leafIndex, treeSize, proof, root);
  } catch (e) {
    throw corrupt(tenantId, `leaf ${leafIndex} in tree size ${treeSize}`, e);
  }
  return { leafIndex, treeSize, rootHash: toHex(root), hashes: proof.map(toHex) };
}

/** Consistency of the tree at `fromSize` with the tree at `toSize` (0 < fromSize <= toSize, checked by the caller). */
export async function proveConsistency(anchors: AnchorStore, tenantId: string, fromSize: number, toSize: number): Promise<ConsistencyProof> {
  const read = await readerFor(anchors, tenantId, [...consistencyProofNodes(fromSize, toSize), ...rangeNodes(0, fromSize), ...rangeNodes(0, toSize)]);
  const proof = assembleConsistencyProof(fromSize, toSize, read);
  const fromRoot = rootFromNodes(fromSize, read);
  const toRoot = rootFromNodes(toSize, read);
  try {
    verifyConsistency(fromSize, toSize, proof, fromRoot, toRoot);
  } catch (e) {
    throw corrupt(tenantId, `tree size ${fromSize} consistent with ${toSize}`, e);
  }
  return { fromSize, toSize, fromRoot: toHex(fromRoot), toRoot: toHex(toRoot), hashes: proof.map(toHex) };
}

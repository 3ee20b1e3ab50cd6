// The one place that picks the digest: SHA-256 over bytes, hex out; event and leaf hashes per DESIGN.md section 4.
import { hashLeaf } from "../merkle/hash.ts";
import { hashFromHex, toHex } from "../merkle/hex.ts";

// Bun's one-shot SHA-256 is about twice as fast as node:crypto's createHash for event-sized inputs.
export const sha256Hex = (data: string | Uint8Array): string => Bun.SHA256.hash(data, "hex");

/** merkleLeafHash = hex SHA-256(0x00 || the 32 raw bytes of eventHash): the RFC 9162 leaf hash of the event. */
export const merkleLeafHashOf = (eventHashHex: string): string => toHex(hashLeaf(hashFromHex(eventHashHex)));

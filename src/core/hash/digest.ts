// The one place that picks the digest: SHA-256 over bytes, hex out; event and leaf hashes per DESIGN.md section 4.
import { createHash } from "node:crypto";
import { hashLeaf } from "../merkle/hash.ts";
import { hashFromHex, toHex } from "../merkle/hex.ts";

export const sha256Hex = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** merkleLeafHash = hex SHA-256(0x00 || the 32 raw bytes of eventHash): the RFC 9162 leaf hash of the event. */
export const merkleLeafHashOf = (eventHashHex: string): string => toHex(hashLeaf(hashFromHex(eventHashHex)));

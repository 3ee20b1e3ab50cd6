// RFC 9562 UUIDv5 and the ledger's chain ids (DESIGN.md section 4, Chains).
import { createHash } from "node:crypto";

export const CHAIN_NAMESPACE = "6f8c4f8e-2b7a-5c1e-9d4a-3e2f1a0b9c8d";

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Any RFC 9562 UUID in its hyphenated text form (version and variant are not policed). */
export const isUuid = (s: unknown): s is string => typeof s === "string" && UUID.test(s);

const uuidBytes = (uuid: string): Buffer => Buffer.from(uuid.replace(/-/g, ""), "hex");

function formatUuid(b: Uint8Array): string {
  const h = Buffer.from(b).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function v5(namespace: Uint8Array, name: string): string {
  const b = createHash("sha1").update(namespace).update(name, "utf8").digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return formatUuid(b);
}

export const uuidV5 = (namespace: string, name: string): string => v5(uuidBytes(namespace), name);

const nsBytes = uuidBytes(CHAIN_NAMESPACE);
const chainUuid = (name: string): string => v5(nsBytes, name);

/** A finding's chain: UUIDv5(NS, tenantId + "\n" + findingId). */
export const findingChainId = (tenantId: string, findingId: string): string => chainUuid(`${tenantId}\n${findingId}`);

/** A tenant's non-finding chain: UUIDv5(NS, tenantId + "\n@" + family). */
export const familyChainId = (tenantId: string, family: string): string => chainUuid(`${tenantId}\n@${family}`);

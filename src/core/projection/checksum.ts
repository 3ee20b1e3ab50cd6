// The projection checksum: one hex digest over a set of finding rows, independent of their order.
import { canonicalize } from "../canonical/jcs.ts";
import { sha256Hex } from "../hash/digest.ts";
import type { Finding } from "./finding.ts";

/** Domain tag of the final digest; bump the version if the row shape or the formula changes. */
export const PROJECTION_CHECKSUM_DOMAIN = "findings-ledger/projection-checksum/v1";

const MODULUS = 1n << 256n;

/** SHA-256 (hex) of the row's RFC 8785 canonical JSON. Rows are hashed as folded (acceptedRisk.expired false). */
export const findingRowHash = (finding: Finding): string => sha256Hex(canonicalize(finding));

/**
 * checksum = hex SHA-256 of the UTF-8 text
 *   `${PROJECTION_CHECKSUM_DOMAIN}\n${count}\n${sum}`
 * where sum = (sum over rows of findingRowHash as a 256-bit big-endian integer) mod 2^256,
 * written as 64 lowercase hex digits, and count = the number of rows.
 *
 * Why a sum and not XOR: both are order-independent, but XOR cancels pairs, so a row that
 * appears twice (a double-applied projection) vanishes and {a, a, b} checks like {b}. Modular
 * addition keeps multiplicity (a + a != 0), and the count pins the size as well. Like any
 * additive multiset hash it is a determinism check, not a tamper seal against a chosen-row
 * adversary; tamper evidence is the hash chains and the Merkle checkpoints. The sum is also
 * incremental: a projector can subtract a row's old hash and add its new one.
 */
export function projectionChecksum(findings: Iterable<Finding>): string {
  let sum = 0n;
  let count = 0;
  for (const finding of findings) {
    sum = (sum + BigInt(`0x${findingRowHash(finding)}`)) % MODULUS;
    count++;
  }
  return sha256Hex(`${PROJECTION_CHECKSUM_DOMAIN}\n${count}\n${sum.toString(16).padStart(64, "0")}`);
}

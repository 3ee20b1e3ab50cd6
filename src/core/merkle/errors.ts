// Owns the typed failures of tree math: bad bounds or proof shape (ProofError) and a root mismatch (RootMismatchError).
import { LedgerError } from "../errors.ts";

/**
 * Why a proof was refused or could not be built. Bounds and shape are checked before any hashing,
 * so `root_mismatch` only ever means "well-formed proof, wrong hashes".
 */
export type ProofFailure =
  | "invalid_size" // a size or index that is not a non-negative safe integer
  | "index_out_of_range" // leaf index >= tree size
  | "size_out_of_range" // first size > second size (consistency)
  | "wrong_proof_length" // proof has more or fewer hashes than the sizes require
  | "bad_hash" // a hash that is not 32 bytes (or not 64 lowercase hex chars)
  | "missing_node" // a NodeReader could not supply a complete node the proof needs
  | "root_mismatch"; // the proof recomputes a different root

/**
 * A proof request or proof that fails a bounds or shape check. These are caller mistakes
 * (LedgerError code `bad_request`, a 400 at the HTTP edge), except `missing_node` (the store
 * lost a node it should hold) and `root_mismatch` (see RootMismatchError), which are `internal`.
 */
export class ProofError extends LedgerError {
  readonly reason: ProofFailure;

  constructor(reason: ProofFailure, message: string, details?: Record<string, unknown>) {
    super(reason === "missing_node" || reason === "root_mismatch" ? "internal" : "bad_request", message, { reason, ...details });
    this.name = "ProofError";
    this.reason = reason;
  }
}

/** Which root a consistency or inclusion check compared. */
export type RootRole = "root" | "root1" | "root2";

/**
 * A well-formed proof that recomputes a different root. Carries both roots (raw and, in
 * `details`, hex). LedgerError code `internal`: our own stored data disagreeing with itself is
 * corruption, never a client error; `ledger verify` reports it as a failure row.
 */
export class RootMismatchError extends ProofError {
  readonly role: RootRole;
  readonly expected: Uint8Array;
  readonly computed: Uint8Array;

  constructor(role: RootRole, expected: Uint8Array, computed: Uint8Array, context: string) {
    const expectedHex = Buffer.from(expected).toString("hex");
    const computedHex = Buffer.from(computed).toString("hex");
    super("root_mismatch", `${context}: ${role} mismatch: computed ${computedHex}, expected ${expectedHex}`, {
      role,
      expected: expectedHex,
      computed: computedHex,
    });
    this.name = "RootMismatchError";
    this.role = role;
    this.expected = expected;
    this.computed = computed;
  }
}

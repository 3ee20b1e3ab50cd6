// Owns the typed failures of note signing and checkpoint parsing.
import { LedgerError } from "../errors.ts";

export type SigningFailure =
  | "bad_key" // a seed, public key or vkey that is malformed or not Ed25519
  | "bad_key_name" // empty, or contains Unicode space or '+'
  | "malformed_note" // not a C2SP signed note (layout, control characters, base64)
  | "malformed_checkpoint" // note text that is not a C2SP tlog-checkpoint body we accept
  | "unverified_note" // no signature from a known key
  | "bad_signature"; // a known key's signature does not verify

/**
 * A key, note or checkpoint that cannot be used. Key problems are `config_invalid` (keys come
 * from configuration); everything else is `bad_request` at the edges, and `ledger verify`
 * reports them as failures of the checkpoint it was checking.
 */
export class SigningError extends LedgerError {
  readonly reason: SigningFailure;

  constructor(reason: SigningFailure, message: string, details?: Record<string, unknown>) {
    super(reason === "bad_key" || reason === "bad_key_name" ? "config_invalid" : "bad_request", message, { reason, ...details });
    this.name = "SigningError";
    this.reason = reason;
  }
}

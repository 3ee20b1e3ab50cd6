// Owns strict standard base64 (RFC 4648 section 4, padded), as C2SP notes and checkpoints require.
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Decodes canonical padded base64, or returns undefined (Buffer's own decoder accepts almost anything). */
export function fromBase64Strict(s: string): Uint8Array | undefined {
  if (!B64.test(s)) return undefined;
  const bytes = Buffer.from(s, "base64");
  // Reject non-zero trailing bits: only the canonical encoding of a value is accepted.
  if (bytes.toString("base64") !== s) return undefined;
  return new Uint8Array(bytes);
}

// An outside verifier written only from RFC 9162 section 2.1 and the C2SP signed-note / tlog-checkpoint texts; imports nothing from src/.
import { createHash, createPublicKey, verify as edVerify } from "node:crypto";

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};
const hex = (s: string): Buffer => Buffer.from(s, "hex");
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

/** RFC 9162 2.1.1: the leaf hash of an entry is HASH(0x00 || entry); here the entry is the 32 bytes of eventHash. */
export const leafHashOf = (eventHashHex: string): string => sha256(Uint8Array.of(0x00), hex(eventHashHex)).toString("hex");

const node = (left: Uint8Array, right: Uint8Array) => sha256(Uint8Array.of(0x01), left, right);

/** RFC 9162 2.1.3.2, step by step. Returns true iff the proof verifies. */
export function verifyInclusionRfc(leafIndex: number, treeSize: number, leafHashHex: string, proofHex: string[], rootHex: string): boolean {
  if (leafIndex >= treeSize) return false; // 1
  let fn = leafIndex; // 2
  let sn = treeSize - 1;
  let r: Uint8Array = hex(leafHashHex); // 3
  for (const p of proofHex.map(hex)) { // 4
    if (sn === 0) return false; // 4a
    if (fn % 2 === 1 || fn === sn) { // 4b
      r = node(p, r); // 4b.i
      while (fn % 2 === 0 && fn !== 0) { // 4b.ii
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = node(r, p); // 4c
    }
    fn = Math.floor(fn / 2); // 4d
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && same(r, hex(rootHex)); // 5
}

/** RFC 9162 2.1.4.2, step by step. Returns true iff the proof verifies. */
export function verifyConsistencyRfc(first: number, second: number, firstHashHex: string, secondHashHex: string, proofHex: string[]): boolean {
  if (first === second) return proofHex.length === 0 && firstHashHex === secondHashHex; // sizes equal: no proof, same root
  if (first === 0 || first > second) return false;
  let path = proofHex.map(hex);
  if (path.length === 0) return false;
  if ((first & (first - 1)) === 0) path = [hex(firstHashHex), ...path]; // 2: first is a power of two
  let fn = first - 1; // 3
  let sn = second - 1;
  while (fn % 2 === 1) { // 4
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = path[0]!; // 5
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) { // 6
    if (sn === 0) return false; // 6a
    if (fn % 2 === 1 || fn === sn) { // 6b
      fr = node(c, fr);
      sr = node(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = node(sr, c); // 6c
    }
    fn = Math.floor(fn / 2); // 6d
    sn = Math.floor(sn / 2);
  }
  return same(fr, hex(firstHashHex)) && same(sr, hex(secondHashHex)) && sn === 0; // 7
}

export interface VerifiedCheckpoint {
  origin: string;
  treeSize: number;
  rootHex: string;
}

/**
 * C2SP signed-note: the vkey is `<name>+<hex key id>+<base64(0x01 || 32-byte Ed25519 key)>`, the key id
 * is SHA-256(name || "\n" || 0x01 || key)[:4]; the note is text ending in "\n", a blank line, then
 * lines "— <name> <base64(key id || signature)>". C2SP tlog-checkpoint: origin, decimal size,
 * base64 root hash, each on its own line. Throws unless a signature by this key verifies.
 */
export function openCheckpointC2sp(note: string, vkey: string): VerifiedCheckpoint {
  const first = vkey.indexOf("+");
  const second = vkey.indexOf("+", first + 1);
  const name = vkey.slice(0, first);
  const keyId = hex(vkey.slice(first + 1, second));
  const material = Buffer.from(vkey.slice(second + 1), "base64");
  if (material.length !== 33 || material[0] !== 0x01) throw new Error("not an Ed25519 vkey");
  if (!same(sha256(Buffer.from(`${name}\n`), material).subarray(0, 4), keyId)) throw new Error("vkey id does not match its key");
  const publicKey = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: material.subarray(1).toString("base64url") }, format: "jwk" });

  const split = note.lastIndexOf("\n\n");
  const text = note.slice(0, split + 1);
  const signatures = note.slice(split + 2).split("\n").filter((l) => l !== "");
  const ok = signatures.some((line) => {
    if (!line.startsWith(`\u2014 ${name} `)) return false;
    const blob = Buffer.from(line.slice(`\u2014 ${name} `.length), "base64");
    return same(blob.subarray(0, 4), keyId) && edVerify(null, Buffer.from(text, "utf8"), publicKey, blob.subarray(4));
  });
  if (!ok) throw new Error("no valid signature by the given key");
  const [origin, size, root, ...rest] = text.split("\n");
  if (rest.join("") !== "" || !/^\d+$/.test(size ?? "")) throw new Error("not a tlog-checkpoint body");
  return { origin: origin!, treeSize: Number(size), rootHex: Buffer.from(root!, "base64").toString("hex") };
}

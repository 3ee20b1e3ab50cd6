// Reads request bodies under a byte limit (also for chunked uploads) and parses JSON / NDJSON with clear 4xx errors.
import { LedgerError } from "../core/errors.ts";

export async function readBodyText(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  try {
    return decoder.decode(Buffer.concat(chunks));
  } catch {
    throw new LedgerError("bad_request", "the body is not valid UTF-8");
  }
}

const tooLarge = (limit: number) => new LedgerError("payload_too_large", `the body exceeds ${limit} bytes (LEDGER__HTTP__MAXBODYBYTES)`);

export function parseJson(text: string, what = "body"): unknown {
  if (text.trim() === "") throw new LedgerError("bad_request", `the ${what} is empty; send a JSON document`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new LedgerError("bad_request", `the ${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Parse an NDJSON body; counts lines first so an oversized batch is refused before any parsing. */
export function parseNdjson(text: string, maxItems: number): unknown[] {
  const lines = text.split("\n");
  let count = 0;
  for (const l of lines) if (l.trim() !== "") count++;
  if (count > maxItems) throw new LedgerError("batch_too_large", `a batch holds at most ${maxItems} events, got ${count}`);
  const items: unknown[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      items.push(JSON.parse(line));
    } catch (e) {
      throw new LedgerError("bad_request", `NDJSON line ${i + 1} is not valid JSON: ${(e as Error).message}`, { line: i + 1 });
    }
  });
  return items;
}

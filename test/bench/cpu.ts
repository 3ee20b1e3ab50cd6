// CPU cost per event of each pure step on the batch write path, timed in isolation: where the non-database time goes.
import { chainIdOf, contentDigestOf, linkEvent } from "../../src/core/chain/link.ts";
import { ZERO_HASH } from "../../src/core/events/types.ts";
import { validateEvent, type ValidatedEvent } from "../../src/core/events/validate.ts";
import { decide } from "../../src/core/workflow/decide.ts";
import { evolveWorkflow } from "../../src/core/workflow/evolve.ts";
import { formatMicros } from "../../src/store/rows.ts";
import { copyLine, ingestBodies, linkedRows, TENANT } from "./workload.ts";

/** Microseconds per event for each step, best of 3 passes over `n` events. */
export function cpuBreakdown(n: number): Record<string, number> {
  const bodies = ingestBodies(n);
  const validated: ValidatedEvent[] = bodies.map((b) => validateEvent(b));
  const chainIds = validated.map((v) => chainIdOf(TENANT, v.draft));
  const rows = linkedRows(TENANT, bodies);
  const steps: Record<string, () => void> = {
    validateEvent: () => bodies.forEach((b) => validateEvent(b)),
    chainIdOf: () => validated.forEach((v) => chainIdOf(TENANT, v.draft)),
    contentDigestOf: () => validated.forEach((v, i) => contentDigestOf(TENANT, chainIds[i]!, v.draft)),
    linkEvent: () => validated.forEach((v, i) => linkEvent(TENANT, chainIds[i]!, 1, ZERO_HASH, v.draft)),
    "decide+evolve": () =>
      validated.forEach((v) => {
        const state = { exists: v.draft.eventType !== "finding.created", status: v.draft.eventType === "finding.created" ? null : ("open" as const) };
        decide(state, v.draft.eventType, v.draft.payload);
        evolveWorkflow(state, v.draft.eventType, v.draft.payload);
      }),
    "copyLine (COPY text)": () => rows.forEach((r) => copyLine(r)),
    "receipt (formatMicros)": () => rows.forEach((r) => formatMicros(r.recordedAtUs)),
    "JSON stringify+parse (HTTP body)": () => bodies.forEach((b) => JSON.parse(JSON.stringify(b))),
  };
  const out: Record<string, number> = {};
  for (const [name, step] of Object.entries(steps)) {
    let best = Number.POSITIVE_INFINITY;
    for (let pass = 0; pass < 3; pass++) {
      const t0 = performance.now();
      step();
      best = Math.min(best, performance.now() - t0);
    }
    out[name] = Math.round((best * 1000 * 100) / n) / 100;
  }
  return out;
}

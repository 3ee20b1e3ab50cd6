// `bun test/bench/projection-worker.ts PG_URL OUT.json`: what `ledger project` runs (Projector, default options, its own pool and Appender), with per-event lag noted; stops on SIGTERM and writes OUT.json.
import { writeFileSync } from "node:fs";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { PostgresEventStore } from "../../src/store/postgres.ts";
import { openProjectionStore } from "../../src/store/projection-port.ts";
import { Projector } from "../../src/workers/projector.ts";
import { processMemory } from "./measure.ts";
import { instrument, LagRecorder, nowUs } from "./projection-lag.ts";

const [url, out] = process.argv.slice(2);
if (!url || !out) throw new Error("usage: projection-worker.ts PG_URL OUT.json");

const store = PostgresEventStore.open(url);
const rec = new LagRecorder();
/** [when, lag] of every ApplySample: what the metrics (issue 8) will see, the lag of each batch's last event. */
const sampleLags: Array<[number, number]> = [];
const projector = new Projector({
  projection: instrument(openProjectionStore(store), rec),
  appender: new Appender(store, systemMicroClock()),
  log: createLogger({ level: "warn" }),
  onApplied: (s) => void sampleLags.push([nowUs(), s.lagSeconds * 1000]),
});
await store.ping();
projector.start();
process.stdout.write("ready\n");

let stopping = false;
process.on("SIGTERM", async () => {
  if (stopping) return;
  stopping = true;
  await projector.stop();
  // VmHWM, not resourceUsage().maxRSS: on Linux ru_maxrss keeps the high-water mark of the image
  // before exec, i.e. of the bench process that spawned this one.
  const rss = processMemory(process.pid).peakRssMb;
  writeFileSync(out, JSON.stringify({ ...rec.toJSON(), sampleLagsMs: sampleLags, stats: { eventsApplied: projector.stats.eventsApplied, batches: projector.stats.batches }, peakRssMb: rss, problems: projector.problems() }));
  await store.close();
  process.exit(0);
});

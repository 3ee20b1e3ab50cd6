// Builds dist/ledger: one self-contained executable with migrations and the Swagger UI embedded.
import { $ } from "bun";

const commit = (await $`git rev-parse --short=12 HEAD`.nothrow().quiet().text()).trim() || "unknown";
const dirty = (await $`git status --porcelain --untracked-files=no`.nothrow().quiet().text()).trim() ? "-dirty" : "";
const buildTime = new Date().toISOString();

const result = await Bun.build({
  entrypoints: ["src/main.ts"],
  compile: { outfile: "dist/ledger" },
  minify: { syntax: true, whitespace: true, identifiers: false },
  sourcemap: "none",
  define: {
    LEDGER_BUILD_COMMIT: JSON.stringify(commit + dirty),
    LEDGER_BUILD_TIME: JSON.stringify(buildTime),
  },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`built dist/ledger (commit ${commit}${dirty}, ${buildTime})`);

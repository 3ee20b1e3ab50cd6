// Version, commit and build time: injected by `bun build --define` for the compiled binary, "dev" otherwise.
import pkg from "../package.json" with { type: "json" };

declare const LEDGER_BUILD_COMMIT: string | undefined;
declare const LEDGER_BUILD_TIME: string | undefined;

export interface BuildInfo {
  version: string;
  commit: string;
  buildTime: string;
  runtime: string;
}

export const BUILD_INFO: BuildInfo = Object.freeze({
  version: pkg.version,
  commit: typeof LEDGER_BUILD_COMMIT === "string" ? LEDGER_BUILD_COMMIT : "dev",
  buildTime: typeof LEDGER_BUILD_TIME === "string" ? LEDGER_BUILD_TIME : "dev",
  runtime: `bun ${Bun.version}`,
});

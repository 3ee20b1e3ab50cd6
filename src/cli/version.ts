// `ledger version`: version, commit, build time and feature flags.
import { BUILD_INFO } from "../build-info.ts";
import { parseFlags, type Command } from "./command.ts";

export const FEATURES = {
  embeddedStore: true,
  postgres: true,
  localAdminToken: true,
  swaggerUiOffline: true,
};

export const versionCommand: Command = {
  name: "version",
  summary: "print version, commit, build time and feature flags",
  usage: "ledger version [--json]",
  async run(args, io) {
    const { values } = parseFlags(args, { json: { type: "boolean" } });
    if (values.help) return io.out(`usage: ${this.usage}\n`), 0;
    const info = { ...BUILD_INFO, features: FEATURES };
    if (values.json) io.out(`${JSON.stringify(info, null, 2)}\n`);
    else
      io.out(
        `ledger ${info.version}\ncommit     ${info.commit}\nbuild time ${info.buildTime}\nruntime    ${info.runtime}\nfeatures   ${Object.entries(FEATURES)
          .filter(([, on]) => on)
          .map(([k]) => k)
          .join(", ")}\n`,
      );
    return 0;
  },
};

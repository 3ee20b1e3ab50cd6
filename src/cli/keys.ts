// `ledger keys generate|show`: the Ed25519 checkpoint signing key and its C2SP note verifier key.
import { loadConfig } from "../config/load.ts";
import { loadSigningKey, signingKeyPath, writeNewKeyFile } from "../ledger/signing-key.ts";
import { parseFlags, UsageError, type Command } from "./command.ts";

const USAGE = `usage: ledger keys generate [--out FILE] [--config FILE]
       ledger keys show [--json] [--config FILE]

  generate   write a new Ed25519 private key (PKCS#8 PEM, mode 0600) to FILE, default
             LEDGER__SIGNING__KEYFILE or <data dir>/signing.key; an existing file is never
             replaced (checkpoints it signed verify only with it); prints the verifier key
  show       print the key's name (LEDGER__SIGNING__KEYNAME), key id, algorithm and C2SP vkey,
             as GET /v1/ledger/keys lists them; --json prints that object

A key made elsewhere works too: openssl genpkey -algorithm ed25519 -out signing.key
`;

export const keysCommand: Command = {
  name: "keys",
  summary: "generate or show the Ed25519 checkpoint signing key",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, { config: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } }, true);
    if (values.help) return io.out(USAGE), 0;
    const [action, ...extra] = positionals;
    if (extra.length > 0 || (action !== "generate" && action !== "show")) throw new UsageError("expected `keys generate` or `keys show`");
    if (action === "show" && values.out !== undefined) throw new UsageError("--out goes with `keys generate`");
    if (action === "generate" && values.json) throw new UsageError("--json goes with `keys show`");
    const base = loadConfig({ env: io.env, configFile: values.config });
    const config = values.out === undefined ? base : { ...base, signing: { ...base.signing, keyFile: values.out } };
    if (action === "generate") {
      writeNewKeyFile(signingKeyPath(config).path);
      const key = loadSigningKey(config, { create: false });
      io.out(`wrote ${key.path}\nvkey ${key.info.vkey}\n`);
      return 0;
    }
    const key = loadSigningKey(config, { create: false });
    if (values.json) io.out(`${JSON.stringify(key.info)}\n`);
    else io.out(`name      ${key.info.name}\nkeyId     ${key.info.keyId}\nalgorithm ${key.info.algorithm}\nvkey      ${key.info.vkey}\nfile      ${key.path}\n`);
    return 0;
  },
};

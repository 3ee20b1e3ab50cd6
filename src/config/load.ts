// Loads the frozen Config: defaults < appsettings.json (LEDGER__CONFIG / --config) < LEDGER__* env < flags.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { LedgerError } from "../core/errors.ts";
import { KEYS, parseDuration, parseValue, type ConfigKey, type KeySpec } from "./schema.ts";

export interface Config {
  db: { connectionString: string | null; poolSize: number };
  data: { dir: string };
  http: { url: string; maxBodyBytes: number; maxBatchBodyBytes: number };
  merkle: { anchorIntervalSeconds: number; anchorBatch: number };
  signing: { keyFile: string | null; keyName: string };
  attachments: { encryptionKey: string | null; allowEgress: boolean };
  observability: { enabled: boolean };
  authority: { issuer: string | null; jwksFile: string | null; jwksUrl: string | null; audience: string | null };
  admin: { token: string | null };
  airgap: { stalenessBudgetSeconds: number };
  /** Which keys came from where, for /status (values of secrets never included). */
  sources: Record<string, "default" | "file" | "env" | "flag">;
}

const configError = (key: string, message: string) => new LedgerError("config_invalid", `config ${key}: ${message}`);

const envName = (key: string) => `LEDGER__${key.replace(/\./g, "__").toUpperCase()}`;

function flatten(obj: unknown, prefix: string, out: Map<string, { raw: unknown; origin: string }>, file: string): void {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw configError(prefix || file, "must be a JSON object");
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${k.toLowerCase()}` : k.toLowerCase();
    if (v !== null && typeof v === "object" && !Array.isArray(v)) flatten(v, path, out, file);
    else out.set(path, { raw: v, origin: `${file}: ${path}` });
  }
}

function readFileLayer(path: string): Map<string, { raw: unknown; origin: string }> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw configError("LEDGER__CONFIG", `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw configError("LEDGER__CONFIG", `${path} is not valid JSON: ${(e as Error).message}`);
  }
  const out = new Map<string, { raw: unknown; origin: string }>();
  // appsettings.json may wrap everything in a "Ledger" section, as .NET deployments do.
  const root = parsed && typeof parsed === "object" && !Array.isArray(parsed) && Object.keys(parsed).length === 1 && Object.keys(parsed)[0]!.toLowerCase() === "ledger"
    ? Object.values(parsed)[0]
    : parsed;
  flatten(root, "", out, path);
  return out;
}

export interface LoadOptions {
  env?: Record<string, string | undefined>;
  configFile?: string | null;
  flags?: Partial<Record<ConfigKey, string | number | boolean>>;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const values = new Map<ConfigKey, string | number | boolean | null>();
  const sources: Config["sources"] = {};
  for (const [key, spec] of Object.entries(KEYS) as [ConfigKey, KeySpec][]) {
    values.set(key, spec.default);
    sources[key] = "default";
  }
  const set = (key: string, raw: unknown, origin: "file" | "env" | "flag", label: string) => {
    const spec = Object.hasOwn(KEYS, key) ? (KEYS as Record<string, KeySpec>)[key] : undefined;
    if (!spec) throw configError(label, "is not a known setting");
    if (raw === null || raw === "") {
      values.set(key as ConfigKey, null);
      sources[key] = origin;
      return;
    }
    const r = parseValue(spec, raw);
    if (!r.ok) throw configError(label, r.message);
    values.set(key as ConfigKey, r.value);
    sources[key] = origin;
  };

  const file = opts.configFile ?? env.LEDGER__CONFIG ?? null;
  if (file) for (const [key, { raw, origin }] of readFileLayer(resolve(file))) set(key, raw, "file", origin);

  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith("LEDGER__") || name === "LEDGER__CONFIG" || raw === undefined) continue;
    const key = name.slice("LEDGER__".length).split("__").join(".").toLowerCase();
    set(key, raw, "env", name);
  }
  for (const [key, raw] of Object.entries(opts.flags ?? {})) if (raw !== undefined) set(key, raw, "flag", `--${key}`);

  const v = <T>(key: ConfigKey) => values.get(key) as T;
  const seconds = (key: ConfigKey) => parseDuration(String(v<string>(key)))!;
  const interval = seconds("merkle.anchorinterval");
  if (interval < 1) throw configError(envName("merkle.anchorinterval"), "must be at least 00:00:01");

  return Object.freeze({
    db: { connectionString: v<string | null>("db.connectionstring"), poolSize: v<number>("db.poolsize") },
    data: { dir: resolve(v<string>("data.dir")) },
    http: { url: v<string>("http.url"), maxBodyBytes: v<number>("http.maxbodybytes"), maxBatchBodyBytes: v<number>("http.maxbatchbodybytes") },
    merkle: { anchorIntervalSeconds: interval, anchorBatch: v<number>("merkle.anchorbatch") },
    signing: { keyFile: v<string | null>("signing.keyfile"), keyName: v<string>("signing.keyname") },
    attachments: { encryptionKey: v<string | null>("attachments.encryptionkey"), allowEgress: v<boolean>("attachments.allowegress") },
    observability: { enabled: v<boolean>("observability.enabled") },
    authority: {
      issuer: v<string | null>("authority.issuer"),
      jwksFile: v<string | null>("authority.jwksfile"),
      jwksUrl: v<string | null>("authority.jwksurl"),
      audience: v<string | null>("authority.audience"),
    },
    admin: { token: v<string | null>("admin.token") },
    airgap: { stalenessBudgetSeconds: seconds("airgap.stalenessbudget") },
    sources,
  });
}

/** The config as /status shows it: every key's value, secrets replaced by whether they are set. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const flat: Record<string, unknown> = {
    "db.connectionstring": config.db.connectionString,
    "db.poolsize": config.db.poolSize,
    "data.dir": config.data.dir,
    "http.url": config.http.url,
    "http.maxbodybytes": config.http.maxBodyBytes,
    "http.maxbatchbodybytes": config.http.maxBatchBodyBytes,
    "merkle.anchorinterval": config.merkle.anchorIntervalSeconds,
    "merkle.anchorbatch": config.merkle.anchorBatch,
    "signing.keyfile": config.signing.keyFile,
    "signing.keyname": config.signing.keyName,
    "attachments.encryptionkey": config.attachments.encryptionKey,
    "attachments.allowegress": config.attachments.allowEgress,
    "observability.enabled": config.observability.enabled,
    "authority.issuer": config.authority.issuer,
    "authority.jwksfile": config.authority.jwksFile,
    "authority.jwksurl": config.authority.jwksUrl,
    "authority.audience": config.authority.audience,
    "admin.token": config.admin.token,
    "airgap.stalenessbudget": config.airgap.stalenessBudgetSeconds,
  };
  for (const [key, value] of Object.entries(flat)) {
    const spec = (KEYS as Record<string, KeySpec>)[key]!;
    out[envName(key)] = spec.secret ? (value ? "(set)" : null) : value;
  }
  return out;
}

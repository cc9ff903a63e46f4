/**
 * Configuration from environment variables (and an optional JSON file), validated
 * with zod at start-up.
 *
 * Every setting is named by its environment variable. A JSON file named by
 * `TICKFLOW_CONFIG` may hold the same names as keys; the environment wins over the
 * file. A bad value stops start-up with a {@link ConfigError} that names the variable,
 * the value and what was expected.
 *
 * Each component declares its own settings as a zod object shape keyed by variable
 * name (see {@link natsSettings}); {@link loadConfig} validates them together.
 */
import { z } from "zod";
import { parseDuration } from "./duration.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    message: string,
    readonly problems: Array<{ variable: string; value: unknown; expected: string }> = [],
  ) {
    super(message);
  }
}
export const isConfigError = (e: unknown): e is ConfigError => e instanceof Error && e.name === "ConfigError";

type Env = Record<string, string | undefined>;

/** Variables whose value must never be printed. */
const SECRET = /PASS|TOKEN|SECRET|KEY|CREDS/i;

export function redact(variable: string, value: unknown): unknown {
  return SECRET.test(variable) && value !== undefined && value !== "" ? "***" : value;
}

/** Helpers for common variable kinds; they accept strings (from the environment) and typed values (from a file). */
export const v = {
  str: () => z.string().min(1),
  int: (min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max),
  num: (min = -Infinity, max = Infinity) => z.coerce.number().min(min).max(max),
  bool: () =>
    z.union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])]).transform((x) =>
      typeof x === "boolean" ? x : x === "true" || x === "1" || x === "yes"
    ),
  list: () =>
    z.union([z.array(z.string()), z.string()]).transform((x) =>
      (Array.isArray(x) ? x : x.split(",")).map((s) => s.trim()).filter(Boolean)
    ),
  url: (protocols: string[]) =>
    z.string().refine((s) => {
      try {
        return protocols.includes(new URL(s).protocol.replace(/:$/, ""));
      } catch {
        return false;
      }
    }, `a URL with scheme ${protocols.join(" or ")}`),
  /** A duration: plain milliseconds, or a number with units (lib/platform/duration.ts). */
  duration: () =>
    z.union([z.number(), z.string()]).transform((x, ctx) => {
      if (typeof x === "number") return x;
      try {
        return Math.round(parseDuration(x));
      } catch {
        ctx.addIssue({ code: "custom", message: "a duration like 500ms, 10s, 5m, 2h or a number of ms" });
        return z.NEVER;
      }
    }).meta({ unit: "duration" }),
  /** A size in bytes: a plain number, or a number with KiB/MiB/GiB/TiB (or KB/MB/GB/TB); -1 for no limit. */
  bytes: () =>
    z.union([z.number(), z.string()]).transform((x, ctx) => {
      if (typeof x === "number") return x;
      const m = /^(-1|\d+(?:\.\d+)?)\s*(B|[KMGT]i?B)?$/i.exec(x.trim());
      if (!m) {
        ctx.addIssue({ code: "custom", message: "a size like 512MiB, 2GiB, 1GB or a number of bytes (-1: no limit)" });
        return z.NEVER;
      }
      const unit = (m[2] ?? "B").toUpperCase();
      const pow = { B: 0, K: 1, M: 2, G: 3, T: 4 }[unit[0] as "B"];
      const base = unit.includes("I") ? 1024 : 1000;
      return Math.round(Number(m[1]) * base ** pow);
    }).meta({ unit: "bytes" }),
};

/** Connection settings shared by every process that talks to NATS. */
export const natsSettings = {
  NATS_URL: z.string().default("nats://127.0.0.1:4222").describe("comma-separated NATS server URLs"),
  NATS_USER: z.string().optional().describe("user for user/password authentication"),
  NATS_PASS: z.string().optional().describe("password for user/password authentication"),
  NATS_TOKEN: z.string().optional().describe("token authentication"),
  NATS_CREDS: z.string().optional().describe("path to a .creds file (JWT + nkey)"),
  NATS_NKEY: z.string().optional().describe("path to a file holding a user nkey seed (SU…)"),
  NATS_TLS_CA: z.string().optional().describe("CA file that signs the server's certificate (turns TLS on)"),
  NATS_TLS_CERT: z.string().optional().describe("client certificate for mutual TLS (turns TLS on)"),
  NATS_TLS_KEY: z.string().optional().describe("client key for mutual TLS (turns TLS on)"),
  NATS_TLS: v.bool().default(false).describe("require TLS even without CA or client certificate"),
  NATS_NAME: z.string().optional().describe("connection name shown by the server (default: the process's role)"),
};

/** Default stream sizes: 2 GiB of market data (about 20 min at the simulator's default feed), 1 GiB of stream-room history. */
export const DEFAULT_MD_MAX_BYTES = 2 * 1024 ** 3;
export const DEFAULT_ROOMLOG_MAX_BYTES = 1024 ** 3;

/** Settings of the streams and leases (read by every actor host). */
export const busSettings = {
  MD_MAX_AGE: v.duration().default(24 * 3600_000).describe("retention of the MD stream (market data) by age"),
  /** Bounded by default (sized for a laptop; see README "Operations" for a server). */
  MD_MAX_BYTES: v.bytes().default(DEFAULT_MD_MAX_BYTES)
    .describe("retention of the MD stream by size (takes MiB/GiB/GB; -1 = none)"),
  ROOMLOG_MAX_AGE: v.duration().default(24 * 3600_000).describe("alert and candle history (ROOMLOG stream) by age"),
  ROOMLOG_MAX_BYTES: v.bytes().default(DEFAULT_ROOMLOG_MAX_BYTES).describe("alert and candle history by size (-1 = none)"),
  STREAM_REPLICAS: v.int(1, 5).default(1).describe("JetStream replicas (3 on a cluster)"),
  LEASE_MS: v.duration().pipe(z.number().int().min(1000)).default(10_000)
    .describe("every lease (shards, coalescers, leaders, hosts)"),
};

export const logSettings = {
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warning", "error", "fatal"]).default("info")
    .describe("trace, debug, info, warning, error or fatal"),
  LOG_FORMAT: z.enum(["text", "json"]).default("text").describe("text, or json for log shippers"),
};

type Shape = Record<string, z.ZodType>;

/**
 * One setting declared once: the variable that sets it and its zod schema (with default
 * and description). A component that wants code-friendly names declares its settings as
 * `{ codeName: field("VARIABLE", schema) }`; the variable shape ({@link fieldShape}), the
 * config type ({@link FieldValues}) and the mapping ({@link fieldValues}) derive from it.
 */
export interface Field<E extends string = string, S extends z.ZodType = z.ZodType> {
  readonly env: E;
  readonly schema: S;
}
export const field = <E extends string, S extends z.ZodType>(env: E, schema: S): Field<E, S> => ({ env, schema });

type Fields = Record<string, Field>;
/** The variable shape of `fields` (what {@link loadConfig} validates). */
export type FieldShape<F extends Fields> = { [K in keyof F as F[K]["env"]]: F[K]["schema"] };
/** The validated settings of `fields` in code names. */
export type FieldValues<F extends Fields> = { [K in keyof F]: z.output<F[K]["schema"]> };

export function fieldShape<F extends Fields>(fields: F): FieldShape<F> {
  return Object.fromEntries(Object.values(fields).map((f) => [f.env, f.schema])) as FieldShape<F>;
}

/** Rename validated variables (e.g. from {@link loadConfig}) to the code names of `fields`. */
export function fieldValues<F extends Fields>(fields: F, settings: { [E in F[keyof F]["env"]]?: unknown }): FieldValues<F> {
  const values = settings as Record<string, unknown>;
  return Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, values[f.env]])) as FieldValues<F>;
}

/**
 * Validate `env` (default: the process environment merged over `TICKFLOW_CONFIG`)
 * against a shape. Throws ConfigError listing every bad variable.
 */
export function loadConfig<S extends Shape>(shape: S, env: Env = readEnv()): z.infer<z.ZodObject<S>> {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) {
    const raw = env[key];
    input[key] = raw === "" ? undefined : raw;
  }
  const r = z.object(shape).safeParse(input);
  if (r.success) return r.data as z.infer<z.ZodObject<S>>;
  const problems = r.error.issues.map((i) => {
    const variable = String(i.path[0] ?? "?");
    return { variable, value: redact(variable, input[variable]), expected: i.message };
  });
  const lines = problems.map((p) => `  ${p.variable}=${JSON.stringify(p.value ?? null)}: expected ${p.expected}`);
  throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`, problems);
}

/** The process environment, over the JSON file named by TICKFLOW_CONFIG (if any). Works on Node and Deno. */
export function readEnv(): Env {
  const g = globalThis as unknown as {
    process?: { env: Env };
    Deno?: { env: { toObject(): Env }; readTextFileSync(p: string): string };
  };
  const env: Env = g.process?.env ?? g.Deno?.env.toObject() ?? {};
  const file = env.TICKFLOW_CONFIG;
  if (!file) return env;
  let text: string;
  try {
    text = g.Deno ? g.Deno.readTextFileSync(file) : readFileSyncNode(file);
  } catch (e) {
    throw new ConfigError(`TICKFLOW_CONFIG=${JSON.stringify(file)}: cannot read the file (${(e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`TICKFLOW_CONFIG=${JSON.stringify(file)}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`TICKFLOW_CONFIG=${JSON.stringify(file)}: expected a JSON object of VARIABLE: value`);
  }
  const fromFile: Env = {};
  for (const [k, val] of Object.entries(parsed)) fromFile[k] = typeof val === "string" ? val : JSON.stringify(val);
  return { ...fromFile, ...env };
}

function readFileSyncNode(path: string): string {
  // Loaded lazily so this module has no static node: import (Deno reads files itself).
  const req = (globalThis as unknown as { process?: { getBuiltinModule?: (m: string) => unknown } }).process
    ?.getBuiltinModule?.("fs") as { readFileSync(p: string, e: string): string } | undefined;
  if (!req) throw new Error("no file system access");
  return req.readFileSync(path, "utf8");
}

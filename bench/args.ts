/**
 * Command lines of the benchmark scripts, read with `node:util` parseArgs: string
 * options (`--name value` or `--name=value`) and boolean flags. An unknown option stops
 * the script with parseArgs' error naming it. With `env: true` a string option left off
 * falls back to BENCH_<NAME> (e.g. BENCH_EDGE_WORKERS), then to the default.
 */
import { parseArgs } from "node:util";

export interface BenchArgs<S extends string, F extends string> {
  /** The option's value: the command line, then BENCH_<NAME> (with `env`), then `def`. */
  str(name: S, def: string): string;
  /** The option's value, or undefined when left off. */
  get(name: S): string | undefined;
  /** Whether the flag was given. */
  flag(name: F): boolean;
}

export function benchArgs<S extends string, F extends string = never>(
  spec: { strings: readonly S[]; flags?: readonly F[]; env?: boolean },
  args: string[] = process.argv.slice(2),
): BenchArgs<S, F> {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const s of spec.strings) options[s] = { type: "string" };
  for (const f of spec.flags ?? []) options[f] = { type: "boolean" };
  const { values } = parseArgs({ args, options, allowPositionals: true });
  const v = values as Record<string, string | boolean | undefined>;
  const get = (name: S): string | undefined => {
    const x = v[name];
    if (typeof x === "string") return x;
    return spec.env ? process.env[`BENCH_${name.toUpperCase().replace(/-/g, "_")}`] : undefined;
  };
  return { get, str: (name, def) => get(name) ?? def, flag: (name) => v[name] === true };
}

/**
 * Loads a k6 script in this process: installs the module hook that maps `k6/*` to the
 * runner's implementations, the k6 globals (`__ENV`, `__VU`, `__ITER`, `open`), then
 * imports the script (running its init context).
 */
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { als, installVuGlobals } from "./vu.ts";

export type ScriptModule = {
  options?: Record<string, unknown>;
  default?: (data?: unknown) => unknown;
  setup?: () => unknown;
  teardown?: (data?: unknown) => unknown;
  handleSummary?: (data: unknown) => unknown;
  [exported: string]: unknown;
};

export class ScriptError extends Error {
  override name = "ScriptError";
}
export const isScriptError = (e: unknown): e is ScriptError => e instanceof ScriptError;

let hooksRegistered = false;

/** Per-scenario `env` is merged over the global one for that scenario's VUs. */
const scenarioEnvs = new Map<string, Record<string, string>>();
let baseEnv: Record<string, string> = {};

export function setScenarioEnvs(list: Array<{ name: string; env: Record<string, string> }>): void {
  for (const s of list) if (Object.keys(s.env).length) scenarioEnvs.set(s.name, { ...baseEnv, ...s.env });
}

export async function loadScript(path: string, env: Record<string, string>): Promise<ScriptModule> {
  if (!hooksRegistered) {
    register("./k6-hooks.mjs", import.meta.url);
    hooksRegistered = true;
  }
  const abs = resolve(path);
  baseEnv = env;
  Object.defineProperty(globalThis, "__ENV", {
    get: () => {
      const sc = als.getStore()?.vu.scenario.name;
      return (sc !== undefined && scenarioEnvs.get(sc)) || baseEnv;
    },
    configurable: true,
  });
  installVuGlobals();
  const dir = dirname(abs);
  (globalThis as Record<string, unknown>).open = (file: string, mode?: string) => {
    const buf = readFileSync(resolve(dir, file));
    return mode === "b" ? buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) : buf.toString("utf8");
  };
  try {
    return (await import(pathToFileURL(abs).href)) as ScriptModule;
  } catch (e) {
    throw new ScriptError(`could not load ${path}: ${(e as Error).message}`, { cause: e });
  }
}

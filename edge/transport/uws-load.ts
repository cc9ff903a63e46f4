/**
 * Chooses the native uWebSockets.js build for the running Node, by ABI and by whether
 * its binary actually loads. uWS ships one `.node` file per Node ABI
 * (`process.versions.modules`: 115 = Node 20, 127 = 22, 137 = 24, 147 = 26), and each
 * package carries a different set, built against a different glibc:
 *
 *   1. `uws-upstream`: upstream uWebSockets.js (v20.67+, Node 22/24/26), published on
 *      GitHub only; installed by the user under this alias (README "Packages").
 *   2. `uWebSockets.js`: the npm alias of @trufflesuite/uws-js-unofficial 20.30, ABI
 *      93/108/115 (Node 16/18/20), glibc 2.17+: the build the benchmarks measured.
 *   3. `@btc-vision/uwebsockets.js` 20.57: ABI 115/127/137/141 (Node 20/22/24/25),
 *      glibc 2.38+ (not Debian bookworm).
 *
 * The binary is required directly (not the package's entry), so a package's own
 * JavaScript fallback or its console warnings never come into play: either a native
 * binding loads, or the caller gets every candidate's reason and decides (server.ts).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, join } from "node:path";
import type * as UWS from "uWebSockets.js";

export interface UwsCandidate {
  /** The name it is required by (an npm alias where it is one). */
  pkg: string;
  /** What it is, for logs. */
  label: string;
  /** The binary for `abi` inside the package directory. */
  binary: (dir: string, abi: string) => string;
}

const file = (abi: string) => `uws_${process.platform}_${process.arch}_${abi}.node`;

export const UWS_CANDIDATES: readonly UwsCandidate[] = [
  { pkg: "uws-upstream", label: "upstream uWebSockets.js (GitHub)", binary: (d, abi) => join(d, file(abi)) },
  { pkg: "uWebSockets.js", label: "@trufflesuite/uws-js-unofficial", binary: (d, abi) => join(d, "binaries", file(abi)) },
  { pkg: "@btc-vision/uwebsockets.js", label: "@btc-vision/uwebsockets.js", binary: (d, abi) => join(d, file(abi)) },
];

export interface UwsAttempt {
  pkg: string;
  outcome: "loaded" | "not installed" | "no binary" | "failed to load" | "skipped";
  why: string;
}

export interface UwsBuild {
  /** The native binding, when one loaded. */
  uws?: typeof UWS;
  native: boolean;
  /** "uws-native" when a binding loaded, else "ws-fallback" (the ws adapter serves). */
  build: "uws-native" | "ws-fallback";
  /** The package that loaded, and its binary's file name. */
  pkg?: string;
  binary?: string;
  /** One sentence: why this build (which package loaded, or why none did). */
  why: string;
  attempts: UwsAttempt[];
}

const require = createRequire(import.meta.url);

/** The installed directory of `pkg`, looked up the way require() would (package "exports" aside). */
function packageDir(pkg: string): string | undefined {
  if (isAbsolute(pkg)) return existsSync(join(pkg, "package.json")) ? pkg : undefined;
  for (const base of require.resolve.paths(pkg) ?? []) {
    const dir = join(base, pkg);
    if (existsSync(join(dir, "package.json"))) return dir;
  }
  return undefined;
}

/** First line of a load error, e.g. "…libc.so.6: version `GLIBC_2.38' not found (required by …)". */
const firstLine = (e: unknown) =>
  (e instanceof Error ? e.message : String(e)).split("\n")[0]!.replace(/\s*\(required by [^)]*\)/, "").trim();

export interface LoadUwsOptions {
  candidates?: readonly UwsCandidate[];
  abi?: string;
  /** UWS_USE_FALLBACK=1|true: load no native build (tests, and a user ruling uWS out). */
  env?: NodeJS.ProcessEnv;
}

/** Try each candidate in order; the first whose binary for this ABI loads wins. */
export function loadUws(o: LoadUwsOptions = {}): UwsBuild {
  const abi = o.abi ?? process.versions.modules;
  const env = o.env ?? process.env;
  const node = `Node ${process.versions.node} (ABI ${abi}, ${process.platform}-${process.arch})`;
  const attempts: UwsAttempt[] = [];
  if (/^(1|true)$/i.test(env.UWS_USE_FALLBACK ?? "")) {
    return { native: false, build: "ws-fallback", why: "UWS_USE_FALLBACK is set", attempts: [{ pkg: "*", outcome: "skipped", why: "UWS_USE_FALLBACK is set" }] };
  }
  for (const c of o.candidates ?? UWS_CANDIDATES) {
    const dir = packageDir(c.pkg);
    if (!dir) {
      attempts.push({ pkg: c.pkg, outcome: "not installed", why: `${c.pkg} is not installed` });
      continue;
    }
    const bin = c.binary(dir, abi);
    if (!existsSync(bin)) {
      attempts.push({ pkg: c.pkg, outcome: "no binary", why: `${c.label} has no binary for ABI ${abi}` });
      continue;
    }
    try {
      const uws = require(bin) as typeof UWS & { App?: unknown };
      if (typeof uws.App !== "function") throw new Error("the binary exports no App()");
      const name = bin.split(/[\\/]/).pop()!;
      attempts.push({ pkg: c.pkg, outcome: "loaded", why: `${c.label} ${name} loaded` });
      return { uws, native: true, build: "uws-native", pkg: c.pkg, binary: name, why: `${c.label} (${name}) loaded on ${node}`, attempts };
    } catch (e) {
      attempts.push({ pkg: c.pkg, outcome: "failed to load", why: `${c.label} failed to load: ${firstLine(e)}` });
    }
  }
  const tried = attempts.filter((a) => a.outcome !== "not installed").map((a) => a.why);
  return { native: false, build: "ws-fallback", why: `no native uWS loads on ${node}: ${tried.join("; ") || "no uWS package installed"}`, attempts };
}

/**
 * The one warning an edge prints when no native uWS loads and the ws transport serves
 * instead: the cause (every candidate's reason, from uws-load.ts), the cost (the CPU
 * per delivered message of ws ÷ uWS as last measured by `npm run bench:transport`,
 * read from that section's RESULT line in BENCHMARKS.md, so it never goes stale in the
 * code) and how to get a native build.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { UwsBuild } from "./uws-load.ts";

const ROOT = join(import.meta.dirname, "..", "..");

export interface TransportCost {
  /** ws CPU per delivered message ÷ uWS's. */
  ratio: number;
  /** When and how it was measured, for the warning. */
  measured: string;
}

/** The figures of section `name`'s RESULT line (bench/report.ts writes it into the section). */
export function sectionResult(markdown: string, name: string): Record<string, unknown> | undefined {
  const begin = markdown.indexOf(`<!-- bench:${name}:begin -->`);
  const end = markdown.indexOf(`<!-- bench:${name}:end -->`);
  if (begin < 0 || end < begin) return undefined;
  const m = /<!-- RESULT (\{.*\}) -->/.exec(markdown.slice(begin, end));
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]!) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The measured ws ÷ uWS CPU-per-message ratio, if BENCHMARKS.md has one. */
export function transportCost(file = join(ROOT, "BENCHMARKS.md")): TransportCost | undefined {
  if (!existsSync(file)) return undefined;
  const r = sectionResult(readFileSync(file, "utf8"), "transport");
  const figures = r?.figures as Record<string, unknown> | undefined;
  const ratio = figures?.["cpu_ratio_ws_to_uws"];
  if (typeof ratio !== "number" || !Number.isFinite(ratio)) return undefined;
  const clients = figures?.["clients"];
  return { ratio, measured: `bench:transport${typeof clients === "number" ? ` at ${clients} clients` : ""}, commit ${String(r?.commit ?? "?")}` };
}

/** The start-up warning for serving through ws because no native uWS loaded. */
export function fallbackWarning(b: UwsBuild, cost: TransportCost | undefined = transportCost()): string {
  const price = cost
    ? `about ${cost.ratio.toFixed(1)}× the CPU per delivered message of native uWS (BENCHMARKS.md, ${cost.measured})`
    : "more CPU per delivered message than native uWS (not measured on this checkout: `npm run bench:transport`)";
  return [
    `edge: serving through the ws transport, not native uWebSockets.js — ${b.why}.`,
    `Cost: ${price}; fine for a local dashboard, not for production fan-out.`,
    "Native build: on Node 20 the bundled uWS loads; on glibc ≥ 2.38 (Debian 13, current Ubuntu) @btc-vision/uwebsockets.js (installed) serves Node 22/24;",
    "for Node 22/24/26 anywhere: `npm install uws-upstream@github:uNetworking/uWebSockets.js#v20.67.0` (README, \"Packages\").",
  ].join(" ");
}

/**
 * Test helper: Debian's real `promtool` (package `prometheus`) over our metrics and
 * alert rules. `checkMetrics` returns the lint problems of a /metrics body and throws
 * when promtool cannot parse it at all (exit 1); rules are checked and unit-tested from
 * their files.
 */
import { execSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";

export const PROMTOOL_BIN = process.env.PROMTOOL_BIN ?? "/usr/bin/promtool";

export class PromtoolMissingError extends Error {
  override name = "PromtoolMissingError";
}

/**
 * Installs Debian's `prometheus` package (which ships promtool) when promtool is missing
 * and we are root, like the test runner does for chromium. Throws PromtoolMissingError
 * otherwise: the checks must run, never be skipped.
 */
export function ensurePromtool(): void {
  if (existsSync(PROMTOOL_BIN)) return;
  if (process.getuid?.() !== 0) throw new PromtoolMissingError(`${PROMTOOL_BIN} is missing: apt-get install prometheus (as root)`);
  execSync("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus", { stdio: "inherit", timeout: 600_000 });
  if (!existsSync(PROMTOOL_BIN)) throw new PromtoolMissingError(`installing Debian's prometheus did not provide ${PROMTOOL_BIN}`);
}

export class PromtoolParseError extends Error {
  override name = "PromtoolParseError";
}

interface Run {
  code: number;
  out: string;
}

function run(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(PROMTOOL_BIN, args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code: code ?? -1, out }));
    p.stdin.end(stdin ?? "");
  });
}

/**
 * `promtool check metrics` over a /metrics body: [] when clean, else one line per lint
 * problem ("name problem"). Throws PromtoolParseError when the text is not valid
 * exposition format.
 */
export async function checkMetrics(text: string): Promise<string[]> {
  const r = await run(["check", "metrics"], text);
  if (r.code === 0) return [];
  if (r.code === 3) return r.out.trim().split("\n").filter(Boolean);
  throw new PromtoolParseError(`promtool check metrics exited ${r.code}: ${r.out.trim()}`);
}

/** `promtool check rules <files>`: exit code and output. */
export const checkRules = (...files: string[]): Promise<Run> => run(["check", "rules", ...files]);

/** `promtool test rules <files>`: the rule unit tests (alerts that must and must not fire). */
export const testRules = (...files: string[]): Promise<Run> => run(["test", "rules", ...files]);

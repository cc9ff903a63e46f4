/**
 * Test helper: Debian's real `promtool` (package `prometheus`) over our metrics and
 * alert rules. `checkMetrics` returns the lint problems of a /metrics body and throws
 * when promtool cannot parse it at all (exit 1); rules are checked and unit-tested from
 * their files.
 */
import { spawn } from "node:child_process";

export const PROMTOOL_BIN = process.env.PROMTOOL_BIN ?? "/usr/bin/promtool";

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

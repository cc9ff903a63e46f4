/**
 * The dependency check (`npm run check:deps`, .dependency-cruiser.cjs) can fail: a copy of
 * the tree passes it, then each rule's violation is planted in the copy and the check,
 * run on the planted file, fails naming that rule; the allowed form of each passes.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const DEPCRUISE = join(ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");
const FOLDERS = ["actors", "edge", "ui", "ops", "load", "lib", "sim", "bench", "test"];

let copy = "";
let clean = { code: 1, out: "" };
let planted = { code: 0, out: "" };

/** Plants are written into the copy; each is a one-line module breaking (or keeping) one rule. */
const PLANTS: Record<string, string> = {
  "lib/platform/planted-up.ts": 'export type { HostContext } from "../../actors/host-context.ts";\n',
  "lib/contracts/planted-io.ts": 'import { readFileSync } from "node:fs";\nexport const x = readFileSync;\n',
  "lib/contracts/planted-zod.ts": 'import { z } from "zod";\nexport const X = z.string();\n',
  "actors/planted-edge.ts": 'export { edgeSettings } from "../edge/config.ts";\n',
  "edge/planted-actors.ts": 'export type { HostContext } from "../actors/host-context.ts";\n',
  "ui/src/planted-nats.ts": 'export { connectNats } from "../../lib/platform/nats.ts";\n',
  "actors/planted-harness.ts": 'export { startNatsServer } from "../test/nats-server.ts";\n',
  "actors/planted-harness.test.ts": 'export { startNatsServer } from "../test/nats-server.ts";\n',
  "actors/planted-both.test.ts": 'export { startEdge } from "../edge/server.ts";\n',
  "lib/contracts/planted-a.ts": 'import { b } from "./planted-b.ts";\nexport const a = () => b;\n',
  "lib/contracts/planted-b.ts": 'import { a } from "./planted-a.ts";\nexport const b = () => a;\n',
  "ops/planted-deep.ts": 'export { CoalescerService } from "../actors/coalescer/service.ts";\n',
  "ops/planted-front.ts": 'export { CoalescerService } from "../actors/coalescer/mod.ts";\n',
  "ops/planted-missing.ts": 'export { x } from "./no-such-file.ts";\n',
  "edge/planted-ops.ts": 'export { commands } from "../ops/cli/commands.ts";\n',
  "sim/planted-actors.ts": 'export type { HostContext } from "../actors/host-context.ts";\n',
};

/** Runs the check in the copy on `paths`; exit code and output. */
function check(paths: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [DEPCRUISE, "--config", ".dependency-cruiser.cjs", "--output-type", "err", ...paths], {
    cwd: copy,
    encoding: "utf8",
  });
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

/** The violation lines of the planted run that start at `from` (err output: "error <rule>: <from> → <to>"). */
const violations = (from: string) => planted.out.split("\n").filter((l) => l.includes(` ${from} `) || l.includes(`: ${from} →`) || l.includes(`: ${from}\n`));

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), "tf-deps-"));
  for (const f of FOLDERS) {
    cpSync(join(ROOT, f), join(copy, f), { recursive: true, filter: (src) => !/[/\\](node_modules|dist|data)([/\\]|$)/.test(src) });
  }
  cpSync(join(ROOT, ".dependency-cruiser.cjs"), join(copy, ".dependency-cruiser.cjs"));
  cpSync(join(ROOT, "package.json"), join(copy, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
  clean = check(FOLDERS);
  for (const [path, text] of Object.entries(PLANTS)) {
    mkdirSync(dirname(join(copy, path)), { recursive: true });
    writeFileSync(join(copy, path), text);
  }
  planted = check(Object.keys(PLANTS));
}, 240_000);

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe("the dependency check", () => {
  it("passes on an untouched copy of the tree and fails once violations are planted", () => {
    expect(clean.out).toContain("no dependency violations found");
    expect(clean.code).toBe(0);
    expect(planted.code).not.toBe(0);
  });

  it("reports lib/ importing the product", () => {
    expect(violations("lib/platform/planted-up.ts").join("\n")).toContain("lib-imports-no-product");
  });

  it("reports I/O in lib/contracts and accepts zod there", () => {
    expect(violations("lib/contracts/planted-io.ts").join("\n")).toContain("contracts-zod-only");
    expect(violations("lib/contracts/planted-zod.ts")).toEqual([]);
  });

  it("reports actors/ importing edge/ and edge/ importing actors/, and lets a test start both", () => {
    expect(violations("actors/planted-edge.ts").join("\n")).toContain("actors-not-edge");
    expect(violations("edge/planted-actors.ts").join("\n")).toContain("edge-not-actors");
    expect(violations("actors/planted-both.test.ts")).toEqual([]);
  });

  it("reports the dashboard importing anything of the repo but lib/contracts", () => {
    expect(violations("ui/src/planted-nats.ts").join("\n")).toContain("ui-src-contracts-only");
  });

  it("reports product code importing test/ and lets a test file do it", () => {
    expect(violations("actors/planted-harness.ts").join("\n")).toContain("bench-test-stay-out");
    expect(violations("actors/planted-harness.test.ts")).toEqual([]);
  });

  it("reports an import cycle", () => {
    expect(violations("lib/contracts/planted-a.ts").join("\n")).toContain("no-circular");
  });

  it("reports an import past a folder's mod.ts and accepts one through the mod.ts", () => {
    expect(violations("ops/planted-deep.ts").join("\n")).toContain("through-mod:actors/coalescer");
    expect(violations("ops/planted-front.ts")).toEqual([]);
  });

  it("reports the processes importing ops/ and the simulator importing the product", () => {
    expect(violations("edge/planted-ops.ts").join("\n")).toContain("ops-on-top");
    expect(violations("sim/planted-actors.ts").join("\n")).toContain("sim-stands-alone");
  });

  it("reports a relative import of a file that does not exist", () => {
    expect(violations("ops/planted-missing.ts").join("\n")).toContain("no-unresolvable-relative");
  });
});

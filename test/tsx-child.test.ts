/**
 * spawnTsx / spawnTsxSync: a TypeScript entry runs as one node process from the
 * repository root, with its arguments, node flags and env over the parent's (undefined
 * removes a variable), and a signal sent to the child reaches the entry itself.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, spawnTsx, spawnTsxSync } from "./tsx-child.ts";

const dir = mkdtempSync(join(tmpdir(), "tsx-child-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const entry = join(dir, "echo.ts");
writeFileSync(entry, `
const seen = {
  cwd: process.cwd(), args: process.argv.slice(2), flags: process.execArgv,
  a: process.env.TSX_CHILD_A, b: process.env.TSX_CHILD_B, gone: process.env.TSX_CHILD_GONE,
};
if (seen.args.includes("--wait")) {
  process.once("SIGTERM", () => { console.log("SIGTERM in the entry"); process.exit(7); });
  setInterval(() => {}, 1000);
}
console.log(JSON.stringify(seen));
`);

describe("spawnTsx", () => {
  it("runs the entry from the repository root with args, node flags and env over the parent's", () => {
    process.env.TSX_CHILD_B = "from the parent";
    process.env.TSX_CHILD_GONE = "from the parent";
    try {
      const r = spawnTsxSync(entry, { args: ["x", "--y=1"], nodeArgs: ["--no-warnings"], env: { TSX_CHILD_A: "a", TSX_CHILD_GONE: undefined } });
      expect(r.status).toBe(0);
      const seen = JSON.parse(r.stdout);
      expect(seen).toEqual({ cwd: ROOT, args: ["x", "--y=1"], flags: ["--no-warnings", "--import", "tsx"], a: "a", b: "from the parent" });
    } finally {
      delete process.env.TSX_CHILD_B;
      delete process.env.TSX_CHILD_GONE;
    }
  });

  it("is one process: SIGTERM to the child is handled by the entry's own code", async () => {
    const child = spawnTsx(entry, { args: ["--wait"] });
    let out = "";
    let sent = false;
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("{") && !sent) sent = child.kill("SIGTERM");
    });
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect(out).toContain("SIGTERM in the entry");
    expect(code).toBe(7);
  });
});

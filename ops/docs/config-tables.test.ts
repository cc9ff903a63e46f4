/**
 * The README configuration tables are the zod shapes: README.md and the folders' READMEs
 * hold exactly what `npm run docs:config` writes, every variable a process reads is in a
 * table with a description, and a shape change the README does not follow is caught.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { v } from "../../lib/platform/config.ts";
import { catalog } from "../config-catalog.ts";
import { isDocsMarkerError, renderFiles, SECTIONS, settingDoc, writeSection } from "./config-tables.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const tmp = mkdtempSync(join(tmpdir(), "config-tables-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("README configuration tables", () => {
  it("README.md and the folders' READMEs match the shapes (run npm run docs:config after changing a setting)", () => {
    for (const r of renderFiles(ROOT)) expect(r.before, `${r.file} is stale: npm run docs:config`).toBe(r.after);
  });

  it("every documented variable has a description", () => {
    const missing = SECTIONS.flatMap((s) => Object.entries(s.shape).filter(([, schema]) => !schema.description).map(([k]) => k));
    expect(missing).toEqual([]);
  });

  it("every variable the host, edge and simulator processes validate is in a table", () => {
    const documented = new Set(SECTIONS.flatMap((s) => Object.keys(s.shape)));
    const missing = Object.values(catalog).flat().filter((k) => k !== "TICKFLOW_CONFIG" && !documented.has(k));
    expect(missing).toEqual([]);
  });

  it("a changed description in any section's shape makes its README stale", () => {
    const files = [...new Set(SECTIONS.flatMap((s) => s.files))];
    for (const f of files) cpSync(join(ROOT, f), join(tmp, f), { recursive: true });
    for (const section of SECTIONS) {
      const [k, schema] = Object.entries(section.shape)[0]!;
      const changed = [{ ...section, shape: { ...section.shape, [k]: schema.describe("changed") } }];
      const stale = renderFiles(tmp, changed).filter((r) => r.before !== r.after).map((r) => r.file);
      expect(stale, section.name).toEqual(section.files);
    }
  });

  it("a changed default or description in a shape makes the check fail", () => {
    for (const f of ["README.md", "edge/README.md"]) cpSync(join(ROOT, f), join(tmp, f), { recursive: true });
    const edge = SECTIONS.find((s) => s.name === "edge")!;
    const changed = [{ ...edge, shape: { ...edge.shape, EDGE_MAX_ROOMS: v.int(1, 1000).default(65).describe("rooms per connection") } }];
    const stale = renderFiles(tmp, changed).filter((r) => r.before !== r.after).map((r) => r.file);
    expect(stale).toEqual(["README.md", "edge/README.md"]);
    const after = renderFiles(tmp, changed)[0]!.after;
    expect(after).toContain("| `EDGE_MAX_ROOMS` | `65` | rooms per connection |");
  });

  it("shows defaults in the units people type (durations, sizes) and names a missing marker", () => {
    expect(settingDoc("X", v.duration().pipe(z.number().int()).default(120_000).describe("d")).default).toBe("`2m`");
    expect(settingDoc("X", v.duration().default(1500)).default).toBe("`1500ms`");
    expect(settingDoc("X", v.bytes().default(64 * 1024 ** 2)).default).toBe("`64MiB`");
    expect(settingDoc("X", z.string().optional()).default).toBe("–");
    expect(settingDoc("X", v.list().default(["a", "b"]).pipe(z.array(z.string()))).default).toBe("`a,b`");
    writeFileSync(join(tmp, "empty.md"), "# nothing here\n");
    let caught: unknown;
    try {
      writeSection(readFileSync(join(tmp, "empty.md"), "utf8"), SECTIONS[0]!, "empty.md");
    } catch (e) {
      caught = e;
    }
    expect(isDocsMarkerError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/empty\.md: no <!-- config:nats:start -->/);
  });
});

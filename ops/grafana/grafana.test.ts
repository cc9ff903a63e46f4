import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { execSync } from "node:child_process";
import { join } from "node:path";
import { dashboard } from "./build.ts";

const ROOT = join(import.meta.dirname, "..", "..");

describe("the Grafana dashboard", () => {
  it("is up to date with its builder", () => {
    const file = JSON.parse(readFileSync(join(import.meta.dirname, "tickflow.json"), "utf8"));
    expect(file).toEqual(JSON.parse(JSON.stringify(dashboard())));
  });

  it("queries only metrics the code exports", () => {
    const file = readFileSync(join(import.meta.dirname, "tickflow.json"), "utf8");
    const names = new Set([...file.matchAll(/\b((?:edge|ingest|archiver|tickflow|process)_[a-z_]+?)(?:_bucket)?\b/g)].map((m) => m[1]!));
    const source = execSync("grep -rhoE '\"(edge|ingest|archiver|tickflow|process)_[a-z_]+\"' actors edge --include=*.ts", { cwd: ROOT }).toString();
    for (const n of names) expect(source, n).toContain(`"${n}"`);
  });
});

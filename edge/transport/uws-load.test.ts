/**
 * The uWS build choice: by ABI, by whether the binary actually loads, in candidate
 * order, and with a reason for every candidate that did not serve. Runs against the
 * packages really installed (and, for a binary that cannot load, a planted one).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadUws, UWS_CANDIDATES, type UwsCandidate } from "./uws-load.ts";

const tmp = mkdtempSync(join(tmpdir(), "uws-load-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (abi: string) => `uws_${process.platform}_${process.arch}_${abi}.node`;

describe("loadUws", () => {
  it("loads the bundled build natively on Node 20 (ABI 115), as before", () => {
    const b = loadUws({ abi: process.versions.modules });
    if (process.versions.modules !== "115") {
      // Other Node lines: whichever candidate loads, or a reason from each installed one.
      expect(b.native ? b.pkg : b.why).toBeTruthy();
      return;
    }
    expect(b).toMatchObject({ native: true, build: "uws-native", pkg: "uWebSockets.js", binary: file("115") });
    expect(typeof b.uws!.App).toBe("function");
    expect(b.why).toContain("@trufflesuite/uws-js-unofficial");
  });

  it("falls back with a reason per candidate when no package has a binary for the ABI", () => {
    const b = loadUws({ abi: "999" });
    expect(b).toMatchObject({ native: false, build: "ws-fallback" });
    expect(b.attempts.find((a) => a.pkg === "uWebSockets.js")).toMatchObject({ outcome: "no binary" });
    expect(b.attempts.find((a) => a.pkg === "uws-upstream")).toMatchObject({ outcome: "not installed" });
    expect(b.why).toContain("has no binary for ABI 999");
  });

  it("moves on to the next candidate when a binary exists but does not load, and says why", () => {
    const dir = join(tmp, "node_modules", "broken-uws");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), '{"name":"broken-uws"}');
    writeFileSync(join(dir, file(process.versions.modules)), "not an ELF file");
    const broken: UwsCandidate = { pkg: join(tmp, "node_modules", "broken-uws"), label: "broken", binary: (d, abi) => join(d, file(abi)) };
    const b = loadUws({ candidates: [broken, ...UWS_CANDIDATES] });
    expect(b.attempts[0]).toMatchObject({ outcome: "failed to load" });
    expect(b.attempts[0]!.why).toMatch(/^broken failed to load: .+/);
    if (process.versions.modules === "115") expect(b).toMatchObject({ native: true, pkg: "uWebSockets.js" });
    else expect(b.why).toContain("broken failed to load");
  });

  it("reports why @btc-vision/uwebsockets.js (Node 24 binary) does not load on this machine: its glibc floor is 2.38", () => {
    const b = loadUws({ candidates: UWS_CANDIDATES.filter((c) => c.pkg === "@btc-vision/uwebsockets.js"), abi: "137" });
    const glibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime;
    const [maj, min] = (glibc ?? "0.0").split(".").map(Number);
    if (glibc && (maj! < 2 || (maj === 2 && min! < 38))) {
      expect(b.native).toBe(false);
      expect(b.why).toContain("GLIBC_2.38");
    } else {
      expect(b.native ? b.pkg : b.why).toBeTruthy();
    }
  });

  it("loads nothing when UWS_USE_FALLBACK is set", () => {
    expect(loadUws({ env: { UWS_USE_FALLBACK: "1" } })).toMatchObject({ native: false, why: "UWS_USE_FALLBACK is set" });
  });
});

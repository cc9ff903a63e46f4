import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { busSettings, ConfigError, isConfigError, loadConfig, natsSettings, readEnv, v } from "./config.ts";
import { natsOptions } from "./nats.ts";

describe("loadConfig()", () => {
  it("applies defaults and converts durations, lists and booleans", () => {
    const cfg = loadConfig({ ...busSettings, X: v.list().default([]), B: v.bool().default(false) }, { LEASE_MS: "5s", X: "a, b,,c", B: "yes" });
    expect(cfg.LEASE_MS).toBe(5000);
    expect(cfg.MD_MAX_AGE).toBe(24 * 3600_000);
    expect(cfg.X).toEqual(["a", "b", "c"]);
    expect(cfg.B).toBe(true);
  });

  it("names every bad variable, its value and what was expected", () => {
    try {
      loadConfig({ ...busSettings, PORT: v.int(1, 65535) }, { LEASE_MS: "10 minutes", PORT: "99999" });
      throw new Error("should have thrown");
    } catch (e) {
      expect(isConfigError(e)).toBe(true);
      const err = e as ConfigError;
      expect(err.problems.map((p) => p.variable).sort()).toEqual(["LEASE_MS", "PORT"]);
      expect(err.message).toMatch(/LEASE_MS="10 minutes": expected a duration/);
      expect(err.message).toMatch(/PORT="99999"/);
    }
  });

  it("never prints a secret's value", () => {
    expect(() => loadConfig({ NATS_PASS: z.string().min(20) }, { NATS_PASS: "hunter2" })).toThrow(/NATS_PASS="\*\*\*"/);
  });

  it("reads a JSON config file named by TICKFLOW_CONFIG, with the environment winning", () => {
    const dir = mkdtempSync(join(tmpdir(), "tf-cfg-"));
    const file = join(dir, "c.json");
    writeFileSync(file, JSON.stringify({ LEASE_MS: 3000, MD_MAX_AGE: "1h" }));
    const env = readEnvWith({ TICKFLOW_CONFIG: file, LEASE_MS: "4000" });
    const cfg = loadConfig(busSettings, env);
    expect(cfg.LEASE_MS).toBe(4000);
    expect(cfg.MD_MAX_AGE).toBe(3600_000);
    writeFileSync(file, "{nope");
    expect(() => readEnvWith({ TICKFLOW_CONFIG: file })).toThrow(/TICKFLOW_CONFIG=.*not valid JSON/);
  });
});

describe("natsOptions()", () => {
  it("supports user/password, token and TLS, and rejects conflicting credentials", async () => {
    const base = loadConfig(natsSettings, { NATS_URL: "nats://a:4222,nats://b:4222" });
    expect((await natsOptions(base, "t")).servers).toEqual(["nats://a:4222", "nats://b:4222"]);
    const up = await natsOptions({ ...base, NATS_USER: "u", NATS_PASS: "p" }, "t");
    expect([up.user, up.pass]).toEqual(["u", "p"]);
    const tls = await natsOptions({ ...base, NATS_TLS_CA: "/ca.pem" }, "t");
    expect(tls.tls).toEqual({ caFile: "/ca.pem" });
    await expect(natsOptions({ ...base, NATS_USER: "u", NATS_TOKEN: "t" }, "t")).rejects.toThrow(/exclusive/);
  });
});

function readEnvWith(vars: Record<string, string>) {
  const saved = { ...process.env };
  try {
    Object.assign(process.env, vars);
    return readEnv();
  } finally {
    for (const k of Object.keys(vars)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** edge/config.ts: the one declaration gives the variable shape, the defaults and the code-name mapping. */
import { describe, expect, it } from "vitest";
import { isConfigError } from "../lib/platform/config.ts";
import { edgeConfig, edgeFields, edgeSettings, loadEdgeSettings } from "./config.ts";

describe("edge configuration", () => {
  it("edgeSettings has one variable per declared field", () => {
    expect(Object.keys(edgeSettings)).toEqual(Object.values(edgeFields).map((f) => f.env));
  });

  it("edgeConfig() maps defaults to code names, with edge-<pid> as the default id", () => {
    const cfg = edgeConfig(loadEdgeSettings({}), 42);
    expect(cfg).toMatchObject({ port: 8080, host: "0.0.0.0", id: "edge-42", maxRooms: 64, msgsPerSecond: 10, burst: 30, idleTimeoutMs: 60_000, replayWindowMs: 120_000, trustedProxies: [], allowedHosts: [] });
    expect(Object.keys(cfg).sort()).toEqual(Object.keys(edgeFields).sort());
  });

  it("edgeConfig() parses proxy ranges, lower-cases hosts and converts durations", () => {
    const cfg = edgeConfig(loadEdgeSettings({ EDGE_ID: "e1", EDGE_TRUSTED_PROXIES: "10.0.0.0/8", EDGE_ALLOWED_HOSTS: "Dash.Example.com:443", EDGE_SLOW_CLOSE: "2s" }));
    expect(cfg.id).toBe("e1");
    expect(cfg.trustedProxies).toHaveLength(1);
    expect(cfg.allowedHosts).toEqual(["dash.example.com:443"]);
    expect(cfg.slowCloseMs).toBe(2000);
  });

  it("a bad value stops loading with an error naming the variable", () => {
    let caught: unknown;
    try {
      loadEdgeSettings({ EDGE_TRUSTED_PROXIES: "not-an-ip" });
    } catch (e) {
      caught = e;
    }
    expect(isConfigError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/EDGE_TRUSTED_PROXIES="not-an-ip": expected an IP address or CIDR range/);
  });
});

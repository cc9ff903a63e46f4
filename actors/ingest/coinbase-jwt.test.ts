import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../sim/mod.ts";
import { JwtKeys } from "../../sim/coinbase-jwt.ts";
import { BUCKET } from "../../lib/platform/streams.ts";
import { TickBatch } from "../../lib/contracts/messages.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { systemClock } from "../runtime/mod.ts";
import { cdpJwtSigner, CoinbaseKeyError } from "./coinbase/jwt.ts";
import { ShardService } from "./shard.ts";
import { venueEndpoints } from "./settings.ts";
import { type Bus, readStored, startBus, testSettings, waitFor } from "./testkit.ts";

const NAME = "organizations/00000000-0000-0000-0000-000000000001/apiKeys/00000000-0000-0000-0000-000000000002";
const ec = () => generateKeyPairSync("ec", { namedCurve: "P-256", publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "sec1", format: "pem" } });
const key = ec();
const other = ec();
const LEASE = 2000;
let bus: Bus;
let sim: SimulatorHandle;

beforeAll(async () => {
  [bus, sim] = await Promise.all([
    startBus(LEASE),
    startSimulator({ port: 0, seed: 23, symbols: 10, tickRate: 200, heartbeatMs: 200, coinbaseJwtKeys: JSON.stringify({ [NAME]: key.publicKey }) }),
  ]);
});
afterAll(async () => {
  await sim?.close();
  await bus?.close();
});

describe("Advanced Trade ES256 JWTs from a CDP key", () => {
  it("signs the documented header and claims, fresh per message; the simulator's check refuses tampered, foreign, expired and unknown-key tokens", () => {
    const keys = new JwtKeys();
    keys.add(NAME, key.publicKey);
    const now = Date.now();
    const sign = cdpJwtSigner(NAME, key.privateKey.replace(/\n/g, "\\n"), () => now);
    const t = sign();
    const [h, c] = t.split(".").slice(0, 2).map((p) => JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>);
    expect(h).toMatchObject({ alg: "ES256", kid: NAME, typ: "JWT", nonce: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(c).toEqual({ iss: "cdp", sub: NAME, nbf: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 120 });
    expect(sign()).not.toBe(t); // a new nonce each time
    expect(keys.check(t, now)).toBeUndefined();
    const [h64, , s64] = t.split(".");
    const forged = `${h64}.${Buffer.from(JSON.stringify({ ...c, exp: Math.floor(now / 1000) + 3600 })).toString("base64url")}.${s64}`;
    expect(keys.check(forged, now)).toBe("valid for more than 2 minutes");
    const shifted = `${h64}.${Buffer.from(JSON.stringify({ ...c, nbf: c!.nbf as number - 1, exp: c!.exp as number - 1 })).toString("base64url")}.${s64}`;
    expect(keys.check(shifted, now)).toBe("bad signature");
    expect(keys.check(cdpJwtSigner(NAME, other.privateKey)(), now)).toBe("bad signature");
    expect(keys.check(t, now + 121_000)).toBe("expired (exp)");
    expect(keys.check(cdpJwtSigner("organizations/x/apiKeys/y", key.privateKey)(), now)).toBe('unknown key "organizations/x/apiKeys/y"');
    expect(keys.check("XYZ", now)).toContain("not a JWT");
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    expect(() => cdpJwtSigner(NAME, rsa.privateKey)).toThrow(CoinbaseKeyError);
  });

  const shard = (id: string, privateKey: string, products: string[]) => {
    const s = testSettings({
      FEED: "sim,coinbase", SIM_URL: sim.urls.binanceRest, COINBASE_API: "advanced", TRADES: "false", BOOKS: "false", ACK_TIMEOUT_MS: "1000",
      COINBASE_API_KEY_NAME: NAME, COINBASE_API_PRIVATE_KEY: privateKey,
    });
    return new ShardService({
      shardId: id, js: bus.js, nc: bus.nc, jsm: bus.jsm, kv: bus.kv[BUCKET.shards]!, leaseMs: LEASE, clock: systemClock,
      settings: s, endpoints: venueEndpoints(s), products: { coinbase: products },
    });
  };
  const cb = () => sim.stats().venues as Record<string, { jwtAccepted: number; jwtRefused: number }>;

  it("through the simulator: a shard with the CDP key subscribes and publishes; signed with another key every subscribe is refused", async () => {
    const good = shard("jwt-good", key.privateKey, ["BTC-USD"]);
    await good.start();
    try {
      await waitFor("BTC-USD ticks", async () => (await readStored<TickBatch>(bus.js, bus.jsm, subjects.tick("coinbase", "BTC-USD"))).length >= 3 || undefined);
    } finally {
      await good.stop();
    }
    expect(cb().coinbase!.jwtAccepted).toBeGreaterThanOrEqual(2); // ticker + heartbeats, one JWT each
    expect(cb().coinbase!.jwtRefused).toBe(0);
    const bad = shard("jwt-bad", other.privateKey, ["ETH-USD"]);
    await bad.start();
    try {
      await waitFor("ETH-USD refused", () => (bad.status().refused as Record<string, { products: string[] }>).coinbase?.products.includes("ETH-USD") || undefined);
    } finally {
      await bad.stop();
    }
    expect(cb().coinbase!.jwtRefused).toBeGreaterThanOrEqual(2);
    expect(await readStored(bus.js, bus.jsm, subjects.tick("coinbase", "ETH-USD"))).toHaveLength(0);
  }, 30_000);
});

import { describe, expect, it } from "vitest";
import { Metrics } from "../../lib/platform/metrics.ts";
import { FakeClock } from "../runtime/mod.ts";
import { parseBinance } from "./binance/normalise.ts";
import { UpstreamChecks } from "./upstream-checks.ts";

const setup = () => {
  const clock = new FakeClock(1_000_000);
  const metrics = new Metrics();
  const checks = new UpstreamChecks({ clock, metrics, labels: { shard: "t" }, maxSkewMs: 5_000, ackTimeoutMs: 1_000 });
  const refusedTotal = () => metrics.counter("ingest_refused_products_total", "").get({ venue: "binance", shard: "t" });
  return { clock, checks, refusedTotal };
};
/** Binance's documented replies (shared/fixtures/exchange/binance_subscribe_response.json: {"result":null,"id":1}). */
const reply = (id: number) => parseBinance("binance", JSON.stringify({ result: null, id }), 0);
const errorReply = (id: number) => parseBinance("binance", JSON.stringify({ error: { code: 2, msg: "Invalid request: unknown stream" }, id }), 0);

describe("subscription acks checked against the request", () => {
  it("Binance: {result:null,id} confirms exactly that request's products; another id confirms nothing", () => {
    const { clock, checks, refusedTotal } = setup();
    checks.requested("binance", "c1", 1, ["BTCUSDT", "ETHUSDT"]);
    checks.requested("binance", "c1", 2, ["SOLUSDT"]);
    const r = reply(1);
    if (r.kind !== "ack") throw new Error("not an ack");
    expect(r.id).toBe(1);
    checks.acked("c1", r);
    expect(checks.unconfirmed()).toBe(1);
    clock.advance(1_500);
    expect(checks.refused()).toEqual({ binance: { count: 1, products: ["SOLUSDT"] } });
    expect(refusedTotal()).toBe(1);
  });

  it("Binance: an error reply with the request's id refuses its products at once", () => {
    const { checks, refusedTotal } = setup();
    checks.requested("binance", "c1", 7, ["BTCUSDT"]);
    const e = errorReply(7);
    if (e.kind !== "error") throw new Error("not an error");
    checks.errored("c1", e.id, e.message);
    expect(checks.refused()).toEqual({ binance: { count: 1, products: ["BTCUSDT"] } });
    expect(refusedTotal()).toBe(1);
    expect(checks.unconfirmed()).toBe(0);
  });

  it("Coinbase: products listed by any later subscriptions reply on the same connection are confirmed; a reconnect drops the wait", () => {
    const { clock, checks } = setup();
    checks.requested("coinbase", "c1", 1, ["BTC-USD", "ETH-USD"]);
    checks.acked("c2", { products: ["ETH-USD"] }); // another connection's reply proves nothing
    checks.acked("c1", { products: ["BTC-USD"] });
    checks.acked("c1", { products: ["BTC-USD", "ETH-USD"] });
    expect(checks.unconfirmed()).toBe(0);
    checks.requested("coinbase", "c1", 2, ["SOL-USD"]);
    checks.closed("c1");
    clock.advance(2_000);
    expect(checks.refused()).toEqual({});
    // Subscribed again later and confirmed: no longer listed as refused.
    checks.requested("coinbase", "c1", 3, ["ADA-USD"]);
    clock.advance(2_000);
    expect(checks.refused()).toEqual({ coinbase: { count: 1, products: ["ADA-USD"] } });
    checks.requested("coinbase", "c1", 4, ["ADA-USD"]);
    checks.acked("c1", { products: ["ADA-USD"] });
    expect(checks.refused()).toEqual({});
  });

  it("connection sequences: +1 is fine, a jump is reported with the missing range, a restart at a lower number is not a loss", () => {
    const { checks } = setup();
    expect(checks.connSeq("coinbase", "c1", 0)).toBeUndefined();
    expect(checks.connSeq("coinbase", "c1", 1)).toBeUndefined();
    expect(checks.connSeq("coinbase", "c1", 4)).toEqual({ expected: 2, got: 4 });
    expect(checks.connSeq("coinbase", "c1", 0)).toBeUndefined();
    checks.closed("c1");
    expect(checks.connSeq("coinbase", "c1", 9)).toBeUndefined(); // the first message of a new connection sets the baseline
  });

  it("clock skew: within the bound the exchange time stays, beyond it (either way) the receive time replaces it, counted", () => {
    const { checks } = setup();
    expect(checks.time("coinbase", 10_000, 14_000)).toBe(10_000);
    expect(checks.time("coinbase", 10_000, 16_000)).toBe(16_000);
    expect(checks.time("coinbase", 30_000, 16_000)).toBe(16_000);
    expect(checks.skewed).toBe(2);
  });
});

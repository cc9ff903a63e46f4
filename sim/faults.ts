/**
 * Fault knobs, set at run time through POST /_sim/faults: sequence gaps, malformed
 * frames, REST latency and forced 429s live here; dropping and stalling act on
 * connections and products at once (control.ts). Decisions use their own seeded PRNG
 * so faults never disturb the price sequences.
 */
import { z } from "zod";
import { deriveSeed, Prng } from "./prng.ts";

export const VENUES = ["coinbase", "binance", "binance-usdm"] as const;
export type Venue = (typeof VENUES)[number];
const VenueSel = z.enum(["coinbase", "binance", "binance-usdm", "all"]);
type VenueSel = z.infer<typeof VenueSel>;

const Odds = {
  probability: z.number().min(0).max(1).optional().describe("chance per message"),
  next: z.number().int().min(0).max(1e9).optional().describe("apply to the next N messages"),
  venue: VenueSel.optional(),
};

/** Body of POST /_sim/faults. Every field is optional; absent fields leave that knob as it is. */
export const FaultRequest = z.strictObject({
  reset: z.boolean().optional().describe("clear every knob first"),
  drop: z.union([z.boolean(), z.strictObject({ venue: VenueSel.optional() })]).optional(),
  skipSequence: z.strictObject({ ...Odds, product: z.string().optional() }).optional(),
  stall: z
    .strictObject({
      ms: z.number().int().min(0).max(3_600_000),
      product: z.string().optional(),
      connection: z.number().int().optional(),
      venue: VenueSel.optional(),
    })
    .optional(),
  malformed: z.strictObject(Odds).optional(),
  dropTrades: z.strictObject(Odds).optional().describe("trade messages (Coinbase match, Binance trade/aggTrade) lost before sending"),
  restLatencyMs: z.number().int().min(0).max(600_000).optional(),
  force429: z.union([z.boolean(), z.number().int().min(0)]).optional().describe("true: until cleared; N: the next N REST calls"),
  restartSequences: z.literal(true).optional().describe("venue maintenance: sequences and trade ids start again, every socket closed 1001"),
  serverShutdown: z
    .strictObject({
      venue: z.enum(["binance", "binance-usdm", "all"]).optional(),
      closeAfterMs: z.number().int().min(0).max(3_600_000).optional().describe("close the sockets (1001) this long after the event; default 10 s"),
    })
    .optional()
    .describe("Binance: send serverShutdown on every connection, then close them"),
  force418: z.number().int().min(0).optional().describe("Binance REST: the next N calls start an IP ban (418 + Retry-After)"),
  wsForce418: z.number().int().min(0).optional().describe("Binance WebSocket (Spot and USD-M): the next N handshakes start an IP ban (HTTP 418 + Retry-After)"),
  clockSkewMs: z.number().int().min(-86_400_000).max(86_400_000).optional().describe("Coinbase (both APIs) and Binance depth events (E, T): every exchange time this far off the simulator's clock"),
  refuseProducts: z.array(z.string()).max(100_000).optional().describe("Coinbase: leave these product ids out of subscribe replies (the venue refuses them quietly); [] clears"),
  listings: z.strictObject({ delist: z.array(z.string()).optional(), list: z.array(z.string()).optional() }).optional().describe("take products off the REST product lists (delist) or put them back (list)"),
});
export type FaultRequest = z.infer<typeof FaultRequest>;

interface OddsState {
  probability: number;
  next: number;
  venue: VenueSel;
}
const noOdds = (): OddsState => ({ probability: 0, next: 0, venue: "all" });

export class Faults {
  skipSeq: OddsState & { product: string | null } = { ...noOdds(), product: null };
  malform: OddsState = noOdds();
  dropTrade: OddsState = noOdds();
  restLatencyMs = 0;
  /** REST calls still to be answered 429 (Infinity: until cleared). */
  force429 = 0;
  /** Binance REST calls still to start a ban. */
  force418 = 0;
  /** Binance WebSocket handshakes still to start a ban. */
  wsForce418 = 0;
  clockSkewMs = 0;
  private refused = new Set<string>();
  private readonly rng: Prng;

  constructor(seed: number) {
    this.rng = new Prng(deriveSeed(seed, 99));
  }

  /** Cheap check for the hot path: is any malformed-frame knob set? */
  get malformedArmed(): boolean {
    return this.malform.next > 0 || this.malform.probability > 0;
  }
  get skipArmed(): boolean {
    return this.skipSeq.next > 0 || this.skipSeq.probability > 0;
  }

  /** Should this message of `venue` about `product` lose a sequence number? Consumes one "next". */
  skip(venue: Venue, product: { cbId: string; bnSymbol: string }): boolean {
    const s = this.skipSeq;
    if (s.product !== null && s.product !== product.cbId && s.product !== product.bnSymbol) return false;
    return this.roll(s, venue);
  }

  get dropTradeArmed(): boolean {
    return this.dropTrade.next > 0 || this.dropTrade.probability > 0;
  }

  dropTradeNow(venue: Venue): boolean {
    return this.roll(this.dropTrade, venue);
  }

  malformed(venue: Venue): boolean {
    return this.roll(this.malform, venue);
  }

  malformedKind(): number {
    return this.rng.int(3);
  }

  /** Should this REST call be answered 429 by force? Consumes one. */
  take429(): boolean {
    if (this.force429 <= 0) return false;
    this.force429--;
    return true;
  }

  /** Does the venue refuse subscriptions to this Coinbase product id? */
  refuses(cbId: string): boolean {
    return this.refused.size > 0 && this.refused.has(cbId);
  }

  takeWs418(): boolean {
    if (this.wsForce418 <= 0) return false;
    this.wsForce418--;
    return true;
  }

  take418(): boolean {
    if (this.force418 <= 0) return false;
    this.force418--;
    return true;
  }

  /** Apply the knob part of a request (drop and stall are handled by the caller). */
  apply(req: FaultRequest, resolveProduct: (name: string) => { cbId: string; bnSymbol: string } | undefined): void {
    if (req.reset) {
      this.skipSeq = { ...noOdds(), product: null };
      this.malform = noOdds();
      this.dropTrade = noOdds();
      this.restLatencyMs = 0;
      this.force429 = 0;
      this.force418 = 0;
      this.wsForce418 = 0;
      this.clockSkewMs = 0;
      this.refused = new Set();
    }
    if (req.clockSkewMs !== undefined) this.clockSkewMs = req.clockSkewMs;
    if (req.refuseProducts !== undefined) this.refused = new Set(req.refuseProducts);
    if (req.skipSequence) {
      const { product, ...odds } = req.skipSequence;
      let name: string | null = null;
      if (product !== undefined) {
        const p = resolveProduct(product);
        if (!p) throw new RangeError(`skipSequence.product: unknown product ${JSON.stringify(product)}`);
        name = p.cbId;
      }
      this.skipSeq = { ...noOdds(), ...odds, product: name };
    }
    if (req.malformed) this.malform = { ...noOdds(), ...req.malformed };
    if (req.dropTrades) this.dropTrade = { ...noOdds(), ...req.dropTrades };
    if (req.restLatencyMs !== undefined) this.restLatencyMs = req.restLatencyMs;
    if (req.force418 !== undefined) this.force418 = req.force418;
    if (req.wsForce418 !== undefined) this.wsForce418 = req.wsForce418;
    if (req.force429 !== undefined) {
      this.force429 = req.force429 === true ? Infinity : req.force429 === false ? 0 : req.force429;
    }
  }

  toJSON(): Record<string, unknown> {
    return {
      skipSequence: this.skipSeq,
      malformed: this.malform,
      dropTrades: this.dropTrade,
      restLatencyMs: this.restLatencyMs,
      force429: this.force429 === Infinity ? true : this.force429,
      force418: this.force418,
      wsForce418: this.wsForce418,
      clockSkewMs: this.clockSkewMs,
      refuseProducts: [...this.refused],
    };
  }

  private roll(s: OddsState, venue: Venue): boolean {
    if (s.venue !== "all" && s.venue !== venue) return false;
    if (s.next > 0) {
      s.next--;
      return true;
    }
    return s.probability > 0 && this.rng.next() < s.probability;
  }
}

/**
 * The wire protocol of each venue as the shard needs it: how to (un)subscribe a set of
 * products on one connection and how to parse a frame. Adding a venue means adding
 * one entry here plus its frames/normalise modules.
 */
import type { FrameResult } from "./frame-result.ts";
import { coinbaseSubscribe } from "./coinbase/frames.ts";
import { parseCoinbase } from "./coinbase/normalise.ts";
import { binanceRequest } from "./binance/frames.ts";
import { binanceSymbol, parseBinance } from "./binance/normalise.ts";

export type VenueName = "coinbase" | "binance";

export interface VenueProtocol {
  readonly venue: VenueName;
  /** Whether tick sequences are contiguous per product (so a jump is a gap). */
  readonly gapCheck: boolean;
  /** Client messages one connection may send per second (Binance: 5, incl. pong replies), if the venue limits it. */
  readonly maxMessagesPerSecond?: number;
  /** Whether products have a Binance-style order book to sync. */
  readonly books: boolean;
  subscribe(products: readonly string[], id: number): string;
  unsubscribe(products: readonly string[], id: number): string;
  parse(raw: string, recvTs: number): FrameResult;
  /** Bus symbol (`BASE-QUOTE`) of a venue product id. */
  symbolOf(product: string): string;
}

export function coinbaseProtocol(gapCheck: boolean): VenueProtocol {
  return {
    venue: "coinbase",
    gapCheck,
    books: false,
    subscribe: (products) => coinbaseSubscribe("subscribe", products),
    unsubscribe: (products) => coinbaseSubscribe("unsubscribe", products),
    parse: (raw, recvTs) => parseCoinbase("coinbase", raw, recvTs),
    symbolOf: (p) => p,
  };
}

/** Binance streams per product: the 24 h ticker, and the 100 ms diff depth when books are on. */
export function binanceStreams(product: string, books: boolean): string[] {
  const s = product.toLowerCase();
  return books ? [`${s}@ticker`, `${s}@depth@100ms`] : [`${s}@ticker`];
}

export function binanceProtocol(books: boolean): VenueProtocol {
  const symbols = new Map<string, string>();
  const symbolOf = (p: string) => {
    let s = symbols.get(p);
    if (s === undefined) symbols.set(p, (s = binanceSymbol(p)));
    return s;
  };
  return {
    venue: "binance",
    gapCheck: false,
    // Binance allows 5; pongs to its pings count too, so leave room for them.
    maxMessagesPerSecond: 3,
    books,
    subscribe: (products, id) => binanceRequest("SUBSCRIBE", products.flatMap((p) => binanceStreams(p, books)), id),
    unsubscribe: (products, id) => binanceRequest("UNSUBSCRIBE", products.flatMap((p) => binanceStreams(p, books)), id),
    parse: (raw, recvTs) => parseBinance("binance", raw, recvTs, symbolOf),
    symbolOf,
  };
}

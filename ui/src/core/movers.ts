/** Movers per coin: `BTC-USD` (Coinbase) and `BTC-USDT` (Binance) are one coin in a gainers/losers list. */
import type { MoversData } from "../../../lib/contracts/protocol.ts";

export type CoinRow = MoversData["gainers"][number] & { also: string[] };

/** Rows merged per base coin, order kept: the first (strongest) market shows, the others are listed in `also`. */
export function perCoin(rows: MoversData["gainers"] | undefined): CoinRow[] {
  const byBase = new Map<string, CoinRow>();
  for (const r of rows ?? []) {
    const base = r.symbol.split("-")[0]!;
    const have = byBase.get(base);
    if (have) have.also.push(r.symbol);
    else byBase.set(base, { ...r, also: [] });
  }
  return [...byBase.values()];
}

/**
 * Decimal strings without floating-point noise.
 *
 * Prices and sizes are kept as integers in units of 10^-dec, and turned into strings
 * by inserting the decimal point. That is exact and cheaper than toFixed on the hot path.
 */

const ZEROS = "000000000000000000";

/** `n` (an integer in units of 10^-dec) as a decimal string: fixed(123456, 2) = "1234.56". */
export function fixed(n: number, dec: number): string {
  if (n < 0) return "-" + fixed(-n, dec);
  const s = String(n);
  if (dec === 0) return s;
  if (s.length <= dec) return "0." + ZEROS.slice(0, dec - s.length) + s;
  return s.slice(0, s.length - dec) + "." + s.slice(s.length - dec);
}

/** Like {@link fixed} but padded to 8 decimals, the way Binance prints prices and quantities. */
export function fixed8(n: number, dec: number): string {
  return dec >= 8 ? fixed(n, dec) : fixed(n, dec) + (dec === 0 ? "." : "") + ZEROS.slice(0, 8 - dec);
}

let isoMs = -1;
let isoPrefix = "";
/** ISO-8601 with microseconds, as Coinbase prints times: 2022-10-19T23:28:22.061769Z. */
export function isoMicros(ms: number, micros: number): string {
  if (ms !== isoMs) {
    isoMs = ms;
    isoPrefix = new Date(ms).toISOString().slice(0, 23);
  }
  const u = micros % 1000;
  return isoPrefix + (u < 10 ? "00" : u < 100 ? "0" : "") + u + "Z";
}

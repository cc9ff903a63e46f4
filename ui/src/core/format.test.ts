import { afterEach, describe, expect, it } from "vitest";
import * as fmt from "./format.ts";

describe("format", () => {
  afterEach(() => fmt.setLocale(undefined));

  it("formats prices with digits that suit their size", () => {
    fmt.setLocale("en-US");
    expect(fmt.price(97123.456)).toBe("97,123.46");
    expect(fmt.price(7.123456)).toBe("7.1235");
    expect(fmt.price(0.38123)).toBe("0.38123");
    expect(fmt.price(0.000024123)).toBe("0.00002412");
    expect(fmt.price(undefined)).toBe("—");
    expect(fmt.price(NaN)).toBe("—");
  });

  it("formats for the chosen locale", () => {
    fmt.setLocale("de-DE");
    expect(fmt.price(1234.5)).toBe("1.234,50");
    expect(fmt.pct(2.5)).toMatch(/^\+2,50\s?%$/);
  });

  it("signs percentages and compacts large numbers", () => {
    fmt.setLocale("en-US");
    expect(fmt.pct(2.5)).toBe("+2.50%");
    expect(fmt.pct(-0.125)).toBe("-0.13%");
    expect(fmt.compact(1_234_567)).toBe("1.23M");
    expect(fmt.usd(-12.5, true)).toBe("-$12.50");
  });

  it("formats grid prices and market caps in USD, caps at 3 significant digits", () => {
    fmt.setLocale("en-US");
    expect(fmt.usdPrice(97123.456)).toBe("$97,123.46");
    expect(fmt.usdPrice(0.000009970)).toBe("$0.000009970");
    expect(fmt.usdCompact(1.3816e12)).toBe("$1.38T");
    expect(fmt.usdCompact(413.07e9)).toBe("$413B");
    expect(fmt.usdCompact(null)).toBe("—");
  });

  it("builds each formatter once and reuses it", () => {
    fmt.setLocale("fr-FR");
    fmt.price(1.5);
    const n = fmt.formatterCount();
    for (let i = 0; i < 1000; i++) fmt.price(1.5 + i / 1000);
    expect(fmt.formatterCount()).toBe(n);
    expect(fmt.numberFormat({ maximumFractionDigits: 4 })).toBe(fmt.numberFormat({ maximumFractionDigits: 4 }));
  });
});

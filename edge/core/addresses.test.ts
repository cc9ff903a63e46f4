import { describe, expect, it } from "vitest";
import { clientAddress, hostAllowed, inRanges, parseRange } from "./addresses.ts";

const ranges = (...r: string[]) => r.map((x) => parseRange(x)!);
const h = (xForwardedFor = "", forwarded = "") => ({ xForwardedFor, forwarded });

describe("parseRange() and inRanges()", () => {
  it("matches IPv4 and IPv6 addresses and CIDR ranges, and refuses malformed ones", () => {
    const r = ranges("10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1");
    expect(inRanges("10.200.3.4", r)).toBe(true);
    expect(inRanges("11.0.0.1", r)).toBe(false);
    expect(inRanges("192.168.1.7", r)).toBe(true);
    expect(inRanges("192.168.1.8", r)).toBe(false);
    expect(inRanges("fd12:3456::1", r)).toBe(true);
    expect(inRanges("fe80::1", r)).toBe(false);
    expect(inRanges("::1", r)).toBe(true);
    expect(inRanges("::ffff:10.1.2.3", r)).toBe(true);
    for (const bad of ["10.0.0.256", "10.0.0.0/33", "nope", "1::2::3", "10.0.0.1/8/1", ""]) expect(parseRange(bad), bad).toBeUndefined();
  });
});

describe("clientAddress()", () => {
  const trusted = ranges("127.0.0.1", "10.0.0.0/8");

  it("ignores forwarding headers from a peer that is not a trusted proxy", () => {
    expect(clientAddress("198.51.100.9", h("1.2.3.4"), trusted)).toBe("198.51.100.9");
    expect(clientAddress("::ffff:198.51.100.9", h("1.2.3.4"), trusted)).toBe("198.51.100.9");
  });

  it("takes the first untrusted hop from the right of X-Forwarded-For, so a client's own prefix cannot choose its address", () => {
    expect(clientAddress("127.0.0.1", h("203.0.113.5"), trusted)).toBe("203.0.113.5");
    expect(clientAddress("127.0.0.1", h("6.6.6.6, 203.0.113.5, 10.1.1.1"), trusted)).toBe("203.0.113.5");
    expect(clientAddress("127.0.0.1", h("garbage, 203.0.113.5"), trusted)).toBe("203.0.113.5");
    expect(clientAddress("127.0.0.1", h("203.0.113.5:4711"), trusted)).toBe("203.0.113.5");
  });

  it("stops at the last trusted hop on a malformed entry or when the header is missing", () => {
    expect(clientAddress("127.0.0.1", h("10.2.2.2, unknown"), trusted)).toBe("127.0.0.1");
    expect(clientAddress("127.0.0.1", h("garbage, 10.2.2.2"), trusted)).toBe("10.2.2.2");
    expect(clientAddress("127.0.0.1", h(""), trusted)).toBe("127.0.0.1");
  });

  it("reads RFC 7239 Forwarded (quoted, bracketed IPv6 with port) only when told to", () => {
    const fwd = 'for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.2';
    expect(clientAddress("10.0.0.2", h("", fwd), trusted, "forwarded")).toBe("2001:db8:cafe::17");
    expect(clientAddress("10.0.0.2", h("9.9.9.9", fwd), trusted, "x-forwarded-for")).toBe("9.9.9.9");
    expect(clientAddress("10.0.0.2", h("9.9.9.9", 'for="_hidden"'), trusted, "forwarded")).toBe("10.0.0.2");
  });
});

describe("hostAllowed()", () => {
  it("accepts any host without a list, and with one only listed names (any port) or exact name:port", () => {
    expect(hostAllowed("anything:1", [])).toBe(true);
    const list = ["tickflow.example", "edge.example:8443", "[::1]"];
    expect(hostAllowed("Tickflow.Example", list)).toBe(true);
    expect(hostAllowed("tickflow.example:443", list)).toBe(true);
    expect(hostAllowed("edge.example:8443", list)).toBe(true);
    expect(hostAllowed("edge.example:80", list)).toBe(false);
    expect(hostAllowed("[::1]:8080", list)).toBe(true);
    expect(hostAllowed("rebound.attacker.example", list)).toBe(false);
    expect(hostAllowed("", list)).toBe(false);
  });
});

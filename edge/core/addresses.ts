/**
 * Who is connecting, decided before the WebSocket upgrade: the client address behind
 * trusted proxies (X-Forwarded-For or RFC 7239 Forwarded, read only when the TCP peer
 * is a trusted proxy) and the Host allowlist that keeps DNS-rebinding pages out.
 * Pure functions, no `node:` imports (core/ runs on Deno too).
 */

/** An address or CIDR range, parsed once from EDGE_TRUSTED_PROXIES. */
export interface AddressRange {
  v6: boolean;
  bits: bigint;
  prefix: number;
}

/** Parse "10.0.0.1", "10.0.0.0/8", "::1" or "fd00::/8"; undefined when malformed. */
export function parseRange(text: string): AddressRange | undefined {
  const [addr = "", len, extra] = text.trim().split("/");
  if (extra !== undefined) return undefined;
  const ip = parseAddress(addr);
  if (!ip) return undefined;
  const max = ip.v6 ? 128 : 32;
  const prefix = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { ...ip, prefix };
}

/** Whether `ip` (already normalised) is in any of `ranges`. */
export function inRanges(ip: string, ranges: readonly AddressRange[]): boolean {
  if (ranges.length === 0) return false;
  const a = parseAddress(ip);
  if (!a) return false;
  for (const r of ranges) {
    if (r.v6 !== a.v6) continue;
    const shift = BigInt((r.v6 ? 128 : 32) - r.prefix);
    if (a.bits >> shift === r.bits >> shift) return true;
  }
  return false;
}

/** Canonical text of an address as sockets report it: IPv4-mapped IPv6 becomes IPv4, hex lower case. */
export function normaliseAddress(ip: string): string {
  const s = ip.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  return mapped ? mapped[1]! : s;
}

/** Header values the edge needs to find the client address. */
export interface ForwardedHeaders {
  /** The `X-Forwarded-For` header ("" when absent). */
  xForwardedFor: string;
  /** The `Forwarded` header ("" when absent). */
  forwarded: string;
}

export type ProxyHeader = "x-forwarded-for" | "forwarded";

/**
 * The address to count a connection against.
 *
 * When the TCP peer is not a trusted proxy, the peer is the client: forwarding headers
 * are ignored (anyone can send them). When it is, the chain in `header` is walked
 * from the right (the hop nearest to us) past every trusted proxy; the first
 * untrusted hop is the client. A malformed or obfuscated hop ends the walk at the
 * last trusted hop, so garbage sent by a client never becomes an address of its own
 * choosing. Only the one configured header is read: a proxy that sets one of them
 * passes the other through from the client unchanged.
 */
export function clientAddress(
  peer: string,
  h: ForwardedHeaders,
  trusted: readonly AddressRange[],
  header: ProxyHeader = "x-forwarded-for",
): string {
  let addr = normaliseAddress(peer);
  if (!inRanges(addr, trusted)) return addr;
  const hops = header === "forwarded" ? forwardedFor(h.forwarded) : h.xForwardedFor.split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = stripPort(hops[i]!.trim());
    if (hop === "" || !parseAddress(hop)) return addr;
    addr = normaliseAddress(hop);
    if (!inRanges(addr, trusted)) return addr;
  }
  return addr;
}

/** The `for=` values of a Forwarded header, in order (quotes removed). */
function forwardedFor(value: string): string[] {
  const out: string[] = [];
  if (!value) return out;
  for (const element of value.split(",")) {
    let found = "";
    for (const pair of element.split(";")) {
      const eq = pair.indexOf("=");
      if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== "for") continue;
      found = pair.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
    }
    out.push(found);
  }
  return out;
}

/** "[2001:db8::1]:4711" → "2001:db8::1"; "192.0.2.1:80" → "192.0.2.1"; others unchanged. */
function stripPort(hop: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (v6) return v6[1]!;
  const v4 = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(hop);
  return v4 ? v4[1]! : hop;
}

/**
 * Whether a request's Host header is allowed. Empty list: any host. Entries are
 * `name` (any port) or `name:port`, compared case-insensitively; a request without
 * Host is refused when a list is set.
 */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const h = host.trim().toLowerCase();
  if (!h) return false;
  const name = h.startsWith("[") ? h.slice(0, h.indexOf("]") + 1) : h.split(":")[0]!;
  return allowed.some((a) => a === h || a === name);
}

function parseAddress(text: string): { v6: boolean; bits: bigint } | undefined {
  const s = normaliseAddress(text);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split(".").map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { v6: false, bits: BigInt(((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) };
  }
  return parseV6(s);
}

function parseV6(s: string): { v6: true; bits: bigint } | undefined {
  if (!/^[0-9a-f:.]+$/.test(s) || s.split("::").length > 2) return undefined;
  const [head = "", tail] = s.split("::");
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const a = groups(head);
  const b = tail === undefined ? [] : groups(tail);
  if (!a || !b) return undefined;
  const fill = 8 - a.length - b.length;
  if ((tail === undefined && fill !== 0) || (tail !== undefined && fill < 1)) return undefined;
  let bits = 0n;
  for (const g of [...a, ...new Array<number>(tail === undefined ? 0 : fill).fill(0), ...b]) bits = (bits << 16n) | BigInt(g);
  return { v6: true, bits };
}

/**
 * The simulator's check of Advanced Trade JWTs (ES256, CDP key; the rules of
 * https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-authentication):
 * three base64url parts; header `alg` ES256 and `kid` a key the simulator knows; claims
 * `iss` "cdp", `sub` = `kid`, `nbf` not in the future (5 s leeway for clocks) and `exp`
 * not past, at most 2 minutes between them; the signature verifies with that key's public
 * key. Returns why a token is refused, or undefined when it is good.
 */
import { createPublicKey, type KeyObject, verify } from "node:crypto";

export class JwtKeys {
  private readonly keys = new Map<string, KeyObject>();

  /** Accept JWTs of CDP key `name` signed by the private half of `publicKeyPem`. */
  add(name: string, publicKeyPem: string): void {
    this.keys.set(name, createPublicKey(publicKeyPem.replace(/\\n/g, "\n")));
  }

  get size(): number {
    return this.keys.size;
  }

  check(token: string, nowMs: number): string | undefined {
    const parts = token.split(".");
    if (parts.length !== 3) return "not a JWT (three base64url parts)";
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8")) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
    } catch {
      return "header or claims are not base64url JSON";
    }
    if (header.alg !== "ES256") return `alg ${String(header.alg)}: ES256 expected`;
    const key = typeof header.kid === "string" ? this.keys.get(header.kid) : undefined;
    if (!key) return `unknown key ${JSON.stringify(header.kid ?? null)}`;
    if (claims.iss !== "cdp") return `iss ${JSON.stringify(claims.iss ?? null)}: "cdp" expected`;
    if (claims.sub !== header.kid) return "sub is not the key name";
    const now = nowMs / 1000;
    const nbf = Number(claims.nbf);
    const exp = Number(claims.exp);
    if (!Number.isFinite(nbf) || !Number.isFinite(exp)) return "nbf and exp must be numbers";
    if (nbf > now + 5) return "not valid yet (nbf)";
    if (exp <= now) return "expired (exp)";
    if (exp - nbf > 120) return "valid for more than 2 minutes";
    const ok = verify("sha256", Buffer.from(`${parts[0]}.${parts[1]}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(parts[2]!, "base64url"));
    return ok ? undefined : "bad signature";
  }
}

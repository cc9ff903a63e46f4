/**
 * Coinbase Advanced Trade WebSocket JWTs from a CDP API key, as Coinbase documents them
 * (https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-authentication):
 * ES256 (ECDSA P-256, SHA-256), header `{alg, kid: <key name>, nonce, typ}`, claims
 * `{iss: "cdp", sub: <key name>, nbf, exp: nbf + 120}`; WebSocket JWTs carry no `uri`
 * ("not built with a request method or request path"). A JWT expires after 2 minutes and
 * "you must generate a different JWT for each websocket message sent": the signer makes
 * a fresh one per call.
 *
 * Key: `COINBASE_API_KEY_NAME` (`organizations/{org_id}/apiKeys/{key_id}`) and
 * `COINBASE_API_PRIVATE_KEY` (the PEM "-----BEGIN EC PRIVATE KEY-----…", newlines as is or
 * as `\n`). Node adapter code: node:crypto.
 */
import { createPrivateKey, randomBytes, sign } from "node:crypto";

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export class CoinbaseKeyError extends Error {
  override name = "CoinbaseKeyError";
}

/**
 * A signer for one CDP key: each call returns a new JWT valid for 120 s from `now()`.
 * @throws CoinbaseKeyError when the private key is not an EC P-256 key in PEM.
 */
export function cdpJwtSigner(keyName: string, privateKeyPem: string, now: () => number = Date.now): () => string {
  let key;
  try {
    key = createPrivateKey(privateKeyPem.replace(/\\n/g, "\n"));
  } catch (e) {
    throw new CoinbaseKeyError("COINBASE_API_PRIVATE_KEY: not a PEM private key", { cause: e });
  }
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new CoinbaseKeyError(`COINBASE_API_PRIVATE_KEY: expected an EC P-256 key (ES256), got ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ""}`.trim());
  }
  return () => {
    const nbf = Math.floor(now() / 1000);
    const header = b64url(JSON.stringify({ alg: "ES256", kid: keyName, nonce: randomBytes(16).toString("hex"), typ: "JWT" }));
    const claims = b64url(JSON.stringify({ iss: "cdp", sub: keyName, nbf, exp: nbf + 120 }));
    const input = `${header}.${claims}`;
    // JWS wants the raw r‖s signature (RFC 7518 §3.4), not DER.
    const sig = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
    return `${input}.${b64url(sig)}`;
  };
}

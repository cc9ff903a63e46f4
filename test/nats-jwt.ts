/**
 * Test helper: NATS operator mode ("decentralised JWT auth") made in the test, with no
 * nsc and no JWT package — the JWTs are written here and signed with nkeys (ed25519).
 * An operator, a system account and an application account with JetStream, one user
 * with a .creds file, and a stranger whose account the server does not know.
 *
 * A NATS JWT is `base64url(header).base64url(claims).base64url(ed25519 signature of the
 * first two parts by the issuer's nkey)`, header {"typ":"JWT","alg":"ed25519-nkey"};
 * claims carry jti, iat, iss (signer's public key), sub (subject's public key), name and
 * a `nats` object whose `type` is operator / account / user (version 2). The server runs
 * with `resolver: MEMORY` and the account JWTs preloaded.
 */
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { nkeys } from "@nats-io/nats-core";

type KeyPair = ReturnType<typeof nkeys.createUser>;

const b64url = (b: Uint8Array | string) => Buffer.from(b).toString("base64url");
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Sign `nats` claims about `subject` with `issuer`. */
export function signJwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const claims: Record<string, unknown> = { iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), name, sub: subject, nats: { ...nats, version: 2 } };
  claims.jti = createHash("sha256").update(JSON.stringify(claims)).update(randomBytes(8)).digest("base64url").toUpperCase();
  const head = `${b64url(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }))}.${b64url(JSON.stringify(claims))}`;
  return `${head}.${b64url(issuer.sign(new TextEncoder().encode(head)))}`;
}

/** The .creds file format of nsc: the user JWT and the user's nkey seed. */
export function credsText(userJwt: string, user: KeyPair): string {
  return [
    "-----BEGIN NATS USER JWT-----", userJwt, "------END NATS USER JWT------", "",
    "************************* IMPORTANT *************************",
    "NKEY Seed printed below can be used to sign and prove identity.",
    "NKEYs are sensitive and should be treated as secrets.", "",
    "-----BEGIN USER NKEY SEED-----", text(user.getSeed()), "------END USER NKEY SEED------", "",
    "*************************************************************", "",
  ].join("\n");
}

const UNLIMITED = { subs: -1, data: -1, payload: -1 };
/** Account limits with JetStream enabled (any storage limit ≠ 0 turns it on). */
const ACCOUNT_LIMITS = { ...UNLIMITED, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };

export interface OperatorSetup {
  /** Lines for the nats-server config: operator, system_account, resolver MEMORY + preload. */
  serverConfig: string;
  /** A .creds file (mode 600) for a user of the application account. */
  credsFile: string;
  /** A .creds file of a user signed by an account the server does not know. */
  strangerCredsFile: string;
  /** The user's seed, which must never be printed. */
  seed: string;
}

export function makeOperatorSetup(dir: string): OperatorSetup {
  const operator = nkeys.createOperator();
  const sys = nkeys.createAccount();
  const app = nkeys.createAccount();
  const user = nkeys.createUser();
  const operatorJwt = signJwt(operator, operator.getPublicKey(), "tickflow-test-operator", { type: "operator", system_account: sys.getPublicKey() });
  const sysJwt = signJwt(operator, sys.getPublicKey(), "SYS", { type: "account", limits: { ...UNLIMITED, conn: -1 } });
  const appJwt = signJwt(operator, app.getPublicKey(), "TICKFLOW", { type: "account", limits: ACCOUNT_LIMITS });
  const userJwt = signJwt(app, user.getPublicKey(), "tickflow-user", { type: "user", pub: {}, sub: {}, ...UNLIMITED });
  const credsFile = join(dir, "tickflow.creds");
  writeFileSync(credsFile, credsText(userJwt, user), { mode: 0o600 });

  const otherAccount = nkeys.createAccount();
  const stranger = nkeys.createUser();
  const strangerCredsFile = join(dir, "stranger.creds");
  writeFileSync(strangerCredsFile, credsText(signJwt(otherAccount, stranger.getPublicKey(), "stranger", { type: "user", pub: {}, sub: {}, ...UNLIMITED }), stranger), { mode: 0o600 });

  const serverConfig = [
    `operator: "${operatorJwt}"`,
    `system_account: ${sys.getPublicKey()}`,
    "resolver: MEMORY",
    `resolver_preload: {\n  ${sys.getPublicKey()}: "${sysJwt}"\n  ${app.getPublicKey()}: "${appJwt}"\n}`,
  ].join("\n");
  return { serverConfig, credsFile, strangerCredsFile, seed: text(user.getSeed()) };
}

/**
 * Test helper: a throw-away certificate authority, a server certificate for 127.0.0.1 /
 * localhost and a client certificate, made with the system's `openssl` in `dir`.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCertificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

const openssl = (args: string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });

/** CA + server (SAN IP:127.0.0.1, DNS:localhost) + client certificates, valid for a day. */
export function makeCertificates(dir: string): TestCertificates {
  const p = (f: string) => join(dir, f);
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=tickflow test CA", "-keyout", "ca.key", "-out", "ca.pem"], dir);
  writeFileSync(p("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  writeFileSync(p("client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const who of ["server", "client"]) {
    openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=tickflow test ${who}`, "-keyout", `${who}.key`, "-out", `${who}.csr`], dir);
    openssl(["x509", "-req", "-in", `${who}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", `${who}.ext`, "-out", `${who}.pem`], dir);
  }
  return { ca: p("ca.pem"), serverCert: p("server.pem"), serverKey: p("server.key"), clientCert: p("client.pem"), clientKey: p("client.key") };
}

import { describe, expect, it } from "vitest";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { commands } from "../../ops/cli/commands.ts";
import { awsVariables, catalog } from "../../ops/config-catalog.ts";

const ROOT = join(import.meta.dirname, "..", "..");

interface Service {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

describe("docker-compose.yml against the code", () => {
  const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as { services: Record<string, Service> };
  const app = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

  it("runs the application image for the simulator, hosts and edges, with a load balancer, NATS and S3", () => {
    expect(app.map(([n]) => n).sort()).toEqual(["edge", "host", "simulator"]);
    expect(compose.services.nats?.command).toContain("-js");
    expect(compose.services.nats?.volumes?.[0]).toMatch(/:\/data$/);
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(["s3", "s3-bucket", "lb"]));
  });

  it("starts every application service with a command the CLI has", () => {
    const names = commands.map((c) => c.name);
    for (const [name, s] of app) {
      expect(s.command?.[0], name).toBe("tickflow");
      expect(names, name).toContain(s.command?.[1]);
    }
  });

  it("sets only variables that the service's configuration accepts", () => {
    for (const [name, s] of app) {
      const accepted = new Set([...(catalog[s.command![1]!] ?? []), ...awsVariables]);
      for (const key of Object.keys(s.environment ?? {})) expect(accepted.has(key), `${name}: ${key}`).toBe(true);
    }
  });

  it("gates the load balancer on the edge's /readyz, not /healthz", () => {
    const edge = compose.services.edge as Service & { healthcheck?: { test?: string[] } };
    expect(edge.healthcheck?.test?.join(" ")).toContain("/readyz");
    const lb = compose.services.lb as Service & { depends_on?: Record<string, { condition?: string }> };
    expect(lb.depends_on?.edge?.condition).toBe("service_healthy");
  });

  it("mounts files that exist", () => {
    for (const s of Object.values(compose.services)) {
      for (const v of s.volumes ?? []) {
        const src = v.split(":")[0]!;
        if (src.startsWith("./")) expect(existsSync(join(ROOT, src)), src).toBe(true);
      }
    }
    expect(existsSync(join(ROOT, "Dockerfile"))).toBe(true);
  });
});

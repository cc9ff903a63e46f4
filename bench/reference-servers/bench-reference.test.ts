import { describe, expect, it } from "vitest";
import { runReferenceBench } from "./run.ts";

// Proves the reference servers and their client work with ~100 clients; the numbers
// themselves are for `npm run bench` on a quiet machine, not for assertions here.
describe("reference servers for the side-by-side benchmark", () => {
  for (const server of ["uws", "socketio"] as const) {
    it(`${server}: 100 clients subscribed to 10 rooms receive every published message and the server reports CPU per message and RSS`, async () => {
      const r = await runReferenceBench({ server, clients: 100, rooms: 10, roomsPerClient: 10, rate: 5, durationMs: 2000 });
      expect(r.client.connected).toBe(100);
      expect(r.client.failed).toBe(0);
      expect(r.client.gaps).toBe(0);
      expect(r.stats.connections).toBe(100);
      // Every client is in every room: each publication reaches 100 sockets.
      expect(r.stats.delivered % 100).toBe(0);
      expect(r.stats.delivered).toBeGreaterThan(0);
      expect(r.client.received).toBeGreaterThan(r.stats.delivered / 2);
      expect(r.stats.cpuUsPerDelivered).toBeGreaterThan(0);
      expect(r.stats.rssBytes).toBeGreaterThan(r.stats.baselineRssBytes / 2);
      expect(r.client.latencyMs.count).toBeGreaterThan(0);
    });
  }
});

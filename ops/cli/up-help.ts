/** The help text of `tickflow up`, apart from up.ts so the CLI loads the stack code only to run it. */
export const upHelp = `Usage: tickflow up [--hosts N] [--cluster N] [--no-sim] [--port P] [--quiet]

Starts the local stack: NATS (reuses NATS_URL if a server answers at any of its
entries, else starts nats-server with JetStream in ./data/nats; --cluster 3 starts a
3-node JetStream cluster on the NATS_URL port and the next two, routes on port+10..,
and runs every stream with 3 replicas), the exchange simulator, N actor hosts
(default 1; the archiver runs in one more host of its own unless ACTORS is set or
TICKFLOW_ARCHIVER=shared, its metrics on METRICS_PORT + 1) and the edge with the dashboard on --port (default EDGE_PORT or 8080).
A child that exits unexpectedly is restarted with backoff (0.5 s doubling to 10 s).
Logs of every process are prefixed with its name (--quiet hides them). Ctrl-C stops
the edge, the hosts, the simulator and NATS, in that order, within 10 s.`;

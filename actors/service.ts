/**
 * The NATS service (`@nats-io/services`) an actor host registers so operators can see
 * and steer it: `status` reports every actor (state, restarts, mailbox depth, last
 * error, uptime); `stop` and `restart` act on one actor by its path. The service also
 * answers the standard $SRV.PING/INFO/STATS discovery requests that `ops status` uses.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { Svcm, type Service, type ServiceMsg } from "@nats-io/services";
import { getLogger } from "@logtape/logtape";
import { ActorCommand, type CommandReply, HOST_SERVICE, type HostStatus, hostSubjects } from "../lib/contracts/host-protocol.ts";
import { decode } from "../lib/contracts/codec.ts";

export interface HostControl {
  status(): HostStatus;
  stopActor(path: string): Promise<void>;
  restartActor(path: string): Promise<void>;
  /** Hand over work and stop the host (ops drain). */
  drain?(): Promise<void>;
}

export const VERSION = "0.1.0";

export async function registerHostService(nc: NatsConnection, hostId: string, control: HostControl): Promise<Service> {
  const log = getLogger(["tickflow", "host", "service"]);
  const svc = await new Svcm(nc).add({
    name: HOST_SERVICE,
    version: VERSION,
    description: "Tickflow actor host",
    metadata: { host: hostId },
  });
  const json = (m: ServiceMsg, body: unknown) => m.respond(JSON.stringify(body));
  // A queue group per host: every host answers, and a host never shares its subject.
  const queue = hostId;

  svc.addEndpoint("status", {
    subject: hostSubjects.status(hostId),
    queue,
    handler: (err, m) => {
      if (err) return log.warn("status endpoint error: {err}", { err: String(err) });
      json(m, control.status());
    },
  });

  const command = (name: "stop" | "restart", run: (path: string) => Promise<void>) =>
    svc.addEndpoint(name, {
      subject: hostSubjects[name](hostId),
      queue,
      handler: (err, m) => {
        if (err) return;
        const cmd = decode(ActorCommand, m.data);
        if (!cmd.ok) return json(m, { ok: false, error: `bad request: ${cmd.error}` } satisfies CommandReply);
        log.info("{cmd} {path} requested by an operator", { cmd: name, path: cmd.value.path });
        run(cmd.value.path).then(
          () => json(m, { ok: true, path: cmd.value.path } satisfies CommandReply),
          (e) => json(m, { ok: false, error: e instanceof Error ? e.message : String(e) } satisfies CommandReply),
        );
      },
    });
  command("stop", (p) => control.stopActor(p));
  command("restart", (p) => control.restartActor(p));
  if (control.drain) {
    const drain = control.drain.bind(control);
    svc.addEndpoint("drain", {
      subject: hostSubjects.drain(hostId),
      queue,
      handler: (err, m) => {
        if (err) return;
        json(m, { ok: true, path: hostId } satisfies CommandReply);
        void drain();
      },
    });
  }
  return svc;
}

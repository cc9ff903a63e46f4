/** Top gainers and top losers by 24 h change (room `movers`). */
import { rooms } from "../../../lib/contracts/subjects.ts";
import { app } from "../state/app.ts";
import { useRooms } from "../state/use-rooms.ts";
import MoverList from "./MoverList.tsx";

export default function MoversPanel(props: { limit?: number }) {
  useRooms(rooms.movers);
  const n = () => props.limit ?? 10;
  return (
    <section class="panel movers" aria-label="Top movers" classList={{ stale: app.stale() }}>
      <MoverList title="Top gainers" rows={app.movers()?.gainers.slice(0, n())} tone="up" />
      <MoverList title="Top losers" rows={app.movers()?.losers.slice(0, n())} tone="down" />
    </section>
  );
}

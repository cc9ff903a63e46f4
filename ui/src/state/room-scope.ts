/**
 * The rooms this dashboard holds, in its namespace: live (`ns` ""), or one replay's
 * rooms (`replay.<id>.`), where only ticker rooms exist and the others (movers,
 * candles, …) are not asked for. Also the grid's visible rows, one `ticker.<SYM>` each.
 */
import { rooms } from "../../../lib/contracts/subjects.ts";
import { diffRooms } from "../core/viewport.ts";

export interface Subscriber {
  subscribe(rooms: string[]): void;
  unsubscribe(rooms: string[]): void;
}

/** `conn` is read on each call (the connection is created after the scope). */
export function createRoomScope(ns: string, conn: () => Subscriber) {
  const scoped = (list: string[]) => (ns ? list.filter((r) => r.startsWith("ticker.")).map((r) => ns + r) : list);
  const sub = (list: string[]) => {
    const l = scoped(list);
    if (l.length) conn().subscribe(l);
  };
  const unsub = (list: string[]) => {
    const l = scoped(list);
    if (l.length) conn().unsubscribe(l);
  };
  let visible = new Set<string>();
  return {
    sub,
    unsub,
    /** Hold some rooms while a component is mounted; call the result to release them. */
    use(list: string[]): () => void {
      sub(list);
      let done = false;
      return () => {
        if (!done) { done = true; unsub(list); }
      };
    },
    /** The grid's visible rows, replaced as the user scrolls. */
    setVisibleSymbols(symbols: Iterable<string>): void {
      const next = new Set<string>();
      for (const s of symbols) next.add(rooms.ticker(s));
      const { add, remove } = diffRooms(visible, next);
      visible = next;
      if (add.length) sub(add);
      if (remove.length) unsub(remove);
    },
    visibleRooms: (): string[] => [...visible],
  };
}

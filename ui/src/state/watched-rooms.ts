/** Snapshot rooms a component watches (`book.<SYM>`, `trades.<SYM>`): the latest payload of each, while held. */
import { createSignal, type Accessor } from "solid-js";

export function createWatchedRooms(d: { sub(rooms: string[]): void; unsub(rooms: string[]): void }) {
  const watched = new Map<string, { refs: number; data: Accessor<unknown>; set: (d: unknown) => void }>();
  return {
    /** A payload of a snapshot room (ignored when nobody watches it). */
    set(room: string, data: unknown): void {
      watched.get(room)?.set(data);
    },
    /** Hold a snapshot room and follow its latest payload (undefined until the first). */
    watchRoom(room: string): { data: Accessor<unknown>; release(): void } {
      let w = watched.get(room);
      if (!w) {
        const [data, setData] = createSignal<unknown>(undefined, { equals: false });
        w = { refs: 0, data, set: (x) => setData(() => x) };
        watched.set(room, w);
      }
      w.refs++;
      d.sub([room]);
      const entry = w;
      let released = false;
      return {
        data: entry.data,
        release: () => {
          if (released) return;
          released = true;
          d.unsub([room]);
          if (--entry.refs === 0) watched.delete(room);
        },
      };
    },
  };
}

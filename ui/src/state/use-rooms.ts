/** Hold rooms for as long as the calling component is mounted. */
import { onCleanup } from "solid-js";
import { app } from "./app.ts";

export function useRooms(...rooms: string[]): void {
  onCleanup(app.use(rooms));
}

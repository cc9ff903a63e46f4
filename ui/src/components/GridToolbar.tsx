/** Search box (symbol or coin name), venue filter, watchlist filter and row count above the price grid. */
import { For } from "solid-js";

export default function GridToolbar(props: {
  query: string;
  onQuery: (q: string) => void;
  venue: string;
  venues: readonly string[];
  onVenue: (v: string) => void;
  watchOnly: boolean;
  onWatchOnly: (on: boolean) => void;
  shown: number;
  total: number;
  ref?: (el: HTMLInputElement) => void;
}) {
  return (
    <div class="toolbar">
      <label class="search">
        <span class="sr-only">Search coins by name or symbol</span>
        <input
          ref={props.ref}
          type="search"
          placeholder="Search name or symbol  ( / )"
          value={props.query}
          onInput={(e) => props.onQuery(e.currentTarget.value)}
          autocomplete="off"
          spellcheck={false}
        />
      </label>
      <label class="venue-filter">
        <span class="sr-only">Venue</span>
        <select value={props.venue} onChange={(e) => props.onVenue(e.currentTarget.value)} data-testid="venue-filter">
          <option value="">All venues</option>
          <For each={props.venues}>{(v) => <option value={v}>{v}</option>}</For>
        </select>
      </label>
      <label class="check">
        <input type="checkbox" checked={props.watchOnly} onChange={(e) => props.onWatchOnly(e.currentTarget.checked)} />
        Watchlist only
      </label>
      <span class="stale-tag" title="Not connected: these are the last known prices">STALE</span>
      <span class="muted count" aria-live="polite">{props.shown === props.total ? `${props.total} symbols` : `${props.shown} of ${props.total}`}</span>
    </div>
  );
}

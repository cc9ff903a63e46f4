/** Search box, watchlist filter and row count above the price grid. */
export default function GridToolbar(props: {
  query: string;
  onQuery: (q: string) => void;
  watchOnly: boolean;
  onWatchOnly: (on: boolean) => void;
  shown: number;
  total: number;
  ref?: (el: HTMLInputElement) => void;
}) {
  return (
    <div class="toolbar">
      <label class="search">
        <span class="sr-only">Search symbols</span>
        <input
          ref={props.ref}
          type="search"
          placeholder="Search symbols  ( / )"
          value={props.query}
          onInput={(e) => props.onQuery(e.currentTarget.value)}
          autocomplete="off"
          spellcheck={false}
        />
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

/** Star toggle that adds or removes a symbol from the watchlist. */
import { app } from "../state/app.ts";

export default function WatchStar(props: { symbol: string; tabIndex?: number }) {
  const on = () => app.watchlist().has(props.symbol);
  return (
    <button
      type="button"
      class="star"
      classList={{ on: on() }}
      tabIndex={props.tabIndex}
      aria-pressed={on()}
      aria-label={`${on() ? "Remove" : "Add"} ${props.symbol} ${on() ? "from" : "to"} watchlist`}
      title={on() ? "Remove from watchlist" : "Add to watchlist"}
      onClick={(e) => {
        e.stopPropagation();
        app.toggleWatch(props.symbol);
      }}
    >
      {on() ? "★" : "☆"}
    </button>
  );
}

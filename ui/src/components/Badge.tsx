/** A coloured label for pulse volatility and trend values. */
const TONE: Record<string, string> = {
  Stable: "neutral", Moving: "info", Volatile: "warn", "High Volatility": "hot", Extreme: "danger",
  Surging: "up-strong", Rising: "up", Falling: "down", Crashing: "down-strong",
};

export default function Badge(props: { value: string }) {
  return <span class={`badge tone-${TONE[props.value] ?? "neutral"}`}>{props.value}</span>;
}

/**
 * chart.js, tree-shaken: only the controllers, elements, scales and plugins the
 * dashboard uses are registered, and streaming defaults (no animation) are set once.
 */
import {
  BarController, BarElement, CategoryScale, Chart, Decimation, Filler, LinearScale, LineController, LineElement, PointElement, Tooltip,
} from "chart.js";

Chart.register(LineController, LineElement, PointElement, BarController, BarElement, LinearScale, CategoryScale, Decimation, Filler, Tooltip);
Chart.defaults.animation = false;
Chart.defaults.responsive = true;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = "inherit";

export { Chart };

/**
 * The Overview's charts, drawn with Chart.js (inlined in the page; only the
 * parts used are registered): tasks by phase, and a timeline of task
 * attempts per node. Colours come from the page's CSS variables, so dark
 * mode applies to the charts too.
 *
 * @module
 */
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  Tooltip,
} from "chart.js";
import type { DashboardModel } from "../model.ts";

Chart.register(
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  DoughnutController,
  Legend,
  LinearScale,
  Tooltip,
);

const PHASES = ["done", "running", "ready", "waiting", "blocked", "failed", "skipped"] as const;

function css(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

function phaseColour(phase: string): string {
  switch (phase) {
    case "done":
    case "completed":
      return css("--ok");
    case "running":
      return css("--run");
    case "failed":
    case "skipped":
    case "lapsed":
      return css("--bad");
    case "waiting":
    case "released":
      return css("--warn");
    default:
      return css("--idle");
  }
}

/**
 * Draws (or redraws) the tasks-by-phase doughnut on a canvas.
 *
 * @example
 * ```ts
 * const chart = phaseChart(canvas, model);
 * ```
 */
export function phaseChart(canvas: HTMLCanvasElement, model: DashboardModel): Chart {
  const phases = PHASES.filter((p) => model.phases[p] > 0);
  Chart.defaults.color = css("--fg");
  return new Chart(canvas, {
    type: "doughnut",
    data: {
      labels: phases.length ? [...phases] : ["no plan yet"],
      datasets: [{
        data: phases.length ? phases.map((p) => model.phases[p]) : [1],
        backgroundColor: phases.length ? phases.map(phaseColour) : [css("--idle")],
        borderColor: css("--bg"),
      }],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { position: "bottom" } },
    },
  });
}

/**
 * Draws the timeline of attempts: one row per node, one bar per attempt
 * from claim to end (or now), coloured by outcome; x in seconds or minutes
 * since the first claim.
 *
 * @example
 * ```ts
 * const chart = timelineChart(canvas, model);
 * ```
 */
export function timelineChart(canvas: HTMLCanvasElement, model: DashboardModel): Chart {
  const t0 = Math.min(...model.attempts.map((a) => a.start), model.now);
  const span = Math.max(0, ...model.attempts.map((a) => a.end - t0));
  // Seconds for a fast swarm (the demo), minutes for a real one.
  const [unit, name] = span < 180_000 ? [1_000, "seconds"] : [60_000, "minutes"];
  const nodes = [...new Set(model.attempts.map((a) => a.node))].sort();
  const outcomes = [...new Set(model.attempts.map((a) => a.outcome))].sort();
  Chart.defaults.color = css("--fg");
  const grid = css("--line");
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: nodes.length ? nodes : ["no attempts yet"],
      datasets: outcomes.map((outcome) => ({
        label: outcome,
        data: model.attempts.filter((a) => a.outcome === outcome).map((a) => ({
          x: [(a.start - t0) / unit, Math.max((a.end - t0) / unit, (a.start - t0) / unit + 0.3)],
          y: a.node,
          task: a.task,
        })) as unknown as number[],
        backgroundColor: phaseColour(outcome),
        borderColor: css("--bg"),
        borderWidth: 1,
        borderSkipped: false,
        grouped: false,
        barPercentage: 0.7,
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: "y",
      scales: {
        x: {
          type: "linear",
          min: 0,
          title: { display: true, text: `${name} since the first claim` },
          grid: { color: grid },
        },
        y: { type: "category", grid: { color: grid } },
      },
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: {
            label: (item) => {
              const raw = item.raw as { task?: string; x: [number, number] };
              const length = raw.x[1] - raw.x[0];
              return `${raw.task ?? ""} (${item.dataset.label}) ${length.toFixed(1)} ${name}`;
            },
          },
        },
      },
    },
  });
}

export type { Chart };

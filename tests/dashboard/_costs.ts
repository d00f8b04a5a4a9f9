/**
 * A log whose executors reported costs, for the dashboard's cost tests.
 *
 * @module
 */
import { ev, Log, SETTINGS, task } from "../protocol/_log.ts";

/** T1 fails once ($0.50) then completes ($0.25); T2 fails for good ($0.30, $0.40); T3 is never tried. */
export function costlyLog(maxCostUsd?: number): Log {
  const settings = { ...SETTINGS, maxAttempts: 2, ...(maxCostUsd ? { maxCostUsd } : {}) };
  const log = new Log();
  const token = log.post("node-1", [ev.election(1)]).id;
  log.at(1).post("node-1", [ev.plan(token, [task("T1"), task("T2"), task("T3")], { settings })]);
  const ended = (t: string, n: number, status: "completed" | "failed", costUsd: number) =>
    ev.progress(t, n, status, { result: { summary: `${status} ${t}`, costUsd } });
  log.at(2).post("node-1", [ev.claim("T1", 1)]);
  log.at(2).post("node-2", [ev.claim("T2", 1)]);
  log.at(3).post("node-1", [ended("T1", 1, "failed", 0.5)]);
  log.at(4).post("node-2", [ended("T2", 1, "failed", 0.3)]);
  log.at(20).post("node-1", [ev.claim("T1", 2)]);
  log.at(20).post("node-2", [ev.claim("T2", 2)]);
  log.at(21).post("node-1", [ended("T1", 2, "completed", 0.25)]);
  log.at(22).post("node-2", [ended("T2", 2, "failed", 0.4)]);
  return log;
}

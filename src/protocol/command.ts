/**
 * Steering commands: a person with write access steers a running swarm with
 * an ordinary comment whose first line is `/p2p-dev stop`, `/p2p-dev cancel
 * T3`, `/p2p-dev retry T3` or `/p2p-dev status`. Any other `/p2p-dev ...`
 * line (`/p2p-dev`, `/p2p-dev 5`: a start command for the workflow trigger)
 * is not a steering command. Pure.
 *
 * @module
 */

/** The words that steer a swarm. */
export const STEERING_WORDS = ["stop", "cancel", "retry", "status"] as const;

/** A parsed steering command; `task` is missing when the comment named none. */
export type SteeringCommand =
  | { verb: "stop" }
  | { verb: "status" }
  | { verb: "cancel" | "retry"; task?: string };

const LINE = /^\s*\/p2p-dev\s+(stop|cancel|retry|status)\b[ \t]*([^\s]*)[ \t]*$/i;

/**
 * The steering command a comment body carries, if its first non-empty line is one.
 *
 * @example
 * ```ts
 * parseCommand("/p2p-dev cancel T3\nit is obsolete"); // { verb: "cancel", task: "T3" }
 * parseCommand("/p2p-dev 5"); // undefined (a start command)
 * ```
 */
export function parseCommand(body: string): SteeringCommand | undefined {
  const first = body.split("\n").find((l) => l.trim() !== "") ?? "";
  const m = LINE.exec(first);
  if (!m) return undefined;
  const verb = m[1]!.toLowerCase() as SteeringCommand["verb"];
  if (verb === "stop" || verb === "status") return m[2] ? undefined : { verb };
  return m[2] ? { verb, task: m[2] } : { verb };
}

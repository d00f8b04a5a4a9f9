/**
 * The live terminal view of `p2p-dev run` on a TTY: the node's role, the
 * task table with progress, and its latest events, redrawn in place.
 *
 * @module
 */
import type { TokenKind } from "../protocol/budget.ts";
import type { SwarmState } from "../protocol/state.ts";
import { currentLeader } from "../protocol/view.ts";
import { terminalLine } from "../text/terminal.ts";
import { renderState } from "./render_state.ts";

/** How many recent event lines the view keeps. */
const RECENT = 6;

/**
 * A block of lines redrawn in place (ANSI cursor movement), at most every
 * `intervalMs`.
 *
 * @example
 * ```ts
 * const view = new LiveView((s) => ctx.out(s), "node-1", "pat", Date.now);
 * view.event("claiming T1");
 * view.finish();
 * ```
 */
export class LiveView {
  #write: (text: string) => void;
  #node: string;
  #tokenKind: TokenKind;
  #now: () => number;
  #intervalMs: number;
  #columns: number;
  #recent: string[] = [];
  #state: { state: SwarmState; serverTime: number } | undefined;
  #drawn = 0;
  #lastDraw = -Infinity;

  constructor(
    write: (text: string) => void,
    node: string,
    tokenKind: TokenKind,
    now: () => number,
    columns = 80,
    intervalMs = 200,
  ) {
    this.#columns = Math.max(20, columns);
    this.#write = write;
    this.#node = node;
    this.#tokenKind = tokenKind;
    this.#now = now;
    this.#intervalMs = intervalMs;
  }

  /** Adds an event line and redraws (throttled). */
  event(line: string): void {
    this.#recent.push(line);
    if (this.#recent.length > RECENT) this.#recent.shift();
    this.#draw(false);
  }

  /** Records the latest folded state and redraws (throttled). */
  state(state: SwarmState, serverTime: number): void {
    this.#state = { state, serverTime };
    this.#draw(false);
  }

  /** Draws the final frame. */
  finish(): void {
    this.#draw(true);
  }

  /** The lines of the current frame. */
  lines(): string[] {
    const lines: string[] = [];
    const s = this.#state;
    const leader = s ? currentLeader(s.state) : undefined;
    const role = leader?.node === this.#node
      ? "leader and worker"
      : leader
      ? "worker"
      : "candidate";
    lines.push(`p2p-dev node ${this.#node} · ${role}`);
    if (s) lines.push(...renderState(s.state, s.serverTime, this.#tokenKind));
    lines.push("", ...this.#recent);
    // Titles, notes and node ids come from comments: no escape sequence of
    // theirs may move the cursor or rewrite the screen.
    return lines.map(terminalLine);
  }

  #draw(force: boolean): void {
    const now = this.#now();
    if (!force && now - this.#lastDraw < this.#intervalMs) return;
    this.#lastDraw = now;
    // A line wider than the terminal wraps and breaks the redraw: cut it.
    const lines = this.lines().map((l) =>
      [...l].length < this.#columns ? l : [...l].slice(0, this.#columns - 2).join("") + "…"
    );
    const up = this.#drawn > 0 ? `\x1b[${this.#drawn}A` : "";
    // Clear what is left below when the frame shrank.
    const blank = Math.max(0, this.#drawn - lines.length);
    this.#write(
      up + [...lines, ...Array(blank).fill("")].map((l) => `\x1b[2K${l}`).join("\n"),
    );
    this.#drawn = lines.length + blank;
  }
}

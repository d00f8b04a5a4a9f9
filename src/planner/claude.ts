/**
 * The Claude Code planner: asks `claude` in headless mode to break the issue
 * into a task graph.
 *
 * It runs `claude -p <prompt> --output-format json [--model M]`. In headless
 * (print) mode with `--output-format json`, Claude Code prints one JSON object
 * when the run ends: `type: "result"`, `subtype` (`"success"` or an error
 * kind such as `"error_max_turns"` / `"error_during_execution"`), `is_error`,
 * `result` (the final answer text, on success), `session_id`, `num_turns`,
 * `duration_ms`, `total_cost_usd` and `usage`. See Claude Code's "Headless
 * mode" documentation (docs.claude.com/en/docs/claude-code/sdk/sdk-headless,
 * "Output formats: JSON output") and the Agent SDK's result-message schema.
 * The answer is extracted from `result` (a fenced `json` block, or the bare
 * JSON), checked like a command planner's output, and on an invalid answer
 * Claude is asked once more with the validation error appended.
 *
 * @module
 */
import { assertValidGraph, GraphValidationError } from "../protocol/graph.ts";
import type { PlanTask } from "../protocol/types.ts";
import { formatMs, tail } from "./command.ts";
import { describeJsonValue, parseJsonText, TaskJsonError, tasksFromJson } from "./json.ts";
import { type IssueInput, type Planner, PlannerError } from "./planner.ts";
import { runProcess } from "./process.ts";

/**
 * Options of {@linkcode claudePlanner}.
 *
 * @example
 * ```ts
 * const opts: ClaudePlannerOptions = { claudePath: "/usr/local/bin/claude", model: "sonnet" };
 * ```
 */
export interface ClaudePlannerOptions {
  /** The `claude` executable (default `"claude"`, looked up on `PATH`). */
  claudePath?: string;
  /** Passed as `--model`. */
  model?: string;
  /** Stop one `claude` run after this long (default 10 minutes). */
  timeoutMs?: number;
  /** How many answers to ask for in all before giving up (default 2: one retry). */
  maxAttempts?: number;
  /** More arguments for `claude`, after ours. */
  extraArgs?: string[];
  /** Working directory of `claude` (the repository it may read). */
  cwd?: string;
  /** Extra environment variables for `claude`. */
  env?: Record<string, string>;
}

/** Prompts longer than this (UTF-8 bytes) go on stdin: one argv string is capped at 128 KiB on Linux. */
const MAX_ARG_BYTES = 100_000;

/**
 * The planning prompt for an issue.
 *
 * @example
 * ```ts
 * const prompt = buildPlanPrompt({ number: 7, title: "Add search", body: "Users want search." });
 * ```
 */
export function buildPlanPrompt(issue: IssueInput): string {
  return `You are the planner of a swarm of coding agents. Break GitHub issue #${issue.number} into a task graph.
Each task is done by one agent working alone on its own branch of the repository, so make each task self-contained, concrete and testable.
Use dependencies only where a task really needs another one's result; independent tasks run in parallel.
Explore the repository if it helps, but do not change any file.

Answer with only a JSON object in a \`\`\`json fenced block, in exactly this shape:
{"tasks": [
  {"id": "T1", "title": "one line", "body": "what the agent must do, in detail", "priority": "high", "deps": [], "group": "optional heading", "estimateHours": 2}
]}
Rules: "id" uses only letters, digits, "-", "_" or "." (1 to 64 characters) and is unique; "priority" is one of "critical", "high", "medium", "low"; "deps" lists ids of other tasks in the list; the dependencies form no cycle; "group" and "estimateHours" may be left out.

<issue number="${issue.number}">
<title>${issue.title}</title>
<body>
${issue.body}
</body>
</issue>`;
}

/**
 * Finds the JSON value in an answer: the first fenced code block that parses
 * (a `json` block first), else the whole text, else the span from the first
 * `{` or `[` to the last `}` or `]`. Throws a {@linkcode TaskJsonError}
 * quoting the answer's start when there is none.
 *
 * @example
 * ```ts
 * extractJsonAnswer('Here it is:\n```json\n{"tasks": []}\n```'); // { tasks: [] }
 * ```
 */
export function extractJsonAnswer(answer: string): unknown {
  const candidates: string[] = [];
  const fences = [...answer.matchAll(/```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n([\s\S]*?)```/g)];
  for (const m of fences) if (m[1]!.toLowerCase() === "json") candidates.push(m[2]!);
  for (const m of fences) if (m[1]!.toLowerCase() !== "json") candidates.push(m[2]!);
  candidates.push(answer);
  const start = answer.search(/[[{]/);
  const end = Math.max(answer.lastIndexOf("}"), answer.lastIndexOf("]"));
  if (start !== -1 && end > start) candidates.push(answer.slice(start, end + 1));
  for (const c of candidates) {
    try {
      return JSON.parse(c);
    } catch {
      // Try the next candidate.
    }
  }
  const t = answer.trim();
  throw new TaskJsonError(
    "",
    t === ""
      ? "The answer is empty: expected a JSON task list."
      : `The answer holds no JSON task list; it begins: ${
        JSON.stringify(t.length > 200 ? `${t.slice(0, 200)}…` : t)
      }.`,
  );
}

/** Validates an answer text; returns tasks or the reason it is invalid. */
function checkAnswer(answer: string): { tasks: PlanTask[] } | { error: string } {
  try {
    const tasks = tasksFromJson(extractJsonAnswer(answer));
    assertValidGraph(tasks);
    return { tasks };
  } catch (e) {
    if (e instanceof TaskJsonError || e instanceof GraphValidationError) {
      return { error: e.message };
    }
    throw e;
  }
}

/**
 * A planner that asks Claude Code.
 *
 * @example
 * ```ts
 * const planner = claudePlanner({ model: "sonnet", timeoutMs: 300_000 });
 * const tasks = await planner.plan({ number: 7, title: "Add search", body: "..." });
 * ```
 */
export function claudePlanner(opts: ClaudePlannerOptions = {}): Planner {
  const claude = opts.claudePath ?? "claude";
  const timeoutMs = opts.timeoutMs ?? 10 * 60 * 1000;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 2);

  async function ask(prompt: string, signal: AbortSignal | undefined): Promise<string> {
    const viaStdin = new TextEncoder().encode(prompt).length > MAX_ARG_BYTES;
    const args = [
      "-p",
      ...(viaStdin ? [] : [prompt]),
      "--output-format",
      "json",
      ...(opts.model ? ["--model", opts.model] : []),
      ...(opts.extraArgs ?? []),
    ];
    let r;
    try {
      r = await runProcess({
        cmd: claude,
        args,
        ...(viaStdin ? { stdin: prompt } : {}),
        timeoutMs,
        ...(signal ? { signal } : {}),
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
        ...(opts.env ? { env: opts.env } : {}),
      });
    } catch (e) {
      if (signal?.aborted && e === signal.reason) throw e;
      if (e instanceof Deno.errors.NotFound) {
        throw new PlannerError(
          "claude",
          `Claude Code executable ${
            JSON.stringify(claude)
          } was not found: install Claude Code or pass its path, or choose another planner.`,
          { cause: e },
        );
      }
      if (e instanceof DOMException && e.name === "TimeoutError") {
        throw new PlannerError(
          "claude",
          `Claude Code did not answer within ${
            formatMs(timeoutMs)
          } and was stopped: raise the planner timeout or choose another planner.`,
          { cause: e },
        );
      }
      throw new PlannerError("claude", `Claude Code could not be run: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const envelope = parseEnvelope(r.stdout);
    if (r.code !== 0 || envelope === undefined || envelope.is_error === true) {
      const why = envelope && typeof envelope.subtype === "string" ? ` (${envelope.subtype})` : "";
      const detail = envelope && typeof envelope.result === "string"
        ? envelope.result
        : envelope && Array.isArray(envelope.errors)
        ? envelope.errors.join("; ")
        : r.stderr || r.stdout;
      const how = r.code !== 0 ? `exited with code ${r.code}` : "reported an error";
      if (envelope === undefined && r.code === 0) {
        const t = r.stdout.trim();
        throw new PlannerError(
          "claude",
          `Claude Code's output is not the JSON result of --output-format json; it begins: ${
            JSON.stringify(t.length > 200 ? `${t.slice(0, 200)}…` : t)
          }.`,
        );
      }
      throw new PlannerError(
        "claude",
        `Claude Code ${how}${why}${detail.trim() ? `: ${tail(detail)}` : "."}`,
      );
    }
    if (typeof envelope.result !== "string") {
      throw new PlannerError(
        "claude",
        `Claude Code's JSON result has no "result" text (got ${
          describeJsonValue(envelope.result)
        }): check the Claude Code version.`,
      );
    }
    return envelope.result;
  }

  return {
    name: "claude",
    async plan(issue: IssueInput, signal?: AbortSignal): Promise<PlanTask[]> {
      const base = buildPlanPrompt(issue);
      let prompt = base;
      let error = "";
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        signal?.throwIfAborted();
        const answer = await ask(prompt, signal);
        const checked = checkAnswer(answer);
        if ("tasks" in checked) return checked.tasks;
        error = checked.error;
        const shown = answer.length > 4000 ? `${answer.slice(0, 4000)}…` : answer;
        prompt = `${base}\n\nYour previous answer was not a valid plan:\n${error}\n\n` +
          `Your previous answer was:\n<previous-answer>\n${shown}\n</previous-answer>\n\n` +
          "Answer again with only the corrected JSON task list in a ```json fenced block.";
      }
      throw new PlannerError(
        "claude",
        `Claude Code's plan was still invalid after ${maxAttempts} ${
          maxAttempts === 1 ? "attempt" : "attempts"
        }: ${error}`,
      );
    },
  };
}

/** The result object Claude Code prints with `--output-format json`, if stdout holds one. */
function parseEnvelope(stdout: string): Record<string, unknown> | undefined {
  const tryParse = (s: string) => {
    try {
      const v: unknown = parseJsonText(s);
      return typeof v === "object" && v !== null && !Array.isArray(v)
        ? v as Record<string, unknown>
        : undefined;
    } catch {
      return undefined;
    }
  };
  // One object is printed; tolerate stray lines before it (warnings).
  const whole = tryParse(stdout);
  if (whole) return whole;
  const lines = stdout.trim().split("\n");
  return lines.length > 1 ? tryParse(lines[lines.length - 1]!) : undefined;
}

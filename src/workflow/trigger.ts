/**
 * The trigger gate of the autonomous-dev workflow, as pure functions: an
 * Actions event (its name and payload) and the asker's repository permission
 * go in; "run N nodes on issue #M" or a refusal comes out. `p2p-dev trigger`
 * (src/cli/trigger.ts) does the I/O around it.
 *
 * Rules (each one a test in tests/workflow/trigger_test.ts):
 * - An issue labelled with the swarm's label, a comment whose first word is
 *   the command (`/p2p-dev`, optionally `/p2p-dev N`), or a
 *   `workflow_dispatch` with inputs `issue` (and `instances`) asks for a swarm.
 *   Anything else is ignored: no reaction, nothing written.
 * - Bots never start a swarm (the swarm's own `github-actions[bot]` and any
 *   other); they are ignored, not answered, so two bots cannot ping-pong.
 *   A bot is `type: "Bot"` in the payload, never a `[bot]` suffix.
 * - Who asked (the labeller, the commenter, the dispatcher) must have write,
 *   maintain or admin permission by
 *   `GET /repos/{o}/{r}/collaborators/{user}/permission`, not by
 *   `author_association` alone
 *   (https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user).
 * - The issue must be an open issue, not a pull request.
 * - The instance count is within `instances.min` (default 1) and
 *   `MAX_INSTANCES` (default 20); without one the default (5) applies, kept
 *   within those bounds.
 * - `/p2p-dev stop`, `cancel`, `retry` and `status` steer a running swarm
 *   (src/protocol/command.ts); they are ignored here, never refused.
 * - A refused request gets one reaction and a line in the job summary, never a
 *   comment: a stranger typing `/p2p-dev` a hundred times must not spend the
 *   swarm's 500 content writes an hour on answers.
 *
 * @module
 */
import type { Permission } from "../github/port.ts";
import { STEERING_WORDS } from "../protocol/command.ts";

/**
 * The comment command, as typed first on a comment's first line.
 *
 * @example
 * ```ts
 * "/p2p-dev 3".startsWith(COMMAND); // true
 * ```
 */
export const COMMAND = "/p2p-dev";

/**
 * The label that starts a swarm unless `init --label` chose another.
 *
 * @example
 * ```ts
 * DEFAULT_LABEL; // "p2p-dev"
 * ```
 */
export const DEFAULT_LABEL = "p2p-dev";

/**
 * Nodes a swarm starts with when the request names no count.
 *
 * @example
 * ```ts
 * DEFAULT_INSTANCES; // 5
 * ```
 */
export const DEFAULT_INSTANCES = 5;

/**
 * `MAX_INSTANCES` when the repository variable is not set (the original
 * design's figure: 5 to 20 instances in parallel).
 *
 * @example
 * ```ts
 * DEFAULT_MAX_INSTANCES; // 20
 * ```
 */
export const DEFAULT_MAX_INSTANCES = 20;

/**
 * The most jobs one matrix may generate per workflow run
 * (https://docs.github.com/actions/using-jobs/using-a-matrix-for-your-jobs:
 * "A matrix will generate a maximum of 256 jobs per workflow run").
 *
 * @example
 * ```ts
 * MATRIX_LIMIT; // 256
 * ```
 */
export const MATRIX_LIMIT = 256;

/**
 * Reaction on an accepted request.
 *
 * @example
 * ```ts
 * ACCEPTED_REACTION; // "rocket"
 * ```
 */
export const ACCEPTED_REACTION = "rocket";

/**
 * Reaction on a refused request.
 *
 * @example
 * ```ts
 * REFUSED_REACTION; // "-1"
 * ```
 */
export const REFUSED_REACTION = "-1";

/** Permissions that may start a swarm. */
const WRITERS: readonly Permission[] = ["write", "maintain", "admin"];

/**
 * What the gate is configured with (the workflow passes these as flags and
 * the `MAX_INSTANCES` variable).
 *
 * @example
 * ```ts
 * const s: TriggerSettings = { label: "p2p-dev", command: "/p2p-dev", defaultInstances: 5, minInstances: 1, maxInstances: 20 };
 * ```
 */
export interface TriggerSettings {
  label: string;
  command: string;
  /** Nodes when the request names no count (kept within min and max). */
  defaultInstances: number;
  /** Fewest nodes a request may start (`instances.min`). */
  minInstances: number;
  /** Most nodes a request may start (`MAX_INSTANCES`, else `instances.max`). */
  maxInstances: number;
}

/**
 * Where the answer's reaction goes: the command comment, or the issue for a
 * label or a dispatch.
 *
 * @example
 * ```ts
 * const t: ReactionTarget = { kind: "comment", comment: 1234 };
 * ```
 */
export type ReactionTarget = { kind: "issue"; issue: number } | {
  kind: "comment";
  comment: number;
};

/**
 * What the issue is, as far as the gate cares.
 *
 * @example
 * ```ts
 * const f: IssueFacts = { open: true, pullRequest: false };
 * ```
 */
export interface IssueFacts {
  open: boolean;
  pullRequest: boolean;
}

/**
 * A request for a swarm read from an event, before the asker's permission is
 * known.
 *
 * @example
 * ```ts
 * function who(ask: TriggerAsk) { return ask.actor; }
 * ```
 */
export interface TriggerAsk {
  event: "label" | "comment" | "dispatch";
  /** Login of the labeller, commenter or dispatcher. */
  actor: string;
  /** The issue, or null when a dispatch's `issue` input is not an issue number. */
  issue: number | null;
  /** What the payload says about the issue; null for a dispatch (look it up). */
  issueFacts: IssueFacts | null;
  /** The instance count as typed (undefined: the default). */
  instances: string | undefined;
  /** Words after the count on the command line (a refusal when present). */
  extra: string[];
  react: ReactionTarget | null;
  /** What was asked, for messages: `label "p2p-dev"`, `/p2p-dev 3`, `workflow_dispatch`. */
  asked: string;
}

/**
 * An event read: ignored outright, or a request to judge.
 *
 * @example
 * ```ts
 * function isAsk(r: EventReading) { return r.kind === "ask"; }
 * ```
 */
export type EventReading = { kind: "ignore"; reason: string } | { kind: "ask"; ask: TriggerAsk };

/**
 * The gate's answer.
 *
 * @example
 * ```ts
 * function nodes(d: TriggerDecision) { return d.run ? d.matrix.node.length : 0; }
 * ```
 */
export type TriggerDecision =
  | {
    run: true;
    issue: number;
    instances: number;
    matrix: { node: number[] };
    react: ReactionTarget | null;
    /** One line for the job summary and the log. */
    summary: string;
  }
  | {
    run: false;
    /** `refused`: answered with a reaction; `ignored`: not a request at all. */
    outcome: "refused" | "ignored";
    issue: number | null;
    reason: string;
    react: ReactionTarget | null;
    summary: string;
  };

type Json = Record<string, unknown>;

function obj(value: unknown): Json {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value as Json : {};
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

function issueFactsOf(issue: Json): IssueFacts {
  return {
    open: issue.state === "open",
    pullRequest: issue.pull_request !== undefined && issue.pull_request !== null,
  };
}

/**
 * A word typed by someone else as it may be repeated in a Markdown summary:
 * short words of letters, digits, `.`, `_` and `-` as they are, anything else
 * as "…" (never repeated).
 */
function safeWord(word: string): string {
  return /^[\w.-]{1,24}$/.test(word) ? word : "…";
}

/**
 * Reads an Actions event: which request it makes, if any. Pure.
 *
 * `eventName` is `GITHUB_EVENT_NAME`; `payload` the JSON at
 * `GITHUB_EVENT_PATH` (https://docs.github.com/webhooks/webhook-events-and-payloads).
 *
 * @example
 * ```ts
 * const r = readEvent("issue_comment", {
 *   action: "created",
 *   issue: { number: 7, state: "open" },
 *   comment: { id: 99, body: "/p2p-dev 3", user: { login: "octo", type: "User" } },
 *   sender: { login: "octo", type: "User" },
 * }, { label: "p2p-dev", command: "/p2p-dev", defaultInstances: 5, minInstances: 1, maxInstances: 20 });
 * // r.kind === "ask", r.ask.instances === "3"
 * ```
 */
export function readEvent(
  eventName: string,
  payload: unknown,
  settings: TriggerSettings,
): EventReading {
  const p = obj(payload);
  const sender = obj(p.sender);
  switch (eventName) {
    case "issues": {
      if (p.action !== "labeled") {
        return { kind: "ignore", reason: `issue event "${String(p.action)}" is not a label` };
      }
      const label = str(obj(p.label).name) ?? "";
      if (label.toLowerCase() !== settings.label.toLowerCase()) {
        return {
          kind: "ignore",
          reason: `label "${safeWord(label)}" is not "${settings.label}"`,
        };
      }
      const issue = obj(p.issue);
      const number = num(issue.number);
      const actor = str(sender.login);
      if (number === undefined || actor === undefined) {
        return { kind: "ignore", reason: "the payload has no issue number or sender" };
      }
      if (sender.type === "Bot") return { kind: "ignore", reason: `@${actor} is a bot` };
      return {
        kind: "ask",
        ask: {
          event: "label",
          actor,
          issue: number,
          issueFacts: issueFactsOf(issue),
          instances: undefined,
          extra: [],
          react: { kind: "issue", issue: number },
          asked: `label "${settings.label}"`,
        },
      };
    }
    case "issue_comment": {
      if (p.action !== "created") {
        return {
          kind: "ignore",
          reason: `comment event "${String(p.action)}" is not a new comment`,
        };
      }
      const comment = obj(p.comment);
      const words = firstLineWords(str(comment.body) ?? "");
      if (words[0]?.toLowerCase() !== settings.command.toLowerCase()) {
        return { kind: "ignore", reason: `the comment does not start with ${settings.command}` };
      }
      const verb = words[1]?.toLowerCase();
      if ((STEERING_WORDS as readonly string[]).includes(verb ?? "")) {
        return {
          kind: "ignore",
          reason: `"${settings.command} ${verb}" steers a running swarm; it starts none`,
        };
      }
      const user = obj(comment.user);
      const actor = str(user.login) ?? str(sender.login);
      const issue = obj(p.issue);
      const number = num(issue.number);
      const commentId = num(comment.id);
      if (number === undefined || commentId === undefined || actor === undefined) {
        return { kind: "ignore", reason: "the payload has no issue, comment id or author" };
      }
      if (user.type === "Bot" || sender.type === "Bot") {
        return { kind: "ignore", reason: `@${actor} is a bot` };
      }
      return {
        kind: "ask",
        ask: {
          event: "comment",
          actor,
          issue: number,
          issueFacts: issueFactsOf(issue),
          instances: words[1],
          extra: words.slice(2),
          react: { kind: "comment", comment: commentId },
          asked: words[1] === undefined
            ? settings.command
            : `${settings.command} ${safeWord(words[1])}`,
        },
      };
    }
    case "workflow_dispatch": {
      const actor = str(sender.login);
      if (actor === undefined) return { kind: "ignore", reason: "the payload has no sender" };
      if (sender.type === "Bot") return { kind: "ignore", reason: `@${actor} is a bot` };
      const inputs = obj(p.inputs);
      const rawIssue = String(inputs.issue ?? "").trim();
      const issue = /^\d{1,15}$/.test(rawIssue) && Number(rawIssue) > 0 ? Number(rawIssue) : null;
      const rawInstances = String(inputs.instances ?? "").trim();
      return {
        kind: "ask",
        ask: {
          event: "dispatch",
          actor,
          issue,
          issueFacts: null,
          instances: rawInstances === "" ? undefined : rawInstances,
          extra: [],
          react: issue === null ? null : { kind: "issue", issue },
          asked: "workflow_dispatch",
        },
      };
    }
    default:
      return { kind: "ignore", reason: `event "${eventName}" does not start a swarm` };
  }
}

/**
 * The words of a comment's first line, after any leading blank space: the
 * command must be the comment's first word, and its count sits beside it.
 */
function firstLineWords(body: string): string[] {
  const line = body.replace(/^\uFEFF/, "").trimStart().split(/\r?\n/, 1)[0] ?? "";
  return line.trim().split(/\s+/).filter(Boolean);
}

/**
 * Judges a request: run, or refuse with a reason. Pure.
 *
 * `permission` is the asker's repository permission. `issue` is what the API
 * says about the issue when the payload did not (a dispatch): `"missing"`
 * when it does not exist; it is only needed once the permission check passed.
 *
 * @example
 * ```ts
 * const d = decideTrigger(ask, { permission: "write" }, settings);
 * if (d.run) d.matrix.node; // [1, 2, 3, 4, 5]
 * ```
 */
export function decideTrigger(
  ask: TriggerAsk,
  facts: { permission: Permission; issue?: IssueFacts | "missing" },
  settings: TriggerSettings,
): TriggerDecision {
  const on = ask.issue === null ? "" : ` on #${ask.issue}`;
  const refuse = (reason: string): TriggerDecision => ({
    run: false,
    outcome: "refused",
    issue: ask.issue,
    reason,
    react: ask.react,
    summary: `Refused ${ask.asked} by @${ask.actor}${on}: ${reason}`,
  });
  if (!WRITERS.includes(facts.permission)) {
    return refuse(
      `@${ask.actor} has "${facts.permission}" permission on this repository; starting a swarm ` +
        `needs write, maintain or admin.`,
    );
  }
  if (ask.issue === null) {
    return refuse(
      `the "issue" input is not an issue number; dispatch again with the number of an open issue.`,
    );
  }
  const issue = ask.issueFacts ?? facts.issue;
  if (issue === undefined) {
    throw new TypeError(
      `decideTrigger needs the facts of issue #${ask.issue}: pass facts.issue for a dispatch.`,
    );
  }
  if (issue === "missing") {
    return refuse(`#${ask.issue} does not exist in this repository.`);
  }
  if (issue.pullRequest) {
    return refuse(`#${ask.issue} is a pull request; ask on an issue instead.`);
  }
  if (!issue.open) return refuse(`#${ask.issue} is closed; reopen it first.`);
  if (ask.extra.length > 0) {
    return refuse(
      `expected "${settings.command}" or "${settings.command} N" on the first line, ` +
        `with nothing else after the count.`,
    );
  }
  const max = settings.maxInstances;
  const min = settings.minInstances;
  let instances = Math.max(min, Math.min(settings.defaultInstances, max));
  if (ask.instances !== undefined) {
    if (!/^\d{1,6}$/.test(ask.instances)) {
      return refuse(
        `the instance count "${
          safeWord(ask.instances)
        }" is not a whole number; ask for 1 to ${max}.`,
      );
    }
    instances = Number(ask.instances);
    if (instances < min) {
      return refuse(
        min === 1
          ? `the instance count must be at least 1; ask for 1 to ${max}.`
          : `${instances} is below instances.min (${min}); ask for ${min} to ${max}.`,
      );
    }
    if (instances > max) {
      return refuse(
        `${instances} instances is over MAX_INSTANCES (${max}); ask for ${min} to ${max}, or raise ` +
          `the repository variable MAX_INSTANCES (at most ${MATRIX_LIMIT}).`,
      );
    }
  }
  const capped = ask.instances === undefined && instances !== settings.defaultInstances
    ? ` (the default ${settings.defaultInstances}, kept within ${min}..${max})`
    : "";
  return {
    run: true,
    issue: ask.issue,
    instances,
    matrix: { node: Array.from({ length: instances }, (_, i) => i + 1) },
    react: ask.react,
    summary: `Starting ${instances} node${instances === 1 ? "" : "s"}${capped} on #${ask.issue}: ` +
      `${ask.asked} by @${ask.actor}.`,
  };
}

/**
 * Validates the gate's settings; throws a `RangeError` that says what to fix.
 *
 * @example
 * ```ts
 * validateTriggerSettings({ label: "p2p-dev", command: "/p2p-dev", defaultInstances: 5, minInstances: 1, maxInstances: 20 });
 * ```
 */
export function validateTriggerSettings(settings: TriggerSettings): void {
  const range = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 1 || value > MATRIX_LIMIT) {
      throw new RangeError(
        `Invalid ${name} ${value}: use a whole number from 1 to ${MATRIX_LIMIT} ` +
          `(GitHub runs at most ${MATRIX_LIMIT} matrix jobs per workflow run).`,
      );
    }
  };
  range("MAX_INSTANCES", settings.maxInstances);
  range("instance default", settings.defaultInstances);
  range("instances.min", settings.minInstances);
  if (settings.minInstances > settings.maxInstances) {
    throw new RangeError(
      `Invalid instances.min ${settings.minInstances}: it is above the largest count ` +
        `${settings.maxInstances} (MAX_INSTANCES or instances.max); lower it or raise the limit.`,
    );
  }
  if (settings.label.trim() === "" || settings.label.length > 50) {
    throw new RangeError(
      `Invalid label "${settings.label}": use 1 to 50 characters (GitHub's label name limit).`,
    );
  }
  if (!/^\/[\w-]+$/.test(settings.command)) {
    throw new RangeError(
      `Invalid command "${settings.command}": use a slash and a word, e.g. /p2p-dev.`,
    );
  }
}

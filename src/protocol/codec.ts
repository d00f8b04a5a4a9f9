/**
 * The message codec. A protocol comment is a few readable lines in the
 * original design's style (`🎯 CLAIM|T1|node-2|attempt 1`) followed by a
 * versioned machine payload in an HTML comment, which GitHub does not render:
 *
 * ```text
 * 🎯 CLAIM|T1|node-2|attempt 1
 * <!-- p2p-dev v1 {"events":[...],"node":"node-2","nonce":"...","v":1} -->
 * ```
 *
 * The decoder also reads the original design's plain lines
 * (`🎯 LEADER_ELECTION|{node_id}|{timestamp}`, `📦 TASKS_DATA|{json}`, ...)
 * so a swarm started by the original Python coordinator is understood.
 *
 * Decoding never throws: anything else is `foreign` (an ordinary comment) or
 * `malformed` (looks like ours but is broken).
 *
 * @module
 */
import { neutralizeLine } from "../text/neutralize.ts";
import { canonicalJson } from "./canonical.ts";
import { signMessage } from "./signature.ts";
import {
  type Message,
  type PlanSettings,
  type PlanTask,
  PRIORITIES,
  type Priority,
  type ProgressStatus,
  type ProtocolEvent,
  type TaskResult,
} from "./types.ts";

/** The payload version this code writes. */
export const PROTOCOL_VERSION = 1;

/** GitHub's limit on a comment body, in characters. */
export const MAX_COMMENT_CHARS = 65_536;

/** Result of decoding one comment body. */
export type Decoded =
  | { kind: "message"; message: Message }
  | { kind: "foreign" }
  | { kind: "malformed"; error: string };

const PAYLOAD_MARK = "<!-- p2p-dev v";
const PAYLOAD_RE = /^<!-- p2p-dev v(\d+) ([\s\S]*?) -->/;

/**
 * Renders a message as a comment body; signs it when a secret is given.
 *
 * @example
 * ```ts
 * const body = encodeMessage(
 *   { node: "n1", nonce: "a1", events: [{ type: "claim", task: "T1", attempt: 1 }] },
 *   { issue: 7 },
 * );
 * ```
 */
export function encodeMessage(
  message: { node: string; nonce: string; events: ProtocolEvent[] },
  options: { issue: number; secret?: string | undefined },
): string {
  // Normalise through the decoder's own parser, so that what is signed is
  // exactly what every reader decodes (clamped percents, trimmed notes).
  const events = message.events.map((e) => {
    const parsed = parseEvent(JSON.parse(JSON.stringify(e)));
    if (typeof parsed === "string") {
      throw new TypeError(`Cannot encode a ${e.type} event: ${parsed}.`);
    }
    return parsed;
  });
  const unsigned: Message = {
    v: PROTOCOL_VERSION,
    node: message.node,
    nonce: message.nonce,
    events,
  };
  const full: Message = options.secret
    ? { ...unsigned, sig: signMessage(unsigned, options.issue, options.secret) }
    : unsigned;
  const human = events.map((e) => humanLine(message.node, e)).join("\n");
  // JSON never contains < or > outside strings; escaping them inside strings
  // keeps "-->" out of the HTML comment.
  const json = canonicalJson(full).replace(/</g, "\\u003c").replace(/>/g, "\\u003e");
  return `${human}\n<!-- p2p-dev v${PROTOCOL_VERSION} ${json} -->`;
}

/** The readable line for one event, in the original design's style. */
function humanLine(node: string, e: ProtocolEvent): string {
  switch (e.type) {
    case "announce":
      return `📡 NODE_ANNOUNCE|${node}|${e.role ?? "node"}${e.exec ? `|exec ${e.exec}` : ""}`;
    case "election":
      return `🎯 LEADER_ELECTION|${node}|term ${e.term}`;
    case "plan": {
      const head =
        `📦 TASKS_DATA|term ${e.term}|v${e.version}|part ${e.part}/${e.parts}|${e.tasks.length} tasks${
          e.planner ? `|planner ${e.planner}` : ""
        }`;
      const lines = e.tasks.map((t) =>
        `- [ ] ${t.id}: ${oneLine(t.title)} (${t.priority}${
          t.deps.length ? `, after ${t.deps.join(", ")}` : ""
        })`
      );
      return [head, ...lines].join("\n");
    }
    case "claim":
      return `🎯 CLAIM|${e.task}|${node}|attempt ${e.attempt}`;
    case "progress": {
      const icon = e.status === "completed" ? "✅" : e.status === "failed" ? "❌" : "📊";
      const pct = e.percent !== undefined ? `|${Math.round(e.percent)}%` : "";
      const cost = e.result?.costUsd !== undefined ? `|$${e.result.costUsd.toFixed(4)}` : "";
      const denied = e.result?.denied?.length ? `|${e.result.denied.length} denied` : "";
      return `${icon} PROGRESS|${e.task}|${node}|${e.status}${pct}${cost}${denied}${
        e.note ? `|${oneLine(e.note, 120)}` : ""
      }`;
    }
    case "heartbeat":
      return `💓 HEARTBEAT|${node}|${
        e.tasks.map((t) =>
          `${t.task}${t.percent !== undefined ? ` ${Math.round(t.percent)}%` : ""}`
        )
          .join(", ") || "idle"
      }`;
    case "release":
      return `🔓 RELEASE|${e.task}|${node}|attempt ${e.attempt}${
        e.reason ? `|${oneLine(e.reason)}` : ""
      }`;
    case "retry":
      return `🔁 RETRY|${node}|${e.tasks.join(", ")}`;
    case "resign":
      return `🛑 RESIGN|${node}|term ${e.term}|${e.cause}${
        e.reason ? `|${oneLine(e.reason).slice(0, 500)}` : ""
      }`;
    case "end":
      return `🏁 END|${node}${e.reason ? `|${oneLine(e.reason)}` : ""}`;
  }
}

/**
 * Outside text (a title, a note, a reason) on one readable line, defused so
 * that GitHub does not act on it in the comment: no mention, closing
 * keyword, cross-reference, HTML or HTML comment (`src/text/neutralize.ts`).
 */
function oneLine(s: string, max = 1_000): string {
  return neutralizeLine(s, max);
}

/**
 * Decodes a comment body. Never throws.
 *
 * @example
 * ```ts
 * decodeBody("just a human comment").kind; // "foreign"
 * ```
 */
export function decodeBody(body: string): Decoded {
  try {
    // The payload is the last marker: the readable lines before it may quote
    // any text (a task title, a note), the escaped JSON never holds a "<".
    const at = body.lastIndexOf(PAYLOAD_MARK);
    const m = at < 0 ? null : PAYLOAD_RE.exec(body.slice(at));
    if (m) return decodePayload(Number(m[1]), m[2]!);
    return decodeLegacy(body);
  } catch (error) {
    return { kind: "malformed", error: error instanceof Error ? error.message : String(error) };
  }
}

function decodePayload(version: number, json: string): Decoded {
  if (version !== PROTOCOL_VERSION) {
    return { kind: "malformed", error: `unsupported payload version ${version}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return { kind: "malformed", error: "payload is not JSON" };
  }
  if (!isObject(raw)) return { kind: "malformed", error: "payload is not an object" };
  if (raw.v !== PROTOCOL_VERSION) return { kind: "malformed", error: "payload version mismatch" };
  const node = str(raw.node), nonce = str(raw.nonce);
  if (!node || node.length > 200) return { kind: "malformed", error: "missing node" };
  if (!nonce || nonce.length > 200) return { kind: "malformed", error: "missing nonce" };
  if (!Array.isArray(raw.events) || raw.events.length === 0 || raw.events.length > 50) {
    return { kind: "malformed", error: "events must be a non-empty list" };
  }
  const events: ProtocolEvent[] = [];
  for (const e of raw.events) {
    const ev = parseEvent(e);
    if (typeof ev === "string") return { kind: "malformed", error: ev };
    events.push(ev);
  }
  const message: Message = { v: PROTOCOL_VERSION, node, nonce, events };
  if (raw.sig !== undefined) {
    if (typeof raw.sig !== "string") return { kind: "malformed", error: "sig is not a string" };
    message.sig = raw.sig;
  }
  return { kind: "message", message };
}

/** Parses one event, returning an error string when it is not well-formed. */
function parseEvent(e: unknown): ProtocolEvent | string {
  if (!isObject(e)) return "event is not an object";
  switch (e.type) {
    case "announce": {
      const out: ProtocolEvent = { type: "announce" };
      for (const k of ["role", "version", "exec", "tokenKind"] as const) {
        const v = str(e[k]);
        if (v !== undefined) out[k] = v.slice(0, 100);
      }
      return out;
    }
    case "election": {
      const term = posInt(e.term), timeoutMs = posInt(e.timeoutMs);
      if (!term) return "election needs a positive term";
      if (!timeoutMs) return "election needs a positive timeoutMs";
      return { type: "election", term, timeoutMs };
    }
    case "plan": {
      const term = posInt(e.term), token = posInt(e.token), version = posInt(e.version);
      const part = posInt(e.part), parts = posInt(e.parts);
      if (!term || !token || !version || !part || !parts || part > parts || parts > 1000) {
        return "plan needs term, token, version and part i/n";
      }
      if (!Array.isArray(e.tasks)) return "plan needs tasks";
      const tasks: PlanTask[] = [];
      for (const t of e.tasks) {
        const task = parseTask(t);
        if (typeof task === "string") return task;
        tasks.push(task);
      }
      const out: ProtocolEvent = { type: "plan", term, token, version, part, parts, tasks };
      const planner = str(e.planner);
      if (planner !== undefined) out.planner = planner;
      if (e.settings !== undefined) {
        const s = parseSettings(e.settings);
        if (typeof s === "string") return s;
        out.settings = s;
      }
      return out;
    }
    case "claim": {
      const task = str(e.task), attempt = posInt(e.attempt);
      if (!task || !attempt) return "claim needs task and attempt";
      return { type: "claim", task, attempt };
    }
    case "progress": {
      const task = str(e.task), attempt = posInt(e.attempt);
      const status = e.status;
      if (!task || !attempt) return "progress needs task and attempt";
      if (status !== "in_progress" && status !== "completed" && status !== "failed") {
        return "progress status must be in_progress, completed or failed";
      }
      const out: ProtocolEvent = { type: "progress", task, attempt, status };
      const percent = num(e.percent);
      if (percent !== undefined) out.percent = Math.max(0, Math.min(100, percent));
      const note = str(e.note);
      if (note !== undefined) out.note = note.slice(0, 2000);
      if (e.result !== undefined) {
        if (!isObject(e.result)) return "progress result must be an object";
        out.result = parseResult(e.result);
      }
      return out;
    }
    case "heartbeat": {
      if (!Array.isArray(e.tasks)) return "heartbeat needs tasks";
      const tasks: { task: string; attempt: number; percent?: number }[] = [];
      for (const t of e.tasks) {
        if (!isObject(t)) return "heartbeat task is not an object";
        const task = str(t.task), attempt = posInt(t.attempt);
        if (!task || !attempt) return "heartbeat task needs task and attempt";
        const entry: { task: string; attempt: number; percent?: number } = { task, attempt };
        const percent = num(t.percent);
        if (percent !== undefined) entry.percent = Math.max(0, Math.min(100, percent));
        tasks.push(entry);
      }
      return { type: "heartbeat", tasks };
    }
    case "release": {
      const task = str(e.task), attempt = posInt(e.attempt);
      if (!task || !attempt) return "release needs task and attempt";
      const out: ProtocolEvent = { type: "release", task, attempt };
      const reason = str(e.reason);
      if (reason !== undefined) out.reason = reason.slice(0, 500);
      return out;
    }
    case "retry": {
      if (!Array.isArray(e.tasks) || !e.tasks.every((t) => typeof t === "string")) {
        return "retry needs a list of task ids";
      }
      return { type: "retry", tasks: e.tasks as string[] };
    }
    case "resign": {
      const term = posInt(e.term);
      if (!term) return "resign needs a positive term";
      if (e.cause !== "plan_failed" && e.cause !== "interrupted") {
        return "resign cause must be plan_failed or interrupted";
      }
      const out: ProtocolEvent = { type: "resign", term, cause: e.cause };
      const reason = str(e.reason);
      if (reason !== undefined) out.reason = reason.slice(0, 2000);
      const issue = str(e.issue);
      if (issue !== undefined) out.issue = issue.slice(0, 100);
      return out;
    }
    case "end": {
      const out: ProtocolEvent = { type: "end" };
      const reason = str(e.reason);
      if (reason !== undefined) out.reason = reason.slice(0, 500);
      return out;
    }
    default:
      return `unknown event type ${JSON.stringify(e.type)}`;
  }
}

function parseTask(t: unknown): PlanTask | string {
  if (!isObject(t)) return "task is not an object";
  const id = str(t.id), title = str(t.title);
  if (!id || title === undefined) return "task needs id and title";
  const priority = t.priority ?? "medium";
  if (!PRIORITIES.includes(priority as Priority)) return `task ${id} has an unknown priority`;
  const deps = t.deps ?? [];
  if (!Array.isArray(deps) || !deps.every((d) => typeof d === "string")) {
    return `task ${id} deps must be a list of ids`;
  }
  const task: PlanTask = { id, title, priority: priority as Priority, deps: deps as string[] };
  const body = str(t.body), group = str(t.group), est = num(t.estimateHours);
  if (body !== undefined) task.body = body;
  if (group !== undefined) task.group = group;
  if (est !== undefined) task.estimateHours = est;
  return task;
}

function parseSettings(s: unknown): PlanSettings | string {
  if (!isObject(s)) return "settings is not an object";
  const leaseMs = posInt(s.leaseMs), maxAttempts = posInt(s.maxAttempts);
  const backoffMs = num(s.backoffMs);
  if (!leaseMs || !maxAttempts || backoffMs === undefined || backoffMs < 0) {
    return "settings need leaseMs, maxAttempts and backoffMs";
  }
  const settings: PlanSettings = { leaseMs, maxAttempts, backoffMs };
  const maxCostUsd = num(s.maxCostUsd);
  if (maxCostUsd !== undefined && maxCostUsd > 0) settings.maxCostUsd = maxCostUsd;
  return settings;
}

function parseResult(r: Record<string, unknown>): TaskResult {
  const out: TaskResult = {};
  for (const k of ["summary", "branch", "pr"] as const) {
    const v = str(r[k]);
    if (v !== undefined) out[k] = v.slice(0, 4000);
  }
  for (const k of ["costUsd", "turns", "durationMs", "exitCode"] as const) {
    const v = num(r[k]);
    if (v !== undefined) out[k] = v;
  }
  if (Array.isArray(r.denied)) {
    const denied = r.denied.filter((d): d is string => typeof d === "string")
      .slice(0, MAX_DENIED).map((d) => d.slice(0, 300));
    if (denied.length) out.denied = denied;
  }
  const failure = str(r.failure);
  if (failure !== undefined) out.failure = failure.slice(0, 100);
  if (r.retryable === false) out.retryable = false;
  return out;
}

/** Most denied tool calls a result lists. */
const MAX_DENIED = 20;

// --- the original design's plain lines -------------------------------------

/** Legacy messages carry no nonce; the fold uses the comment id instead. */
export const LEGACY_NONCE = "";

/** Default election timeout assumed for legacy elections (the original waited 2 s, then planned). */
const LEGACY_ELECTION_TIMEOUT_MS = 10 * 60_000;

function decodeLegacy(body: string): Decoded {
  const text = body.trim();
  const m =
    /^(?:🎯|📡|📦|📊|💓)\s*(LEADER_ELECTION|NODE_ANNOUNCE|TASKS_DATA|CLAIM|PROGRESS|HEARTBEAT)\|([\s\S]*)$/u
      .exec(text);
  if (!m) return { kind: "foreign" };
  const kind = m[1]!, rest = m[2]!;
  const legacy = (node: string, event: ProtocolEvent): Decoded => {
    if (!node) return { kind: "malformed", error: `legacy ${kind} without a node id` };
    return { kind: "message", message: { v: 0, node, nonce: LEGACY_NONCE, events: [event] } };
  };
  switch (kind) {
    case "LEADER_ELECTION": {
      const [node] = rest.split("|");
      return legacy(node?.trim() ?? "", {
        type: "election",
        term: 1,
        timeoutMs: LEGACY_ELECTION_TIMEOUT_MS,
      });
    }
    case "CLAIM": {
      const [task, node] = rest.split("|");
      if (!task?.trim()) return { kind: "malformed", error: "legacy CLAIM without a task id" };
      // Attempt 0 means "the attempt open at this comment's position".
      return legacy(node?.trim() ?? "", { type: "claim", task: task.trim(), attempt: 0 });
    }
    default: {
      let data: unknown;
      try {
        data = JSON.parse(rest);
      } catch {
        return { kind: "malformed", error: `legacy ${kind} payload is not JSON` };
      }
      if (!isObject(data) && !(kind === "TASKS_DATA" && Array.isArray(data))) {
        return { kind: "malformed", error: `legacy ${kind} payload is not an object` };
      }
      return decodeLegacyJson(kind, data, legacy);
    }
  }
}

function decodeLegacyJson(
  kind: string,
  data: unknown,
  legacy: (node: string, event: ProtocolEvent) => Decoded,
): Decoded {
  const obj = isObject(data) ? data : {};
  const node = str(obj.node_id) ?? str(obj.node) ?? str(obj.leader) ?? "";
  switch (kind) {
    case "NODE_ANNOUNCE": {
      const e: ProtocolEvent = { type: "announce" };
      const role = str(obj.role);
      if (role !== undefined) e.role = role;
      return legacy(node, e);
    }
    case "TASKS_DATA": {
      const list = Array.isArray(data) ? data : Array.isArray(obj.tasks) ? obj.tasks : undefined;
      if (!list) return { kind: "malformed", error: "legacy TASKS_DATA without tasks" };
      const tasks: PlanTask[] = [];
      for (const [i, t] of list.entries()) {
        if (!isObject(t)) return { kind: "malformed", error: "legacy task is not an object" };
        const id = str(t.id) ?? str(t.task_id) ?? `task-${i + 1}`;
        const title = str(t.title) ?? str(t.description) ?? str(t.name) ?? id;
        const p = str(t.priority) ?? "medium";
        const deps = Array.isArray(t.dependencies)
          ? t.dependencies.filter((d): d is string => typeof d === "string")
          : [];
        const task: PlanTask = {
          id,
          title,
          priority: PRIORITIES.includes(p as Priority) ? p as Priority : "medium",
          deps,
        };
        const body = str(t.description);
        if (body !== undefined && body !== title) task.body = body;
        const est = num(t.estimated_hours) ?? num(t.estimate);
        if (est !== undefined) task.estimateHours = est;
        tasks.push(task);
      }
      // Token 0: the fold accepts it from the winner of legacy term 1.
      return legacy(node, {
        type: "plan",
        term: 1,
        token: 0,
        version: 1,
        part: 1,
        parts: 1,
        planner: "legacy",
        tasks,
      });
    }
    case "PROGRESS": {
      const task = str(obj.task_id) ?? str(obj.task);
      if (!task) return { kind: "malformed", error: "legacy PROGRESS without task_id" };
      const raw = str(obj.status) ?? "in_progress";
      const status: ProgressStatus = raw === "completed" || raw === "failed" ? raw : "in_progress";
      const e: ProtocolEvent = { type: "progress", task, attempt: 0, status };
      const percent = num(obj.progress) ?? num(obj.percent);
      if (percent !== undefined) e.percent = Math.max(0, Math.min(100, percent));
      return legacy(node, e);
    }
    default: { // HEARTBEAT
      const tasks = str(obj.task_id) ? [{ task: str(obj.task_id)!, attempt: 0 }] : [];
      return legacy(node, { type: "heartbeat", tasks });
    }
  }
}

// --- helpers ----------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
function posInt(v: unknown): number | undefined {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

/**
 * Splits a plan into `plan` events whose encoded comments each fit in
 * GitHub's 65,536-character limit (with room to spare).
 *
 * @example
 * ```ts
 * const parts = splitPlan(
 *   { term: 1, token: 2_200_000_001, version: 1, planner: "markdown", tasks: [] },
 *   { node: "n1", issue: 7 },
 * );
 * ```
 */
export function splitPlan(
  plan: {
    term: number;
    token: number;
    version: number;
    planner?: string;
    settings?: PlanSettings;
    tasks: PlanTask[];
  },
  options: { node: string; issue: number; secret?: string; maxChars?: number },
): Extract<ProtocolEvent, { type: "plan" }>[] {
  const limit = options.maxChars ?? MAX_COMMENT_CHARS - 4_000;
  const size = (tasks: PlanTask[]) =>
    encodeMessage({
      node: options.node,
      nonce: "x".repeat(40),
      events: [{
        type: "plan",
        term: plan.term,
        token: plan.token,
        version: plan.version,
        part: 999,
        parts: 999,
        ...(plan.planner ? { planner: plan.planner } : {}),
        ...(plan.settings ? { settings: plan.settings } : {}),
        tasks,
      }],
    }, { issue: options.issue, secret: options.secret ?? "x" }).length;
  const chunks: PlanTask[][] = [];
  let current: PlanTask[] = [];
  for (const task of plan.tasks) {
    if (size([task]) > limit) {
      throw new Error(
        `Task "${task.id}" alone does not fit in one comment: shorten its body below ${limit} characters.`,
      );
    }
    if (current.length > 0 && size([...current, task]) > limit) {
      chunks.push(current);
      current = [];
    }
    current.push(task);
  }
  chunks.push(current);
  return chunks.map((tasks, i) => {
    const e: Extract<ProtocolEvent, { type: "plan" }> = {
      type: "plan",
      term: plan.term,
      token: plan.token,
      version: plan.version,
      part: i + 1,
      parts: chunks.length,
      tasks,
    };
    if (plan.planner) e.planner = plan.planner;
    if (i === 0 && plan.settings) e.settings = plan.settings;
    return e;
  });
}

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
 * **A protocol message is a whole comment the encoder wrote.** A comment
 * counts only if its body is exactly what {@linkcode renderMessage} produces
 * for the payload it carries (decode, re-encode, compare), so no text around
 * or inside a marker can smuggle a message in: a task title quoting a marker
 * inside a summary, a workflow that quotes issue text in a comment. The same
 * holds for the original design's plain lines (`🎯 LEADER_ELECTION|{node_id}|
 * {timestamp}`, `📦 TASKS_DATA|{json}`, ...), which are still read: a legacy
 * message is a comment that is exactly one such line.
 *
 * Decoding never throws: anything else is `foreign` (an ordinary comment) or
 * `malformed` (looks like ours but is broken, or is not a whole comment).
 *
 * @module
 */
import { neutralizeLine, ZWSP } from "../text/neutralize.ts";
import { canonicalJson } from "./canonical.ts";
import { signMessage } from "./signature.ts";
import {
  type LogRef,
  type Message,
  type PlanSettings,
  type PlanTask,
  PRIORITIES,
  type Priority,
  type ProgressStatus,
  type ProtocolEvent,
  type TaskResult,
  type Vouch,
  type VouchReason,
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

/** Where a payload starts; its presence anywhere makes a comment ours or malformed. */
const PAYLOAD_MARK = "<!-- p2p-dev v";
/** The payload line: the last line of a protocol comment, ending the body. */
const PAYLOAD_RE = /^<!-- p2p-dev v(\d+) ([\s\S]*) -->$/;

/** Error of a comment that carries a marker but is not what the encoder writes. */
export const NOT_WHOLE = "not a whole protocol comment (text around or inside its payload)";

/**
 * Renders a message as a comment body; signs it (for `owner/repo#issue`)
 * when a secret is given.
 *
 * @example
 * ```ts
 * const body = encodeMessage(
 *   { node: "n1", nonce: "a1", events: [{ type: "claim", task: "T1", attempt: 1 }] },
 *   { repo: "octo/app", issue: 7 },
 * );
 * ```
 */
export function encodeMessage(
  message: { node: string; nonce: string; events: ProtocolEvent[] },
  options: LogRef & { secret?: string | undefined },
): string {
  // Normalise through the decoder's own parser, so that what is signed is
  // exactly what every reader decodes (clamped percents, trimmed notes).
  const events = message.events.map((e) => {
    const parsed = parseEvent(JSON.parse(JSON.stringify(e)), false);
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
    ? { ...unsigned, sig: signMessage(unsigned, options, options.secret) }
    : unsigned;
  return renderMessage(full);
}

/**
 * The comment body of a (version 1) message: one readable line per event,
 * then the payload. The only text a protocol comment may be.
 *
 * @example
 * ```ts
 * const body = renderMessage({ v: 1, node: "n1", nonce: "a1", events: [{ type: "end" }] });
 * decodeBody(body).kind; // "message"
 * ```
 */
export function renderMessage(message: Message): string {
  const human = message.events.map((e) => humanLine(message.node, e)).join("\n");
  // JSON never contains < or > outside strings; escaping them inside strings
  // keeps "-->" out of the HTML comment.
  const json = canonicalJson(message).replace(/</g, "\\u003c").replace(/>/g, "\\u003e");
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
      return `🎯 CLAIM|${e.task}|${node}|attempt ${e.attempt}${
        e.leaseMs !== undefined ? `|lease ${Math.round(e.leaseMs / 1000)} s` : ""
      }`;
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
    case "vouch":
      return `🤝 VOUCH|${node}|${e.logins.map((l) => `${l.login} (${l.reason})`).join(", ")}`;
    case "restore":
      return `♻️ RESTORE|${node}|comment ${e.comment} by ${e.author}${
        e.message ? "" : "|not a message"
      }`;
  }
}

/**
 * Outside text (a title, a note, a reason) on one readable line, defused so
 * that GitHub does not act on it in the comment: no mention, closing
 * keyword, cross-reference, HTML, HTML comment, link, image or entity (`src/text/neutralize.ts`).
 */
function oneLine(s: string, max = 1_000): string {
  return neutralizeLine(s, max);
}

/**
 * Whether a body is the encoder's rendering, zero-width spaces (U+200B) aside:
 * they are what defuses outside text in the readable lines, so a reader
 * accepts messages of a version that defuses more or less of it (a link, an
 * entity) as long as every visible character is the encoder's.
 */
function sameRendering(rendered: string, body: string): boolean {
  if (rendered === body) return true;
  return rendered.replaceAll(ZWSP, "") === body.replaceAll(ZWSP, "");
}

/**
 * Decodes a comment body. Never throws. A body with a payload marker is a
 * message only if it is exactly what the encoder writes for that payload;
 * otherwise it is `malformed`, never read as the original design's lines.
 *
 * @example
 * ```ts
 * decodeBody("just a human comment").kind; // "foreign"
 * ```
 */
export function decodeBody(body: string): Decoded {
  try {
    if (!body.includes(PAYLOAD_MARK)) return decodeLegacy(body);
    // The payload is the last line and ends the body; the escaped JSON never
    // holds a newline, "<" or ">".
    const at = body.lastIndexOf("\n");
    const m = PAYLOAD_RE.exec(body.slice(at + 1));
    if (!m) return { kind: "malformed", error: NOT_WHOLE };
    const version = Number(m[1]);
    if (version !== PROTOCOL_VERSION) {
      return { kind: "malformed", error: `unsupported payload version ${version}` };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(m[2]!);
    } catch {
      return { kind: "malformed", error: "payload is not JSON" };
    }
    const message = parseMessage(raw, false);
    if (typeof message === "string") return { kind: "malformed", error: message };
    if (!sameRendering(renderMessage(message), body)) {
      return { kind: "malformed", error: NOT_WHOLE };
    }
    return { kind: "message", message };
  } catch (error) {
    return { kind: "malformed", error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Parses a payload object into a message (events normalised), or returns
 * why it is not one. `nested`: the message a `restore` event carries, which
 * may be a legacy (version 0) message and may not itself restore anything.
 *
 * @example
 * ```ts
 * parseMessage({ v: 1, node: "n1", nonce: "x", events: [{ type: "end" }] }, false);
 * ```
 */
export function parseMessage(raw: unknown, nested: boolean): Message | string {
  if (!isObject(raw)) return "payload is not an object";
  const legacy = nested && raw.v === 0;
  if (raw.v !== PROTOCOL_VERSION && !legacy) return "payload version mismatch";
  const node = str(raw.node), nonce = str(raw.nonce);
  if (!node || node.length > 200) return "missing node";
  if (nonce === undefined || nonce.length > 200 || (nonce === "" && !legacy)) {
    return "missing nonce";
  }
  if (!Array.isArray(raw.events) || raw.events.length === 0 || raw.events.length > 50) {
    return "events must be a non-empty list";
  }
  const events: ProtocolEvent[] = [];
  for (const e of raw.events) {
    const ev = parseEvent(e, legacy);
    if (typeof ev === "string") return ev;
    if (nested && ev.type === "restore") return "a restored message cannot restore another";
    events.push(ev);
  }
  const message: Message = { v: legacy ? 0 : PROTOCOL_VERSION, node, nonce, events };
  if (raw.sig !== undefined) {
    if (typeof raw.sig !== "string") return "sig is not a string";
    message.sig = raw.sig;
  }
  return message;
}

/** Parses one event, returning an error string when it is not well-formed. */
function parseEvent(e: unknown, legacy: boolean): ProtocolEvent | string {
  if (!isObject(e)) return "event is not an object";
  // Legacy (version 0) messages, restored, keep attempt 0 ("the attempt open
  // at this position") and plan token 0.
  const attemptOf = (v: unknown) => legacy && v === 0 ? 0 : posInt(v);
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
      const term = posInt(e.term), token = attemptOf(e.token), version = posInt(e.version);
      const part = posInt(e.part), parts = posInt(e.parts);
      if (
        !term || token === undefined || !version || !part || !parts || part > parts ||
        parts > 1000
      ) {
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
      const task = str(e.task), attempt = attemptOf(e.attempt);
      if (!task || attempt === undefined) return "claim needs task and attempt";
      if (e.leaseMs === undefined) return { type: "claim", task, attempt };
      const leaseMs = posInt(e.leaseMs);
      if (!leaseMs) return "claim leaseMs must be a positive whole number of ms";
      return { type: "claim", task, attempt, leaseMs };
    }
    case "progress": {
      const task = str(e.task), attempt = attemptOf(e.attempt);
      const status = e.status;
      if (!task || attempt === undefined) return "progress needs task and attempt";
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
        const task = str(t.task), attempt = attemptOf(t.attempt);
        if (!task || attempt === undefined) return "heartbeat task needs task and attempt";
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
    case "vouch": {
      if (!Array.isArray(e.logins) || e.logins.length === 0 || e.logins.length > 100) {
        return "vouch needs 1 to 100 logins";
      }
      const logins: Vouch[] = [];
      for (const l of e.logins) {
        if (!isObject(l)) return "vouch entry is not an object";
        const login = str(l.login), reason = str(l.reason);
        if (!login || login.length > 100) return "vouch entry needs a login";
        if (!VOUCH_REASONS.includes(reason as VouchReason)) return "vouch reason is unknown";
        logins.push({ login, reason: reason as VouchReason });
      }
      return { type: "vouch", logins };
    }
    case "restore": {
      const comment = posInt(e.comment), author = str(e.author);
      const createdAt = typeof e.createdAt === "number" && Number.isSafeInteger(e.createdAt) &&
          e.createdAt >= 0
        ? e.createdAt
        : undefined;
      if (!comment || !author || author.length > 100 || createdAt === undefined) {
        return "restore needs comment, author and createdAt";
      }
      const out: ProtocolEvent = { type: "restore", comment, author, createdAt };
      if (e.message !== undefined) {
        const message = parseMessage(e.message, true);
        if (typeof message === "string") return `restored message: ${message}`;
        out.message = message;
      }
      return out;
    }
    default:
      return `unknown event type ${JSON.stringify(e.type)}`;
  }
}

const VOUCH_REASONS: readonly VouchReason[] = ["admin", "maintain", "write", "allow"];

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

/** The emoji each of the original design's kinds is written with. */
const LEGACY_KINDS: Record<string, string> = {
  LEADER_ELECTION: "🎯",
  CLAIM: "🎯",
  NODE_ANNOUNCE: "📡",
  TASKS_DATA: "📦",
  PROGRESS: "📊",
  HEARTBEAT: "💓",
};
const LEGACY_HEAD =
  /^(🎯|📡|📦|📊|💓)\s*(LEADER_ELECTION|NODE_ANNOUNCE|TASKS_DATA|CLAIM|PROGRESS|HEARTBEAT)\|/u;
const LEGACY_LINE = /^(🎯|📡|📦|📊|💓) ([A-Z_]+)\|([^\n\r]*)$/u;
/** A node or task id in the original design's lines: no separator, no space. */
const LEGACY_ID = /^[^|\s]{1,100}$/u;
/** `time.time()` as the original coordinator printed it. */
const LEGACY_TIME = /^\d{1,12}(?:\.\d{1,9})?$/;

/**
 * The original design's messages: a comment that is exactly one line
 * `EMOJI KIND|...` with the emoji that kind was written with. Anything that
 * starts like one but is not exactly such a line is `malformed`.
 */
function decodeLegacy(body: string): Decoded {
  if (!LEGACY_HEAD.test(body)) return { kind: "foreign" };
  const m = LEGACY_LINE.exec(body);
  if (!m || LEGACY_KINDS[m[2]!] !== m[1]) return { kind: "malformed", error: NOT_WHOLE };
  const kind = m[2]!, rest = m[3]!;
  const legacy = (node: string, event: ProtocolEvent): Decoded => {
    if (!LEGACY_ID.test(node)) {
      return { kind: "malformed", error: `legacy ${kind} without a node id` };
    }
    return { kind: "message", message: { v: 0, node, nonce: LEGACY_NONCE, events: [event] } };
  };
  switch (kind) {
    case "LEADER_ELECTION": {
      const fields = rest.split("|");
      if (fields.length !== 2 || !LEGACY_TIME.test(fields[1]!)) {
        return { kind: "malformed", error: "legacy LEADER_ELECTION is not node|timestamp" };
      }
      return legacy(fields[0]!, {
        type: "election",
        term: 1,
        timeoutMs: LEGACY_ELECTION_TIMEOUT_MS,
      });
    }
    case "CLAIM": {
      const fields = rest.split("|");
      if (fields.length !== 3 || !LEGACY_ID.test(fields[0]!) || !LEGACY_TIME.test(fields[2]!)) {
        return { kind: "malformed", error: "legacy CLAIM is not task|node|timestamp" };
      }
      // Attempt 0 means "the attempt open at this comment's position".
      return legacy(fields[1]!, { type: "claim", task: fields[0]!, attempt: 0 });
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
 * GitHub's 65,536-character limit (with room to spare). Linear in the plan's
 * size: each task is encoded once to learn what it adds to a comment.
 *
 * @example
 * ```ts
 * const parts = splitPlan(
 *   { term: 1, token: 2_200_000_001, version: 1, planner: "markdown", tasks: [] },
 *   { node: "n1", repo: "octo/app", issue: 7 },
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
  options: LogRef & { node: string; secret?: string; maxChars?: number },
): Extract<ProtocolEvent, { type: "plan" }>[] {
  const limit = options.maxChars ?? MAX_COMMENT_CHARS - 4_000;
  // Part numbers of three digits and a signature: the widest a part can be.
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
    }, { repo: options.repo, issue: options.issue, secret: options.secret ?? "x" }).length;
  // A comment of k tasks is the empty comment, plus what each task adds on
  // its own (its readable line and its JSON), plus k − 1 commas between the
  // tasks' JSON, plus the digits the count "k tasks" gains over "0 tasks".
  const base = size([]);
  const chunks: PlanTask[][] = [];
  let current: PlanTask[] = [];
  let used = base;
  const total = (k: number, added: number) => added + Math.max(0, k - 1) + String(k).length - 1;
  for (const task of plan.tasks) {
    const own = size([task]);
    if (own > limit) {
      throw new Error(
        `Task "${task.id}" alone does not fit in one comment: shorten its body below ${limit} characters.`,
      );
    }
    const add = own - base;
    if (current.length > 0 && total(current.length + 1, used + add) > limit) {
      chunks.push(current);
      current = [];
      used = base;
    }
    current.push(task);
    used += add;
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

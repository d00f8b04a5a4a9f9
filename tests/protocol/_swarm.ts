/**
 * A generator of realistic swarm logs for property tests and the fold
 * benchmark. From a seed it plays a swarm of a few nodes on one issue:
 * announcements, an election race (sometimes a silent leader replaced in term
 * 2), a plan in 1–3 parts posted in any order, then claims (with races in the
 * same second), progress, heartbeats, failures, releases, retries, lease
 * lapses after long pauses, late completions, and an end. Each move is chosen
 * from a shadow fold of the log so far, as a node would, with a share of
 * wrong moves (stale attempts, claims for blocked tasks, progress from
 * non-owners) that the fold must reject.
 *
 * Noise, kept apart in `noise`, is what must change nothing: people talking,
 * protocol messages from untrusted authors, edited comments, malformed bodies
 * and, with a secret, unsigned, wrongly signed, replayed and tampered
 * messages. Noise carries moves a real node would make (claim the next task,
 * complete a running one, campaign), so a leak in the trust checks shows.
 * Each noise comment is stamped with the second of the clean comment before
 * it: lapses are judged at every comment's time, so noise dated later than
 * the next clean comment would legitimately fold a lapse earlier.
 *
 * @module
 */
import { canonicalJson } from "../../src/protocol/canonical.ts";
import { decodeBody, encodeMessage } from "../../src/protocol/codec.ts";
import { applyComment } from "../../src/protocol/fold.ts";
import { emptyState, type SwarmState } from "../../src/protocol/state.ts";
import type { TrustPolicy } from "../../src/protocol/trust.ts";
import type {
  LogComment,
  PlanSettings,
  PlanTask,
  Priority,
  ProtocolEvent,
} from "../../src/protocol/types.ts";
import { canCampaign, currentLeader, isFinished, liveAttempt } from "../../src/protocol/view.ts";
import { nextTask } from "../../src/protocol/schedule.ts";
import { BOT, ISSUE, mulberry32, REPO, T0 } from "./_log.ts";

/** What to generate. */
export interface SwarmLogOptions {
  seed: number;
  /** Moves after the plan (each posts zero to two comments). */
  steps: number;
  /** Nodes in the swarm (default 3). */
  nodes?: number;
  /** Tasks in the plan (default 6). */
  tasks?: number;
  /** Chance per move of a noise comment (default 0). */
  noise?: number;
  /** Shared secret: every clean message is signed. */
  secret?: string;
  /** Settings the plan publishes. */
  settings?: PlanSettings;
}

/** A generated log. */
export interface SwarmLog {
  /** Every comment in id order. */
  comments: LogComment[];
  /** The comments a trusted node wrote. */
  clean: LogComment[];
  /** Comments that must not change the state. */
  noise: LogComment[];
  policy: TrustPolicy;
  /** The shadow fold of `comments` the generator chose its moves from. */
  state: SwarmState;
}

const PRIORITY_POOL: Priority[] = ["critical", "high", "medium", "medium", "low"];
const FOREIGN = [
  "LGTM 👍",
  "/p2p-dev",
  "Any news? <!-- a hidden note -->",
  "Quoting the bot:\n> 🎯 CLAIM|T1|node-1|attempt 1",
  "🎯 is my favourite emoji",
  "<!-- p2p-dev looks like a marker but is not -->",
];
const MALFORMED = [
  "<!-- p2p-dev v1 {not json} -->",
  "<!-- p2p-dev v9 {} -->",
  '<!-- p2p-dev v1 {"v":1,"node":"node-1","nonce":"x","events":[]} -->',
  '<!-- p2p-dev v1 {"v":1,"node":"node-1","nonce":"x","events":[{"type":"warp"}]} -->',
  "📦 TASKS_DATA|{oops",
  "🎯 CLAIM||node-1|1730000000",
];

/** Default plan settings of generated swarms: 60 s lease, 3 attempts, 5 s backoff. */
export const SWARM_SETTINGS: PlanSettings = { leaseMs: 60_000, maxAttempts: 3, backoffMs: 5_000 };

/**
 * Plays a swarm from `options.seed` and returns its log.
 *
 * @example
 * ```ts
 * const { comments, policy } = buildSwarmLog({ seed: 1, steps: 100, noise: 0.1 });
 * ```
 */
export function buildSwarmLog(options: SwarmLogOptions): SwarmLog {
  const rng = mulberry32(options.seed);
  const int = (n: number) => Math.floor(rng() * n);
  const chance = (p: number) => rng() < p;
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const settings = options.settings ?? SWARM_SETTINGS;
  const secret = options.secret;
  const noiseRate = options.noise ?? 0;

  const nodes = Array.from({ length: Math.max(1, options.nodes ?? 3) }, (_, i) => `node-${i + 1}`);
  // Most nodes are Actions jobs sharing the bot's login; one may be a laptop.
  const authors = new Map(nodes.map((n) => [n, BOT]));
  if (nodes.length > 1 && chance(0.4)) authors.set(nodes.at(-1)!, "alice");
  const policy: TrustPolicy = {
    repo: REPO,
    issue: ISSUE,
    self: BOT,
    allow: new Set(["alice"]),
    writers: new Set(["bob"]),
    ...(secret ? { secret } : {}),
  };

  const state = emptyState();
  const clean: LogComment[] = [];
  const noise: LogComment[] = [];
  let sec = 0;
  let id = 2_200_000_000 + int(1_000_000);
  let lastCleanSec = 0;
  let noiseInGap = 0;
  let nonceSeq = 0;
  const now = () => T0 + sec * 1000;
  const nonce = () => `${(++nonceSeq).toString(36)}-${int(2 ** 30).toString(36)}`;

  const comment = (cid: number, body: string, author: string, time: number, edited = 0) => ({
    id: cid,
    body,
    author,
    authorType: author.endsWith("[bot]") ? "Bot" : "User",
    createdAt: time,
    updatedAt: time + edited,
  });
  const post = (node: string, events: ProtocolEvent[]) => {
    id += 16 + int(48);
    noiseInGap = 0;
    lastCleanSec = sec;
    const body = encodeMessage({ node, nonce: nonce(), events }, {
      repo: REPO,
      issue: ISSUE,
      secret,
    });
    const c = comment(id, body, authors.get(node)!, now());
    clean.push(c);
    applyComment(state, c, policy);
  };
  const addNoise = (body: string, author: string, edited = 0) => {
    if (noiseInGap >= 8) return;
    noiseInGap++;
    const c = comment(id + noiseInGap, body, author, T0 + lastCleanSec * 1000, edited);
    noise.push(c);
    applyComment(state, c, policy);
  };

  /** Live attempts `node` holds at the current second. */
  const owned = (node: string) =>
    state.order.flatMap((t) => {
      const live = liveAttempt(state, state.tasks[t]!, now());
      return live && live.node === node ? [{ task: t, attempt: live.n }] : [];
    });

  /** A move a real node could make now; noise carries these. */
  const tempting = (node: string): ProtocolEvent[] => {
    const ready = nextTask(state, node, now());
    const running = state.order.filter((t) => state.tasks[t]!.status === "active");
    const choices: ProtocolEvent[][] = [[{
      type: "election",
      term: state.terms.length + 1,
      timeoutMs: 1_000,
    }]];
    if (ready) choices.push([{ type: "claim", ...ready }]);
    if (running.length > 0) {
      const t = pick(running);
      const a = state.tasks[t]!.attempts.at(-1)!;
      choices.push([{ type: "progress", task: t, attempt: a.n, status: "completed" }]);
      choices.push([{ type: "release", task: t, attempt: a.n }]);
    }
    const leader = currentLeader(state);
    if (leader) {
      choices.push([{
        type: "plan",
        term: leader.term,
        token: leader.token,
        version: (state.plan?.version ?? 1) + 1,
        part: 1,
        parts: 1,
        tasks: [{ id: "EVIL", title: "rm -rf /", priority: "critical", deps: [] }],
      }]);
    }
    choices.push([{ type: "retry", tasks: [...state.order] }]);
    return pick(choices);
  };

  const makeNoise = () => {
    const node = pick(nodes);
    const kinds = ["foreign", "untrusted", "untrusted_legacy", "edited", "malformed"];
    if (secret) kinds.push("unsigned", "bad_signature", "replayed", "tampered");
    switch (pick(kinds)) {
      case "foreign":
        return addNoise(pick(FOREIGN), pick(["octocat", "bob", BOT]));
      case "untrusted": {
        // With a secret the signature is the membership: an outsider cannot
        // sign, so all it can post is a copy of a message already posted.
        const copied = secret && clean.length > 0 ? pick(clean).body : undefined;
        const body = copied ?? encodeMessage({ node, nonce: nonce(), events: tempting(node) }, {
          repo: REPO,
          issue: ISSUE,
        });
        return addNoise(body, pick(["mallory", "octocat"]));
      }
      case "untrusted_legacy":
        return addNoise(`🎯 LEADER_ELECTION|${node}|1730000000`, "mallory");
      case "edited": {
        const body = encodeMessage({ node, nonce: nonce(), events: tempting(node) }, {
          repo: REPO,
          issue: ISSUE,
          secret,
        });
        return addNoise(body, authors.get(node)!, 1_000 * (1 + int(600)));
      }
      case "malformed":
        return addNoise(pick(MALFORMED), authors.get(node)!);
      case "unsigned": {
        const body = encodeMessage({ node, nonce: nonce(), events: tempting(node) }, {
          repo: REPO,
          issue: ISSUE,
        });
        return addNoise(body, authors.get(node)!);
      }
      case "bad_signature": {
        const body = encodeMessage({ node, nonce: nonce(), events: tempting(node) }, {
          repo: REPO,
          issue: ISSUE,
          secret: `${secret}-wrong`,
        });
        return addNoise(body, authors.get(node)!);
      }
      case "replayed": {
        const body = encodeMessage({ node, nonce: nonce(), events: tempting(node) }, {
          repo: REPO,
          issue: ISSUE + 1,
          secret,
        });
        return addNoise(body, authors.get(node)!);
      }
      default: { // tampered: a signed message whose events were changed afterwards
        const source = clean.length > 0 ? pick(clean) : undefined;
        const decoded = source ? decodeBody(source.body) : undefined;
        if (!source || decoded?.kind !== "message") return;
        const m = decoded.message;
        const json = canonicalJson({ ...m, events: tempting(m.node) })
          .replace(/</g, "\\u003c").replace(/>/g, "\\u003e");
        return addNoise(`<!-- p2p-dev v1 ${json} -->`, source.author);
      }
    }
  };
  const maybeNoise = () => {
    if (noiseRate > 0 && chance(noiseRate)) makeNoise();
  };

  // Nodes come up within a few seconds and announce themselves.
  for (const node of nodes) {
    sec += int(2);
    post(node, [{ type: "announce", role: "node", version: "test", exec: "command" }]);
    maybeNoise();
  }

  // Election race, in the same second or the next.
  const candidates = nodes.filter(() => chance(0.7));
  if (candidates.length === 0) candidates.push(pick(nodes));
  for (const node of candidates) {
    sec += int(2);
    post(node, [{ type: "election", term: 1, timeoutMs: 30_000 }]);
    maybeNoise();
  }
  // Sometimes the winner dies before planning and is replaced in term 2.
  if (nodes.length > 1 && chance(0.3)) {
    sec += 20 + int(30);
    const winner = currentLeader(state)!.node;
    const others = nodes.filter((n) => n !== winner);
    if (canCampaign(state, now())) {
      post(pick(others), [{ type: "election", term: 2, timeoutMs: 30_000 }]);
      if (chance(0.5)) post(pick(others), [{ type: "election", term: 2, timeoutMs: 30_000 }]);
    } else {
      // Too early: this campaign is stale and the first winner stays.
      post(pick(others), [{ type: "election", term: 2, timeoutMs: 30_000 }]);
    }
    maybeNoise();
  }

  // The leader plans; a loser that believed it won may publish too.
  const leader = currentLeader(state)!;
  const tasks: PlanTask[] = [];
  const taskCount = Math.max(1, options.tasks ?? 6);
  for (let i = 0; i < taskCount; i++) {
    const deps = tasks.filter(() => chance(0.25)).slice(0, 2).map((t) => t.id);
    tasks.push({ id: `T${i + 1}`, title: `Task ${i + 1}`, priority: pick(PRIORITY_POOL), deps });
  }
  const parts = Math.min(tasks.length, 1 + int(3));
  const size = Math.ceil(tasks.length / parts);
  const chunks = Array.from({ length: parts }, (_, i) => tasks.slice(i * size, (i + 1) * size))
    .filter((c) => c.length > 0);
  // Some swarms have a task that fails every time it runs.
  const doomed = chance(0.4) ? pick(tasks).id : undefined;
  const loser = nodes.find((n) => n !== leader.node);
  if (loser && chance(0.2)) {
    post(loser, [{
      type: "plan",
      term: leader.term,
      token: leader.token,
      version: 1,
      part: 1,
      parts: 1,
      tasks,
    }]);
  }
  const partOrder = chunks.map((_, i) => i).sort(() => rng() - 0.5);
  for (const i of partOrder) {
    sec += int(2);
    const e: Extract<ProtocolEvent, { type: "plan" }> = {
      type: "plan",
      term: leader.term,
      token: leader.token,
      version: 1,
      part: i + 1,
      parts: chunks.length,
      planner: "generated",
      tasks: chunks[i]!,
    };
    if (i === 0) e.settings = settings;
    post(leader.node, [e]);
    maybeNoise();
  }

  for (let step = 0; step < options.steps; step++) {
    sec += pick([0, 0, 1, 1, 2, 3, 5, 8]);
    const node = pick(nodes);
    const mine = owned(node);
    const r = rng();
    if (r < 0.3) {
      const next = nextTask(state, node, now());
      if (next) {
        // A claim may ask for a lease of its own (longer or shorter than the plan's).
        const lease = chance(0.3) ? { leaseMs: pick([20_000, 90_000, 150_000, 600_000]) } : {};
        post(node, [{ type: "claim", ...next, ...lease }]);
        // Another node with the same view races in the same second.
        if (chance(0.3)) post(pick(nodes), [{ type: "claim", ...next }]);
      } else if (state.order.length > 0) {
        post(node, [{ type: "claim", task: pick(state.order), attempt: 1 + int(3) }]);
      }
    } else if (r < 0.55 && mine.length > 0) {
      const a = pick(mine);
      const s = a.task === doomed ? 0.5 : rng();
      if (s < 0.45) {
        const events: ProtocolEvent[] = [{
          type: "progress",
          task: a.task,
          attempt: a.attempt,
          status: "completed",
          percent: 100,
          result: { summary: "ok", costUsd: 0.01, turns: 3, durationMs: 1_000 },
        }];
        // A completion and the next claim share one comment.
        const next = chance(0.5) ? nextTask(state, node, now()) : undefined;
        if (next && next.task !== a.task) events.push({ type: "claim", ...next });
        post(node, events);
      } else if (s < 0.65) {
        post(node, [{
          type: "progress",
          task: a.task,
          attempt: a.attempt,
          status: "failed",
          note: "exit 1",
        }]);
      } else {
        post(node, [{
          type: "progress",
          task: a.task,
          attempt: a.attempt,
          status: "in_progress",
          percent: int(100),
          note: "working <on> it --> 🚧",
        }]);
      }
    } else if (r < 0.65) {
      post(node, [{
        type: "heartbeat",
        tasks: mine.map((m) => ({ ...m, percent: int(100) })),
      }]);
    } else if (r < 0.7 && mine.length > 0) {
      const a = pick(mine);
      post(node, [{ type: "release", task: a.task, attempt: a.attempt, reason: "shutdown" }]);
    } else if (r < 0.73 && chance(0.3)) {
      const failed = state.order.filter((t) => state.tasks[t]!.status === "failed");
      if (failed.length > 0) post(node, [{ type: "retry", tasks: failed }]);
    } else if (r < 0.83) {
      // A long pause: leases of silent owners lapse.
      sec += 30 + int(90);
    } else if (r < 0.9) {
      // A late completion from an owner whose lease lapsed.
      const late = state.order.flatMap((t) => {
        const ts = state.tasks[t]!;
        const a = ts.attempts.find((x) => x.node === node && x.end?.kind === "lapsed");
        return a && ts.status !== "done" ? [{ task: t, attempt: a.n }] : [];
      });
      if (late.length > 0) {
        const a = pick(late);
        post(node, [{ type: "progress", ...a, status: "completed", percent: 100 }]);
      }
    } else if (state.order.length > 0) {
      // A stale or foreign progress report: the fold must reject it.
      post(node, [{
        type: "progress",
        task: pick(state.order),
        attempt: 1 + int(3),
        status: pick(["in_progress", "failed", "completed"] as const),
      }]);
    }
    maybeNoise();
    if (!state.ended && isFinished(state, now()) && chance(0.3)) {
      post(leader.node, [{ type: "end", reason: "all tasks finished" }]);
      break;
    }
  }

  const comments = [...clean, ...noise].sort((a, b) => a.id - b.id);
  return { comments, clean, noise, policy, state };
}

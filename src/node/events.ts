/**
 * What a node reports about itself while it runs: the CLI renders these as a
 * live view, plain lines or JSON lines; the simulation records them to check
 * invariants.
 *
 * @module
 */

import type { ResignCause } from "../protocol/types.ts";

/** One thing a node did or saw. `serverTime` is its estimate of GitHub's time. */
export type NodeEvent =
  | { type: "start"; node: string; login: string; serverTime: number }
  | { type: "campaign"; term: number; serverTime: number }
  | { type: "elected"; term: number; token: number; serverTime: number }
  | { type: "follower"; leader: string; term: number; serverTime: number }
  | { type: "planned"; tasks: number; parts: number; planner: string; serverTime: number }
  | { type: "plan_seen"; tasks: number; term: number; serverTime: number }
  | { type: "claim"; task: string; attempt: number; serverTime: number }
  | { type: "claim_lost"; task: string; attempt: number; winner: string; serverTime: number }
  | { type: "exec_start"; task: string; attempt: number; serverTime: number }
  | { type: "progress"; task: string; percent: number; note?: string; serverTime: number }
  | {
    type: "exec_end";
    task: string;
    attempt: number;
    ok: boolean;
    summary?: string;
    serverTime: number;
  }
  | { type: "lost_ownership"; task: string; attempt: number; serverTime: number }
  | { type: "release"; task: string; attempt: number; serverTime: number }
  | { type: "poll"; changed: boolean; comments: number; intervalMs: number; serverTime: number }
  | { type: "api_error"; message: string; serverTime: number }
  | { type: "resign"; term: number; cause: ResignCause; reason?: string; serverTime: number }
  | { type: "status_answered"; request: number; comment: number; serverTime: number }
  | { type: "status_deduplicated"; comment: number; serverTime: number }
  | { type: "stop"; reason: StopReason; detail?: string; serverTime: number };

/** Why a node stopped. */
export type StopReason =
  | "finished"
  | "ended"
  | "max_tasks"
  | "max_runtime"
  | "interrupted"
  | "planned"
  | "elected"
  | "not_leader"
  /** The leader's planning failed (this node's or, seen while running, another's). */
  | "plan_failed"
  /** The log holds task messages but its plan is gone (deleted or edited, never restored). */
  | "plan_missing"
  /** Attempts kept failing for reasons of this node (workspace, git, executor missing). */
  | "local_failures"
  /** The swarm's reported costs reached the cost cap: nothing new is claimed. */
  | "budget";

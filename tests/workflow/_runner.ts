/**
 * A local runner for GitHub Actions workflows, enough of GitHub's semantics to
 * run this repository's workflows for real against the emulator:
 *
 * - the YAML is parsed with `yaml` (YAML 1.2, so `on:` stays a key); every
 *   `${{ }}` and `if:` is evaluated by GitHub's expression engine
 *   (tests/workflow/_expressions.ts);
 * - `on:` decides whether an event starts a run (event names and `types:`);
 * - workflow-level `concurrency`: one running run per group, a newer request
 *   waits as the group's pending run and replaces (cancels) an older pending
 *   one; `cancel-in-progress: true` cancels the running one instead
 *   (https://docs.github.com/actions/writing-workflows/choosing-what-your-workflow-does/control-the-concurrency-of-workflows-and-jobs);
 * - jobs run when their `needs` are done; `needs.<job>.outputs` and
 *   `.result`; a job's `if:` with the implicit `success()`; `outputs:`;
 * - `strategy.matrix` (also from `fromJSON`), its legs in parallel
 *   (`max-parallel`), `fail-fast` (default true);
 * - job-level `concurrency` (without a matrix): one running job per group, a
 *   newer job waits and replaces (cancels) an older waiting one; a run with a
 *   cancelled job is cancelled;
 * - `environment:` (`name` and `url`, the url evaluated after the steps), kept
 *   on the job's result;
 * - `permissions:` (workflow, then job) become the scopes of the job's own
 *   `GITHUB_TOKEN`, an installation token the emulator enforces; with
 *   `id-token: write` the steps get `ACTIONS_ID_TOKEN_REQUEST_URL` and
 *   `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, as GitHub sets them only then
 *   (https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#adding-permissions-settings);
 * - `env:` at workflow, job and step level; `run:` steps run with
 *   `bash --noprofile --norc -eo pipefail {0}` (GitHub's `bash` shell on
 *   Linux) and the variables GitHub sets
 *   (https://docs.github.com/actions/writing-workflows/choosing-what-your-workflow-does/store-information-in-variables#default-environment-variables),
 *   honouring `$GITHUB_OUTPUT`, `$GITHUB_ENV`, `$GITHUB_PATH`,
 *   `$GITHUB_STEP_SUMMARY` and `::add-mask::`; GitHub does not put
 *   `GITHUB_TOKEN` in the environment, and neither does this runner;
 * - `uses:` steps run local stand-ins the host provides, by action name; an
 *   action without one fails its step (nothing is silently skipped).
 *
 * Unsupported keys that would change what runs (job `concurrency`, matrix
 * `include`/`exclude`, `container`, `services`, reusable workflows, shells
 * other than bash and sh) throw, so a workflow cannot pass by being misread.
 *
 * @module
 */
import { join } from "node:path";
import { parse } from "yaml";
import { condition, type Contexts, interpolate, type Status } from "./_expressions.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** An event delivered to a workflow, as GitHub hands it to a run. */
export interface WorkflowEvent {
  /** `GITHUB_EVENT_NAME`: `issues`, `issue_comment`, `workflow_dispatch`, ... */
  name: string;
  /** The webhook payload (`GITHUB_EVENT_PATH`, `github.event`). */
  payload: Json;
  /** Who caused it (`github.actor`). */
  actor: string;
  actorId: number;
}

/** The scopes of a job's token; unset means GitHub's default (unrestricted here). */
export type TokenScopes = Record<string, "read" | "write" | "none">;

/** What a `uses:` stand-in gets. */
export interface StandInContext {
  /** `with:` values, interpolated. */
  inputs: Record<string, string>;
  workspace: string;
  /** The run's folder (artifacts go under it). */
  runDir: string;
  token: string;
  /** The scopes of `token` (undefined: GitHub's default). */
  scopes: TokenScopes | undefined;
  /** The job's environment, when it names one. */
  environment: string | undefined;
  env: Record<string, string>;
}

/** A local stand-in for an action: may return outputs. */
export type StandIn = (ctx: StandInContext) => Promise<Record<string, string> | void>;

/** What the runner needs from its surroundings. */
export interface RunnerHost {
  /** Emulator URL: `GITHUB_API_URL` and `GITHUB_SERVER_URL`. */
  apiUrl: string;
  /** `owner/name`. */
  repository: string;
  repositoryId: number;
  ownerId: number;
  /** Default branch and its head (`GITHUB_REF`, `GITHUB_SHA`). */
  defaultBranch: string;
  sha: string;
  /** Repository variables (`vars`) and secrets (`secrets`, without GITHUB_TOKEN). */
  vars: Record<string, string>;
  secrets: Record<string, string>;
  /** Issues a job's `GITHUB_TOKEN` with these scopes (undefined: not restricted). */
  issueToken(scopes: TokenScopes | undefined): string;
  /** Stand-ins by action name (`actions/checkout`, without `@ref`). */
  actions: Record<string, StandIn>;
  /** Folder for runs. */
  dir: string;
  /** Extra environment every step gets (PATH and the like come from here). */
  baseEnv: Record<string, string>;
}

/** A step as it ran. */
export interface StepResult {
  id: string | undefined;
  name: string;
  outcome: "success" | "failure" | "skipped" | "cancelled";
  conclusion: "success" | "failure" | "skipped" | "cancelled";
  outputs: Record<string, string>;
  /** Standard output and error (masked values replaced by `***`). */
  log: string;
  exitCode: number | null;
}

/** One leg of a job (a job without a matrix has one). */
export interface LegResult {
  matrix: Record<string, unknown>;
  name: string;
  result: "success" | "failure" | "cancelled";
  steps: StepResult[];
  /** What the steps appended to `$GITHUB_STEP_SUMMARY`. */
  summary: string;
  token: string;
  outputs: Record<string, string>;
  /** The job's `environment:` for this leg. */
  environment?: { name: string; url: string };
}

/** A job as it ended. */
export interface JobResult {
  id: string;
  result: "success" | "failure" | "cancelled" | "skipped";
  outputs: Record<string, string>;
  legs: LegResult[];
  /** Why the job failed before any step ran (matrix errors and the like). */
  error?: string;
  /** The job's `environment:`, its url evaluated after the steps. */
  environment?: { name: string; url: string };
}

let runIds = 7_000_000_000;

/**
 * One workflow run: queued behind its concurrency group, then its jobs.
 */
export class WorkflowRun {
  readonly id: number;
  readonly number: number;
  readonly attempt = 1;
  readonly event: WorkflowEvent;
  readonly group: string | null;
  state: "pending" | "in_progress" | "completed" = "pending";
  conclusion: "success" | "failure" | "cancelled" | null = null;
  readonly jobs: Record<string, JobResult> = {};
  /** Resolves when the run completed (also when it was cancelled while pending). */
  readonly done: Promise<WorkflowRun>;
  readonly abort = new AbortController();
  #resolve!: (run: WorkflowRun) => void;

  constructor(id: number, number: number, event: WorkflowEvent, group: string | null) {
    this.id = id;
    this.number = number;
    this.event = event;
    this.group = group;
    this.done = new Promise((resolve) => this.#resolve = resolve);
  }

  /** Cancels the run: a pending one never starts, a running one has its steps killed. */
  cancel(why = "cancelled"): void {
    if (this.state === "completed") return;
    this.abort.abort(new Error(why));
    if (this.state === "pending") this.finish("cancelled");
  }

  /** Marks the run completed. */
  finish(conclusion: "success" | "failure" | "cancelled"): void {
    if (this.state === "completed") return;
    this.state = "completed";
    this.conclusion = conclusion;
    this.#resolve(this);
  }

  /** Every leg of every job, with its job id. */
  legs(): (LegResult & { job: string })[] {
    return Object.values(this.jobs).flatMap((j) => j.legs.map((l) => ({ ...l, job: j.id })));
  }

  /** A readable account of the run, for assertion messages. */
  describe(): string {
    const lines = [`run ${this.id} (${this.event.name}): ${this.state} ${this.conclusion ?? ""}`];
    for (const job of Object.values(this.jobs)) {
      lines.push(`  job ${job.id}: ${job.result}${job.error ? ` (${job.error})` : ""}`);
      for (const leg of job.legs) {
        lines.push(`    ${leg.name}: ${leg.result}`);
        for (const s of leg.steps) {
          lines.push(`      ${s.name}: ${s.outcome}${s.exitCode ? ` (exit ${s.exitCode})` : ""}`);
          if (s.outcome === "failure") {
            lines.push(...s.log.trim().split("\n").slice(-15).map((l) => `        | ${l}`));
          }
        }
      }
    }
    return lines.join("\n");
  }
}

/** What every job of a run shares. */
interface JobShared {
  base: Contexts;
  workflowEnv: Record<string, string>;
  eventPath: string;
  runDir: string;
}

const UNSUPPORTED_JOB_KEYS = ["container", "services", "uses"];

/**
 * Runs one workflow file's runs against a host.
 *
 * @example
 * ```ts
 * const runner = new WorkflowRunner(host, text, ".github/workflows/p2p-autonomous-dev.yml");
 * const run = runner.deliver(event);
 * await run?.done;
 * ```
 */
export class WorkflowRunner {
  readonly workflow: Json;
  readonly path: string;
  readonly host: RunnerHost;
  readonly runs: WorkflowRun[] = [];
  #groups = new Map<
    string,
    { running: WorkflowRun | undefined; pending: WorkflowRun | undefined }
  >();
  /** Job-level concurrency groups: the run whose job holds it, and the job waiting (to start or be replaced). */
  #jobGroups = new Map<
    string,
    { running: number | undefined; pending: { run: number; go(start: boolean): void } | undefined }
  >();
  #deadlineMs: number;

  constructor(host: RunnerHost, text: string, path: string, options: { deadlineMs?: number } = {}) {
    this.host = host;
    this.path = path;
    this.workflow = parse(text);
    this.#deadlineMs = options.deadlineMs ?? 120_000;
    if (typeof this.workflow !== "object" || !this.workflow.jobs) {
      throw new TypeError(`${path} is not a workflow: it has no jobs.`);
    }
  }

  /** Whether `on:` subscribes to the event (its name and, where given, `types:`). */
  triggers(event: WorkflowEvent): boolean {
    const on = this.workflow.on;
    const names = typeof on === "string" ? [on] : Array.isArray(on) ? on : Object.keys(on ?? {});
    if (!names.includes(event.name)) return false;
    const types = on?.[event.name]?.types as string[] | undefined;
    return !types || types.includes(event.payload?.action);
  }

  /**
   * Delivers an event: a run when `on:` subscribes to it, started now or
   * queued behind its concurrency group; null otherwise.
   */
  deliver(event: WorkflowEvent): WorkflowRun | null {
    if (!this.triggers(event)) return null;
    const id = ++runIds;
    const number = this.runs.length + 1;
    const base = this.#baseContexts(event, id, number);
    const concurrency = this.workflow.concurrency;
    let group: string | null = null;
    let cancelInProgress = false;
    if (concurrency !== undefined) {
      const c = interpolate(concurrency, base) as Json;
      group = typeof c === "string" ? c : String(c.group);
      const cip = c?.["cancel-in-progress"];
      cancelInProgress = cip === true || cip === "true";
    }
    const run = new WorkflowRun(id, number, event, group);
    this.runs.push(run);
    if (group === null) {
      this.#start(run);
      return run;
    }
    const slot = this.#groups.get(group) ?? { running: undefined, pending: undefined };
    this.#groups.set(group, slot);
    if (!slot.running) {
      slot.running = run;
      this.#start(run);
    } else if (cancelInProgress) {
      slot.pending?.cancel("Canceling since a higher priority waiting request exists");
      slot.pending = run;
      slot.running.cancel("Canceling since a higher priority waiting request exists");
    } else {
      slot.pending?.cancel("Canceling since a higher priority waiting request exists");
      slot.pending = run;
    }
    return run;
  }

  #start(run: WorkflowRun): void {
    run.state = "in_progress";
    const deadline = setTimeout(
      () => run.cancel(`The run passed the harness deadline of ${this.#deadlineMs} ms.`),
      this.#deadlineMs,
    );
    this.#execute(run)
      .then(
        (conclusion) => run.finish(conclusion),
        (error) => {
          run.jobs["(runner)"] = {
            id: "(runner)",
            result: "failure",
            outputs: {},
            legs: [],
            error: error instanceof Error ? error.stack ?? error.message : String(error),
          };
          run.finish("failure");
        },
      )
      .finally(() => {
        clearTimeout(deadline);
        if (run.group === null) return;
        const slot = this.#groups.get(run.group)!;
        if (slot.running === run) {
          slot.running = slot.pending;
          slot.pending = undefined;
          if (slot.running && slot.running.state === "pending") this.#start(slot.running);
        }
      });
  }

  #baseContexts(event: WorkflowEvent, id: number, number: number): Contexts {
    const h = this.host;
    const inputs = event.name === "workflow_dispatch" ? this.#inputs(event) : {};
    return {
      github: {
        event_name: event.name,
        event: event.payload,
        run_id: String(id),
        run_number: String(number),
        run_attempt: "1",
        repository: h.repository,
        repository_id: String(h.repositoryId),
        repository_owner: h.repository.split("/")[0],
        repository_owner_id: String(h.ownerId),
        actor: event.actor,
        actor_id: String(event.actorId),
        triggering_actor: event.actor,
        server_url: h.apiUrl,
        api_url: h.apiUrl,
        graphql_url: `${h.apiUrl}/graphql`,
        sha: h.sha,
        ref: `refs/heads/${h.defaultBranch}`,
        ref_name: h.defaultBranch,
        ref_type: "branch",
        head_ref: "",
        base_ref: "",
        workflow: this.workflow.name ?? this.path,
        workflow_ref: `${h.repository}/${this.path}@refs/heads/${h.defaultBranch}`,
        workflow_sha: h.sha,
        retention_days: "90",
        secret_source: "Actions",
      },
      inputs,
      vars: { ...h.vars },
    };
  }

  /** `inputs`: the dispatch's values over the declared defaults. */
  #inputs(event: WorkflowEvent): Record<string, unknown> {
    const declared = this.workflow.on?.workflow_dispatch?.inputs ?? {};
    const out: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(declared as Record<string, Json>)) {
      if (spec?.default !== undefined) out[name] = spec.default;
    }
    return { ...out, ...(event.payload?.inputs ?? {}) };
  }

  async #execute(run: WorkflowRun): Promise<"success" | "failure" | "cancelled"> {
    const runDir = join(this.host.dir, `run-${run.id}`);
    await Deno.mkdir(runDir, { recursive: true });
    const eventPath = join(runDir, "event.json");
    await Deno.writeTextFile(eventPath, JSON.stringify(run.event.payload));
    const base = this.#baseContexts(run.event, run.id, run.number);
    const workflowEnv = stringRecord(
      interpolate(this.workflow.env ?? {}, { ...base, secrets: this.#secrets("") }),
    );
    const defs = this.workflow.jobs as Record<string, Json>;
    for (const [id, def] of Object.entries(defs)) {
      for (const key of UNSUPPORTED_JOB_KEYS) {
        if (def[key] !== undefined) {
          throw new TypeError(`Job "${id}" uses "${key}", which this harness does not run.`);
        }
      }
    }
    const started = new Map<string, Promise<void>>();
    const runJob = (id: string): Promise<void> => {
      let p = started.get(id);
      if (!p) {
        const needs = needsOf(defs[id]);
        p = Promise.all(needs.map(runJob)).then(async () => {
          run.jobs[id] = await this.#job(run, id, defs[id], {
            base,
            workflowEnv,
            eventPath,
            runDir,
          });
        });
        started.set(id, p);
      }
      return p;
    };
    await Promise.all(Object.keys(defs).map(runJob));
    if (run.abort.signal.aborted) return "cancelled";
    const results = Object.values(run.jobs).map((j) => j.result);
    return results.includes("failure")
      ? "failure"
      : results.includes("cancelled")
      ? "cancelled"
      : "success";
  }

  #secrets(token: string): Record<string, string> {
    return { ...this.host.secrets, GITHUB_TOKEN: token };
  }

  async #job(
    run: WorkflowRun,
    id: string,
    def: Json,
    shared: JobShared,
  ): Promise<JobResult> {
    const needs: Record<string, { result: string; outputs: Record<string, string> }> = {};
    for (const n of needsOf(def)) {
      const r = run.jobs[n]!;
      needs[n] = { result: r.result, outputs: r.outputs };
    }
    const results = Object.values(needs).map((n) => n.result);
    const status: Status = {
      success: results.every((r) => r === "success"),
      failure: results.some((r) => r === "failure"),
      cancelled: run.abort.signal.aborted,
    };
    const jobContexts = { ...shared.base, needs };
    if (!condition(def.if, jobContexts, status)) {
      return {
        id,
        result: run.abort.signal.aborted ? "cancelled" : "skipped",
        outputs: {},
        legs: [],
      };
    }
    const release = await this.#enterJobGroup(run, def, jobContexts, id);
    if (release === null) return { id, result: "cancelled", outputs: {}, legs: [] };
    try {
      return await this.#jobIn(run, id, def, shared, needs, jobContexts);
    } finally {
      release();
    }
  }

  /**
   * Waits for the job's concurrency group: null when a newer job replaced
   * this one while it waited, else a function that leaves the group.
   */
  async #enterJobGroup(
    run: WorkflowRun,
    def: Json,
    contexts: Contexts,
    id: string,
  ): Promise<(() => void) | null> {
    if (def.concurrency === undefined) return () => {};
    if (def.strategy?.matrix !== undefined) {
      throw new TypeError(`Job "${id}" has a matrix and a concurrency group: not supported here.`);
    }
    const c = interpolate(def.concurrency, contexts) as Json;
    const group = typeof c === "string" ? c : String(c.group);
    const cip = c?.["cancel-in-progress"];
    if (cip === true || cip === "true") {
      throw new TypeError(`Job "${id}": job-level cancel-in-progress is not supported here.`);
    }
    const slot = this.#jobGroups.get(group) ?? { running: undefined, pending: undefined };
    this.#jobGroups.set(group, slot);
    const leave = () => {
      const next = slot.pending;
      slot.pending = undefined;
      slot.running = next?.run;
      next?.go(true);
    };
    if (slot.running === undefined) {
      slot.running = run.id;
      return leave;
    }
    slot.pending?.go(false);
    const started = await new Promise<boolean>((go) => slot.pending = { run: run.id, go });
    return started ? leave : null;
  }

  /** The runs whose jobs hold and wait for a job-level concurrency group. */
  jobGroup(group: string): { running: number | undefined; pending: number | undefined } {
    const slot = this.#jobGroups.get(group);
    return { running: slot?.running, pending: slot?.pending?.run };
  }

  async #jobIn(
    run: WorkflowRun,
    id: string,
    def: Json,
    shared: JobShared,
    needs: Record<string, { result: string; outputs: Record<string, string> }>,
    jobContexts: Contexts,
  ): Promise<JobResult> {
    // A job's permissions replace the workflow's; without either, GitHub's default applies.
    const scopes = tokenScopes(def.permissions ?? this.workflow.permissions);
    let combos: Record<string, unknown>[];
    const strategy = (def.strategy ?? {}) as Json;
    try {
      combos = matrixLegs(interpolate(strategy.matrix, jobContexts));
    } catch (error) {
      return { id, result: "failure", outputs: {}, legs: [], error: (error as Error).message };
    }
    const failFast = strategy["fail-fast"] === undefined
      ? true
      : interpolate(strategy["fail-fast"], jobContexts) !== false;
    const maxParallel = Number(interpolate(strategy["max-parallel"] ?? combos.length, jobContexts));
    const legAbort = new AbortController();
    const onRunAbort = () => legAbort.abort(run.abort.signal.reason);
    run.abort.signal.addEventListener("abort", onRunAbort, { once: true });
    const legs: LegResult[] = new Array(combos.length);
    let next = 0;
    const worker = async () => {
      while (next < combos.length) {
        const index = next++;
        const leg = await this.#leg(run, id, def, combos[index]!, index, combos.length, {
          ...shared,
          needs,
          scopes,
          signal: legAbort.signal,
        });
        legs[index] = leg;
        if (leg.result === "failure" && failFast) legAbort.abort(new Error("fail-fast"));
      }
    };
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(maxParallel, combos.length)) }, worker),
    );
    run.abort.signal.removeEventListener("abort", onRunAbort);
    const outputs = Object.assign({}, ...legs.map((l) => l.outputs)) as Record<string, string>;
    const result = legs.some((l) => l.result === "failure")
      ? "failure"
      : legs.some((l) => l.result === "cancelled")
      ? "cancelled"
      : "success";
    const environment = legs.find((l) => l.environment)?.environment;
    return { id, result, outputs, legs, ...(environment ? { environment } : {}) };
  }

  async #leg(
    run: WorkflowRun,
    jobId: string,
    def: Json,
    matrix: Record<string, unknown>,
    index: number,
    total: number,
    shared: {
      base: Contexts;
      workflowEnv: Record<string, string>;
      eventPath: string;
      runDir: string;
      needs: Record<string, unknown>;
      scopes: TokenScopes | undefined;
      signal: AbortSignal;
    },
  ): Promise<LegResult> {
    const dir = join(shared.runDir, `${jobId}-${index + 1}`);
    const workspace = join(dir, "workspace");
    const temp = join(dir, "temp");
    const home = join(dir, "home");
    for (const d of [workspace, temp, home]) await Deno.mkdir(d, { recursive: true });
    const token = this.host.issueToken(shared.scopes);
    const secrets = this.#secrets(token);
    const github = {
      ...(shared.base.github as Record<string, unknown>),
      job: jobId,
      token,
      workspace,
      action: "",
    };
    const strategyCtx = {
      "fail-fast": def.strategy?.["fail-fast"] ?? true,
      "job-index": index,
      "job-total": total,
      "max-parallel": def.strategy?.["max-parallel"] ?? total,
    };
    const runner = {
      os: "Linux",
      arch: "X64",
      name: `harness-${jobId}-${index + 1}`,
      temp,
      tool_cache: join(dir, "toolcache"),
      environment: "github-hosted",
    };
    const ctx: Contexts = {
      ...shared.base,
      github,
      needs: shared.needs,
      matrix,
      strategy: strategyCtx,
      runner,
      job: { status: "success" },
      secrets,
      env: { ...shared.workflowEnv },
      steps: {},
    };
    const name = String(interpolate(def.name ?? jobId, ctx));
    const envDef: { name?: unknown; url?: unknown } | undefined = def.environment === undefined
      ? undefined
      : typeof def.environment === "string"
      ? { name: def.environment }
      : def.environment;
    const environment = envDef === undefined ? undefined : String(interpolate(envDef.name, ctx));
    const jobEnv = { ...shared.workflowEnv, ...stringRecord(interpolate(def.env ?? {}, ctx)) };
    ctx.env = { ...jobEnv };
    const files = {
      output: join(temp, "_runner_file_commands", "output"),
      env: join(temp, "_runner_file_commands", "env"),
      path: join(temp, "_runner_file_commands", "path"),
      summary: join(temp, "_runner_file_commands", "summary"),
      state: join(temp, "_runner_file_commands", "state"),
    };
    await Deno.mkdir(join(temp, "_runner_file_commands"), { recursive: true });
    const h = this.host;
    const defaults: Record<string, string> = {
      ...h.baseEnv,
      HOME: home,
      CI: "true",
      GITHUB_ACTIONS: "true",
      GITHUB_ACTOR: run.event.actor,
      GITHUB_ACTOR_ID: String(run.event.actorId),
      GITHUB_TRIGGERING_ACTOR: run.event.actor,
      GITHUB_API_URL: h.apiUrl,
      GITHUB_GRAPHQL_URL: `${h.apiUrl}/graphql`,
      GITHUB_SERVER_URL: h.apiUrl,
      GITHUB_EVENT_NAME: run.event.name,
      GITHUB_EVENT_PATH: shared.eventPath,
      GITHUB_JOB: jobId,
      GITHUB_REF: `refs/heads/${h.defaultBranch}`,
      GITHUB_REF_NAME: h.defaultBranch,
      GITHUB_REF_TYPE: "branch",
      GITHUB_REPOSITORY: h.repository,
      GITHUB_REPOSITORY_ID: String(h.repositoryId),
      GITHUB_REPOSITORY_OWNER: h.repository.split("/")[0]!,
      GITHUB_REPOSITORY_OWNER_ID: String(h.ownerId),
      GITHUB_RETENTION_DAYS: "90",
      GITHUB_RUN_ATTEMPT: String(run.attempt),
      GITHUB_RUN_ID: String(run.id),
      GITHUB_RUN_NUMBER: String(run.number),
      GITHUB_SHA: h.sha,
      GITHUB_WORKFLOW: String(this.workflow.name ?? this.path),
      GITHUB_WORKFLOW_REF: `${h.repository}/${this.path}@refs/heads/${h.defaultBranch}`,
      GITHUB_WORKFLOW_SHA: h.sha,
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: files.output,
      GITHUB_ENV: files.env,
      GITHUB_PATH: files.path,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_STATE: files.state,
      RUNNER_ARCH: "X64",
      RUNNER_NAME: runner.name,
      RUNNER_OS: "Linux",
      RUNNER_TEMP: temp,
      RUNNER_TOOL_CACHE: runner.tool_cache,
      RUNNER_ENVIRONMENT: "github-hosted",
      ...(shared.scopes?.["id-token"] === "write"
        ? {
          ACTIONS_ID_TOKEN_REQUEST_URL: `${h.apiUrl}/_harness/oidc?run=${run.id}&job=${jobId}`,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: `oidc-${token}`,
        }
        : {}),
    };
    const exported: Record<string, string> = {};
    const paths: string[] = [];
    const masks: string[] = [];
    const steps: StepResult[] = [];
    const stepsCtx: Record<string, unknown> = {};
    ctx.steps = stepsCtx;
    let summary = "";
    let failed = false;
    const stepDefs = (def.steps ?? []) as Json[];
    for (let i = 0; i < stepDefs.length; i++) {
      const step = stepDefs[i];
      const stepName = String(
        interpolate(
          step.name ?? (step.uses ? `Run ${step.uses}` : `Run ${firstLine(step.run)}`),
          ctx,
        ),
      );
      const cancelled = shared.signal.aborted;
      const status: Status = { success: !failed, failure: failed, cancelled };
      ctx.env = { ...jobEnv, ...exported };
      if (!condition(step.if, ctx, status)) {
        const r: StepResult = {
          id: step.id,
          name: stepName,
          outcome: cancelled ? "cancelled" : "skipped",
          conclusion: cancelled ? "cancelled" : "skipped",
          outputs: {},
          log: "",
          exitCode: null,
        };
        steps.push(r);
        if (step.id) {
          stepsCtx[step.id] = { outputs: {}, outcome: r.outcome, conclusion: r.conclusion };
        }
        continue;
      }
      const stepEnv = stringRecord(interpolate(step.env ?? {}, ctx));
      ctx.env = { ...jobEnv, ...exported, ...stepEnv };
      for (const f of [files.output, files.summary, files.env, files.path]) {
        await Deno.writeTextFile(f, "");
      }
      const env: Record<string, string> = {
        ...jobEnv,
        ...exported,
        ...stepEnv,
        ...defaults,
        GITHUB_ACTION: step.id ?? `__run_${i + 1}`,
        PATH: [...paths].reverse().concat(defaults.PATH ?? "").join(":"),
      };
      let outcome: StepResult["outcome"] = "success";
      let log = "";
      let exitCode: number | null = 0;
      let outputs: Record<string, string> = {};
      if (step.uses) {
        const action = String(step.uses).split("@")[0]!;
        const standIn = h.actions[action];
        try {
          if (!standIn) throw new TypeError(`No local stand-in for "uses: ${step.uses}".`);
          outputs = (await standIn({
            inputs: stringRecord(interpolate(step.with ?? {}, ctx)),
            workspace,
            runDir: shared.runDir,
            token,
            scopes: shared.scopes,
            environment,
            env,
          })) ?? {};
        } catch (error) {
          outcome = "failure";
          exitCode = 1;
          log = `::error::${(error as Error).message}`;
        }
      } else {
        const shell = step.shell ?? def.defaults?.run?.shell ??
          this.workflow.defaults?.run?.shell ??
          "bash";
        const script = String(interpolate(String(step.run ?? ""), ctx));
        const cwd = step["working-directory"]
          ? join(workspace, String(interpolate(step["working-directory"], ctx)))
          : workspace;
        const r = await runScript(script, shell, cwd, env, temp, shared.signal);
        exitCode = r.code;
        log = r.log;
        if (r.code !== 0) outcome = shared.signal.aborted ? "cancelled" : "failure";
        outputs = parseFileCommand(await Deno.readTextFile(files.output));
      }
      for (const line of log.split("\n")) {
        const m = /^::add-mask::(.+)$/.exec(line);
        if (m && m[1]!.trim() !== "") masks.push(m[1]!.trim());
      }
      Object.assign(exported, parseFileCommand(await Deno.readTextFile(files.env)));
      paths.push(
        ...(await Deno.readTextFile(files.path)).split("\n").map((s) => s.trim()).filter(Boolean),
      );
      summary += await Deno.readTextFile(files.summary);
      const continueOnError = step["continue-on-error"] === true ||
        interpolate(step["continue-on-error"] ?? false, ctx) === true;
      const conclusion = outcome === "failure" && continueOnError ? "success" : outcome;
      if (conclusion === "failure" || conclusion === "cancelled") failed = true;
      const masked = masks.reduce((text, secret) => text.split(secret).join("***"), log);
      steps.push({
        id: step.id,
        name: stepName,
        outcome,
        conclusion,
        outputs,
        log: masked,
        exitCode,
      });
      if (step.id) stepsCtx[step.id] = { outputs, outcome, conclusion };
    }
    ctx.env = { ...jobEnv, ...exported };
    const result = shared.signal.aborted && failed ? "cancelled" : failed ? "failure" : "success";
    ctx.job = { status: result };
    const outputs = stringRecord(interpolate(def.outputs ?? {}, ctx));
    return {
      matrix,
      name,
      result,
      steps,
      summary,
      token,
      outputs,
      ...(environment !== undefined
        ? { environment: { name: environment, url: String(interpolate(envDef?.url ?? "", ctx)) } }
        : {}),
    };
  }
}

function firstLine(text: unknown): string {
  return String(text ?? "").trim().split("\n")[0] ?? "";
}

function needsOf(def: Json): string[] {
  const n = def?.needs;
  return n === undefined ? [] : Array.isArray(n) ? n.map(String) : [String(n)];
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>)) {
    out[k] = v === null || v === undefined
      ? ""
      : typeof v === "object"
      ? JSON.stringify(v)
      : String(v);
  }
  return out;
}

/**
 * The legs of a matrix: the cartesian product of its vectors. GitHub fails a
 * job whose matrix vector is empty; so does this.
 */
function matrixLegs(matrix: unknown): Record<string, unknown>[] {
  if (matrix === undefined || matrix === null) return [{}];
  if (typeof matrix !== "object" || Array.isArray(matrix)) {
    throw new TypeError(`Invalid matrix ${JSON.stringify(matrix)}: expected a mapping.`);
  }
  let legs: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(matrix as Record<string, unknown>)) {
    if (key === "include" || key === "exclude") {
      throw new TypeError(`Matrix "${key}" is not supported by this harness.`);
    }
    if (!Array.isArray(values)) {
      throw new TypeError(`Matrix vector "${key}" is not a list: ${JSON.stringify(values)}.`);
    }
    if (values.length === 0) {
      throw new TypeError(`Matrix vector '${key}' does not contain any values`);
    }
    legs = legs.flatMap((leg) => values.map((v) => ({ ...leg, [key]: v })));
  }
  return legs;
}

const SCOPES = ["actions", "contents", "issues", "pull-requests", "metadata", "pages", "id-token"];

/**
 * The token scopes a `permissions:` value grants: listed scopes as given,
 * unlisted ones `none` (metadata stays readable); `read-all`/`write-all`.
 */
function tokenScopes(permissions: unknown): TokenScopes | undefined {
  if (permissions === undefined) return undefined;
  if (permissions === "read-all" || permissions === "write-all") {
    const level = permissions === "read-all" ? "read" : "write";
    return Object.fromEntries(SCOPES.map((s) => [s, level])) as TokenScopes;
  }
  if (typeof permissions !== "object" || permissions === null) {
    throw new TypeError(`Invalid permissions ${JSON.stringify(permissions)}.`);
  }
  const given = permissions as Record<string, string>;
  const out: TokenScopes = {};
  for (const s of SCOPES) out[s] = (given[s] as "read" | "write" | "none") ?? "none";
  if (out.metadata === "none") out.metadata = "read";
  return out;
}

/**
 * Parses `$GITHUB_OUTPUT`/`$GITHUB_ENV`: `name=value` lines and
 * `name<<DELIMITER` blocks.
 */
function parseFileCommand(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line === "") continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      i++;
      while (i < lines.length && lines[i]!.replace(/\r$/, "") !== delimiter) {
        value.push(lines[i++]!);
      }
      if (i >= lines.length) throw new SyntaxError(`Unterminated ${name}<<${delimiter} block.`);
      out[name!] = value.join("\n");
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new SyntaxError(`Invalid file command line ${JSON.stringify(line)}.`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/**
 * Runs a `run:` script as GitHub's shells do, in its own process group so a
 * cancel stops everything it started.
 */
async function runScript(
  script: string,
  shell: string,
  cwd: string,
  env: Record<string, string>,
  temp: string,
  signal: AbortSignal,
): Promise<{ code: number; log: string }> {
  const file = join(temp, `${crypto.randomUUID()}.sh`);
  await Deno.writeTextFile(file, script);
  const argv = shell === "bash"
    ? ["bash", "--noprofile", "--norc", "-eo", "pipefail", file]
    : shell === "sh"
    ? ["sh", "-e", file]
    : null;
  if (!argv) throw new TypeError(`Shell "${shell}" is not supported by this harness.`);
  await Deno.mkdir(cwd, { recursive: true });
  const child = new Deno.Command("setsid", {
    args: argv,
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = () => {
    for (const sig of ["SIGTERM", "SIGKILL"] as const) {
      setTimeout(() => {
        try {
          Deno.kill(-child.pid, sig);
        } catch {
          // gone
        }
      }, sig === "SIGTERM" ? 0 : 3000);
    }
  };
  if (signal.aborted) kill();
  signal.addEventListener("abort", kill, { once: true });
  const [status, out, err] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  signal.removeEventListener("abort", kill);
  return { code: status.code, log: out + (err ? `\n${err}` : "") };
}

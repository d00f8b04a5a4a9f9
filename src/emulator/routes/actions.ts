/**
 * GitHub Actions: workflow runs, their jobs, and `workflow_dispatch`.
 *
 * Fact relied on: events created with a workflow's `GITHUB_TOKEN` start no
 * new runs, except `workflow_dispatch` and `repository_dispatch`
 * (https://docs.github.com/actions/using-workflows/triggering-a-workflow).
 * A dispatch is recorded and shows as a queued run.
 *
 * @module
 */
import { HttpError, notFound, paginate, toSecond } from "../http.ts";
import { job, workflowRun } from "../render.ts";
import type { RouteContext, RouteDef, RouteResult } from "../router.ts";
import { findWorkflow } from "../seed.ts";
import { nodeId } from "../state.ts";
import type { RepoRecord, RunRecord } from "../types.ts";
import { checkScope, intParam, render, repoOf, requireRole, stringField } from "./common.ts";
import { resolveCommit } from "./repos.ts";

function listRuns(ctx: RouteContext, repo: RepoRecord, runs: RunRecord[]): RouteResult {
  checkScope(ctx, "actions", "read");
  const q = ctx.url.searchParams;
  const branch = q.get("branch");
  const event = q.get("event");
  const status = q.get("status");
  const actor = q.get("actor")?.toLowerCase();
  const headSha = q.get("head_sha");
  const list = runs
    .filter((run) =>
      (branch === null || run.headBranch === branch) &&
      (event === null || run.event === event) &&
      (status === null || run.status === status || run.conclusion === status) &&
      (actor === undefined || run.actor.toLowerCase() === actor) &&
      (headSha === null || run.headSha === headSha)
    )
    .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
  const page = paginate(list, ctx.url);
  const r = render(ctx);
  return {
    status: 200,
    body: {
      total_count: list.length,
      workflow_runs: page.items.map((run) => workflowRun(r, repo, run)),
    },
    headers: page.link ? { link: page.link } : {},
  };
}

/**
 * Actions routes.
 *
 * @example
 * ```ts
 * const router = new Router(actionRoutes);
 * ```
 */
export const actionRoutes: RouteDef[] = [
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/actions/runs",
    operation: "actions/list-workflow-runs-for-repo",
    docs: "https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-repository",
    handle(ctx) {
      const repo = repoOf(ctx);
      return listRuns(ctx, repo, repo.runs);
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
    operation: "actions/list-workflow-runs",
    docs: "https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow",
    handle(ctx) {
      const repo = repoOf(ctx);
      const workflow = findWorkflow(repo, ctx.params.workflow_id ?? "");
      if (!workflow) throw notFound();
      return listRuns(ctx, repo, repo.runs.filter((run) => run.workflowId === workflow.id));
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/actions/runs/{run_id}",
    operation: "actions/get-workflow-run",
    docs: "https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run",
    handle(ctx) {
      const repo = repoOf(ctx);
      checkScope(ctx, "actions", "read");
      const run = ctx.world.run(repo, intParam(ctx, "run_id"));
      if (!run) throw notFound();
      return { status: 200, body: workflowRun(render(ctx), repo, run) };
    },
  },
  {
    method: "GET",
    pattern: "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs",
    operation: "actions/list-jobs-for-workflow-run",
    docs: "https://docs.github.com/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run",
    handle(ctx) {
      const repo = repoOf(ctx);
      checkScope(ctx, "actions", "read");
      const run = ctx.world.run(repo, intParam(ctx, "run_id"));
      if (!run) throw notFound();
      const page = paginate(run.jobs, ctx.url);
      const r = render(ctx);
      return {
        status: 200,
        body: { total_count: run.jobs.length, jobs: page.items.map((j) => job(r, repo, run, j)) },
        headers: page.link ? { link: page.link } : {},
      };
    },
  },
  {
    method: "POST",
    pattern: "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
    operation: "actions/create-workflow-dispatch",
    docs: "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event",
    handle(ctx) {
      const repo = repoOf(ctx);
      const identity = requireRole(ctx, repo, "write", "actions");
      const workflow = findWorkflow(repo, ctx.params.workflow_id ?? "");
      if (!workflow) throw notFound();
      const ref = stringField(ctx, "ref", true);
      const inputs = ctx.body.inputs ?? {};
      if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs)) {
        throw new HttpError(
          422,
          `Invalid request.\n\nFor 'inputs', ${JSON.stringify(inputs)} is not an object.`,
        );
      }
      if (Object.keys(inputs).length > 25) {
        throw new HttpError(
          422,
          "Invalid request.\n\nFor 'inputs', no more than 25 properties are allowed.",
        );
      }
      if (!workflow.dispatchable) {
        throw new HttpError(422, "Workflow does not have 'workflow_dispatch' trigger");
      }
      const head = resolveCommit(ctx, repo, ref);
      if (!head) throw new HttpError(422, `No ref found for: ${ref}`);
      const id = ctx.world.nextId();
      const branch = ref.replace(/^refs\/(heads|tags)\//, "");
      repo.runs.push({
        id,
        nodeId: nodeId("WFR", id),
        workflowId: workflow.id,
        runNumber: repo.runs.filter((run) => run.workflowId === workflow.id).length + 1,
        event: "workflow_dispatch",
        status: "queued",
        conclusion: null,
        headBranch: branch,
        headSha: head.sha,
        actor: identity.user.login,
        displayTitle: workflow.name,
        createdAt: toSecond(ctx.now),
        updatedAt: toSecond(ctx.now),
        jobs: [],
      });
      repo.dispatches.push({
        workflowId: workflow.id,
        ref,
        inputs: inputs as Record<string, unknown>,
        actor: identity.user.login,
        at: ctx.now,
        runId: id,
      });
      ctx.world.touch();
      if (ctx.body.return_run_details === true) {
        const { api, html } = ctx;
        const path = `${repo.owner}/${repo.name}`;
        return {
          status: 200,
          body: {
            workflow_run_id: id,
            run_url: `${api}/repos/${path}/actions/runs/${id}`,
            html_url: `${html}/${path}/actions/runs/${id}`,
          },
        };
      }
      return { status: 204 };
    },
  },
];

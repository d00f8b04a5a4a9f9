/**
 * Every endpoint, driven by the real `@octokit/rest` client over real HTTP,
 * every response validated against GitHub's OpenAPI description.
 */
import assert from "node:assert/strict";
import { BASIC, type Harness, harness, rejection, REPO } from "./helpers.ts";

async function withHarness(fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await harness({ ...BASIC, http: true });
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

Deno.test("GET /user, GET /rate_limit and GET /repos/{owner}/{repo}", async () => {
  await withHarness(async (h) => {
    const octo = h.octokit("ghp_octo");
    const me = await octo.rest.users.getAuthenticated();
    assert.equal(me.data.login, "octo");
    assert.equal(me.data.name, "Octo Cat");
    const repo = await octo.rest.repos.get(REPO);
    assert.equal(repo.data.default_branch, "main");
    assert.equal(repo.data.private, false);
    assert.deepEqual(repo.data.permissions, {
      admin: true,
      maintain: true,
      push: true,
      triage: true,
      pull: true,
    });
    const readerRepo = await h.octokit("ghp_reader").rest.repos.get(REPO);
    assert.equal(readerRepo.data.permissions?.push, false);
    const limit = await octo.rest.rateLimit.get();
    assert.equal(limit.data.rate.limit, 5000);
    // GET /rate_limit is free; the three calls before it were counted.
    assert.equal(limit.data.rate.used, 2);
    const anon = await h.octokit().rest.repos.get(REPO);
    assert.equal(anon.headers["x-ratelimit-limit"], "60");
  });
});

Deno.test("a workflow token is not a user: GET /user answers 403", async () => {
  await withHarness(async (h) => {
    const e = await rejection(h.octokit("ghs_actions").rest.users.getAuthenticated());
    assert.equal(e.status, 403);
    assert.match(e.message, /Resource not accessible by integration/);
    const limit = await h.octokit("ghs_actions").rest.rateLimit.get();
    assert.equal(limit.data.rate.limit, 1000);
    // The bot is no collaborator: its token grants write on the repository it was issued for.
    const bot = h.octokit("ghs_actions");
    assert.equal((await bot.rest.repos.get(REPO)).data.permissions?.push, true);
    const comment = await bot.rest.issues.createComment({
      ...REPO,
      issue_number: 1,
      body: "from a job",
    });
    assert.equal(comment.data.user?.type, "Bot");
    assert.equal(comment.data.author_association, "NONE");
    const level = await bot.rest.repos.getCollaboratorPermissionLevel({
      ...REPO,
      username: "github-actions[bot]",
    });
    assert.equal(level.data.permission, "read");
  });
});

Deno.test("bad credentials and unknown resources answer GitHub's errors", async () => {
  await withHarness(async (h) => {
    const bad = await rejection(
      h.octokit("ghp_nope").rest.issues.get({ ...REPO, issue_number: 1 }),
    );
    assert.equal(bad.status, 401);
    assert.deepEqual(
      (bad.response?.data as { message: string }).message,
      "Bad credentials",
    );
    const missing = await rejection(
      h.octokit("ghp_octo").rest.issues.get({ ...REPO, issue_number: 99 }),
    );
    assert.equal(missing.status, 404);
    const noRepo = await rejection(
      h.octokit("ghp_octo").rest.repos.get({ owner: "octo", repo: "nope" }),
    );
    assert.equal(noRepo.status, 404);
  });
});

Deno.test("issues: create, get, update, list with filters, labels", async () => {
  await withHarness(async (h) => {
    const octo = h.octokit("ghp_octo");
    const created = await octo.rest.issues.create({
      ...REPO,
      title: "Second",
      body: "b",
      labels: ["bug"],
    });
    assert.equal(created.status, 201);
    assert.equal(created.data.number, 2);
    assert.equal(created.headers.location, `${h.url}/repos/octo/hello/issues/2`);
    assert.deepEqual(created.data.labels.map((l) => typeof l === "string" ? l : l.name), ["bug"]);
    assert.equal(created.data.author_association, "OWNER");

    const updated = await octo.rest.issues.update({
      ...REPO,
      issue_number: 2,
      state: "closed",
      body: "done",
      labels: ["p2p-dev"],
    });
    assert.equal(updated.data.state, "closed");
    assert.equal(updated.data.body, "done");
    assert.equal(updated.data.state_reason, "completed");
    assert.ok(updated.data.closed_at);

    const open = await octo.rest.issues.listForRepo(REPO);
    assert.deepEqual(open.data.map((i) => i.number), [1]);
    const all = await octo.rest.issues.listForRepo({ ...REPO, state: "all", labels: "p2p-dev" });
    assert.deepEqual(all.data.map((i) => i.number), [2, 1]);
    const none = await octo.rest.issues.listForRepo({
      ...REPO,
      state: "all",
      labels: "p2p-dev,bug",
    });
    assert.deepEqual(none.data, []);

    const added = await octo.rest.issues.addLabels({ ...REPO, issue_number: 1, labels: ["ready"] });
    assert.deepEqual(added.data.map((l) => l.name), ["p2p-dev", "ready"]);
    const removed = await octo.rest.issues.removeLabel({ ...REPO, issue_number: 1, name: "ready" });
    assert.deepEqual(removed.data.map((l) => l.name), ["p2p-dev"]);

    const label = await octo.rest.issues.createLabel({ ...REPO, name: "lead", color: "ff0000" });
    assert.equal(label.status, 201);
    const dup = await rejection(
      octo.rest.issues.createLabel({ ...REPO, name: "LEAD", color: "ff0000" }),
    );
    assert.equal(dup.status, 422);
    assert.deepEqual((dup.response?.data as { errors: unknown[] }).errors, [
      { resource: "Label", code: "already_exists", field: "name" },
    ]);
    const labels = await octo.rest.issues.listLabelsForRepo(REPO);
    assert.ok(labels.data.some((l) => l.name === "lead"));
  });
});

Deno.test("issues: who may do what on a public repository", async () => {
  await withHarness(async (h) => {
    const stranger = h.octokit("ghp_stranger");
    // Anyone authenticated may open an issue and comment on a public repository...
    const issue = await stranger.rest.issues.create({
      ...REPO,
      title: "From outside",
      labels: ["x"],
    });
    assert.deepEqual(issue.data.labels, [], "labels need triage: dropped silently");
    assert.equal(issue.data.author_association, "NONE");
    const comment = await stranger.rest.issues.createComment({
      ...REPO,
      issue_number: 1,
      body: "hi",
    });
    assert.equal(comment.data.author_association, "NONE");
    // ...and edit their own issue, but not somebody else's, nor label it.
    await stranger.rest.issues.update({ ...REPO, issue_number: issue.data.number, body: "edited" });
    const foreign = await rejection(
      stranger.rest.issues.update({ ...REPO, issue_number: 1, body: "x" }),
    );
    assert.equal(foreign.status, 403);
    assert.match(foreign.message, /Resource not accessible by integration/);
    const label = await rejection(
      stranger.rest.issues.addLabels({ ...REPO, issue_number: 1, labels: ["x"] }),
    );
    assert.equal(label.status, 403);
    const reader = await rejection(
      h.octokit("ghp_reader").rest.issues.createLabel({ ...REPO, name: "y" }),
    );
    assert.equal(reader.status, 403);
    const anonymous = await rejection(
      h.octokit().rest.issues.createComment({ ...REPO, issue_number: 1, body: "x" }),
    );
    assert.equal(anonymous.status, 401);
    // Reader and collaborator associations.
    const byReader = await h.octokit("ghp_reader").rest.issues.createComment({
      ...REPO,
      issue_number: 1,
      body: "r",
    });
    assert.equal(byReader.data.author_association, "COLLABORATOR");
  });
});

Deno.test("collaborator permission levels", async () => {
  await withHarness(async (h) => {
    const octo = h.octokit("ghp_octo");
    const levels: Record<string, [string, string]> = {
      octo: ["admin", "admin"],
      writer: ["write", "write"],
      reader: ["read", "read"],
      stranger: ["read", "read"],
    };
    for (const [username, [permission, role]] of Object.entries(levels)) {
      const res = await octo.rest.repos.getCollaboratorPermissionLevel({ ...REPO, username });
      assert.equal(res.data.permission, permission, username);
      assert.equal(res.data.role_name, role, username);
      assert.equal(res.data.user?.login, username);
    }
    const ghost = await rejection(
      octo.rest.repos.getCollaboratorPermissionLevel({ ...REPO, username: "nobody" }),
    );
    assert.equal(ghost.status, 404);
  });
});

Deno.test("comments: create, get, update, delete; ids above 2^31; body limit", async () => {
  await withHarness(async (h) => {
    const octo = h.octokit("ghp_octo");
    const a = await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "one" });
    const b = await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "two" });
    assert.ok(a.data.id > 2 ** 31 && b.data.id > a.data.id);
    assert.match(a.data.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(a.headers.location, a.data.url);
    const got = await octo.rest.issues.getComment({ ...REPO, comment_id: a.data.id });
    assert.equal(got.data.body, "one");
    const edited = await octo.rest.issues.updateComment({
      ...REPO,
      comment_id: a.data.id,
      body: "uno",
    });
    assert.equal(edited.data.body, "uno");
    const foreign = await rejection(
      h.octokit("ghp_stranger").rest.issues.updateComment({
        ...REPO,
        comment_id: a.data.id,
        body: "x",
      }),
    );
    assert.equal(foreign.status, 403);
    const deleted = await octo.rest.issues.deleteComment({ ...REPO, comment_id: b.data.id });
    assert.equal(deleted.status, 204);
    const gone = await rejection(octo.rest.issues.getComment({ ...REPO, comment_id: b.data.id }));
    assert.equal(gone.status, 404);

    const tooLong = await rejection(
      octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "x".repeat(65_537) }),
    );
    assert.equal(tooLong.status, 422);
    assert.match(tooLong.message, /Validation Failed/);
    const exactly = await octo.rest.issues.createComment({
      ...REPO,
      issue_number: 1,
      body: "x".repeat(65_536),
    });
    assert.equal(exactly.status, 201);
    const missing = await rejection(octo.request("POST /repos/octo/hello/issues/1/comments", {}));
    assert.equal(missing.status, 422);
  });
});

Deno.test("comments: pagination with octokit.paginate, Link header, since (at-or-after)", async () => {
  await withHarness(async (h) => {
    const octo = h.octokit("ghp_octo");
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(
        (await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: `c${i}` })).data.id,
      );
    }
    const first = await octo.rest.issues.listComments({ ...REPO, issue_number: 1, per_page: 3 });
    assert.deepEqual(first.data.map((c) => c.id), ids.slice(0, 3));
    assert.match(first.headers.link ?? "", /rel="next".*rel="last"/);
    const all = await octo.paginate(octo.rest.issues.listComments, {
      ...REPO,
      issue_number: 1,
      per_page: 3,
    });
    assert.deepEqual(all.map((c) => c.id), ids, "ascending id order across pages");
    const capped = await octo.rest.issues.listComments({ ...REPO, issue_number: 1, per_page: 500 });
    assert.equal(capped.data.length, 7);
    assert.equal(capped.headers.link, undefined);

    // since filters on updated_at, at-or-after, so an edit brings a comment back.
    h.control.advance(5_000);
    const edited = await octo.rest.issues.updateComment({
      ...REPO,
      comment_id: ids[2]!,
      body: "edited",
    });
    const since = await octo.rest.issues.listComments({
      ...REPO,
      issue_number: 1,
      since: edited.data.updated_at,
    });
    assert.deepEqual(since.data.map((c) => c.id), [ids[2]]);
    assert.equal(since.data[0]!.body, "edited");
  });
});

Deno.test("reactions on issues and comments: 201 created, 200 when already there", async () => {
  await withHarness(async (h) => {
    const octo = h.octokit("ghp_octo");
    const c = await octo.rest.issues.createComment({ ...REPO, issue_number: 1, body: "react" });
    const first = await octo.rest.reactions.createForIssueComment({
      ...REPO,
      comment_id: c.data.id,
      content: "+1",
    });
    assert.equal(first.status, 201);
    const again = await octo.rest.reactions.createForIssueComment({
      ...REPO,
      comment_id: c.data.id,
      content: "+1",
    });
    assert.equal(again.status, 200);
    assert.equal(again.data.id, first.data.id);
    const other = await h.octokit("ghp_stranger").rest.reactions.createForIssueComment({
      ...REPO,
      comment_id: c.data.id,
      content: "rocket",
    });
    assert.equal(other.status, 201);
    const list = await octo.rest.reactions.listForIssueComment({ ...REPO, comment_id: c.data.id });
    assert.equal(list.data.length, 2);
    const comment = await octo.rest.issues.getComment({ ...REPO, comment_id: c.data.id });
    assert.equal(comment.data.reactions?.total_count, 2);

    const onIssue = await octo.rest.reactions.createForIssue({
      ...REPO,
      issue_number: 1,
      content: "eyes",
    });
    assert.equal(onIssue.status, 201);
    const onIssueAgain = await octo.rest.reactions.createForIssue({
      ...REPO,
      issue_number: 1,
      content: "eyes",
    });
    assert.equal(onIssueAgain.status, 200);
    assert.equal(
      (await octo.rest.reactions.listForIssue({ ...REPO, issue_number: 1 })).data.length,
      1,
    );
    const bad = await rejection(
      octo.request("POST /repos/octo/hello/issues/1/reactions", { content: "nope" }),
    );
    assert.equal(bad.status, 422);
  });
});

Deno.test("git: branch, commit, refs with atomic create and fast-forward updates", async () => {
  await withHarness(async (h) => {
    const octo = h.octokit("ghp_writer");
    const branch = await octo.rest.repos.getBranch({ ...REPO, branch: "main" });
    const head = branch.data.commit.sha;
    const root = branch.data.commit.parents[0]!.sha;
    assert.equal(branch.data.commit.commit.message, "second");
    const commit = await octo.rest.repos.getCommit({ ...REPO, ref: "main" });
    assert.equal(commit.data.sha, head);
    const gitCommit = await octo.rest.git.getCommit({ ...REPO, commit_sha: head });
    assert.deepEqual(gitCommit.data.parents.map((p) => p.sha), [root]);

    const created = await octo.rest.git.createRef({
      ...REPO,
      ref: "refs/heads/p2p/claim-T1",
      sha: root,
    });
    assert.equal(created.status, 201);
    assert.equal(created.data.object.sha, root);
    const exists = await rejection(
      octo.rest.git.createRef({ ...REPO, ref: "refs/heads/p2p/claim-T1", sha: head }),
    );
    assert.equal(exists.status, 422);
    assert.match(exists.message, /Reference already exists/);
    const got = await octo.rest.git.getRef({ ...REPO, ref: "heads/p2p/claim-T1" });
    assert.equal(got.data.ref, "refs/heads/p2p/claim-T1");
    const matching = await octo.rest.git.listMatchingRefs({ ...REPO, ref: "heads/p2p/" });
    assert.deepEqual(matching.data.map((r) => r.ref), ["refs/heads/p2p/claim-T1"]);

    // root -> head is a fast-forward; head -> root is not, unless forced.
    const ff = await octo.rest.git.updateRef({ ...REPO, ref: "heads/p2p/claim-T1", sha: head });
    assert.equal(ff.data.object.sha, head);
    const back = await rejection(
      octo.rest.git.updateRef({ ...REPO, ref: "heads/p2p/claim-T1", sha: root }),
    );
    assert.equal(back.status, 422);
    assert.match(back.message, /Update is not a fast forward/);
    const forced = await octo.rest.git.updateRef({
      ...REPO,
      ref: "heads/p2p/claim-T1",
      sha: root,
      force: true,
    });
    assert.equal(forced.data.object.sha, root);

    const made = await octo.rest.git.createCommit({
      ...REPO,
      message: "work",
      tree: "a".repeat(40),
      parents: [head],
    });
    assert.equal(made.status, 201);
    const onto = await octo.rest.git.updateRef({ ...REPO, ref: "heads/main", sha: made.data.sha });
    assert.equal(onto.data.object.sha, made.data.sha);
    const unknown = await rejection(
      octo.rest.git.createRef({ ...REPO, ref: "refs/heads/x", sha: "f".repeat(40) }),
    );
    assert.equal(unknown.status, 422);

    const del = await octo.rest.git.deleteRef({ ...REPO, ref: "heads/p2p/claim-T1" });
    assert.equal(del.status, 204);
    const again = await rejection(octo.rest.git.deleteRef({ ...REPO, ref: "heads/p2p/claim-T1" }));
    assert.equal(again.status, 422);
    const missing = await rejection(octo.rest.git.getRef({ ...REPO, ref: "heads/p2p/claim-T1" }));
    assert.equal(missing.status, 404);
    const noBranch = await rejection(octo.rest.repos.getBranch({ ...REPO, branch: "nope" }));
    assert.equal(noBranch.status, 404);

    const reader = await rejection(
      h.octokit("ghp_reader").rest.git.createRef({ ...REPO, ref: "refs/heads/r", sha: head }),
    );
    assert.equal(reader.status, 403);
    assert.match(reader.message, /Resource not accessible by integration/);
  });
});

Deno.test("git: a ref outside refs/heads (a strict-mode lock) is created atomically, at a commit of its own, and is no branch", async () => {
  await withHarness(async (h) => {
    const octo = h.octokit("ghp_writer");
    const head = (await octo.rest.repos.getBranch({ ...REPO, branch: "main" })).data.commit;
    const target = await octo.rest.git.createCommit({
      ...REPO,
      message: "p2p-dev lock target: issue #1, node n1, process 1",
      tree: head.commit.tree.sha,
      parents: [head.sha],
    });
    const ref = "refs/p2p-lock/issue-1/T1/attempt-1";
    const created = await octo.rest.git.createRef({ ...REPO, ref, sha: target.data.sha });
    assert.equal(created.status, 201);
    const exists = await rejection(octo.rest.git.createRef({ ...REPO, ref, sha: head.sha }));
    assert.equal(exists.status, 422);
    assert.match(exists.message, /Reference already exists/);
    // A re-read says whose lock it is: it points at the creator's own commit.
    const got = await octo.rest.git.getRef({ ...REPO, ref: "p2p-lock/issue-1/T1/attempt-1" });
    assert.equal(got.data.object.sha, target.data.sha);
    const matching = await octo.rest.git.listMatchingRefs({ ...REPO, ref: "p2p-lock/issue-1/" });
    assert.deepEqual(matching.data.map((r) => r.ref), [ref]);
    // Not a branch.
    const asBranch = await rejection(
      octo.rest.repos.getBranch({ ...REPO, branch: "p2p-lock/issue-1/T1/attempt-1" }),
    );
    assert.equal(asBranch.status, 404);
    // GitHub's rule: the name starts with "refs" and has at least two slashes.
    const short = await rejection(
      octo.rest.git.createRef({ ...REPO, ref: "refs/p2p-lock", sha: head.sha }),
    );
    assert.equal(short.status, 422);
    const del = await octo.rest.git.deleteRef({ ...REPO, ref: "p2p-lock/issue-1/T1/attempt-1" });
    assert.equal(del.status, 204);
  });
});

Deno.test("pull requests: create (draft too), list, get, and GitHub's 422s", async () => {
  await withHarness(async (h) => {
    const octo = h.octokit("ghp_writer");
    const main = (await octo.rest.repos.getBranch({ ...REPO, branch: "main" })).data.commit.sha;
    const work = await octo.rest.git.createCommit({
      ...REPO,
      message: "T1",
      tree: "b".repeat(40),
      parents: [main],
    });
    await octo.rest.git.createRef({ ...REPO, ref: "refs/heads/p2p/T1", sha: work.data.sha });
    const pr = await octo.rest.pulls.create({
      ...REPO,
      title: "T1",
      head: "p2p/T1",
      base: "main",
      body: "Closes #1",
      draft: true,
    });
    assert.equal(pr.status, 201);
    assert.equal(pr.data.draft, true);
    assert.equal(pr.data.number, 2, "pull requests share the issue numbers");
    assert.equal(pr.data.commits, 1);
    assert.equal(pr.data.head.sha, work.data.sha);
    const dup = await rejection(
      octo.rest.pulls.create({ ...REPO, title: "again", head: "octo:p2p/T1", base: "main" }),
    );
    assert.equal(dup.status, 422);
    assert.match(dup.message, /already exists/);
    const empty = await rejection(
      octo.rest.pulls.create({ ...REPO, title: "x", head: "main", base: "main" }),
    );
    assert.equal(empty.status, 422);
    const noHead = await rejection(
      octo.rest.pulls.create({ ...REPO, title: "x", head: "nope", base: "main" }),
    );
    assert.equal(noHead.status, 422);

    const list = await octo.rest.pulls.list({ ...REPO, head: "octo:p2p/T1" });
    assert.deepEqual(list.data.map((p) => p.number), [2]);
    const got = await octo.rest.pulls.get({ ...REPO, pull_number: 2 });
    assert.equal(got.data.title, "T1");
    const asIssue = await octo.rest.issues.get({ ...REPO, issue_number: 2 });
    assert.ok(asIssue.data.pull_request);
    const notPr = await rejection(octo.rest.pulls.get({ ...REPO, pull_number: 1 }));
    assert.equal(notPr.status, 404);
    const stranger = await rejection(
      h.octokit("ghp_stranger").rest.pulls.create({
        ...REPO,
        title: "x",
        head: "p2p/T1",
        base: "main",
      }),
    );
    assert.equal(stranger.status, 403);
  });
});

Deno.test("actions: list runs and jobs, dispatch a workflow (recorded, 204)", async () => {
  await withHarness(async (h) => {
    const bot = h.octokit("ghs_actions");
    const runs = await bot.rest.actions.listWorkflowRunsForRepo(REPO);
    assert.equal(runs.data.total_count, 1);
    const run = runs.data.workflow_runs[0]!;
    const jobs = await bot.rest.actions.listJobsForWorkflowRun({ ...REPO, run_id: run.id });
    assert.deepEqual(jobs.data.jobs.map((j) => j.status), ["completed", "in_progress"]);

    const dispatched = await bot.rest.actions.createWorkflowDispatch({
      ...REPO,
      workflow_id: "p2p-dev.yml",
      ref: "main",
      inputs: { issue: "1" },
    });
    assert.equal(dispatched.status, 204);
    const [record] = h.control.dispatches("octo", "hello");
    assert.deepEqual(record?.inputs, { issue: "1" });
    assert.equal(record?.actor, "github-actions[bot]");
    const byWorkflow = await bot.rest.actions.listWorkflowRuns({
      ...REPO,
      workflow_id: "p2p-dev.yml",
      status: "queued",
    });
    assert.equal(byWorkflow.data.total_count, 1);
    assert.equal(byWorkflow.data.workflow_runs[0]!.event, "workflow_dispatch");
    const single = await bot.rest.actions.getWorkflowRun({ ...REPO, run_id: record!.runId });
    assert.equal(single.data.status, "queued");

    const details = await bot.request(
      "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
      {
        ...REPO,
        workflow_id: "p2p-dev.yml",
        ref: "main",
        return_run_details: true,
      },
    );
    assert.equal(details.status, 200);
    const noRef = await rejection(
      bot.rest.actions.createWorkflowDispatch({ ...REPO, workflow_id: "p2p-dev.yml", ref: "nope" }),
    );
    assert.equal(noRef.status, 422);
    const reader = await rejection(
      h.octokit("ghp_reader").rest.actions.createWorkflowDispatch({
        ...REPO,
        workflow_id: "p2p-dev.yml",
        ref: "main",
      }),
    );
    assert.equal(reader.status, 403);
  });
});

Deno.test("releases: latest, by tag, assets, download as octet-stream", async () => {
  await withHarness(async (h) => {
    const octo = h.octokit("ghp_reader");
    const latest = await octo.rest.repos.getLatestRelease(REPO);
    assert.equal(latest.data.tag_name, "v1.0.0");
    const byTag = await octo.rest.repos.getReleaseByTag({ ...REPO, tag: "v1.0.0" });
    assert.equal(byTag.data.id, latest.data.id);
    const list = await octo.rest.repos.listReleases(REPO);
    assert.equal(list.data.length, 1);
    const assets = await octo.rest.repos.listReleaseAssets({ ...REPO, release_id: latest.data.id });
    assert.equal(assets.data[0]!.name, "p2p-dev.js");
    const meta = await octo.rest.repos.getReleaseAsset({ ...REPO, asset_id: assets.data[0]!.id });
    assert.equal(meta.data.size, "console.log('hi')\n".length);
    const bytes = await octo.request("GET /repos/{owner}/{repo}/releases/assets/{asset_id}", {
      ...REPO,
      asset_id: assets.data[0]!.id,
      headers: { accept: "application/octet-stream" },
    });
    assert.equal(
      new TextDecoder().decode(bytes.data as unknown as ArrayBuffer),
      "console.log('hi')\n",
    );
    const direct = await fetch(assets.data[0]!.browser_download_url);
    assert.equal(await direct.text(), "console.log('hi')\n");
    const noTag = await rejection(octo.rest.repos.getReleaseByTag({ ...REPO, tag: "v9" }));
    assert.equal(noTag.status, 404);
  });
});

Deno.test("releases/latest/download/{name} redirects to the latest release's asset, as installers use it", async () => {
  await withHarness(async (h) => {
    h.control.seed({
      repos: [{
        owner: "octo",
        name: "hello",
        releases: [
          {
            tag: "v2.0.0-rc.1",
            author: "octo",
            prerelease: true,
            assets: [{ name: "a", text: "rc" }],
          },
          { tag: "v1.1.0", author: "octo", assets: [{ name: "a", text: "one-one" }] },
        ],
      }],
    });
    const first = await fetch(`${h.url}/octo/hello/releases/latest/download/a`, {
      redirect: "manual",
    });
    await first.body?.cancel();
    assert.equal(first.status, 302);
    assert.equal(first.headers.get("location"), `${h.url}/octo/hello/releases/download/v1.1.0/a`);
    const followed = await fetch(`${h.url}/octo/hello/releases/latest/download/a`);
    assert.equal(await followed.text(), "one-one", "the prerelease is never the latest");
    const missing = await fetch(`${h.url}/octo/hello/releases/latest/download/nothing`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const noRepo = await fetch(`${h.url}/octo/absent/releases/latest/download/a`);
    assert.equal(noRepo.status, 404);
    await noRepo.body?.cancel();
  });
});

Deno.test("every required operation was exercised and validated", async () => {
  const { sharedContract } = await import("./helpers.ts");
  const seen = new Set([...(await sharedContract()).seen].map((s) => s.split(" ")[0]));
  const required = [
    "users/get-authenticated",
    "rate-limit/get",
    "repos/get",
    "issues/create",
    "issues/get",
    "issues/update",
    "issues/list-for-repo",
    "issues/add-labels",
    "issues/create-label",
    "issues/list-comments",
    "issues/create-comment",
    "issues/get-comment",
    "issues/update-comment",
    "issues/delete-comment",
    "reactions/create-for-issue-comment",
    "reactions/create-for-issue",
    "repos/get-collaborator-permission-level",
    "repos/get-branch",
    "repos/get-commit",
    "git/create-ref",
    "git/get-ref",
    "git/update-ref",
    "git/delete-ref",
    "pulls/create",
    "pulls/list",
    "pulls/get",
    "actions/list-workflow-runs-for-repo",
    "actions/list-workflow-runs",
    "actions/list-jobs-for-workflow-run",
    "actions/create-workflow-dispatch",
    "repos/get-latest-release",
    "repos/get-release-by-tag",
    "repos/list-release-assets",
    "repos/get-release-asset",
  ];
  assert.deepEqual(required.filter((op) => !seen.has(op)), []);
});

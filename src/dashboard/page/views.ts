/**
 * The three tabs, rendered from a {@linkcode DashboardModel} with text nodes
 * only. Elements carry `data-*` attributes with the fold's own values, so a
 * test reads exactly what the page derived.
 *
 * @module
 */
import type { DashboardModel, MessageRow } from "../model.ts";
import type { RunView } from "../snapshot.ts";
import { append, duration, h, link, table, time } from "./dom.ts";

function card(label: string, value: string, testId: string, extra?: string): HTMLElement {
  return h(
    "div",
    { class: "card", "data-testid": testId },
    h("div", { class: "label" }, label),
    h("div", { class: "value" }, value),
    extra ? h("div", { class: "label" }, extra) : null,
  );
}

/**
 * The Overview tab: leader, instances and roles, tasks by state, success
 * rate, attempts per node, API use against the budget, cost.
 *
 * @example
 * ```ts
 * panel.replaceChildren(overview(model, canvases));
 * ```
 */
export function overview(
  model: DashboardModel,
  canvases: { phases: HTMLCanvasElement; timeline: HTMLCanvasElement },
  rate: { limit: number; remaining: number; reset: number } | null,
  apiByIdentity: Record<string, { requests?: number; writes: number }> | null,
): HTMLElement {
  const total = model.tasks.length;
  const active = model.nodes.filter((n) => n.active);
  const c = model.api.ceiling;
  const writes = Object.entries(model.api.writes);
  const root = h("div", { "data-status": model.status });
  root.append(
    h(
      "div",
      { class: "cards" },
      card(
        "Leader",
        model.leader ? model.leader.node : "none yet",
        "leader",
        model.leader ? `term ${model.leader.term}` : undefined,
      ),
      card(
        "Active instances",
        `${active.length} / ${model.nodes.length}`,
        "instances",
        "spoke within one lease",
      ),
      card("Tasks done", `${model.phases.done} / ${total}`, "tasks-done", model.status),
      card(
        "Success rate",
        model.successRate === null ? "–" : `${Math.round(model.successRate * 100)}%`,
        "success-rate",
        "of finished tasks",
      ),
      card(
        "Cost",
        model.costReported || model.costCapUsd !== null ? usd(model.costUsd) : "not reported",
        "cost",
        model.costCapUsd === null
          ? (model.costReported ? "all attempts, as the executors reported it" : undefined)
          : model.budgetReached
          ? `cap ${usd(model.costCapUsd)} reached: no new work`
          : `of the ${usd(model.costCapUsd)} cap, all attempts`,
      ),
      card(
        "Ignored messages",
        String(model.ignoredTotal),
        "ignored",
        `${model.state.foreign} ordinary comments`,
      ),
    ),
  );
  root.append(
    h(
      "div",
      { class: "charts" },
      h(
        "section",
        {},
        h("h2", {}, "Tasks by state"),
        h("div", { class: "chart" }, canvases.phases),
      ),
      h(
        "section",
        {},
        h("h2", {}, "Task attempts per node"),
        h("div", { class: "chart" }, canvases.timeline),
      ),
    ),
  );
  append(root, [
    h("h2", {}, "Instances"),
    model.nodes.length
      ? table(
        ["Node", "Role", "Author", "Working on", "Done", "Messages", "Last seen", "State"],
        model.nodes.map((n) => ({
          attrs: { "data-node": n.node, "data-role": n.role },
          cells: [
            n.node,
            n.role,
            n.author,
            n.running.join(", ") || "–",
            n.tasksDone,
            n.messages,
            time(n.lastSeen),
            n.active ? "active" : "silent",
          ],
        })),
        { "data-testid": "nodes" },
      )
      : h("p", { class: "muted" }, "No node has written yet."),
    h("h2", {}, "Tasks"),
    model.tasks.length
      ? table(
        ["Task", "Title", "Priority", "State", "Attempts", "By", "Progress", "Duration", "Cost"],
        model.tasks.map((t) => ({
          attrs: { "data-task": t.id, "data-status": t.status, "data-phase": t.phase },
          cells: [
            t.id,
            t.title,
            t.priority,
            h("span", { class: `phase phase-${t.phase}` }, t.phase),
            t.attempts,
            t.by ?? "",
            `${Math.round(t.percent)}%`,
            duration(t.durationMs),
            t.costUsd === null ? "" : `$${t.costUsd.toFixed(4)}`,
          ],
        })),
        { "data-testid": "tasks" },
      )
      : h("p", { class: "muted" }, "No plan in force yet."),
    h("h2", {}, "API use and budget"),
    h(
      "div",
      { class: "cards", "data-testid": "budget" },
      card(
        "Protocol writes",
        String(writes.reduce((n, [, w]) => n + w, 0)),
        "writes",
        `${model.api.writesLastHour} in the last hour · limit 500/h per identity`,
      ),
      card(
        "Budget",
        `${c.requestsPerHour.toLocaleString()} req/h`,
        "budget-requests",
        `${c.tokenKind} token · ${c.nodes} node(s)`,
      ),
      card(
        "Poll interval",
        `${Math.round(c.pollIntervalSec)} s`,
        "budget-poll",
        "per node, to stay inside the budget",
      ),
      card(
        "Task ceiling",
        `${Math.round(c.tasksPerHourByWrites)} /h`,
        "budget-tasks",
        `by the write limit at ${c.writesPerTask.toFixed(2)} writes per task`,
      ),
      rate
        ? card(
          "Rate limit left",
          `${rate.remaining.toLocaleString()} / ${rate.limit.toLocaleString()}`,
          "rate",
          `this viewer's token · resets ${time(rate.reset * 1000)}`,
        )
        : null,
    ),
    apiByIdentity && Object.keys(apiByIdentity).length
      ? table(
        ["Identity", "Requests", "Writes"],
        Object.entries(apiByIdentity).sort().map(([login, use]) => ({
          cells: [login, use.requests ?? "", use.writes],
        })),
        { "data-testid": "api-use" },
      )
      : null,
  ]);
  return root;
}

/**
 * The Workflows tab: runs of the swarm's workflow for this issue.
 *
 * @example
 * ```ts
 * panel.replaceChildren(workflows(model.runs, note, "p2p-autonomous-dev.yml"));
 * ```
 */
export function workflows(
  runs: RunView[] | null,
  note: string | null,
  workflow: string,
  now: number,
): HTMLElement {
  const root = h("div", {});
  root.append(h("p", { class: "muted" }, `Runs of ${workflow} for this issue.`));
  if (note) root.append(h("p", { class: "notice", "data-testid": "runs-note" }, note));
  if (!runs) return root;
  if (runs.length === 0) {
    root.append(h("p", { class: "muted" }, "No run of this workflow names this issue yet."));
    return root;
  }
  root.append(table(
    ["Run", "Title", "Event", "Status", "Started", "Duration", "Jobs"],
    runs.map((r) => {
      const started = Date.parse(r.startedAt ?? r.createdAt);
      const end = r.status === "completed" ? Date.parse(r.updatedAt) : now;
      return {
        attrs: { "data-run": String(r.id), "data-run-status": r.status },
        cells: [
          link(r.htmlUrl, `#${r.runNumber}`),
          r.title,
          r.event,
          h(
            "span",
            { class: `run-${r.conclusion ?? r.status}` },
            r.conclusion ? `${r.status} · ${r.conclusion}` : r.status,
          ),
          time(started),
          duration(end - started),
          r.jobs === null ? "–" : h(
            "ul",
            {},
            ...r.jobs.map((j) =>
              h(
                "li",
                { "data-job": String(j.id) },
                link(j.htmlUrl, j.name),
                ` · ${j.conclusion ?? j.status}`,
                j.startedAt && j.status !== "queued"
                  ? ` · ${
                    duration(
                      (j.completedAt ? Date.parse(j.completedAt) : now) - Date.parse(j.startedAt),
                    )
                  }`
                  : "",
              )
            ),
          ),
        ],
      };
    }),
    { "data-testid": "runs" },
  ));
  return root;
}

/** Filters of the P2P Messages tab. */
export interface MessageFilters {
  type: string;
  node: string;
  ordinary: boolean;
}

/**
 * The P2P Messages tab: the decoded log, one row per event, with filters.
 *
 * @example
 * ```ts
 * panel.replaceChildren(messages(model.rows, filters, onChange));
 * ```
 */
export function messages(
  rows: MessageRow[],
  ignored: Record<string, number>,
  filters: MessageFilters,
  onChange: (filters: MessageFilters) => void,
): HTMLElement {
  const types = [...new Set(rows.map((r) => r.type))].sort();
  const nodes = [...new Set(rows.filter((r) => r.verdict !== "ordinary").map((r) => r.node))]
    .sort();
  const select = (id: string, label: string, values: string[], current: string) => {
    const el = h(
      "select",
      { id, "aria-label": label },
      h("option", { value: "" }, `all`),
      ...values.map((v) => h("option", { value: v, selected: v === current }, v)),
    ) as HTMLSelectElement;
    return el;
  };
  const typeSel = select("filter-type", "Type", types, filters.type);
  const nodeSel = select("filter-node", "Node", nodes, filters.node);
  const ordinary = h("input", {
    type: "checkbox",
    id: "filter-ordinary",
    checked: filters.ordinary,
  }) as HTMLInputElement;
  const fire = () =>
    onChange({ type: typeSel.value, node: nodeSel.value, ordinary: ordinary.checked });
  typeSel.addEventListener("change", fire);
  nodeSel.addEventListener("change", fire);
  ordinary.addEventListener("change", fire);
  const shown = rows.filter((r) =>
    (!filters.type || r.type === filters.type) &&
    (!filters.node || r.node === filters.node) &&
    (filters.ordinary || r.verdict !== "ordinary" || filters.type === "comment")
  );
  const ignoredRows = rows.filter((r) => r.verdict === "ignored").length;
  const reasons = Object.entries(ignored).filter(([, n]) => n > 0).sort();
  return h(
    "div",
    {},
    h(
      "p",
      { "data-testid": "ignored-reasons" },
      reasons.length ? "Kept out of the fold: " : "Nothing was kept out of the fold.",
      ...reasons.flatMap(([reason, n], i) => [
        i ? ", " : "",
        h("span", { "data-reason": reason, "data-count": String(n) }, `${reason} ${n}`),
      ]),
    ),
    h(
      "div",
      { class: "filters" },
      h("label", { for: "filter-type" }, "Type ", typeSel),
      h("label", { for: "filter-node" }, "Node ", nodeSel),
      h("label", { for: "filter-ordinary" }, ordinary, "Show ordinary comments"),
      h(
        "span",
        { class: "muted", "data-testid": "message-count" },
        `${shown.length} of ${rows.length} rows · ${ignoredRows} ignored`,
      ),
    ),
    table(
      ["Time", "Type", "Node", "Task", "Verdict", "Detail", "Comment"],
      shown.map((r) => ({
        attrs: {
          "data-comment": String(r.commentId),
          "data-type": r.type,
          "data-verdict": r.verdict,
          ...(r.reason ? { "data-reason": r.reason } : {}),
        },
        cells: [
          time(r.time),
          r.type,
          r.node,
          r.task,
          h(
            "span",
            { class: `verdict verdict-${r.verdict}` },
            r.verdict === "ignored" ? `ignored: ${r.reason}` : r.verdict,
          ),
          r.detail,
          link(r.link, `#${r.commentId}`),
        ],
      })),
      { "data-testid": "messages" },
    ),
  );
}

/** Dollars as the summary shows them: cents, or four places below a dollar. */
function usd(value: number): string {
  return `$${value.toFixed(value !== 0 && value < 1 ? 4 : 2)}`;
}

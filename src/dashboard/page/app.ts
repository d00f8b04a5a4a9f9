/**
 * The page: sources (live with the viewer's token, pushed by
 * `dashboard serve`, or static files), the tabs, and the render loop.
 *
 * Live mode polls every 5 s with conditional requests, pauses while the tab
 * is hidden, and backs off on rate limits with a notice. The token lives in
 * `localStorage` only and goes to the configured API origin only; the
 * "Forget token" button removes it.
 *
 * @module
 */
import { buildModel, type DashboardModel } from "../model.ts";
import { LiveSource } from "../live_source.ts";
import type { PageConfig } from "../page_config.ts";
import { ACTIONS_LOGIN, DEFAULT_WORKFLOW, type Snapshot } from "../snapshot.ts";
import { staticSnapshot } from "../static_snapshot.ts";
import { type Chart, phaseChart, timelineChart } from "./charts.ts";
import { h, replace, time } from "./dom.ts";
import { type MessageFilters, messages, overview, workflows } from "./views.ts";

/** How often live mode polls while the page is visible. */
export const POLL_MS = 5_000;

const TOKEN_KEY = "p2p-dev:token";
const SECRET_KEY = "p2p-dev:secret";
const SETTINGS_KEY = "p2p-dev:settings";

/** Live settings a viewer chooses (everything but the token and secret, which stay in storage). */
interface LiveSettings {
  repo: string;
  issue: number;
  self: string;
  allow: string[];
  workflow: string;
}

const TABS = [
  { id: "overview", label: "Overview" },
  { id: "workflows", label: "Workflows" },
  { id: "messages", label: "P2P Messages" },
] as const;
type TabId = typeof TABS[number]["id"];

/**
 * Starts the page in `document.body`.
 *
 * @example
 * ```ts
 * new DashboardApp(config).start();
 * ```
 */
export class DashboardApp {
  #config: PageConfig;
  #snapshot: Snapshot | null = null;
  #model: DashboardModel | null = null;
  #viewKey = "";
  #tab: TabId = "overview";
  #filters: MessageFilters = { type: "", node: "", ordinary: false };
  #charts: Chart[] = [];
  #renders = 0;
  #stop: (() => void) | null = null;
  #status = "";
  #secret = "";
  #el: {
    title: HTMLElement;
    status: HTMLElement;
    notice: HTMLElement;
    signed: HTMLElement;
    connect: HTMLElement;
    forget: HTMLButtonElement;
    settings: HTMLButtonElement;
    tabs: Record<TabId, HTMLButtonElement>;
    panels: Record<TabId, HTMLElement>;
  };

  constructor(config: PageConfig) {
    this.#config = config;
    const tabs = {} as Record<TabId, HTMLButtonElement>;
    const panels = {} as Record<TabId, HTMLElement>;
    for (const t of TABS) {
      tabs[t.id] = h("button", {
        role: "tab",
        id: `tab-${t.id}`,
        type: "button",
        "aria-controls": `panel-${t.id}`,
        "aria-selected": t.id === this.#tab ? "true" : "false",
        tabindex: t.id === this.#tab ? "0" : "-1",
      }, t.label) as HTMLButtonElement;
      panels[t.id] = h("section", {
        role: "tabpanel",
        id: `panel-${t.id}`,
        "aria-labelledby": `tab-${t.id}`,
        tabindex: "0",
        hidden: t.id !== this.#tab,
      });
    }
    this.#el = {
      title: h("h1", {}, "p2p-dev dashboard"),
      status: h("p", { class: "status", id: "status", "aria-live": "polite" }),
      notice: h("div", { class: "notice", id: "notice", role: "status", hidden: true }),
      signed: h("div", { class: "notice", id: "signed", hidden: true }),
      connect: h("section", { id: "connect", hidden: true }),
      forget: h(
        "button",
        { type: "button", id: "forget", hidden: true },
        "Forget token",
      ) as HTMLButtonElement,
      settings: h(
        "button",
        { type: "button", id: "settings" },
        "Connect live…",
      ) as HTMLButtonElement,
      tabs,
      panels,
    };
  }

  /** Builds the page and starts the right source. */
  start(): void {
    const { title, status, notice, signed, connect, forget, settings, tabs, panels } = this.#el;
    const tablist = h("div", { role: "tablist", "aria-label": "Dashboard views" });
    for (const t of TABS) {
      tablist.append(tabs[t.id]);
      tabs[t.id].addEventListener("click", () => this.#select(t.id));
    }
    tablist.addEventListener("keydown", (e) => this.#tabKey(e));
    if (this.#config.served) settings.hidden = true;
    settings.addEventListener("click", () => this.#showConnect());
    forget.addEventListener("click", () => this.#forget());
    document.body.replaceChildren(
      h("header", {}, title, h("div", { class: "controls" }, settings, forget)),
      status,
      notice,
      signed,
      connect,
      tablist,
      ...TABS.map((t) => panels[t.id]),
      h(
        "footer",
        { class: "status" },
        "p2p-dev dashboard · charts by Chart.js (MIT license, © Chart.js Contributors)",
      ),
    );
    document.body.dataset.renders = "0";
    this.#updateForget();
    this.#chooseSource();
  }

  #chooseSource(): void {
    const config = this.#config;
    if (config.served) return this.#startServe();
    const settings = this.#settings();
    if (settings && localStorage.getItem(TOKEN_KEY)) return this.#startLive(settings);
    if (config.snapshot) this.#show(config.snapshot, "Data written with this page");
    if (location.protocol === "http:" || location.protocol === "https:") {
      this.#startStaticFiles(config.snapshot !== null);
    } else if (!config.snapshot) {
      this.#showConnect();
    }
  }

  /** Settings from the URL (shareable) or, failing that, from the last session. */
  #settings(): LiveSettings | null {
    const q = new URLSearchParams(location.search);
    let saved: Partial<LiveSettings> = {};
    try {
      saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? "{}");
    } catch { /* ignore a damaged entry */ }
    const repo = q.get("repo") ?? saved.repo;
    const issue = Number(q.get("issue") ?? saved.issue);
    if (!repo || !Number.isSafeInteger(issue) || issue <= 0) return null;
    return {
      repo,
      issue,
      self: q.get("self") ?? saved.self ?? ACTIONS_LOGIN,
      allow: (q.get("allow")?.split(",") ?? saved.allow ?? []).map((s) => s.trim()).filter(
        Boolean,
      ),
      workflow: q.get("workflow") ?? saved.workflow ?? this.#config.workflow,
    };
  }

  #startLive(settings: LiveSettings): void {
    this.#stopSource();
    let source: LiveSource;
    try {
      source = new LiveSource({
        apiUrl: this.#config.apiUrl,
        htmlUrl: this.#config.htmlUrl,
        repo: settings.repo,
        issue: settings.issue,
        token: localStorage.getItem(TOKEN_KEY) ?? "",
        self: settings.self,
        allow: settings.allow,
        workflow: settings.workflow,
        source: "live",
        fetch: (input, init) => fetch(input, init),
        now: () => Date.now(),
      });
    } catch (error) {
      this.#setNotice((error as Error).message);
      return this.#showConnect();
    }
    this.#secret = localStorage.getItem(SECRET_KEY) ?? "";
    source.wantRuns = this.#tab === "workflows";
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let running = false;
    const tick = async () => {
      timer = undefined;
      if (stopped || running) return;
      if (document.hidden) {
        this.#setStatus(`Live from ${settings.repo}#${settings.issue} · paused while hidden`);
        return;
      }
      running = true;
      source.wantRuns = this.#tab === "workflows" || source.snapshot.runs === null;
      const result = await source.poll();
      running = false;
      if (stopped) return;
      // Every poll: time alone changes phases (a lease lapses); nothing redraws unless the view differs.
      this.#show(source.snapshot, null);
      const when = new Date().toLocaleTimeString();
      if (result.fatal) {
        this.#setStatus(`Live from ${settings.repo}#${settings.issue} · stopped at ${when}`);
        return;
      }
      const wait = Math.max(POLL_MS, result.waitMs);
      this.#setStatus(
        `Live from ${settings.repo}#${settings.issue} · polled ${when} · ` +
          `${source.counts.total} requests, ${source.counts.notModified} unchanged (free) · ` +
          `next in ${Math.round(wait / 1000)} s`,
      );
      timer = setTimeout(tick, wait);
    };
    const onVisible = () => {
      if (!document.hidden && timer === undefined && !running) void tick();
      if (document.hidden && timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
        this.#setStatus(`Live from ${settings.repo}#${settings.issue} · paused while hidden`);
      }
    };
    document.addEventListener("visibilitychange", onVisible);
    this.#pollNow = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      void tick();
    };
    this.#stop = () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
      this.#pollNow = null;
    };
    this.#el.title.textContent = `p2p-dev · ${settings.repo} #${settings.issue}`;
    this.#setStatus(`Connecting to ${settings.repo}#${settings.issue}…`);
    void tick();
  }

  #pollNow: (() => void) | null = null;
  #clockOffset: number | null = null;

  #startServe(): void {
    let events: EventSource | null = null;
    const open = () => {
      events = new EventSource("events");
      events.addEventListener("snapshot", (e) => {
        const snapshot = JSON.parse((e as MessageEvent<string>).data) as Snapshot;
        // GitHub's time as the server last read it, carried forward by this browser's clock.
        this.#clockOffset = snapshot.serverNow === null ? null : snapshot.serverNow - Date.now();
        this.#show(snapshot, null);
        this.#setStatus(
          `Served live · ${snapshot.polls} polls by the server · last change ${
            new Date().toLocaleTimeString()
          }`,
        );
      });
      events.addEventListener("error", () => {
        this.#setStatus("Served live · connection lost, reconnecting…");
      });
    };
    // Pushes come only on change; time alone still changes phases (a lease lapses).
    const tick = setInterval(() => {
      if (!document.hidden && this.#snapshot) this.#show(this.#snapshot, null);
    }, 15_000);
    const onVisible = () => {
      if (document.hidden) {
        events?.close();
        events = null;
        this.#setStatus("Served live · paused while hidden");
      } else if (!events) open();
    };
    document.addEventListener("visibilitychange", onVisible);
    if (!document.hidden) open();
    this.#stop = () => {
      events?.close();
      clearInterval(tick);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }

  /** Static files beside the page (a Pages site): revalidated every 5 s while visible. */
  #startStaticFiles(haveData: boolean): void {
    let stopped = false;
    let last = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      timer = undefined;
      if (stopped) return;
      if (!document.hidden) {
        try {
          const [m, c] = await Promise.all(
            ["metrics.json", "comments.json"].map((f) => fetch(f, { cache: "no-cache" })),
          );
          if (m!.ok && c!.ok) {
            const [mt, ct] = [await m!.text(), await c!.text()];
            if (mt + ct !== last) {
              last = mt + ct;
              this.#show(
                staticSnapshot(JSON.parse(mt), JSON.parse(ct), { htmlUrl: this.#config.htmlUrl }),
                "metrics.json and comments.json beside this page",
              );
            }
            this.#setStatus(`Static files · checked ${new Date().toLocaleTimeString()}`);
          } else {
            // No files beside the page: nothing to refresh.
            stopped = true;
            if (!haveData && !this.#snapshot) this.#showConnect();
            return;
          }
        } catch (error) {
          if (!haveData && !this.#snapshot) {
            stopped = true;
            return this.#showConnect();
          }
          this.#setStatus(`Static files · ${(error as Error).message}`);
        }
      }
      if (!stopped) timer = setTimeout(load, POLL_MS);
    };
    this.#stop = () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
    void load();
  }

  #stopSource(): void {
    this.#stop?.();
    this.#stop = null;
  }

  #forget(): void {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(SECRET_KEY);
    this.#secret = "";
    this.#updateForget();
    if (this.#snapshot?.source === "live") {
      this.#stopSource();
      this.#snapshot = null;
      this.#model = null;
      for (const t of TABS) replace(this.#el.panels[t.id]);
      this.#setStatus("Token forgotten: it is no longer stored in this browser.");
      this.#showConnect();
    } else {
      this.#setStatus("Token forgotten: it is no longer stored in this browser.");
    }
  }

  #updateForget(): void {
    this.#el.forget.hidden = localStorage.getItem(TOKEN_KEY) === null;
  }

  #showConnect(): void {
    const s = this.#settings();
    const field = (
      label: string,
      name: string,
      value: string,
      attrs: Record<string, string | boolean> = {},
      hint?: string,
    ) =>
      h(
        "label",
        {},
        label,
        h("input", { name, value, ...attrs }),
        hint ? h("span", { class: "hint" }, hint) : null,
      );
    const form = h(
      "form",
      { class: "connect", id: "connect-form" },
      h("strong", {}, "Connect live to an issue"),
      field("Repository", "repo", s?.repo ?? "", {
        required: true,
        placeholder: "owner/name",
        pattern: "[A-Za-z0-9_.\\-]+/[A-Za-z0-9_.\\-]+",
        autocomplete: "off",
      }),
      field("Issue", "issue", s ? String(s.issue) : "", {
        required: true,
        inputmode: "numeric",
        pattern: "[0-9]+",
      }),
      field(
        "Token",
        "token",
        "",
        { type: "password", autocomplete: "off", required: !localStorage.getItem(TOKEN_KEY) },
        `Kept in this browser's localStorage only and sent only to ${
          new URL(this.#config.apiUrl).host
        }. Read access to issues and Actions is enough.`,
      ),
      field(
        "Swarm login",
        "self",
        s?.self ?? ACTIONS_LOGIN,
        {},
        "Whose messages are the swarm's own.",
      ),
      field(
        "Also trust",
        "allow",
        s?.allow.join(", ") ?? "",
        {},
        "Logins the swarm allows (--allow), comma-separated.",
      ),
      field("Workflow file", "workflow", s?.workflow ?? DEFAULT_WORKFLOW),
      field(
        "Signing secret (optional)",
        "secret",
        "",
        { type: "password", autocomplete: "off" },
        "Only if the swarm signs its messages (P2P_SECRET); kept like the token.",
      ),
      h("div", { class: "controls" }, h("button", { type: "submit" }, "Connect")),
    ) as HTMLFormElement;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const get = (k: string) => String(data.get(k) ?? "").trim();
      const settings: LiveSettings = {
        repo: get("repo"),
        issue: Number(get("issue")),
        self: get("self") || ACTIONS_LOGIN,
        allow: get("allow").split(",").map((x) => x.trim()).filter(Boolean),
        workflow: get("workflow") || DEFAULT_WORKFLOW,
      };
      if (get("token")) localStorage.setItem(TOKEN_KEY, get("token"));
      if (get("secret")) localStorage.setItem(SECRET_KEY, get("secret"));
      localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
      const q = new URLSearchParams({ repo: settings.repo, issue: String(settings.issue) });
      if (settings.self !== ACTIONS_LOGIN) q.set("self", settings.self);
      if (settings.allow.length) q.set("allow", settings.allow.join(","));
      if (settings.workflow !== DEFAULT_WORKFLOW) q.set("workflow", settings.workflow);
      history.replaceState(null, "", `${location.pathname}?${q}`);
      this.#el.connect.hidden = true;
      this.#updateForget();
      this.#snapshot = null;
      this.#startLive(settings);
    });
    replace(this.#el.connect, form);
    this.#el.connect.hidden = false;
  }

  #show(snapshot: Snapshot, origin: string | null): void {
    this.#snapshot = snapshot;
    const seen = this.#clockOffset === null || snapshot.source !== "serve"
      ? snapshot
      : { ...snapshot, serverNow: Date.now() + this.#clockOffset };
    const model = buildModel(seen, Date.now(), { secret: this.#secret });
    this.#model = model;
    if (snapshot.repo) {
      this.#el.title.textContent = `p2p-dev · ${snapshot.repo} #${snapshot.issue}`;
    }
    this.#setNotice(snapshot.notice);
    const signed = this.#el.signed;
    signed.hidden = !model.signedUnverified;
    signed.textContent = model.signedUnverified
      ? "This swarm signs its messages. Signatures are not checked here (no secret given), " +
        "so a message from a trusted login with a bad signature would show as accepted."
      : "";
    if (origin) this.#setStatus(`${origin} · as of ${time(model.now)}`);
    const key = JSON.stringify([
      snapshot.comments.length,
      snapshot.comments.at(-1)?.id,
      snapshot.comments.map((c) => c.updated_at).join(),
      snapshot.runs,
      snapshot.runsNote,
      snapshot.trust,
      model.phases,
      model.nodes.map((n) => n.active),
      snapshot.rate?.remaining,
    ]);
    if (key === this.#viewKey) return;
    this.#viewKey = key;
    this.#render();
  }

  #render(): void {
    const model = this.#model;
    const snapshot = this.#snapshot;
    if (!model || !snapshot) return;
    for (const c of this.#charts) c.destroy();
    this.#charts = [];
    const phases = h("canvas", {
      id: "chart-phases",
      role: "img",
      "aria-label": `Tasks by state: ${
        Object.entries(model.phases).filter(([, n]) => n).map(([p, n]) => `${n} ${p}`).join(", ")
      }`,
    }) as HTMLCanvasElement;
    const timeline = h("canvas", {
      id: "chart-timeline",
      role: "img",
      "aria-label": `Task attempts per node: ${model.attempts.length} attempts`,
    }) as HTMLCanvasElement;
    replace(
      this.#el.panels.overview,
      overview(model, { phases, timeline }, snapshot.rate, snapshot.apiByIdentity),
    );
    replace(
      this.#el.panels.workflows,
      workflows(snapshot.runs, snapshot.runsNote, snapshot.workflow, model.now),
    );
    this.#renderMessages();
    this.#charts = [phaseChart(phases, model), timelineChart(timeline, model)];
    this.#renders++;
    document.body.dataset.renders = String(this.#renders);
    document.body.dataset.source = snapshot.source;
    document.body.dataset.lastComment = String(snapshot.comments.at(-1)?.id ?? "");
    document.body.dataset.polls = String(snapshot.polls);
  }

  #renderMessages(): void {
    if (!this.#model) return;
    replace(
      this.#el.panels.messages,
      messages(this.#model.rows, this.#model.state.ignored, this.#filters, (f) => {
        this.#filters = f;
        const focused = document.activeElement?.id;
        this.#renderMessages();
        if (focused) document.getElementById(focused)?.focus();
      }),
    );
  }

  #select(id: TabId, focus = false): void {
    this.#tab = id;
    for (const t of TABS) {
      const selected = t.id === id;
      this.#el.tabs[t.id].setAttribute("aria-selected", String(selected));
      this.#el.tabs[t.id].tabIndex = selected ? 0 : -1;
      this.#el.panels[t.id].hidden = !selected;
    }
    if (focus) this.#el.tabs[id].focus();
    // Charts drawn while their panel was hidden have no size: draw them now.
    if (id === "overview") { for (const c of this.#charts) c.resize(); }
    if (id === "workflows" && this.#snapshot?.source === "live") this.#pollNow?.();
  }

  #tabKey(e: KeyboardEvent): void {
    const i = TABS.findIndex((t) => t.id === this.#tab);
    const last = TABS.length - 1;
    const next = e.key === "ArrowRight"
      ? (i === last ? 0 : i + 1)
      : e.key === "ArrowLeft"
      ? (i === 0 ? last : i - 1)
      : e.key === "Home"
      ? 0
      : e.key === "End"
      ? last
      : -1;
    if (next < 0) return;
    e.preventDefault();
    this.#select(TABS[next]!.id, true);
  }

  #setStatus(text: string): void {
    if (text === this.#status) return;
    this.#status = text;
    this.#el.status.textContent = text;
  }

  #setNotice(text: string | null): void {
    this.#el.notice.hidden = !text;
    this.#el.notice.textContent = text ?? "";
  }
}

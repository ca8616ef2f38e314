// The Claude Code page: sessions list, one session (live transcript, actions, permission
// requests), the launch form and costs. Every action is a claude-code.* RPC through host.request,
// so the gateway applies the signed-in operator's scopes; updates arrive as pushed gateway events.
import type { ControlUiHost } from "openclaw/plugin-sdk/control-ui";
import { clear, h, svg, type Child } from "./dom.ts";
import {
  asDiff,
  costSeries,
  duration,
  finishable,
  isLiveStatus,
  matches,
  modelTotals,
  offersWorktree,
  orderSessions,
  readEvent,
  readOptions,
  readOutput,
  readSession,
  readSessionList,
  readStats,
  readWorktree,
  shortPath,
  shortPaths,
  STATUS_FILTERS,
  transcriptNote,
  statusLabel,
  usd,
  withKnownWorktree,
  withWorktree,
  type CostPoint,
  type Entry,
  type LaunchOptions,
  type PendingRequest,
  type Session,
  type SessionWorktree,
  type StatusFilter,
} from "./model.ts";
import { STYLES } from "./styles.ts";

const PAGE_SIZE = 50;
/** Distinct colours for models in the chart (styles.ts: .occp-m0 … .occp-m5), reused beyond. */
const MODEL_COLOURS = 6;
/** Transcript entries asked per `claude-code.output` page when a session opens. */
const TRANSCRIPT_PAGE = 500;
/** The event the plugin's service emits for every session change (see src/surfaces/control-ui.ts). */
export const SESSION_EVENT = "session";

type View = { kind: "list" } | { kind: "session"; id: string } | { kind: "launch" } | { kind: "costs" };

const FILTER_LABELS: Record<StatusFilter, string> = {
  all: "All",
  live: "Live",
  running: "Running",
  waiting: "Waiting",
  "waiting-permission": "Waiting for permission",
  completed: "Completed",
  failed: "Failed",
  killed: "Killed",
  interrupted: "Interrupted",
};

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === "object" && err !== null && "message" in err) return String((err as { message: unknown }).message);
  return String(err);
}

export class ClaudeCodePage {
  private readonly sessions = new Map<string, Session>();
  private historyLoaded = 0;
  private historyTotal = 0;
  private loaded = false;
  private view: View = { kind: "list" };
  private filter: { status: StatusFilter; agent: string; search: string } = { status: "all", agent: "", search: "" };
  private entries: Entry[] = [];
  /** Where the open session's transcript came from, when not from memory (see readOutput). */
  private transcriptNote: string | undefined;
  private alert: string | undefined;
  private notice: string | undefined;
  private listScheduled = false;
  private readonly root: HTMLElement;
  private readonly main: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly tabs: HTMLElement;
  private transcriptEl: HTMLOListElement | undefined;
  private sessionHead: HTMLElement | undefined;
  private requestsEl: HTMLElement | undefined;

  private readonly host: ControlUiHost;
  /** The launch form's choices, asked once; the gateway's home shortens paths to `~/…`. */
  private options: Promise<LaunchOptions> | undefined;
  private home: string | undefined;
  private readonly signal: AbortSignal;

  constructor(container: HTMLElement, host: ControlUiHost, signal: AbortSignal) {
    this.host = host;
    this.signal = signal;
    const style = h("style", {}, STYLES);
    this.tabs = h("div", { class: "occp-tabs", role: "tablist", "aria-label": "Claude Code" });
    this.banner = h("div");
    this.main = h("div", { class: "occp-main" });
    this.root = h(
      "section",
      { class: "occp", "aria-label": "Claude Code sessions" },
      style,
      h("div", { class: "occp-head" }, h("h1", {}, "Claude Code"), h("span", { class: "occp-muted" }, "Coding sessions running in this gateway")),
      this.tabs,
      this.banner,
      this.main,
    );
    container.append(this.root);
    const off = host.onEvent(`plugin.${host.pluginId}.${SESSION_EVENT}`, (payload) => this.onEvent(payload));
    const onKey = (ev: KeyboardEvent) => this.onKey(ev);
    this.root.addEventListener("keydown", onKey);
    signal.addEventListener("abort", () => off(), { once: true });
    this.renderTabs();
    this.render();
    void this.loadSessions();
    void this.launchOptions().then(
      (o) => {
        this.home = o.home;
        if (this.home && this.view.kind !== "launch") this.render();
      },
      () => undefined,
    );
  }

  private launchOptions(): Promise<LaunchOptions> {
    this.options ??= this.call("claude-code.options", {}).then(readOptions);
    // A failed answer is asked again next time.
    this.options.catch(() => (this.options = undefined));
    return this.options;
  }

  private path(p: string): string {
    return shortPath(p, this.home);
  }

  focus(): void {
    this.tabs.querySelector<HTMLElement>('[aria-selected="true"]')?.focus();
  }

  dispose(): void {
    this.root.remove();
  }

  // --- data -------------------------------------------------------------------------------

  private async call(method: string, params: Record<string, unknown>): Promise<unknown> {
    const result = await this.host.request(method, params);
    this.signal.throwIfAborted();
    return result;
  }

  private async loadSessions(): Promise<void> {
    try {
      const [running, waiting, history] = await Promise.all([
        this.call("claude-code.sessions", { status: "running", limit: 500 }),
        this.call("claude-code.sessions", { status: "waiting", limit: 500 }),
        this.call("claude-code.sessions", { status: "all", limit: PAGE_SIZE, offset: 0 }),
      ]);
      for (const r of [running, waiting, history]) for (const s of readSessionList(r).sessions) this.sessions.set(s.id, s);
      const page = readSessionList(history);
      this.historyLoaded = page.sessions.length;
      this.historyTotal = page.total;
      this.loaded = true;
      this.scheduleList();
    } catch (err) {
      this.showAlert(`Could not load the sessions: ${errorText(err)}`);
    }
  }

  private async loadMore(): Promise<void> {
    try {
      const page = readSessionList(await this.call("claude-code.sessions", { status: "all", limit: PAGE_SIZE, offset: this.historyLoaded }));
      for (const s of page.sessions) if (!this.sessions.has(s.id)) this.sessions.set(s.id, s);
      this.historyLoaded += page.sessions.length;
      this.historyTotal = page.total;
      this.render();
    } catch (err) {
      this.showAlert(`Could not load more sessions: ${errorText(err)}`);
    }
  }

  private onEvent(payload: unknown): void {
    const event = readEvent(payload);
    if (!event) return;
    const previous = this.sessions.get(event.session.id);
    const known = previous !== undefined;
    const session = withKnownWorktree(event.session, previous);
    this.sessions.set(session.id, session);
    // A new session is the newest in the store: the loaded page's offset moves with it.
    if (!known && this.loaded) {
      this.historyTotal += 1;
      this.historyLoaded += 1;
    }
    const view = this.view;
    if (view.kind === "session" && view.id === session.id) {
      if (event.entry) this.appendEntry(event.entry);
      this.renderSessionHead(session);
      this.renderRequests(session);
    } else if (view.kind === "list") {
      this.scheduleList();
    }
  }

  // --- actions ----------------------------------------------------------------------------

  /** Runs one claude-code.* action; a refusal (scope, validation, state) is shown as the gateway said it. */
  private async act(button: HTMLButtonElement | undefined, what: string, method: string, params: Record<string, unknown>): Promise<unknown> {
    if (button) button.disabled = true;
    this.showAlert(undefined);
    try {
      return await this.call(method, params);
    } catch (err) {
      this.showAlert(`${what} was refused: ${errorText(err)}`);
      return undefined;
    } finally {
      if (button) button.disabled = false;
    }
  }

  private async openAfter(result: unknown, notice: string): Promise<void> {
    const payload = result as { session?: unknown; worktree?: unknown } | undefined;
    const read = readSession(payload?.session);
    if (!read) return;
    // A launch or resume with a worktree answers it next to the session.
    const session = read.worktree ? read : withWorktree(read, readWorktree(payload?.worktree));
    this.sessions.set(session.id, session);
    this.notice = `${notice} ${session.name}.`;
    await this.open(session.id);
  }

  // --- views ------------------------------------------------------------------------------

  private go(view: View): void {
    this.view = view;
    this.transcriptEl = undefined;
    this.sessionHead = undefined;
    this.requestsEl = undefined;
    this.renderTabs();
    this.render();
  }

  private async open(id: string): Promise<void> {
    this.entries = [];
    this.transcriptNote = undefined;
    this.go({ kind: "session", id });
    const still = () => this.view.kind === "session" && this.view.id === id && !this.signal.aborted;
    try {
      // Page through the transcript from the start: from memory while the session is live, from the
      // durable transcript once it has left memory, the same way (`since` + `limit`).
      let since = 0;
      let first = true;
      for (;;) {
        const out = readOutput(await this.call("claude-code.output", { session: id, since, limit: TRANSCRIPT_PAGE }));
        if (!still()) return;
        if (out.session) this.sessions.set(out.session.id, withKnownWorktree(out.session, this.sessions.get(out.session.id)));
        if (first) {
          this.transcriptNote = transcriptNote(out.source, out.earlier);
          first = false;
        }
        // Events that arrived while the pages loaded are kept; the answers fill what came before.
        const seen = new Set(this.entries.map((e) => e.seq));
        this.entries = [...out.entries.filter((e) => !seen.has(e.seq)), ...this.entries].sort((a, b) => a.seq - b.seq);
        this.render();
        const last = out.entries[out.entries.length - 1];
        if (out.more <= 0 || !last) return;
        since = last.seq;
      }
    } catch (err) {
      this.showAlert(`Could not read the session's output: ${errorText(err)}`);
    }
  }

  private renderTabs(): void {
    clear(this.tabs);
    const current = this.view.kind === "session" ? "list" : this.view.kind;
    const tab = (kind: "list" | "launch" | "costs", label: string) =>
      h(
        "button",
        { class: "occp-tab", role: "tab", type: "button", "aria-selected": String(current === kind), tabindex: current === kind ? 0 : -1, "data-tab": kind, onclick: () => this.go({ kind }) },
        label,
      );
    this.tabs.append(tab("list", "Sessions"), tab("launch", "New session"), tab("costs", "Costs"));
  }

  private showAlert(text: string | undefined): void {
    this.alert = text;
    clear(this.banner);
    if (text) {
      this.banner.append(
        h("div", { class: "occp-alert", role: "alert" }, h("span", {}, text), h("button", { class: "occp-btn", type: "button", onclick: () => this.showAlert(undefined) }, "Dismiss")),
      );
    } else if (this.notice) {
      this.banner.append(h("div", { class: "occp-note", role: "status" }, this.notice));
    }
  }

  private scheduleList(): void {
    if (this.listScheduled) return;
    this.listScheduled = true;
    setTimeout(() => {
      this.listScheduled = false;
      if (!this.signal.aborted && this.view.kind === "list") this.render();
    }, 0);
  }

  private render(): void {
    clear(this.main);
    this.showAlert(this.alert);
    this.notice = undefined;
    switch (this.view.kind) {
      case "list":
        this.main.append(this.listView());
        break;
      case "session":
        this.main.append(this.sessionView(this.view.id));
        break;
      case "launch":
        this.main.append(this.launchView());
        break;
      case "costs":
        this.main.append(this.costsView());
        break;
    }
  }

  private emptyState(): HTMLElement {
    return h(
      "div",
      { class: "occp-empty" },
      h("h2", {}, "No Claude Code sessions yet"),
      h("p", {}, "Start one with ", h("strong", {}, "New session"), " above, or type this in any chat with your agent:"),
      h("p", {}, h("code", {}, "/claude create a file named hello.txt containing hi")),
      h("p", { class: "occp-muted" }, "Sessions appear here as they start, with their live output, permission requests and cost."),
    );
  }

  private listView(): HTMLElement {
    const wrap = h("div");
    if (!this.loaded) return h("p", { class: "occp-muted", role: "status" }, "Loading sessions…");
    if (this.sessions.size === 0) return this.emptyState();
    const agents = [...new Set([...this.sessions.values()].flatMap((s) => (s.agentId ? [s.agentId] : [])))].sort();
    const status = h(
      "select",
      { "aria-label": "Status", onchange: (ev: Event) => ((this.filter.status = (ev.target as HTMLSelectElement).value as StatusFilter), this.render()) },
      ...STATUS_FILTERS.map((f) => h("option", { value: f, selected: this.filter.status === f }, FILTER_LABELS[f])),
    );
    const agent = h(
      "select",
      { "aria-label": "Agent", onchange: (ev: Event) => ((this.filter.agent = (ev.target as HTMLSelectElement).value), this.render()) },
      h("option", { value: "" }, "All agents"),
      ...agents.map((a) => h("option", { value: a, selected: this.filter.agent === a }, a)),
    );
    const search = h("input", {
      type: "search",
      placeholder: "Search by name  ( / )",
      "aria-label": "Search by name",
      value: this.filter.search,
      "data-search": "1",
      oninput: (ev: Event) => {
        this.filter.search = (ev.target as HTMLInputElement).value;
        this.renderRowsInto(list);
      },
    });
    const list = h("ul", { class: "occp-list", "aria-label": "Sessions" });
    wrap.append(
      h("div", { class: "occp-filters" }, h("label", {}, "Status ", status), h("label", {}, "Agent ", agent), search),
      list,
    );
    this.renderRowsInto(list);
    if (this.historyLoaded < this.historyTotal) {
      wrap.append(
        h("p", {}, h("button", { class: "occp-btn", type: "button", onclick: () => void this.loadMore() }, `Load more (${this.historyTotal - this.historyLoaded} older)`)),
      );
    }
    return wrap;
  }

  private renderRowsInto(list: HTMLElement): void {
    clear(list);
    list.append(
      h(
        "li",
        { "aria-hidden": "true" },
        h(
          "div",
          { class: "occp-row occp-row-head" },
          h("span", {}, "Name"),
          h("span", {}, "Status"),
          h("span", { class: "occp-opt" }, "Workdir"),
          h("span", { class: "occp-opt" }, "Model"),
          h("span", { class: "occp-opt" }, "Turns"),
          h("span", { class: "occp-opt" }, "Cost"),
          h("span", { class: "occp-opt" }, "Duration"),
        ),
      ),
    );
    const shown = orderSessions([...this.sessions.values()].filter((s) => matches(s, this.filter)));
    if (shown.length === 0) list.append(h("li", { class: "occp-muted", style: "padding: 12px" }, "No session matches these filters."));
    for (const s of shown) {
      list.append(
        h(
          "li",
          {},
          h(
            "button",
            { class: "occp-row", type: "button", "data-session": s.id, "aria-label": `${s.name}: ${statusLabel(s)}`, onclick: () => void this.open(s.id) },
            h("span", { class: "occp-cell" }, h("strong", {}, s.name), " ", h("span", { class: "occp-muted occp-mono" }, s.id)),
            h("span", { class: "occp-cell" }, h("span", { class: `occp-badge occp-s-${s.status}` }, statusLabel(s))),
            h("span", { class: "occp-cell occp-opt occp-mono", title: s.workdir }, this.path(s.workdir), s.branch ? ` (${s.branch})` : ""),
            h("span", { class: "occp-cell occp-opt" }, s.model ?? "default"),
            h("span", { class: "occp-cell occp-opt" }, s.turns),
            h("span", { class: "occp-cell occp-opt" }, usd(s.costUsd)),
            h("span", { class: "occp-cell occp-opt" }, duration(s.durationMs)),
          ),
        ),
      );
    }
  }

  private sessionView(id: string): HTMLElement {
    const s = this.sessions.get(id);
    const wrap = h("div");
    wrap.append(h("p", {}, h("button", { class: "occp-btn", type: "button", onclick: () => this.go({ kind: "list" }) }, "← All sessions")));
    if (!s) {
      wrap.append(h("p", { class: "occp-muted" }, "Loading the session…"));
      return wrap;
    }
    this.sessionHead = h("div");
    this.requestsEl = h("div", { "aria-label": "Waiting for your answer" });
    this.transcriptEl = h("ol", { class: "occp-transcript", "aria-label": "Transcript", "aria-live": "polite" });
    for (const e of this.entries) this.transcriptEl.append(this.entryItem(e));
    if (this.entries.length === 0) this.transcriptEl.append(h("li", { class: "occp-muted", "data-placeholder": "1" }, "No output yet."));
    this.renderSessionHead(s);
    this.renderRequests(s);
    const note = this.transcriptNote ? h("p", { class: "occp-muted", "data-transcript-source": "1" }, this.transcriptNote) : null;
    const box = h("textarea", { "aria-label": "Follow-up", placeholder: "Send Claude a follow-up (Ctrl+Enter)" });
    const send = h("button", { class: "occp-btn occp-primary", type: "button" }, "Send");
    const submit = async () => {
      const message = box.value.trim();
      if (!message) return this.showAlert("Type a message to send first.");
      const current = this.sessions.get(id);
      if (current && !isLiveStatus(current.status)) {
        const r = await this.act(send, "Resume", "claude-code.resume", { session: id, prompt: message });
        if (r) void this.openAfter(r, "Resumed as");
        return;
      }
      if (await this.act(send, "Sending", "claude-code.respond", { session: id, message, userInitiated: true })) box.value = "";
    };
    send.addEventListener("click", () => void submit());
    box.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        void submit();
      }
    });
    wrap.append(this.sessionHead, this.requestsEl, ...(note ? [note] : []), this.transcriptEl, h("div", { class: "occp-followup" }, box, send));
    queueMicrotask(() => this.scrollTranscript());
    return wrap;
  }

  private renderSessionHead(s: Session): void {
    const head = this.sessionHead;
    if (!head) return;
    clear(head);
    const live = isLiveStatus(s.status);
    const button = (label: string, cls: string, run: (b: HTMLButtonElement) => Promise<unknown>, enabled: boolean) => {
      const b = h("button", { class: `occp-btn ${cls}`, type: "button", disabled: !enabled }, label);
      b.addEventListener("click", () => void run(b));
      return b;
    };
    head.append(
      h("h2", {}, s.name, " ", h("span", { class: `occp-badge occp-s-${s.status}`, "data-occp-status": s.status }, statusLabel(s))),
      h(
        "div",
        { class: "occp-meta" },
        h("span", { class: "occp-mono" }, s.id),
        h("span", { class: "occp-mono", title: s.workdir }, this.path(s.workdir), s.branch ? ` (${s.branch})` : ""),
        h("span", {}, `model ${s.model ?? "default"}`),
        h("span", {}, `mode ${s.permissionMode}`),
        h("span", {}, `${s.turns} turn${s.turns === 1 ? "" : "s"}`),
        h("span", { "data-cost": "1" }, usd(s.costUsd)),
        h("span", {}, duration(s.durationMs)),
        s.agentId ? h("span", {}, `agent ${s.agentId}`) : null,
      ),
      h(
        "div",
        { class: "occp-actions" },
        button("Interrupt", "", (b) => this.act(b, "Interrupt", "claude-code.respond", { session: s.id, message: "Stop here and wait for my next message.", interrupt: true, userInitiated: true }), live),
        button("Kill", "occp-danger", (b) => this.act(b, "Kill", "claude-code.kill", { session: s.id }), live),
        button("Resume", "", async (b) => this.openAfter(await this.act(b, "Resume", "claude-code.resume", { session: s.id }), "Resumed as"), !live && s.claudeSessionId !== undefined),
        button("Fork", "", async (b) => this.openAfter(await this.act(b, "Fork", "claude-code.resume", { session: s.id, fork: true }), "Forked as"), s.claudeSessionId !== undefined),
      ),
    );
    if (s.worktree) head.append(this.finishBar(s, s.worktree, button));
  }

  /** A worktree session's finish line: merge, PR, keep, discard (discard stores unmerged work first). */
  private finishBar(s: Session, w: SessionWorktree, button: (label: string, cls: string, run: (b: HTMLButtonElement) => Promise<unknown>, enabled: boolean) => HTMLButtonElement): HTMLElement {
    const open = finishable(s);
    const finish = (action: string, label: string) => async (b: HTMLButtonElement) => {
      const result = (await this.act(b, label, "claude-code.finish", { session: s.id, action })) as Record<string, unknown> | undefined;
      if (!result) return;
      // The answer's worktree is the finished one, next to the session.
      const after = readSession(result.session) ?? s;
      const updated = withWorktree(after, readWorktree(result.worktree) ?? after.worktree ?? w);
      this.sessions.set(updated.id, updated);
      this.notice = typeof result.display === "string" && result.display ? result.display : `${label}: done.`;
      this.showAlert(undefined);
      if (this.view.kind === "session" && this.view.id === updated.id) this.renderSessionHead(updated);
    };
    const state = [w.status, w.ahead !== undefined ? `${w.ahead} commit${w.ahead === 1 ? "" : "s"} ahead` : "", w.dirty ? "uncommitted changes" : ""].filter(Boolean).join(", ");
    return h(
      "div",
      { class: "occp-actions", role: "group", "aria-label": "Finish the worktree", "data-worktree": w.status },
      h("span", { class: "occp-muted" }, "Worktree ", h("span", { class: "occp-mono" }, w.branch), ` (${state})`),
      button("Merge", "", finish("merge", "Merge"), open),
      button("Open PR", "", finish("pr", "Open PR"), open),
      button("Keep", "", finish("keep", "Keep"), open),
      button("Discard", "occp-danger", finish("discard", "Discard"), open),
    );
  }

  private renderRequests(s: Session): void {
    const el = this.requestsEl;
    if (!el) return;
    clear(el);
    for (const r of s.pending) el.append(this.requestCard(s, r));
  }

  private requestCard(s: Session, r: PendingRequest): HTMLElement {
    const permit = (b: HTMLButtonElement, what: string, params: Record<string, unknown>) =>
      this.act(b, what, "claude-code.permit", { request: r.id, userInitiated: true, ...params });
    const btn = (label: string, cls: string, run: (b: HTMLButtonElement) => unknown) => {
      const b = h("button", { class: `occp-btn ${cls}`, type: "button" }, label);
      b.addEventListener("click", () => void run(b));
      return b;
    };
    const note = h("input", { type: "text", "aria-label": "Note", placeholder: r.kind === "plan" ? "What to change in the plan" : "Why (optional, Claude reads it)" });
    const card = h("div", { class: "occp-request", role: "group", "aria-label": `Request ${r.id}`, "data-request": r.id });
    const title = r.kind === "question" ? "Claude asks" : r.kind === "plan" ? "Claude proposes a plan" : "Claude asks for permission";
    card.append(h("h2", {}, `🔐 ${title}`, " ", h("span", { class: "occp-muted occp-mono" }, r.id)), h("p", { class: "occp-mono", title: r.summary }, shortPaths(r.summary, this.home)));
    if (r.detail) card.append(this.detailBlock(r.detail));
    if (r.kind === "question") {
      const picks: string[] = r.questions.map(() => "");
      r.questions.forEach((q, i) => {
        const options = h("div", { class: "occp-actions", role: "group", "aria-label": q.header || q.question });
        for (const o of q.options) {
          options.append(
            btn(o.label, "", (b) => {
              if (r.questions.length === 1) return permit(b, "Answering", { decision: "answer", answers: [o.label] });
              picks[i] = o.label;
              for (const other of options.querySelectorAll("button")) other.classList.toggle("occp-primary", other === b);
              return undefined;
            }),
          );
        }
        card.append(h("p", {}, h("strong", {}, q.header ? `${q.header}: ` : ""), q.question), options);
      });
      const own = h("input", { type: "text", "aria-label": "Your own answer", placeholder: "Or answer in your own words" });
      card.append(
        h(
          "div",
          { class: "occp-actions" },
          own,
          btn("Answer", "occp-primary", (b) => {
            const answers = r.questions.map((_, i) => (own.value.trim() !== "" ? own.value.trim() : (picks[i] ?? "")));
            if (answers.some((a) => a === "")) return this.showAlert("Pick an option for every question, or type your own answer.");
            return permit(b, "Answering", { decision: "answer", answers });
          }),
        ),
      );
      return card;
    }
    if (r.kind === "plan") {
      card.append(
        h(
          "div",
          { class: "occp-actions" },
          btn("Approve", "occp-primary", (b) => permit(b, "Approving", { decision: "allow" })),
          note,
          btn("Revise", "", (b) => permit(b, "Revising", { decision: "deny", note: note.value.trim() || "Please revise the plan." })),
          btn("Reject", "occp-danger", (b) => permit(b, "Rejecting", { decision: "deny", stop: true, note: note.value.trim() || undefined })),
        ),
      );
      return card;
    }
    card.append(
      h(
        "div",
        { class: "occp-actions" },
        btn("Allow once", "occp-primary", (b) => permit(b, "Allowing", { decision: "allow" })),
        r.sessionScope ? btn("Allow for session", "", (b) => permit(b, "Allowing", { decision: "allow_session" })) : null,
        note,
        btn("Deny", "occp-danger", (b) => permit(b, "Denying", { decision: "deny", note: note.value.trim() || undefined })),
      ),
    );
    if (r.sessionScope) card.append(h("p", { class: "occp-muted", title: r.sessionScope }, `"Allow for session" allows: ${shortPaths(r.sessionScope, this.home)} in ${s.name}.`));
    return card;
  }

  private detailBlock(text: string): HTMLElement {
    const diff = asDiff(text);
    if (!diff) return h("pre", { class: "occp-mono" }, text);
    return h("pre", { class: "occp-diff", "aria-label": "Changes" }, ...diff.map((l) => h("span", { class: l.kind }, l.text || " ")));
  }

  private entryItem(e: Entry): HTMLElement {
    const at = e.at !== undefined ? new Date(e.at).toLocaleTimeString() : "";
    const li = h("li", { class: `occp-entry occp-k-${e.kind}`, "data-seq": e.seq, title: at });
    if (e.kind === "tool_use" || e.kind === "tool_error") {
      const [first, ...rest] = e.text.split("\n");
      const details = h("details", {}, h("summary", {}, `${e.kind === "tool_error" ? "⚠️" : "🔧"} ${first ?? ""}`));
      const body = rest.join("\n");
      details.append(body ? this.detailBlock(body) : h("div", { class: "occp-muted" }, `${e.tool ?? "tool"} call${e.kind === "tool_error" ? " failed" : ""} at ${at}`));
      li.append(details);
      return li;
    }
    const prefix: Child = e.kind === "followup" ? "↩️ " : e.kind === "result" ? "✅ " : e.kind === "permission" ? "🔐 " : "";
    const diff = asDiff(e.text);
    li.append(prefix, diff ? this.detailBlock(e.text) : e.text);
    return li;
  }

  private appendEntry(e: Entry): void {
    if (this.entries.some((x) => x.seq === e.seq)) return;
    this.entries.push(e);
    const list = this.transcriptEl;
    if (!list) return;
    list.querySelector("[data-placeholder]")?.remove();
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(this.entryItem(e));
    if (atBottom) this.scrollTranscript();
  }

  private scrollTranscript(): void {
    if (this.transcriptEl) this.transcriptEl.scrollTop = this.transcriptEl.scrollHeight;
  }

  private launchView(): HTMLElement {
    const form = h("form", { class: "occp-form", "aria-label": "Launch a Claude Code session" });
    const prompt = h("textarea", { id: "occp-prompt", required: true, placeholder: "What should Claude Code do? e.g. fix the flaky test in the api package" });
    const name = h("input", { id: "occp-name", type: "text", placeholder: "derived from the prompt" });
    const workdir = h("select", { id: "occp-workdir" });
    const workdirOther = h("input", { id: "occp-workdir-other", type: "text", placeholder: "or another absolute path", "aria-label": "Other workdir" });
    const model = h("input", { id: "occp-model", type: "text", placeholder: "default" });
    const mode = h("select", { id: "occp-mode" });
    const budget = h("input", { id: "occp-budget", type: "number", min: "0.01", step: "0.01" });
    const once = h("input", { id: "occp-once", type: "checkbox" });
    const worktree = h("input", { id: "occp-worktree", type: "checkbox" });
    const worktreeRow = h(
      "div",
      { class: "occp-wide", hidden: true, "data-worktree-option": "1" },
      h("label", { for: "occp-worktree" }, worktree, " Work in a new git worktree (its own branch; merge, open a PR, keep or discard it when done)"),
    );
    let repositories: string[] = [];
    const updateWorktree = () => {
      const offered = offersWorktree(workdir.value, workdirOther.value, repositories);
      worktreeRow.hidden = !offered;
      if (!offered) worktree.checked = false;
    };
    let worktreeTouched = false;
    worktree.addEventListener("change", () => (worktreeTouched = true));
    workdir.addEventListener("change", updateWorktree);
    workdirOther.addEventListener("input", updateWorktree);
    const submit = h("button", { class: "occp-btn occp-primary", type: "submit" }, "Launch");
    const label = (forId: string, text: string) => h("label", { for: forId }, text);
    form.append(
      label("occp-prompt", "Prompt"),
      prompt,
      label("occp-name", "Name"),
      name,
      label("occp-workdir", "Workdir"),
      h("div", { style: "display:flex;gap:8px;flex-wrap:wrap" }, workdir, workdirOther),
      label("occp-model", "Model"),
      model,
      label("occp-mode", "Mode"),
      mode,
      label("occp-budget", "Budget (USD)"),
      budget,
      label("occp-once", "One turn only"),
      h("div", {}, once),
      worktreeRow,
      h("div", { class: "occp-wide" }, submit),
    );
    void this.launchOptions().then(
      (o) => {
        const dirs = o.workdirs;
        workdir.append(
          h("option", { value: dirs[0] ?? "" }, dirs.length ? this.path(dirs[0] ?? "") : "the gateway's default"),
          ...dirs.slice(1).map((d) => h("option", { value: d }, this.path(d))),
        );
        for (const m of o.permissionModes) mode.append(h("option", { value: m, selected: m === o.defaultPermissionMode }, m === o.defaultPermissionMode ? `${m} (configured)` : m));
        if (o.defaultModel) model.placeholder = o.defaultModel;
        if (o.defaultBudgetUsd !== undefined) budget.placeholder = String(o.defaultBudgetUsd);
        repositories = o.repositories;
        worktree.checked = o.defaultWorktree;
        updateWorktree();
      },
      (err: unknown) => this.showAlert(`Could not read the launch options: ${errorText(err)}`),
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const params: Record<string, unknown> = { prompt: prompt.value.trim() };
      if (!params.prompt) return this.showAlert("Write a prompt first: what should Claude Code do?");
      if (name.value.trim()) params.name = name.value.trim();
      const dir = workdirOther.value.trim() || workdir.value;
      if (dir) params.workdir = dir;
      if (model.value.trim()) params.model = model.value.trim();
      if (mode.value) params.permission_mode = mode.value;
      if (budget.value) params.max_budget_usd = Number(budget.value);
      if (once.checked) params.multi_turn_disabled = true;
      // Sent when offered and chosen; left out otherwise, so the config's per-workdir default applies.
      if (!worktreeRow.hidden && (worktree.checked || worktreeTouched)) params.worktree = worktree.checked;
      void this.act(submit, "Launch", "claude-code.launch", params).then((r) => r && this.openAfter(r, "Launched"));
    });
    return h("div", {}, h("h2", {}, "New session"), form);
  }

  private costsView(): HTMLElement {
    const wrap = h("div", {}, h("h2", {}, "Costs, last 30 days"), h("p", { class: "occp-muted", role: "status" }, "Loading…"));
    void this.call("claude-code.stats", {}).then(
      (rawStats) => {
        const stats = readStats(rawStats);
        const series = costSeries(stats, Date.now());
        const models = modelTotals(series);
        const colours = new Map(models.map((m, i) => [m.model, i % MODEL_COLOURS]));
        clear(wrap);
        const total = (label: string, value: string) => h("div", { class: "occp-total" }, h("span", { class: "occp-muted" }, label), h("b", {}, value));
        wrap.append(
          h("h2", {}, "Costs, last 30 days"),
          this.chart(series, colours),
          h(
            "ul",
            { class: "occp-legend", "aria-label": "Models" },
            ...models.map((m) => h("li", {}, h("span", { class: `occp-swatch occp-m${colours.get(m.model) ?? 0}` }), `${m.model} ${usd(m.costUsd)}`)),
          ),
          h(
            "div",
            { class: "occp-totals" },
            total("Total cost", usd(stats.totalCostUsd)),
            total("Launched", String(stats.launched)),
            total("Live now", String(stats.live)),
            total("Average duration", stats.averageDurationMs !== undefined ? duration(stats.averageDurationMs) : "—"),
            total("Most expensive", stats.mostExpensive ? `${stats.mostExpensive.name} ${usd(stats.mostExpensive.costUsd)}` : "—"),
            ...Object.entries(stats.byStatus).map(([k, v]) => total(k[0]?.toUpperCase() + k.slice(1), String(v))),
          ),
          h("h2", {}, "By model, last 30 days"),
          models.length === 0
            ? h("p", { class: "occp-muted" }, "No cost recorded per model in the last 30 days.")
            : h(
                "table",
                { "aria-label": "Cost by model" },
                h("tr", {}, h("th", {}, "Model"), h("th", {}, "Days with cost"), h("th", {}, "Cost")),
                ...models.map((m) => h("tr", {}, h("td", {}, m.model), h("td", {}, m.days), h("td", {}, usd(m.costUsd)))),
              ),
        );
      },
      (err: unknown) => this.showAlert(`Could not read the costs: ${errorText(err)}`),
    );
    return wrap;
  }

  /** Bars per day, each stacked by model; the part recorded without a model stays the plain bar colour. */
  private chart(series: CostPoint[], colours: Map<string, number>): SVGElement {
    const w = 900;
    const hgt = 220;
    const pad = { l: 48, b: 28, t: 12 };
    const max = Math.max(...series.map((p) => p.costUsd), 0.0001);
    const slot = (w - pad.l) / series.length;
    const scale = (usdValue: number) => ((hgt - pad.b - pad.t) * usdValue) / max;
    const bars = series.flatMap((p, i) => {
      const x = pad.l + i * slot + 2;
      const width = Math.max(1, slot - 4);
      const bh = scale(p.costUsd);
      const rect = svg("rect", { class: "occp-bar", x, y: hgt - pad.b - bh, width, height: bh, "data-day": p.day, "data-cost": p.costUsd });
      rect.append(svg("title", {}, `${p.day}: ${usd(p.costUsd)}${p.models.map((m) => `\n${m.model} ${usd(m.costUsd)}`).join("")}`));
      let top = hgt - pad.b;
      const segments = p.models.map((m) => {
        const sh = scale(m.costUsd);
        top -= sh;
        const seg = svg("rect", { class: `occp-seg occp-m${colours.get(m.model) ?? 0}`, x, y: top, width, height: sh, "data-day": p.day, "data-model": m.model, "data-cost": m.costUsd });
        seg.append(svg("title", {}, `${p.day} ${m.model}: ${usd(m.costUsd)}`));
        return seg;
      });
      return [rect, ...segments];
    });
    const labels = series
      .filter((_, i) => i % 5 === 0 || i === series.length - 1)
      .map((p) => svg("text", { x: pad.l + series.indexOf(p) * slot, y: hgt - 8 }, p.day.slice(5)));
    return svg(
      "svg",
      { class: "occp-chart", viewBox: `0 0 ${w} ${hgt}`, role: "img", "aria-label": `Cost per day and per model over the last ${series.length} days`, preserveAspectRatio: "none" },
      svg("line", { class: "occp-axis", x1: pad.l, x2: w, y1: hgt - pad.b, y2: hgt - pad.b }),
      svg("text", { x: 0, y: pad.t + 4 }, usd(max)),
      svg("text", { x: 0, y: hgt - pad.b }, "$0"),
      ...bars,
      ...labels,
    );
  }

  // --- keyboard ---------------------------------------------------------------------------

  private onKey(ev: KeyboardEvent): void {
    const target = ev.target as HTMLElement | null;
    const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
    if (ev.key === "/" && !typing && this.view.kind === "list") {
      const search = this.root.querySelector<HTMLInputElement>("[data-search]");
      if (search) {
        ev.preventDefault();
        search.focus();
      }
      return;
    }
    if (ev.key === "Escape" && this.view.kind === "session" && !typing) {
      ev.preventDefault();
      this.go({ kind: "list" });
      return;
    }
    if ((ev.key === "ArrowDown" || ev.key === "ArrowUp") && target?.classList.contains("occp-row")) {
      const rows = [...this.root.querySelectorAll<HTMLButtonElement>("button.occp-row")];
      const next = rows[rows.indexOf(target as HTMLButtonElement) + (ev.key === "ArrowDown" ? 1 : -1)];
      if (next) {
        ev.preventDefault();
        next.focus();
      }
      return;
    }
    if ((ev.key === "ArrowRight" || ev.key === "ArrowLeft") && target?.classList.contains("occp-tab")) {
      const tabs = [...this.tabs.querySelectorAll<HTMLButtonElement>(".occp-tab")];
      const i = tabs.indexOf(target as HTMLButtonElement);
      const next = tabs[(i + (ev.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      if (next) {
        ev.preventDefault();
        next.focus();
      }
    }
  }
}

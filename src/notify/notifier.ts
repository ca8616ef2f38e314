// Turns engine events into notices, foreground streams and agent wakes: one notice per
// lifecycle event to the session's route, debounced live output to foreground conversations.
import type { PluginConfig, Route } from "../config.ts";
import type { EndReason, Logger, OutputEntry, SessionEngine, SessionEvent, SessionSnapshot } from "../engine/index.ts";
import type { ForegroundRegistry } from "../ops/foreground.ts";
import { routeKey, type Owner } from "../ops/types.ts";
import type { Delivery } from "./delivery.ts";
import {
  dailyBudgetNotice,
  decisionNotice,
  endedNotice,
  finishChoices,
  launchedNotice,
  startedNotice,
  longRunningNotice,
  permissionNotice,
  permissionWakeText,
  respondedNotice,
  waitingNotice,
  wakeText,
  type NoticeButton,
} from "./messages.ts";
import { entryLine, neutralise } from "./format.ts";
import { resolveRoute } from "./routing.ts";

/** Starts a turn of the agent that owns a session, in-process. */
export interface Waker {
  wake(target: { agentId: string; sessionKey: string }, text: string): Promise<void>;
}

export interface NotifierOptions {
  engine: SessionEngine<Owner>;
  config: PluginConfig;
  delivery: Delivery;
  foreground: ForegroundRegistry;
  logger: Logger;
  waker?: Waker;
  autoRespondsLeft: (sessionId: string) => number;
  /** Whether the agent's sessions have spent its daily budget (dailyBudgetUsd) today. */
  dailyBudget?: (agentId: string | undefined) => { spentUsd: number; limitUsd: number; day: string } | undefined;
  /**
   * The worktree a session runs in: the user's workdir it was made from (routing by agentChannels
   * speaks of that), and whether it is still open (its turn-end notices offer the finish buttons).
   */
  worktreeOf?: (s: SessionSnapshot<Owner>) => { userWorkdir: string; open: boolean } | undefined;
  /** Observes every wake (for measurements); never affects delivery. */
  onWake?: (info: { sessionId: string; ms: number; ok: boolean }) => void;
}

type Snap = SessionSnapshot<Owner>;

interface PendingStream {
  route: Route;
  sessionId: string;
  name: string;
  lines: string[];
  lastSeq: number;
  timer: NodeJS.Timeout | undefined;
}

export class Notifier {
  private opts: NotifierOptions;
  private readonly streams = new Map<string, PendingStream>();
  private readonly longRunTimers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** "<agent>:<day>" already told they reached the daily budget. */
  private readonly budgetTold = new Set<string>();
  private unsubscribe: (() => void) | undefined;

  constructor(options: NotifierOptions) {
    this.opts = options;
  }

  /** A config edit: routes, pacing and notice settings apply to notices from now on. */
  setConfig(config: PluginConfig): void {
    this.opts = { ...this.opts, config };
  }

  start(): void {
    this.unsubscribe ??= this.opts.engine.subscribe((event) => this.onEvent(event));
  }

  /** Stops listening, flushes pending streams and waits for queued deliveries and wakes. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const t of this.longRunTimers.values()) clearTimeout(t);
    this.longRunTimers.clear();
    for (const key of [...this.streams.keys()]) this.flush(key);
    await this.idle();
  }

  /** Resolves when every notice, stream flush and wake started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.streams.size > 0) {
      for (const key of [...this.streams.keys()]) this.flush(key);
      await Promise.all([...this.inFlight]);
    }
    await this.opts.delivery.idle();
  }

  private onEvent(event: SessionEvent<Owner>): void {
    const s = event.session;
    switch (event.type) {
      case "launched":
        if (s.owner.origin !== "command") this.notify(s, launchedNotice(s), "launched", `${s.id}:launched`);
        if (s.status !== "queued") this.startLongRunTimer(s);
        return;
      case "started":
        // Whoever launched it was told it was queued; everyone in its chat learns it runs now.
        this.notify(s, startedNotice(s), "started", `${s.id}:started`);
        this.startLongRunTimer(s);
        return;
      case "waiting":
        this.flushSession(s.id);
        this.notifyWithFinish(s, waitingNotice(s, event.lastText, event.interrupted), "waiting", `${s.id}:waiting:${s.turns}`);
        this.wake(s, wakeText(s, { kind: "waiting", lastText: event.lastText, autoRespondsLeft: this.opts.autoRespondsLeft(s.id) }));
        this.checkDailyBudget(s);
        return;
      case "responded":
        // A person's reply through a chat command is answered by the command itself.
        if (!event.by.startsWith("user ")) this.notify(s, respondedNotice(s, event.message, event.by), "responded", `${s.id}:responded:${s.lastSeq}`);
        return;
      case "output":
        this.stream(s, event.entry);
        return;
      case "ended":
        this.clearLongRunTimer(s.id);
        this.flushSession(s.id);
        for (const w of this.opts.foreground.watchers(s.id)) this.opts.foreground.detach(w.route, s.id);
        this.notifyEnded(s, event.reason);
        this.checkDailyBudget(s);
        return;
      case "permission_request": {
        this.flushSession(s.id);
        const notice = permissionNotice(s, event.request);
        this.notify(s, notice.text, "permission", `${s.id}:permission:${event.request.id}`, notice.buttons);
        this.wake(s, permissionWakeText(s, event.request, this.opts.autoRespondsLeft(s.id)));
        return;
      }
      case "permission_decided": {
        // People answering in the chat see their command's reply; a timeout or the agent's decision is told.
        const r = event.record;
        if (r.requestId !== "-" && (r.outcome === "expired" || r.by.startsWith("agent "))) {
          this.notify(s, decisionNotice(s, r), "permission decision", `${s.id}:decided:${r.requestId}`);
        }
        return;
      }
      case "claude_session":
      case "turn_started":
      case "process":
        return;
      default: {
        const never: never = event;
        void never;
      }
    }
  }

  /**
   * A session that was live when the gateway died, found on the next start: its one terminal
   * notice (the same key as any notice a graceful stop already queued) and a wake.
   */
  recovered(s: Snap): void {
    if (s.reason) this.notifyEnded(s, s.reason);
  }

  private notifyEnded(s: Snap, reason: EndReason): void {
    // One key per session: whatever ends it, and however often, one terminal notice goes out.
    this.notifyWithFinish(s, endedNotice(s, reason), `ended:${s.status}`, `${s.id}:ended`);
    this.wake(s, wakeText(s, { kind: "ended", reason }));
  }

  /** After a session's spending changed: the first time today its agent is over the daily budget, its chat is told. */
  private checkDailyBudget(s: Snap): void {
    const agentId = s.owner.agentId;
    const reached = agentId ? this.opts.dailyBudget?.(agentId) : undefined;
    if (!agentId || !reached || this.budgetTold.has(`${agentId}:${reached.day}`)) return;
    this.budgetTold.add(`${agentId}:${reached.day}`);
    this.notify(s, dailyBudgetNotice(agentId, reached), "daily budget", `${agentId}:daily-budget:${reached.day}`);
  }

  /** A turn-end notice; a session in an open worktree gets the finish choices with it. */
  private notifyWithFinish(s: Snap, text: string, what: string, key: string): void {
    if (!this.opts.worktreeOf?.(s)?.open) return this.notify(s, text, what, key);
    const choices = finishChoices(s);
    this.notify(s, `${text}\n${choices.text}`, what, key, choices.buttons);
  }

  private notify(s: Snap, text: string, what: string, key: string, buttons?: NoticeButton[]): void {
    const resolved = resolveRoute(this.opts.config, s.owner, this.opts.worktreeOf?.(s)?.userWorkdir ?? s.workdir);
    if (!resolved) {
      this.opts.logger.warn(`session ${s.id}: no route for the ${what} notice (no launching conversation, agentChannels match or fallbackChannel)`);
      return;
    }
    this.track(this.opts.delivery.enqueue(resolved.route, text, `${what} notice of session ${s.id}`, { key, ...(buttons?.length ? { buttons } : {}) }));
  }

  private wake(s: Snap, text: string): void {
    const { waker } = this.opts;
    const { agentId, sessionKey, origin } = s.owner;
    // Only sessions an agent launched through its tools wake it; people drive their own.
    if (!waker || origin !== "tool" || !agentId || !sessionKey) return;
    const started = performance.now();
    this.track(
      waker.wake({ agentId, sessionKey }, text).then(
        () => this.opts.onWake?.({ sessionId: s.id, ms: performance.now() - started, ok: true }),
        (err: unknown) => {
          this.opts.logger.warn(`session ${s.id}: waking agent ${agentId} failed: ${err instanceof Error ? err.message : String(err)}`);
          this.opts.onWake?.({ sessionId: s.id, ms: performance.now() - started, ok: false });
        },
      ),
    );
  }

  private stream(s: Snap, entry: OutputEntry): void {
    if (entry.kind === "followup" || entry.kind === "result") return;
    const line = neutralise(entryLine(entry));
    for (const w of this.opts.foreground.watchers(s.id)) {
      if (entry.seq <= w.lastSeq) continue;
      const key = `${routeKey(w.route)}#${s.id}`;
      let pending = this.streams.get(key);
      if (!pending) {
        pending = { route: w.route, sessionId: s.id, name: s.name, lines: [], lastSeq: w.lastSeq, timer: undefined };
        this.streams.set(key, pending);
      }
      pending.lines.push(line);
      pending.lastSeq = entry.seq;
      if (!pending.timer) pending.timer = setTimeout(() => this.flush(key), this.opts.config.foregroundDebounceMs);
    }
  }

  private flushSession(sessionId: string): void {
    for (const [key, p] of this.streams) if (p.sessionId === sessionId) this.flush(key);
  }

  private flush(key: string): void {
    const p = this.streams.get(key);
    if (!p) return;
    this.streams.delete(key);
    if (p.timer) clearTimeout(p.timer);
    if (p.lines.length === 0) return;
    const several = this.opts.foreground.watchersOf(p.route).length > 1;
    const text = (several ? `[${p.name}]\n` : "") + p.lines.join("\n");
    this.opts.foreground.markSeen(p.route, p.sessionId, p.lastSeq);
    this.track(this.opts.delivery.enqueue(p.route, text, `live output of session ${p.sessionId}`));
  }

  private startLongRunTimer(s: Snap): void {
    const minutes = this.opts.config.longRunningNoticeMinutes;
    if (minutes <= 0) return;
    const timer = setTimeout(() => {
      this.longRunTimers.delete(s.id);
      const now = this.opts.engine.find(s.id);
      if (!now || (now.status !== "running" && now.status !== "starting")) return;
      if (this.opts.foreground.watchers(s.id).length > 0) return; // someone is watching it live
      this.notify(now, longRunningNotice(now), "long-running", `${s.id}:long-running`);
    }, minutes * 60_000);
    timer.unref();
    this.longRunTimers.set(s.id, timer);
  }

  private clearLongRunTimer(id: string): void {
    const t = this.longRunTimers.get(id);
    if (t) clearTimeout(t);
    this.longRunTimers.delete(id);
  }

  private track<T>(p: Promise<T>): void {
    const tracked = p.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(tracked);
    void tracked.then(() => this.inFlight.delete(tracked));
  }
}

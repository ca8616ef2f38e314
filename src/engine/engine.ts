// The session engine: launches, finds and controls sessions, enforces limits, keeps finished
// sessions for a while, counts stats, and reports every transition as an event. What runs a
// session's conversation is its AgentBackend (Claude Code by default); it knows nothing of OpenClaw.
// Only snapshots leave it: the Session objects stay inside.
import { realpathSync, statSync } from "node:fs";
import path from "node:path";
import type { AgentBackend } from "./backend.ts";
import { claudeCodeBackend } from "./backends/claude-code/index.ts";
import { buildChildEnv } from "./child-env.ts";
import { systemClock, type Clock, type TimerHandle } from "./clock.ts";
import { invalid, SessionError } from "./errors.ts";
import { silentLogger, type Logger } from "./logger.ts";
import { dedupeName, looksLikeUuid, nameFromPrompt, randomRequestId, randomSessionId, validateGivenName } from "./names.ts";
import { outcomeText, type PermissionAnswer, type PermissionRecord, type PermissionRequest } from "./permissions.ts";
import type { PermissionPolicy } from "./policy.ts";
import { DEFAULT_OUTPUT_LIMITS, type OutputEntry, type OutputLimits } from "./output-buffer.ts";
import { LaunchLanes, LOCAL_LANE } from "./launch-queue.ts";
import type { ProcessHost } from "./process-host.ts";
import { Session, type SessionInit } from "./session.ts";
import { StatsRecorder, type StatsSnapshot, type StatsState } from "./stats.ts";
import {
  holdsSlot,
  isLive,
  PERMISSION_MODES,
  type EndReason,
  type LaunchRequest,
  type NodeOption,
  type NodeRef,
  type PermissionMode,
  type QueueState,
  type SessionEvent,
  type SessionSnapshot,
} from "./types.ts";

/** A past session the engine no longer holds in memory (e.g. from the persistent store). */
export interface PastSession {
  id: string;
  name: string;
  claudeSessionId: string | undefined;
  workdir: string;
  costUsd: number;
  /** The paired node it ran on (a resume runs there again). */
  node?: NodeRef | undefined;
}

/** Where the engine looks up sessions it does not hold (resume, name de-duplication). */
export interface SessionHistory {
  findByRef(ref: string): PastSession | readonly PastSession[] | undefined;
  hasName(name: string): boolean;
}

export interface EngineOptions<TOwner = unknown> {
  maxSessions?: number;
  /** Launches accepted beyond maxSessions wait in a queue of at most this many (0: refuse at once). */
  maxQueued?: number;
  /** The key the launch queue is fair between (the owning agent); one key for all by default. */
  queueKeyOf?: (owner: TOwner) => string;
  /** 0 disables the idle stop. */
  idleTimeoutMs?: number;
  /** Wall-clock bound of one turn; 0 disables (default 120 minutes). */
  maxTurnMs?: number;
  /** How long finished sessions stay in memory. */
  retentionMs?: number;
  outputLimits?: OutputLimits;
  defaultWorkdir?: string;
  defaultPermissionMode?: PermissionMode;
  /** Let bypassPermissions run as root by setting IS_SANDBOX=1 for Claude Code. */
  allowRootBypass?: boolean;
  /** The environment the child's is built from; process.env by default. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  logger?: Logger;
  newId?: () => string;
  isRoot?: () => boolean;
  /** What runs the sessions' conversations. Default: Claude Code through the Agent SDK. */
  backend?: AgentBackend;
  history?: SessionHistory;
  stats?: StatsState;
  exitGraceMs?: number;
  /** Policy for the resolved workdir of every launch (e.g. an allow-list); throws to refuse. */
  checkWorkdir?: (workdir: string) => void;
  /** Extra child environment for a workdir (e.g. per-workdir agentEnv); a launch's own env wins. */
  envForWorkdir?: (workdir: string) => Readonly<Record<string, string>>;
  /** Rules applied to Claude Code's permission requests before anyone is asked. */
  permissionPolicy?: PermissionPolicy;
  /** A permission request nobody answers within this is denied (default 30 minutes). */
  permissionTimeoutMs?: number;
  /** Where a session placed on a paired node runs its process; without it node launches are refused. */
  processHostFor?: (node: NodeRef) => ProcessHost;
}

/** A page of a session's output held in memory (see SessionEngine.output). */
export interface OutputPage {
  readonly entries: readonly OutputEntry[];
  /** Entries after `since` that memory trimmed before they could be read. */
  readonly missed: number;
  /** Entries after this page (a `limit` cut them off). */
  readonly more: number;
  /** The oldest sequence number memory still holds (lastSeq + 1 when it holds none). */
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** How many entries memory holds. */
  readonly size: number;
}

/** Which entries: those after `since` (at most `limit`), or the `last` n. Nothing: all held. */
export type OutputQuery = { since?: number; limit?: number; last?: undefined } | { last: number; since?: undefined; limit?: undefined };

/** Where a request id leads: a pending request, or the record of how it was decided. */
export type RequestLookup<TOwner> =
  | { state: "pending"; session: SessionSnapshot<TOwner>; request: PermissionRequest }
  | { state: "decided"; session: SessionSnapshot<TOwner> | undefined; record: PermissionRecord };

export type EngineListener<TOwner> = (event: SessionEvent<TOwner>) => void;

const HOUR = 3_600_000;
/** How long a node session's slot waits for the node to let go of its process. */
const DRAIN_BOUND_MS = 10_000;

/** A queued launch: who launched it (the fairness key) and, for a node launch, the nodes it may run on. */
interface QueuedLaunch {
  id: string;
  agent: string;
  nodes?: readonly NodeOption[] | undefined;
}

export class SessionEngine<TOwner = unknown> {
  private readonly sessions = new Map<string, Session<TOwner>>();
  private readonly retention = new Map<string, TimerHandle>();
  private readonly listeners = new Set<EngineListener<TOwner>>();
  private readonly stats: StatsRecorder;
  private opts: Required<
    Omit<EngineOptions, "defaultWorkdir" | "history" | "stats" | "checkWorkdir" | "envForWorkdir" | "permissionPolicy" | "queueKeyOf" | "maxSessions" | "maxQueued" | "processHostFor">
  > &
    Pick<EngineOptions, "defaultWorkdir" | "history" | "checkWorkdir" | "envForWorkdir" | "permissionPolicy" | "processHostFor">;
  /** Decided requests, so a late answer gets "already answered" rather than "unknown" (bounded). */
  private readonly decidedRequests = new Map<string, { sessionId: string; record: PermissionRecord }>();
  private shuttingDown = false;
  /** Queued launches: this machine's lane, and one per paired node (see launch-queue.ts). */
  private readonly queue = new LaunchLanes<QueuedLaunch>();
  /** The slots this gateway may use on each node, as the directory last reported them (unknown: none). */
  private readonly nodeSlots = new Map<string, number>();
  /** Node sessions that ended but whose process the node still counts: their slot is not free yet. */
  private readonly draining = new Map<string, string>();
  private readonly queueKeyOf: (owner: TOwner) => string;
  private maxSessions: number;
  private maxQueued: number;

  constructor(options: EngineOptions<TOwner> = {}) {
    this.maxSessions = 0;
    this.maxQueued = 0;
    this.setLimits({ maxSessions: options.maxSessions ?? 5, maxQueued: options.maxQueued ?? 20 });
    this.queueKeyOf = options.queueKeyOf ?? (() => "");
    this.opts = {
      idleTimeoutMs: options.idleTimeoutMs ?? 30 * 60_000,
      maxTurnMs: options.maxTurnMs ?? 120 * 60_000,
      retentionMs: options.retentionMs ?? HOUR,
      outputLimits: options.outputLimits ?? DEFAULT_OUTPUT_LIMITS,
      defaultWorkdir: options.defaultWorkdir,
      defaultPermissionMode: options.defaultPermissionMode ?? "bypassPermissions",
      allowRootBypass: options.allowRootBypass ?? false,
      baseEnv: options.baseEnv ?? process.env,
      clock: options.clock ?? systemClock,
      logger: options.logger ?? silentLogger,
      newId: options.newId ?? randomSessionId,
      isRoot: options.isRoot ?? (() => process.getuid?.() === 0),
      backend: options.backend ?? claudeCodeBackend(),
      history: options.history,
      exitGraceMs: options.exitGraceMs ?? 5000,
      checkWorkdir: options.checkWorkdir,
      envForWorkdir: options.envForWorkdir,
      permissionPolicy: options.permissionPolicy,
      permissionTimeoutMs: options.permissionTimeoutMs ?? 30 * 60_000,
      processHostFor: options.processHostFor,
    };
    this.stats = new StatsRecorder(options.stats);
  }

  /** Subscribes to every session event; returns the unsubscribe function. */
  subscribe(listener: EngineListener<TOwner>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Validates the request, starts the session and returns its first snapshot. */
  launch(request: LaunchRequest<TOwner>): SessionSnapshot<TOwner> {
    if (this.shuttingDown) throw new SessionError("UNAVAILABLE", "The session engine is shutting down; launch again once it is back.");
    const prompt = typeof request.prompt === "string" ? request.prompt.trim() : "";
    if (!prompt) throw invalid("prompt is empty: say what Claude Code should do");
    if (request.maxBudgetUsd !== undefined && !(Number.isFinite(request.maxBudgetUsd) && request.maxBudgetUsd > 0)) {
      throw invalid(`max_budget_usd must be a positive number of US dollars, got ${String(request.maxBudgetUsd)}`);
    }
    const permissionMode = request.permissionMode ?? this.opts.defaultPermissionMode;
    if (!PERMISSION_MODES.includes(permissionMode)) {
      throw invalid(`permission_mode "${String(permissionMode)}" is unknown; use one of ${PERMISSION_MODES.join(", ")}`);
    }
    if (request.fork && request.resume === undefined) throw invalid("fork needs a session to resume: give the session to fork");
    this.checkCapabilities(request, permissionMode);

    const givenName = request.name !== undefined ? validateGivenName(request.name) : undefined;
    const resume = request.resume !== undefined ? { ...this.resolveResume(request.resume), fork: request.fork === true } : undefined;
    // A node launch runs on the first of its nodes with a free slot, else waits for them all.
    const options = request.nodes?.length ? this.admitNodeOptions(request.nodes) : undefined;
    const picked = options ? this.pickNode(options) : undefined;
    const waitsFor = options && !picked ? options : undefined;
    const sole = picked ?? (options?.length === 1 ? options[0] : undefined);
    const node = this.resolveNode(sole?.node ?? (options ? undefined : request.node), resume?.node);
    const onNode = node ?? waitsFor?.[0]?.node;
    const workdir = this.resolveWorkdir(sole?.workdir ?? request.workdir, resume, onNode);
    // A node's directories are the node's to allow (its own allow-list), not this machine's.
    if (!onNode) this.opts.checkWorkdir?.(workdir);
    const sandbox = this.checkRootBypass(permissionMode);
    const processHost = node ? this.processHostFor(node) : undefined;

    // maxSessions bounds this machine's processes; a node's sessions count against the node's own
    // slots, in the node's own queue: neither waits behind the other.
    const queuedHere = !onNode && this.busyCount() >= this.maxSessions;
    if (queuedHere && this.queue.size(LOCAL_LANE) >= this.maxQueued) {
      const busy = this.busySessions();
      const names = busy.map((s) => `${s.name} (${s.id}, ${s.status})`).join(", ");
      const waiting = this.queue.size(LOCAL_LANE);
      const queue = this.maxQueued > 0 ? ` and ${waiting} launch(es) wait in the queue, its limit (maxQueuedSessions ${this.maxQueued})` : "";
      throw new SessionError(
        "LIMIT_REACHED",
        `${busy.length === 1 ? "1 session is" : `${busy.length} sessions are`} running, the limit is ${this.maxSessions}${queue}: ${names}. Kill or finish one, or raise maxSessions.`,
        { live: busy.map((s) => ({ id: s.id, name: s.name, status: s.status })), queued: waiting },
      );
    }
    if (waitsFor && waitsFor.every((o) => this.queue.size(o.node.id) >= this.maxQueued)) throw this.nodesFull(waitsFor);
    const queued = queuedHere || waitsFor !== undefined;

    // A resumed session keeps its family name: "api-fix" resumes as "api-fix-2".
    const name = dedupeName(givenName ?? resume?.name ?? nameFromPrompt(prompt), (n) => this.nameTaken(n));
    const id = this.uniqueId();
    const init: SessionInit<TOwner> = {
      id,
      name,
      prompt,
      workdir,
      model: request.model,
      maxBudgetUsd: request.maxBudgetUsd,
      systemPrompt: request.systemPrompt,
      allowedTools: request.allowedTools,
      permissionMode,
      multiTurn: !request.multiTurnDisabled,
      resume,
      env: buildChildEnv({ base: this.opts.baseEnv, overrides: { ...this.opts.envForWorkdir?.(workdir), ...request.env }, sandbox }),
      owner: request.owner,
      node,
      processHost,
      queued,
    };
    const session = this.createSession(init);
    this.stats.recordLaunch();
    this.opts.logger.info(
      `session ${id} ${queued ? "queued" : "launched"} as "${name}" in ${workdir}${onNode ? ` on node ${waitsFor ? waitsFor.map((o) => o.node.name).join(" or ") : onNode.name}` : ""}${resume ? ` (resuming ${resume.claudeSessionId}${resume.fork ? ", fork" : ""})` : ""}`,
    );
    if (queued) this.queue.add({ id, agent: this.queueKeyOf(request.owner), nodes: waitsFor }, waitsFor ? waitsFor.map((o) => o.node.id) : [LOCAL_LANE]);
    this.emit({ type: "launched", session: session.snapshot() });
    if (!queued) session.start();
    return session.snapshot();
  }

  /**
   * Puts launches that were queued when the gateway stopped back in the queue, in their order,
   * with their ids, names and times; they start as slots free up. Their environment is rebuilt
   * from today's config for their workdir.
   */
  restoreQueued(stored: readonly SessionSnapshot<TOwner>[]): SessionSnapshot<TOwner>[] {
    const restored: SessionSnapshot<TOwner>[] = [];
    for (const s of [...stored].sort((a, b) => a.createdAt - b.createdAt)) {
      if (s.status !== "queued" || this.sessions.has(s.id)) continue;
      // A launch that waited for nodes waits for them again; their slots are known once the directory reports them.
      const waitsFor = s.queue?.nodes?.length ? s.queue.nodes.map((node): NodeOption => ({ node, slots: 0 })) : undefined;
      let processHost: ProcessHost | undefined;
      try {
        processHost = s.node ? this.processHostFor(s.node) : undefined;
      } catch (err) {
        this.opts.logger.warn(`queued session ${s.id} cannot be queued again: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      const resume = s.resumedFrom
        ? { sessionId: s.resumedFrom.sessionId, claudeSessionId: s.resumedFrom.claudeSessionId, fork: s.resumedFrom.fork, costUsd: this.resumeBaseline(s.resumedFrom.sessionId ?? s.resumedFrom.claudeSessionId) }
        : undefined;
      const session = this.createSession({
        id: s.id,
        name: s.name,
        prompt: s.prompt,
        workdir: s.workdir,
        model: s.model,
        maxBudgetUsd: s.maxBudgetUsd,
        systemPrompt: s.systemPrompt,
        allowedTools: s.allowedTools,
        permissionMode: s.permissionMode,
        multiTurn: s.multiTurn,
        resume,
        env: buildChildEnv({ base: this.opts.baseEnv, overrides: { ...this.opts.envForWorkdir?.(s.workdir) }, sandbox: this.sandboxFor(s.permissionMode) }),
        owner: s.owner,
        node: s.node,
        processHost,
        queued: true,
        createdAt: s.createdAt,
      });
      this.queue.add({ id: s.id, agent: this.queueKeyOf(s.owner), nodes: waitsFor }, waitsFor ? waitsFor.map((o) => o.node.id) : [LOCAL_LANE]);
      restored.push(session.snapshot());
    }
    if (restored.length) this.opts.logger.info(`${restored.length} queued launch(es) from before the restart are queued again`);
    this.startQueued();
    return restored;
  }

  /**
   * New settings from a config edit: they apply to launches from now on (a running session keeps
   * the ones it started with); a higher maxSessions starts queued launches at once.
   */
  configure(update: Pick<EngineOptions<TOwner>, "maxSessions" | "maxQueued" | "idleTimeoutMs" | "maxTurnMs" | "defaultWorkdir" | "defaultPermissionMode" | "allowRootBypass" | "checkWorkdir" | "envForWorkdir" | "permissionPolicy" | "permissionTimeoutMs">): void {
    const { maxSessions, maxQueued, ...rest } = update;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    // defaultWorkdir may be cleared by the edit.
    this.opts = { ...this.opts, ...defined, defaultWorkdir: update.defaultWorkdir };
    this.setLimits({ maxSessions: maxSessions ?? this.maxSessions, maxQueued: maxQueued ?? this.maxQueued });
  }

  /** New limits apply at once: a higher maxSessions starts queued launches now. */
  setLimits(limits: { maxSessions: number; maxQueued: number }): void {
    if (!Number.isInteger(limits.maxSessions) || limits.maxSessions < 1) throw invalid(`maxSessions must be a whole number ≥ 1, got ${limits.maxSessions}`);
    if (!Number.isInteger(limits.maxQueued) || limits.maxQueued < 0) throw invalid(`maxQueuedSessions must be a whole number ≥ 0, got ${limits.maxQueued}`);
    this.maxSessions = limits.maxSessions;
    this.maxQueued = limits.maxQueued;
    this.startQueued();
  }

  private createSession(init: SessionInit<TOwner>): Session<TOwner> {
    const session = new Session<TOwner>(init, {
      clock: this.opts.clock,
      logger: this.opts.logger,
      backend: this.opts.backend,
      emit: (event) => this.onSessionEvent(event),
      idleTimeoutMs: this.opts.idleTimeoutMs,
      maxTurnMs: this.opts.maxTurnMs,
      outputLimits: this.opts.outputLimits,
      exitGraceMs: this.opts.exitGraceMs,
      permissionPolicy: this.opts.permissionPolicy,
      permissionTimeoutMs: this.opts.permissionTimeoutMs,
      newRequestId: () => this.uniqueRequestId(),
      queuePosition: (id) => this.queuePlace(id),
    });
    this.sessions.set(init.id, session);
    return session;
  }

  /**
   * The node directory's latest count of the slots this gateway may use on a node (0 while it is
   * offline): more room starts launches queued for it.
   */
  setNodeSlots(nodeId: string, slots: number): void {
    if (!Number.isInteger(slots) || slots < 0) throw invalid(`node slots must be a whole number ≥ 0, got ${slots}`);
    this.nodeSlots.set(nodeId, slots);
    this.startQueued();
  }

  /** The ids of the nodes launches are queued for (the directory keeps their slot counts current). */
  queuedNodeIds(): string[] {
    return this.queue.waitingLanes().filter((lane) => lane !== LOCAL_LANE);
  }

  /** Starts queued launches, fairly between agents, while slots are free: this machine's, then each node's. */
  private startQueued(): void {
    if (this.shuttingDown) return;
    while (this.busyCount() < this.maxSessions) {
      const next = this.queue.next(LOCAL_LANE);
      if (!next) break;
      this.startFromQueue(next, undefined);
    }
    for (const lane of this.queuedNodeIds()) {
      while (this.freeOnNode(lane) > 0) {
        const next = this.queue.next(lane);
        if (!next) break;
        this.startFromQueue(next, next.nodes?.find((o) => o.node.id === lane));
      }
    }
  }

  private startFromQueue(next: QueuedLaunch, option: NodeOption | undefined): void {
    const session = this.sessions.get(next.id);
    if (!session || session.status !== "queued") return;
    // A launch that waited for several nodes runs on the one whose slot freed.
    if (option && session.node?.id !== option.node.id) session.placeOn(option.node, this.processHostFor(option.node), option.workdir ?? session.workdir);
    this.opts.logger.info(`session ${session.id} leaves the queue and starts${option ? ` on node ${option.node.name}` : ""}`);
    session.start();
    this.emit({ type: "started", session: session.snapshot() });
  }

  /** Records the slots each option reports, so queued launches go first where room appeared. */
  private admitNodeOptions(options: readonly NodeOption[]): readonly NodeOption[] {
    for (const o of options) this.nodeSlots.set(o.node.id, o.slots);
    this.startQueued();
    return options;
  }

  /** The option with most free slots (ties: the directory's order); undefined when every one is full or has a queue. */
  private pickNode(options: readonly NodeOption[]): NodeOption | undefined {
    let best: NodeOption | undefined;
    let bestFree = 0;
    for (const o of options) {
      // A node with launches waiting serves them first.
      const free = this.queue.size(o.node.id) > 0 ? 0 : this.freeOnNode(o.node.id);
      if (free > bestFree) [best, bestFree] = [o, free];
    }
    return best;
  }

  /** This gateway's sessions in a node's slots: live ones, and ended ones whose process the node has not let go of yet. */
  slotsInUseOn(nodeId: string): number {
    let used = 0;
    for (const s of this.sessions.values()) if (s.node?.id === nodeId && holdsSlot(s.status)) used++;
    for (const on of this.draining.values()) if (on === nodeId) used++;
    return used;
  }

  private freeOnNode(nodeId: string): number {
    return (this.nodeSlots.get(nodeId) ?? 0) - this.slotsInUseOn(nodeId);
  }

  /** A launch for full nodes whose queues are at maxQueuedSessions. */
  private nodesFull(options: readonly NodeOption[]): SessionError {
    const parts = options.map((o) => {
      const on = this.list().filter((s) => s.node?.id === o.node.id && holdsSlot(s.status));
      return `node ${o.node.name} is full: ${on.length} of ${o.slots} slots in use${on.length ? ` (${on.map((s) => `${s.name} (${s.id})`).join(", ")})` : ""}`;
    });
    const queue = this.maxQueued > 0 ? ` and its queue holds ${this.maxQueued} launch(es), the limit (maxQueuedSessions)` : "";
    const text = parts.join("; ");
    return new SessionError(
      "LIMIT_REACHED",
      `${text.charAt(0).toUpperCase()}${text.slice(1)}${queue}. Kill or finish one, pick another node, or raise nodeSlots on the node.`,
      { nodes: options.map((o) => o.node.name), live: this.list().filter((s) => s.node && options.some((o) => o.node.id === s.node?.id) && holdsSlot(s.status)).map((s) => ({ id: s.id, name: s.name, status: s.status })) },
    );
  }

  /** A queued session's place, with the nodes it waits for. */
  private queuePlace(id: string): QueueState | undefined {
    const place = this.queue.position(id);
    if (!place) return undefined;
    const nodes = this.queue.lanesOf(id).filter((lane) => lane !== LOCAL_LANE);
    if (nodes.length === 0) return place;
    const item = this.queue.find(id);
    return { ...place, nodes: item?.nodes?.map((o) => o.node) ?? [] };
  }

  /** How many sessions hold a slot; counted without taking snapshots (this runs at every launch and end). */
  private busyCount(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (holdsSlot(s.status) && !s.node) n++;
    return n;
  }

  /** The sessions that hold a slot of this machine (their process runs here). */
  private busySessions(): SessionSnapshot<TOwner>[] {
    return this.list().filter((s) => holdsSlot(s.status) && !s.node);
  }

  async respond(ref: string, message: string, options: { interrupt?: boolean; by?: string } = {}): Promise<SessionSnapshot<TOwner>> {
    const text = typeof message === "string" ? message.trim() : "";
    if (!text) throw invalid("message is empty: say what to send to Claude Code");
    const session = this.session(ref);
    await session.respond(text, options.interrupt === true, options.by ?? "user");
    return session.snapshot();
  }

  async interrupt(ref: string): Promise<SessionSnapshot<TOwner>> {
    const session = this.session(ref);
    await session.interrupt();
    return session.snapshot();
  }

  /** Kills a live session and resolves once its process is gone. */
  async kill(ref: string, by: string): Promise<SessionSnapshot<TOwner>> {
    const session = this.session(ref);
    await session.kill(by);
    return session.snapshot();
  }

  /** A permission request by id: pending, or already decided. Throws NOT_FOUND for an unknown id. */
  findRequest(id: string): RequestLookup<TOwner> {
    const key = typeof id === "string" ? id.trim().toLowerCase() : "";
    if (!key) throw invalid("the request id is empty: give the id from the 🔐 notice, e.g. r7k2m");
    for (const s of this.sessions.values()) {
      if (s.hasPendingRequest(key)) {
        const session = s.snapshot();
        const request = session.pendingRequests.find((r) => r.id === key);
        if (request) return { state: "pending", session, request };
      }
    }
    const decided = this.decidedRequests.get(key);
    if (decided) return { state: "decided", session: this.sessions.get(decided.sessionId)?.snapshot(), record: decided.record };
    throw new SessionError("NOT_FOUND", `No permission request "${id}". Pending requests are listed by claude_sessions (pending) and in each 🔐 notice.`);
  }

  /** Answers a pending permission request; a decided or expired one gets an error saying how it ended. */
  answerRequest(id: string, answer: PermissionAnswer, by: string): PermissionRecord {
    const found = this.findRequest(id);
    if (found.state === "decided") {
      const r = found.record;
      const when = new Date(r.at).toISOString();
      throw new SessionError(
        "ALREADY_FINISHED",
        r.outcome === "expired"
          ? `Request ${r.requestId} expired at ${when}: nobody answered in time, so it was denied. Claude was told; send it a message to try again.`
          : `Request ${r.requestId} was already decided at ${when}: ${outcomeText(r.outcome)} by ${r.by}.`,
      );
    }
    return this.session(found.session.id).answerPermission(found.request.id, answer, by);
  }

  /** The session a ref names (id, name or Claude session UUID); NOT_FOUND naming known ones if none. */
  get(ref: string): SessionSnapshot<TOwner> {
    return this.session(ref).snapshot();
  }

  /** The session a ref names, if the engine holds it (live, or ended within the retention time). */
  find(ref: string): SessionSnapshot<TOwner> | undefined {
    return this.lookup(ref)?.snapshot();
  }

  /**
   * A page of a session's output as memory holds it; undefined when the engine no longer holds the
   * session (the durable transcript has it then).
   */
  output(ref: string, query: OutputQuery = {}): OutputPage | undefined {
    const buffer = this.lookup(ref)?.output;
    if (!buffer) return undefined;
    const base = { firstSeq: buffer.firstSeq, lastSeq: buffer.lastSeq, size: buffer.size };
    if (query.last !== undefined) return { ...base, entries: buffer.tail(query.last), missed: 0, more: 0 };
    const after = buffer.after(query.since ?? 0);
    const entries = query.limit === undefined ? after.entries : after.entries.slice(0, query.limit);
    return { ...base, entries, missed: after.missed, more: after.entries.length - entries.length };
  }

  /** Resolves once the session's conversation has ended and its process is gone. */
  async settled(ref: string): Promise<void> {
    await this.session(ref).settled();
  }

  private session(ref: string): Session<TOwner> {
    const found = this.lookup(ref);
    if (!found) {
      const known = [...this.sessions.values()].slice(-5).map((s) => s.name);
      throw new SessionError(
        "NOT_FOUND",
        `No session matches "${ref}"${known.length ? `; known sessions: ${known.join(", ")}` : "; there are no sessions in memory"}. Use a session id, name or Claude session UUID.`,
      );
    }
    return found;
  }

  private lookup(ref: string): Session<TOwner> | undefined {
    const key = typeof ref === "string" ? ref.trim() : "";
    if (!key) throw invalid("session reference is empty: give a session id, name or Claude session UUID");
    const byId = this.sessions.get(key);
    if (byId) return byId;
    const lower = key.toLowerCase();
    // Names are unique; several sessions can share a Claude session id (resumes): the newest wins.
    let match: Session<TOwner> | undefined;
    for (const s of this.sessions.values()) if (s.name === lower) return s;
    for (const s of this.sessions.values()) if (s.claudeSessionId === lower) match = s;
    return match;
  }

  list(): SessionSnapshot<TOwner>[] {
    return [...this.sessions.values()].map((s) => s.snapshot()).sort((a, b) => b.createdAt - a.createdAt);
  }

  liveSessions(): SessionSnapshot<TOwner>[] {
    return this.list().filter((s) => isLive(s.status));
  }

  getStats(): StatsSnapshot {
    return this.stats.snapshot(this.liveSessions(), this.opts.clock.now());
  }

  exportStats(): StatsState {
    return this.stats.exportState();
  }

  /** Ends every live session (as interrupted by a gateway restart) and waits for their processes. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    const reason: EndReason = { kind: "gateway_restart" };
    // Queued launches stay queued (in the store): they start after the restart.
    await Promise.all([...this.sessions.values()].filter((s) => s.status !== "queued").map((s) => s.stop(reason)));
    for (const timer of this.retention.values()) timer.cancel();
    this.retention.clear();
  }

  private emit(event: SessionEvent<TOwner>): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.opts.logger.error(`session ${event.session.id}: event listener failed on ${event.type}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private onSessionEvent(event: SessionEvent<TOwner>): void {
    if (event.type === "permission_decided" && event.record.requestId !== "-") {
      this.decidedRequests.set(event.record.requestId, { sessionId: event.session.id, record: event.record });
      if (this.decidedRequests.size > 1000) this.decidedRequests.delete(this.decidedRequests.keys().next().value!);
    }
    if (event.type === "ended") {
      this.stats.recordEnd(event.session, event.status, event.reason);
      this.scheduleForgetting(event.session.id);
      // One that never left the queue held no slot.
      if (!this.queue.remove(event.session.id)) this.releaseNodeSlot(event.session, event.reason);
    }
    this.emit(event);
    // A slot freed (or a queued launch was killed): the next in the queue starts.
    if (event.type === "ended") this.startQueued();
  }

  /**
   * A node's slot is free once the node let go of the process (else the node itself would refuse
   * the next one); a lost node has no free slot until the directory sees it again.
   */
  private releaseNodeSlot(ended: SessionSnapshot<TOwner>, reason: EndReason): void {
    const node = ended.node;
    const session = this.sessions.get(ended.id);
    if (!node || !session) return;
    if (reason.kind === "host_lost") this.nodeSlots.set(node.id, 0);
    this.draining.set(ended.id, node.id);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      timer.cancel();
      this.draining.delete(ended.id);
      this.startQueued();
    };
    const timer = this.opts.clock.setTimer(DRAIN_BOUND_MS, release);
    void session.settled().then(release, release);
  }

  private scheduleForgetting(id: string): void {
    this.retention.get(id)?.cancel();
    this.retention.set(
      id,
      this.opts.clock.setTimer(this.opts.retentionMs, () => {
        this.retention.delete(id);
        const session = this.sessions.get(id);
        if (session && !isLive(session.status)) this.sessions.delete(id);
      }),
    );
  }

  private nameTaken(name: string): boolean {
    for (const s of this.sessions.values()) if (s.name === name) return true;
    return this.opts.history?.hasName(name) ?? false;
  }

  private uniqueRequestId(): string {
    return unique(randomRequestId, (id) => this.decidedRequests.has(id) || [...this.sessions.values()].some((s) => s.hasPendingRequest(id)), "request id");
  }

  private uniqueId(): string {
    return unique(this.opts.newId, (id) => this.sessions.has(id), "session id");
  }

  private resolveResume(ref: string): Omit<NonNullable<SessionInit<TOwner>["resume"]>, "fork"> & { workdir: string | undefined; name: string | undefined; node: NodeRef | undefined } {
    const key = typeof ref === "string" ? ref.trim() : "";
    if (!key) throw invalid("the session to resume is empty: give a session id, name or Claude session UUID");
    const inMemory = this.lookup(key);
    let past: PastSession | undefined = inMemory
      ? { id: inMemory.id, name: inMemory.name, claudeSessionId: inMemory.claudeSessionId, workdir: inMemory.workdir, costUsd: inMemory.costUsd, node: inMemory.snapshot().node }
      : undefined;
    if (!past) {
      const stored = this.opts.history?.findByRef(key);
      if (Array.isArray(stored)) {
        const list = stored as readonly PastSession[];
        if (list.length > 1) {
          throw new SessionError("AMBIGUOUS", `"${key}" matches ${list.length} stored sessions (${list.map((s) => s.id).join(", ")}); use the session id.`);
        }
        past = list[0];
      } else {
        past = stored as PastSession | undefined;
      }
    }
    if (past) {
      if (inMemory && isLive(inMemory.status) && !this.shuttingDown) {
        // Two processes on one Claude conversation would interleave its transcript.
        throw new SessionError("INVALID_ARGUMENT", `Session "${past.name}" (${past.id}) is still live: send it a message instead, or kill it first to resume or fork it.`);
      }
      if (!past.claudeSessionId) {
        throw new SessionError("NOT_FOUND", `Session "${past.name}" (${past.id}) never reached Claude Code, so it has no conversation to resume.`);
      }
      return { sessionId: past.id, claudeSessionId: past.claudeSessionId, costUsd: past.costUsd, workdir: past.workdir, name: past.name.replace(/-\d+$/, ""), node: past.node };
    }
    if (looksLikeUuid(key)) return { sessionId: undefined, claudeSessionId: key.toLowerCase(), costUsd: 0, workdir: undefined, name: undefined, node: undefined };
    throw new SessionError("NOT_FOUND", `No session to resume matches "${key}". Use a session id, name or Claude session UUID from the session list.`);
  }

  /** Refuses, with a reason, what the backend cannot do. */
  private checkCapabilities(request: LaunchRequest<TOwner>, mode: PermissionMode): void {
    const { kind, capabilities } = this.opts.backend;
    const cannot = (what: string, instead: string) => invalid(`the ${kind} backend cannot ${what}; ${instead}`);
    if (request.resume !== undefined && !capabilities.resume) throw cannot("resume a conversation", "launch a new session instead");
    if (request.fork && !capabilities.fork) throw cannot("fork a conversation", "resume it without fork, or launch a new session");
    if (mode === "plan" && !capabilities.planMode) throw cannot("run in plan mode", 'use another permission_mode');
    if (mode !== "bypassPermissions" && !capabilities.permissionRelay) {
      throw cannot(`ask for permission (permission_mode "${mode}")`, 'use permission_mode "bypassPermissions"');
    }
  }

  /** The node a launch runs on: a resumed session's own (a conversation lives on one machine), or the one asked for. */
  private resolveNode(given: NodeRef | undefined, original: NodeRef | undefined): NodeRef | undefined {
    if (given && original && given.id !== original.id) {
      throw invalid(`a resumed session runs on its original node ${original.name}; leave node out (it was ${given.name})`);
    }
    return original ?? given;
  }

  private processHostFor(node: NodeRef): ProcessHost {
    if (!this.opts.processHostFor) throw new SessionError("UNAVAILABLE", `sessions on paired nodes are not available here, so node ${node.name} cannot be used`);
    return this.opts.processHostFor(node);
  }

  private resolveWorkdir(given: string | undefined, resume: { workdir: string | undefined } | undefined, node?: NodeRef): string {
    if (given !== undefined && (typeof given !== "string" || !given.trim())) throw invalid("workdir is empty: give an absolute directory path");
    const original = resume?.workdir;
    if (original && given !== undefined && realOrResolved(given) !== realOrResolved(original)) {
      throw invalid(`a resumed session runs in its original workdir ${original}; leave workdir out (it was ${given})`);
    }
    const chosen = original ?? given ?? this.opts.defaultWorkdir;
    if (!chosen) throw invalid("no workdir given and no defaultWorkdir configured: say which directory Claude Code should work in");
    if (node) {
      // The directory is on the node, which checks it (exists, allowed) when the process starts;
      // a ~ is the node's home, so the node expands it.
      if (chosen === "~" || chosen.startsWith("~/")) return chosen;
      if (!path.isAbsolute(chosen)) throw invalid(`workdir ${chosen} must be an absolute path on node ${node.name} (or start with ~/, the node's home)`);
      return path.resolve(chosen);
    }
    const dir = path.resolve(chosen);
    let isDir: boolean;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      throw invalid(`workdir ${dir} does not exist; create it or choose an existing directory`);
    }
    if (!isDir) throw invalid(`workdir ${dir} is a file, not a directory`);
    // The session runs where the path really leads: the allow-list check and Claude Code see the same directory.
    return realpathSync(dir);
  }

  /** The cost the resumed conversation had already run up (not this session's). */
  private resumeBaseline(ref: string): number {
    try {
      return this.resolveResume(ref).costUsd;
    } catch {
      return 0;
    }
  }

  /** For a launch accepted earlier: the sandbox switch it was accepted with, if today's config still allows it. */
  private sandboxFor(mode: PermissionMode): boolean {
    try {
      return this.checkRootBypass(mode);
    } catch {
      return false;
    }
  }

  private checkRootBypass(mode: PermissionMode): boolean {
    if (mode !== "bypassPermissions" || !this.opts.isRoot()) return false;
    if (this.opts.baseEnv.IS_SANDBOX === "1") return true;
    if (this.opts.allowRootBypass) return true;
    throw new SessionError(
      "FORBIDDEN",
      "Claude Code refuses bypassPermissions when the gateway runs as root. Either set allowRootBypass: true in the plugin config (only inside a sandbox or container: it sets IS_SANDBOX=1 for Claude Code), run the gateway as a normal user, or launch with permission_mode \"acceptEdits\".",
    );
  }
}

/** The path with every symlink resolved; a path that does not exist (yet) stands for itself, resolved. */
export function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** A fresh id from `generate` that `taken` does not hold (ids are random: a clash is rare, endless ones a bug). */
function unique(generate: () => string, taken: (id: string) => boolean, what: string): string {
  for (let i = 0; i < 100; i++) {
    const id = generate();
    if (!taken(id)) return id;
  }
  throw new Error(`could not generate a unique ${what}`);
}

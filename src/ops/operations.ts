// The operations: one implementation of launch, respond, kill, output, list, fg, bg, resume and
// stats that every surface (tools, chat commands, RPC) calls. Typed results; no formatting.
import { agentEnvFor, isUnder, type PluginConfig } from "../config.ts";
import {
  createPolicy,
  invalid,
  isLive,
  isMorePermissive,
  parseRule,
  looksLikeUuid,
  realOrResolved,
  type PermissionPolicy,
  reasonText,
  SessionError,
  type PermissionAnswer,
  type PermissionRecord,
  type PermissionRule,
  type PermissionRequest,
  type SessionStatus,
  type OutputEntry,
  type SessionEngine,
  type SessionSnapshot,
  type StatsSnapshot,
} from "../engine/index.ts";
import type { WorktreeManager, WorktreeLaunchInfo, WorktreeRecord } from "../worktrees/index.ts";
import type { NodeDirectory, NodeStatus, Placement } from "../nodes/directory.ts";
import type { ForegroundRegistry } from "./foreground.ts";
import { finishSession, prepareWorktree, worktreesOf, type FinishResult } from "./worktree-ops.ts";
import {
  expandHome,
  parseBgInput,
  parseFgInput,
  parseLaunchInput,
  parseListInput,
  parseNoInput,
  parseAuditInput,
  parseOutputInput,
  parsePermitInput,
  parseRespondInput,
  parseResumeInput,
  parseSessionRef,
  parseTranscriptInput,
  parseFinishInput,
  type LaunchInput,
  type TranscriptFormat,
} from "./inputs.ts";
import { callerLabel, type Caller, type Owner } from "./types.ts";

export type Snapshot = SessionSnapshot<Owner>;

/** Checks run before an agent's launch (the safety checks); throw a SessionError to refuse. */
export type PreLaunchCheck = (caller: Extract<Caller, { kind: "agent" }>, input: LaunchInput) => Promise<void> | void;

/** Sessions kept beyond memory (the persistent store): for listing, lookups and resume. */
export interface StoredSessions {
  findSnapshot(ref: string): Snapshot | undefined;
  list(query: {
    agentId: string | undefined;
    statuses: readonly SessionStatus[] | undefined;
    conversation?: string | null;
    resumableOnly?: boolean;
    limit: number;
    offset: number;
  }): { sessions: Snapshot[]; total: number };
  decisions(query: { sessionId: string | undefined; limit: number; offset: number }): PermissionRecord[];
  /** An agent's sessions live at or after `since` and their cost (for the daily budget). */
  costsSince(agentId: string, since: number): Array<{ id: string; costUsd: number }>;
}

/** Durable transcripts (the store's): every entry of a session, after it left memory too. */
export interface TranscriptReader {
  page(sessionId: string, query: { since?: number; limit?: number }): TranscriptPage;
  tail(sessionId: string, n: number): TranscriptPage;
}

export interface TranscriptPage {
  entries: OutputEntry[];
  /** Entries dropped by the per-session bound (they come before the first kept one). */
  dropped: number;
  lastSeq: number;
  /** Entries after the page that its limit left out. */
  more: number;
}

export interface OperationsDeps {
  engine: SessionEngine<Owner>;
  config: PluginConfig;
  foreground: ForegroundRegistry;
  preLaunchChecks?: PreLaunchCheck;
  stored?: StoredSessions;
  transcripts?: TranscriptReader;
  /** The time, for the daily budget's day (UTC). */
  now?: () => number;
  /** Session worktrees (launch option `worktree`, the finish operation). */
  worktrees?: WorktreeManager;
  /** Paired nodes sessions can run on; absent: every session runs on this machine. */
  nodes?: NodeDirectory;
}

export interface NodesResult {
  nodes: NodeStatus[];
}

export interface LaunchResult {
  session: Snapshot;
  /** Set when the session runs in its own worktree: base, fetch result, the user's uncommitted changes. */
  worktree?: WorktreeLaunchInfo;
}
export interface RespondResult {
  session: Snapshot;
  interrupted: boolean;
  /** Agent replies in a row since the user last spoke (0 after a user's reply). */
  autoResponds: number;
}
export interface OutputResult {
  session: Snapshot;
  entries: readonly OutputEntry[];
  /** Entries that exist before the first returned one (trimmed or not asked for). */
  earlier: number;
  /** Entries after the last returned one that the page's limit left out (paging with `since`). */
  more: number;
  /** Where the entries come from: the live buffer, the durable transcript, or only the final result. */
  source: "memory" | "transcript" | "result";
  /** False for a session that has left memory. */
  inMemory: boolean;
}
export interface TranscriptResult {
  session: Snapshot;
  format: TranscriptFormat;
  /** Every entry kept, oldest first. */
  entries: readonly OutputEntry[];
  /** Entries dropped by the per-session bound before the first one kept. */
  dropped: number;
}

export interface ListResult {
  sessions: Snapshot[];
  total: number;
  offset: number;
  /** The worktree of each listed session that has one, by session id. */
  worktrees?: Record<string, WorktreeRecord>;
}
export interface FgResult {
  session: Snapshot;
  entries: readonly OutputEntry[];
  /** Unseen entries trimmed from the buffer before this conversation could see them. */
  missed: number;
  /** Unseen entries left out because they exceed `lines`. */
  skipped: number;
  /** False when the session has ended: there is nothing left to stream. */
  streaming: boolean;
}
export interface PermitResult {
  record: PermissionRecord;
  session: Snapshot;
}
export interface KillResult {
  session: Snapshot;
  /** The session had ended before: nothing was killed. */
  alreadyEnded: boolean;
}
export interface BgResult {
  detached: Snapshot[];
}

export class Operations {
  private readonly engine: SessionEngine<Owner>;
  private config: PluginConfig;
  private readonly foreground: ForegroundRegistry;
  private preLaunchChecks: PreLaunchCheck | undefined;
  private readonly stored: StoredSessions | undefined;
  private readonly nodes: NodeDirectory | undefined;
  private readonly transcripts: TranscriptReader | undefined;
  private policy: PermissionPolicy;
  private readonly now: () => number;
  private readonly worktrees: WorktreeManager | undefined;
  /** Agent replies in a row per session, reset when a person replies. */
  private readonly autoResponds = new Map<string, number>();

  constructor(deps: OperationsDeps) {
    this.engine = deps.engine;
    this.config = deps.config;
    this.foreground = deps.foreground;
    this.preLaunchChecks = deps.preLaunchChecks;
    this.stored = deps.stored;
    this.nodes = deps.nodes;
    this.transcripts = deps.transcripts;
    this.policy = createPolicy(deps.config.permissionPolicy);
    this.now = deps.now ?? Date.now;
    this.worktrees = deps.worktrees;
  }

  /** A config edit: new values apply to the operations from now on. */
  setConfig(config: PluginConfig, preLaunchChecks: PreLaunchCheck | undefined): void {
    this.config = config;
    this.preLaunchChecks = preLaunchChecks;
    this.policy = createPolicy(config.permissionPolicy);
  }

  async launch(caller: Caller, raw: unknown): Promise<LaunchResult> {
    const parsed = parseLaunchInput(raw);
    // People may pick any mode and tools; an agent stays within what the operator configured.
    const allowedTools = caller.kind === "agent" ? this.agentAllowedTools(parsed) : parsed.allowedTools;
    if (parsed.resumeSessionId !== undefined) this.assertResumable(caller, parsed.resumeSessionId);
    const maxBudgetUsd = this.budgetWithinCeilings(caller, parsed.maxBudgetUsd ?? this.config.defaultBudgetUsd);
    const placement = await this.placeOnNode(parsed);
    // A ~ in the workdir is the home of the machine the session runs on: the node expands its own.
    const input = placement ? parsed : { ...parsed, workdir: expandHome(parsed.workdir) };
    if (caller.kind === "agent" && !this.config.skipSafetyChecks && this.preLaunchChecks) await this.preLaunchChecks(caller, input);
    const owner: Owner = { agentId: caller.agentId, route: caller.route, sessionKey: caller.sessionKey, origin: caller.kind === "agent" ? "tool" : caller.origin };
    if (placement && input.worktree === true) {
      throw invalid(`launch: worktrees are made on this machine; a session on node ${placement.nodes.map((o) => o.node.name).join(" or ")} works in the node's own checkout. Leave worktree out, or launch without a node.`);
    }
    // The workspace is ready before the session starts: with a worktree, the session's workdir is in it.
    const prepared = placement ? undefined : await prepareWorktree(
      {
        config: this.config,
        worktrees: this.worktrees,
        checkWorkdir: Operations.engineHooks(this.config).checkWorkdir,
        findOriginal: (ref) => this.engine.find(ref) ?? this.stored?.findSnapshot(ref),
      },
      input,
    );
    let session: Snapshot;
    try {
      // The engine decides, with no await, whether the launch runs now or waits for a slot.
      session = this.launchInEngine(input, { owner, maxBudgetUsd, allowedTools, placement }, prepared?.info.workdir, prepared?.env);
    } catch (err) {
      if (prepared) await this.worktrees?.abandon(prepared.info.record.id);
      throw err;
    }
    if (prepared) {
      this.worktrees?.attach(prepared.info.record.id, session.id, session.name);
      return { session, worktree: prepared.info };
    }
    return { session };
  }

  /** The engine's launch, with what the checks decided (the budget within the ceilings, the agent's tools). */
  private launchInEngine(
    input: LaunchInput,
    { owner, maxBudgetUsd, allowedTools, placement }: { owner: Owner; maxBudgetUsd: number; allowedTools: readonly string[] | undefined; placement: Placement | undefined },
    worktreeDir: string | undefined,
    env: Record<string, string> | undefined,
  ): Snapshot {
    return this.engine.launch({
      prompt: input.prompt,
      name: input.name,
      workdir: worktreeDir ?? input.workdir,
      ...(env ? { env } : {}),
      model: input.model ?? this.config.defaultModel,
      maxBudgetUsd,
      systemPrompt: input.systemPrompt,
      allowedTools,
      permissionMode: input.permissionMode ?? this.config.permissionMode,
      multiTurnDisabled: input.multiTurnDisabled,
      resume: input.resumeSessionId,
      fork: input.forkSession,
      ...(placement ? { nodes: placement.nodes } : {}),
      owner,
    });
  }

  /** Finishes a worktree session: merge, pr, keep or discard (refused while a turn runs in it). */
  async finish(caller: Caller, raw: unknown): Promise<FinishResult> {
    const input = parseFinishInput(raw);
    const target = this.visible(caller, input.session);
    return finishSession({ engine: this.engine, worktrees: this.worktrees }, target, input, callerLabel(caller));
  }

  /**
   * An agent's mode may be the operator's or stricter, and its allowed_tools may only name
   * read-only tools or rules the operator's allow list already has. Returns what Claude Code gets:
   * the read-only entries; the others are already decided by the operator's rules, which are
   * shell-aware where Claude Code's own matching of the same text might not be.
   */
  private agentAllowedTools(input: LaunchInput): string[] | undefined {
    const ceiling = this.config.permissionMode;
    if (input.permissionMode !== undefined && isMorePermissive(input.permissionMode, ceiling)) {
      throw new SessionError(
        "FORBIDDEN",
        `launch: permission_mode "${input.permissionMode}" is more permissive than the operator allows agents ("${ceiling}", the plugin's permissionMode); launch with "${ceiling}" or a stricter mode, or leave permission_mode out. Only the user can launch with a wider mode (/claude --mode ${input.permissionMode} …).`,
        { allowedMode: ceiling },
      );
    }
    if (input.allowedTools === undefined) return undefined;
    const refused: string[] = [];
    const passed: string[] = [];
    for (const entry of input.allowedTools) {
      let rule: PermissionRule;
      try {
        rule = parseRule(entry);
      } catch (err) {
        throw invalid(`launch: allowed_tools entry ${JSON.stringify(entry)}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (READ_ONLY_TOOLS.has(rule.tool)) passed.push(entry);
      else if (!this.policy.allowsRule(rule)) refused.push(entry);
    }
    if (refused.length > 0) {
      const allowed = this.config.permissionPolicy.allow.map((r) => r.text);
      throw new SessionError(
        "FORBIDDEN",
        `launch: allowed_tools may name only read-only tools (${[...READ_ONLY_TOOLS].join(", ")}) or rules the operator's permissionPolicy.allow already has (${allowed.length ? allowed.join(", ") : "none"}); not allowed: ${refused.map((e) => JSON.stringify(e)).join(", ")}. Leave them out (Claude Code will ask when it needs them), or ask the user to add them to permissionPolicy.allow.`,
        { refused },
      );
    }
    return passed;
  }

  /**
   * The ceilings every launch meets before anything is created: the budget it asks for against
   * maxBudgetUsd, and its agent's spending today against dailyBudgetUsd. Returns the budget.
   */
  private budgetWithinCeilings(caller: Caller, budgetUsd: number): number {
    const ceiling = this.config.maxBudgetUsd;
    if (budgetUsd > ceiling) {
      throw new SessionError(
        "LIMIT_REACHED",
        `max_budget_usd ${usd(budgetUsd)} is above the ceiling maxBudgetUsd (${usd(ceiling)}): ask for ${usd(ceiling)} or less, or have the operator raise maxBudgetUsd.`,
        { ceiling: "maxBudgetUsd", limitUsd: ceiling },
      );
    }
    const daily = this.dailyBudgetReached(caller.agentId);
    if (daily) {
      throw new SessionError(
        "LIMIT_REACHED",
        `agent ${caller.agentId} has spent ${usd(daily.spentUsd)} today (UTC), its daily budget dailyBudgetUsd is ${usd(daily.limitUsd)}: no more launches until 00:00 UTC, or have the operator raise dailyBudgetUsd.`,
        { ceiling: "dailyBudgetUsd", limitUsd: daily.limitUsd, spentUsd: daily.spentUsd },
      );
    }
    return budgetUsd;
  }

  /** What an agent's sessions cost that were live today (UTC); the engine's live figures win over the store's. */
  private spentToday(agentId: string): number {
    const midnight = new Date(this.now()).setUTCHours(0, 0, 0, 0);
    const costs = new Map<string, number>();
    for (const s of this.stored?.costsSince(agentId, midnight) ?? []) costs.set(s.id, s.costUsd);
    for (const s of this.engine.list()) {
      if (s.owner.agentId === agentId && (s.endedAt === undefined || s.endedAt >= midnight)) costs.set(s.id, s.costUsd);
    }
    let total = 0;
    for (const cost of costs.values()) total += cost;
    return total;
  }

  /** Connected paired nodes, their free slots and this gateway's sessions on them. */
  async listNodes(_caller: Caller, raw: unknown): Promise<NodesResult> {
    parseNoInput(raw, "nodes");
    if (!this.nodes) return { nodes: [] };
    return { nodes: await this.nodes.list() };
  }

  /**
   * The node a launch runs on: a resumed session's own node (checked online, with a clear error
   * while it is not), else the launch's `node`, else defaultNode; "local" means this machine.
   */
  private async placeOnNode(input: LaunchInput): Promise<Placement | undefined> {
    if (input.resumeSessionId !== undefined) {
      const past = this.engine.find(input.resumeSessionId) ?? this.stored?.findSnapshot(input.resumeSessionId);
      if (past?.node) {
        if (!this.nodes) throw new SessionError("UNAVAILABLE", `Session "${past.name}" ran on node ${past.node.name}, and this gateway has no node access.`);
        try {
          return await this.nodes.place(past.node.id, past.workdir);
        } catch (err) {
          if (err instanceof SessionError && (err.code === "UNAVAILABLE" || err.code === "NOT_FOUND")) {
            throw new SessionError("UNAVAILABLE", `Session "${past.name}" (${past.id}) ran on node ${past.node.name}, where its conversation lives: ${err.message}`);
          }
          throw err;
        }
      }
      if (past && input.node !== undefined && input.node.toLowerCase() !== "local") {
        throw new SessionError("INVALID_ARGUMENT", `Session "${past.name}" ran on this gateway's machine, where its conversation lives; resume it without node.`);
      }
      return undefined;
    }
    const ref = input.node ?? this.config.defaultNode;
    if (ref === undefined || ref.toLowerCase() === "local") return undefined;
    if (!this.nodes) throw new SessionError("UNAVAILABLE", `node "${ref}": this gateway has no node access`);
    return this.nodes.place(ref, input.workdir ?? this.config.defaultWorkdir);
  }

  async resume(caller: Caller, raw: unknown): Promise<LaunchResult> {
    const input = parseResumeInput(raw);
    return this.launch(caller, { prompt: input.prompt, resume_session_id: input.session, fork_session: input.fork });
  }

  async respond(caller: Caller, raw: unknown): Promise<RespondResult> {
    const input = parseRespondInput(raw);
    const target = this.visible(caller, input.session);
    const count = this.nextAutoRespond(caller, target, input.userInitiated, "claude_respond");
    const by = caller.kind === "agent" && input.userInitiated ? `user via agent ${caller.agentId}` : callerLabel(caller);
    this.requireInMemory(target, "send a message to");
    if (input.interrupt && target.status === "waiting" && target.waitingFor === "input") {
      // Nothing runs, so nothing would be interrupted; saying "sent after interrupting" would be false.
      throw new SessionError(
        "NOT_RUNNING",
        `Session "${target.name}" (${target.id}) is waiting for input: there is no turn to interrupt. Send the message without interrupt.`,
      );
    }
    const session = await this.engine.respond(target.id, input.message, { interrupt: input.interrupt, by });
    this.autoResponds.set(target.id, count);
    return { session, interrupted: input.interrupt, autoResponds: count };
  }

  /** Answers a permission request, a question or a plan of a session the caller may control. */
  permit(caller: Caller, raw: unknown): PermitResult {
    const input = parsePermitInput(raw);
    const found = this.engine.findRequest(input.request);
    const session = found.session ?? (found.state === "decided" ? this.stored?.findSnapshot(found.record.sessionId) : undefined);
    if (!session || !this.canSee(caller, session)) {
      throw new SessionError("NOT_FOUND", `No permission request "${input.request}" on a session of yours. Pending requests are listed with each session (claude_sessions).`);
    }
    if (caller.kind === "agent" && input.userInitiated) {
      throw invalid(
        'permit: "userInitiated" applies to claude_respond only; a decision through claude_permit is always recorded as yours, counted against maxAutoResponds and announced in the chat. Leave it out, or let the user answer with /claude_allow or /claude_deny.',
      );
    }
    // The agent's decision is the agent's, whoever it says asked for it.
    const count = this.nextAutoRespond(caller, session, false, "claude_permit");
    const by = callerLabel(caller);
    const answer: PermissionAnswer =
      input.decision === "answer"
        ? { kind: "answer", answers: input.answers ?? [] }
        : input.decision === "deny"
          ? { kind: "deny", ...(input.note ? { note: input.note } : {}), stop: input.stop }
          : { kind: "allow", scope: input.decision === "allow_session" ? "session" : "once" };
    const record = this.engine.answerRequest(input.request, answer, by);
    this.autoResponds.set(session.id, count);
    return { record, session: this.engine.find(session.id) ?? session };
  }

  /** Permission requests waiting for an answer on the sessions the caller may see. */
  pending(caller: Caller, raw: unknown): { requests: Array<{ session: Snapshot; request: PermissionRequest }> } {
    parseNoInput(raw, "pending");
    const requests = this.engine
      .liveSessions()
      .filter((s) => this.canSee(caller, s))
      .flatMap((session) => session.pendingRequests.map((request) => ({ session, request })));
    return { requests };
  }

  /** The audit log of permission decisions, newest first: of one session, or (operators) of all. */
  audit(caller: Caller, raw: unknown): { records: PermissionRecord[]; session: Snapshot | undefined } {
    const input = parseAuditInput(raw);
    if (input.session === undefined && caller.kind === "agent") {
      throw new SessionError("INVALID_ARGUMENT", "audit: name the session whose permission decisions you want to read");
    }
    const session = input.session !== undefined ? this.visible(caller, input.session) : undefined;
    // The log is the store's (each decision is also a line of the session's output).
    if (!this.stored) throw new SessionError("UNAVAILABLE", "audit: the permission audit log is kept in the plugin's store, which is not open");
    return { records: this.stored.decisions({ sessionId: session?.id, limit: input.limit, offset: input.offset }), session };
  }

  /**
   * The count of the agent's replies in a row (messages, permission answers) once this one is
   * counted; refused beyond maxAutoResponds. A person's word (userInitiated, a command) resets it.
   */
  private nextAutoRespond(caller: Caller, target: Snapshot, userInitiated: boolean, tool: string): number {
    if (caller.kind !== "agent" || userInitiated) return 0;
    const count = (this.autoResponds.get(target.id) ?? 0) + 1;
    const max = this.config.maxAutoResponds;
    if (count > max) {
      const next =
        tool === "claude_permit"
          ? "Forward the request to the user, who answers with /claude_allow or /claude_deny (a reply from the user resets the count)."
          : `Ask the user what to do, then call ${tool} with userInitiated: true.`;
      throw new SessionError("LIMIT_REACHED", `You have answered session "${target.name}" ${max} times in a row without the user (maxAutoResponds = ${max}). ${next}`);
    }
    return count;
  }

  /**
   * Kills a live session. A session that has already ended is refused (ALREADY_FINISHED), unless
   * `endedIsOk`: then it is returned as it is, with `alreadyEnded` (RPC clients expect an answer).
   */
  async kill(caller: Caller, raw: unknown, options: { endedIsOk?: boolean } = {}): Promise<KillResult> {
    const input = parseSessionRef(raw, "kill");
    const target = this.visible(caller, input.session);
    if (options.endedIsOk && !isLive(target.status)) return { session: target, alreadyEnded: true };
    this.requireInMemory(target, "kill");
    return { session: await this.engine.kill(target.id, callerLabel(caller)), alreadyEnded: false };
  }

  output(caller: Caller, raw: unknown): OutputResult {
    const input = parseOutputInput(raw);
    const target = this.visible(caller, input.session);
    const session = this.engine.find(target.id) ?? target;
    const inMemory = session !== target;
    // Memory answers while it still holds what is asked; the durable transcript (longer, and kept
    // after the session left memory or the gateway restarted) answers the rest.
    if (input.since !== undefined) {
      const memory = this.engine.output(target.id, { since: input.since, limit: input.limit });
      if (memory && (memory.missed === 0 || !this.transcripts)) {
        const { entries } = memory;
        return { session, entries, earlier: pageEarlier(entries, input.since), more: memory.more, source: "memory", inMemory };
      }
      if (this.transcripts) {
        const page = this.transcripts.page(target.id, { since: input.since, limit: input.limit });
        return { session, entries: page.entries, earlier: pageEarlier(page.entries, input.since), more: page.more, source: "transcript", inMemory };
      }
    }
    const memory = input.since === undefined && !input.full ? this.engine.output(target.id, { last: input.lines }) : undefined;
    if (memory && (memory.size >= input.lines || memory.firstSeq === 1 || !this.transcripts)) {
      const { entries } = memory;
      return { session, entries, earlier: (entries[0]?.seq ?? memory.lastSeq + 1) - 1, more: 0, source: "memory", inMemory };
    } else if (input.since === undefined && this.transcripts) {
      const page = input.full ? this.transcripts.page(target.id, {}) : this.transcripts.tail(target.id, input.lines);
      if (page.entries.length > 0) {
        return { session, entries: page.entries, earlier: (page.entries[0]?.seq ?? 1) - 1, more: 0, source: "transcript", inMemory };
      }
    }
    const all = this.engine.output(target.id);
    if (all) {
      const { entries } = all;
      return { session, entries, earlier: (entries[0]?.seq ?? all.lastSeq + 1) - 1, more: 0, source: "memory", inMemory };
    }
    return { session, entries: keptResult(target), earlier: Math.max(0, target.lastSeq - 1), more: 0, source: "result", inMemory };
  }

  /** The whole kept transcript of a session, for an export. */
  transcript(caller: Caller, raw: unknown): TranscriptResult {
    const input = parseTranscriptInput(raw);
    const target = this.visible(caller, input.session);
    const session = this.engine.find(target.id) ?? target;
    const inMemory = session !== target;
    if (this.transcripts) {
      const page = this.transcripts.page(target.id, {});
      if (page.entries.length > 0 || !inMemory) return { session, format: input.format, entries: page.entries, dropped: page.dropped };
    }
    const entries = this.engine.output(target.id)?.entries ?? keptResult(target);
    return { session, format: input.format, entries, dropped: (entries[0]?.seq ?? 1) - 1 };
  }

  list(caller: Caller, raw: unknown): ListResult {
    const input = parseListInput(raw);
    if (this.stored) {
      const statuses: SessionStatus[] | undefined =
        input.status === "all" ? undefined : input.status === "running" ? ["starting", "running"] : [input.status];
      const page = this.stored.list({
        agentId: caller.kind === "agent" ? caller.agentId : undefined,
        ...(caller.kind === "agent" && !this.config.shareSessionsAcrossConversations ? { conversation: caller.sessionKey ?? null } : {}),
        statuses,
        resumableOnly: input.resumable,
        limit: input.limit,
        offset: input.offset,
      });
      // The store has every session; the engine's copy of a live one is fresher (cost, duration).
      const sessions = page.sessions.map((s) => this.engine.find(s.id) ?? s);
      return { sessions, total: page.total, offset: input.offset, worktrees: worktreesOf(this.worktrees, sessions) };
    }
    const all = this.engine
      .list()
      .filter((s) => this.canSee(caller, s))
      .filter((s) => input.status === "all" || s.status === input.status || (input.status === "running" && s.status === "starting"))
      .filter((s) => !input.resumable || (s.claudeSessionId !== undefined && !isLive(s.status)));
    const sessions = all.slice(input.offset, input.offset + input.limit);
    return { sessions, total: all.length, offset: input.offset, worktrees: worktreesOf(this.worktrees, sessions) };
  }

  /** The counts and costs; an agent is not told the name of a session it may not see. */
  stats(caller: Caller, raw: unknown): StatsSnapshot {
    parseNoInput(raw, "stats");
    const stats = this.engine.getStats();
    const top = stats.mostExpensive;
    if (!top || caller.kind === "operator") return stats;
    const session = this.engine.find(top.id) ?? this.stored?.findSnapshot(top.id);
    return session && this.canSee(caller, session) ? stats : { ...stats, mostExpensive: undefined };
  }

  fg(caller: Caller, raw: unknown): FgResult {
    const input = parseFgInput(raw);
    const route = this.requireRoute(caller, "foreground");
    const target = this.visible(caller, input.session);
    const catchUp = this.engine.output(target.id, { since: this.foreground.lastSeen(route, target.id) });
    if (!catchUp) return { session: target, entries: keptResult(target), missed: 0, skipped: 0, streaming: false };
    const skipped = Math.max(0, catchUp.entries.length - input.lines);
    const entries = catchUp.entries.slice(skipped);
    this.foreground.markSeen(route, target.id, catchUp.lastSeq);
    const streaming = isLive(target.status);
    if (streaming) this.foreground.attach(route, target.id);
    return { session: target, entries, missed: catchUp.missed, skipped, streaming };
  }

  bg(caller: Caller, raw: unknown): BgResult {
    const input = parseBgInput(raw);
    const route = this.requireRoute(caller, "background");
    if (input.session !== undefined) {
      const target = this.visible(caller, input.session);
      this.foreground.detach(route, target.id);
      return { detached: [target] };
    }
    const ids = this.foreground.detach(route);
    return { detached: ids.flatMap((id) => this.engine.find(id) ?? []) };
  }

  /** Whether some conversation watches this session in the foreground. */
  inForeground(sessionId: string): boolean {
    return this.foreground.watchers(sessionId).length > 0;
  }

  /** When an agent's sessions have spent its daily budget today (UTC): how much, of what, which day. */
  dailyBudgetReached(agentId: string | undefined): { spentUsd: number; limitUsd: number; day: string } | undefined {
    const daily = this.config.dailyBudgetUsd;
    if (daily === undefined || agentId === undefined) return undefined;
    const spentUsd = this.spentToday(agentId);
    return spentUsd >= daily ? { spentUsd, limitUsd: daily, day: new Date(this.now()).toISOString().slice(0, 10) } : undefined;
  }

  /** How many more times the owning agent may answer this session before it must ask the user. */
  autoRespondsLeft(sessionId: string): number {
    return Math.max(0, this.config.maxAutoResponds - (this.autoResponds.get(sessionId) ?? 0));
  }

  /**
   * Whether `caller` may see `session`: operators see all; an agent what was launched for it from
   * the conversation it is called in (or from any of its conversations, when the config shares them).
   */
  canSee(caller: Caller, session: Snapshot): boolean {
    if (caller.kind === "operator") return true;
    if (session.owner.agentId !== caller.agentId) return false;
    return this.config.shareSessionsAcrossConversations || sameConversation(session.owner.sessionKey, caller.sessionKey);
  }

  /** The session a ref names, if this caller may see it; otherwise NOT_FOUND (existence is not leaked). */
  private visible(caller: Caller, ref: string): Snapshot {
    const session = this.engine.find(ref) ?? this.stored?.findSnapshot(ref);
    if (session && this.canSee(caller, session)) return session;
    // Operators get the engine's answer, which names known sessions; an agent must not learn the
    // names of other agents' sessions, so unknown and not-yours read the same.
    if (caller.kind === "operator") return this.engine.get(ref);
    throw new SessionError("NOT_FOUND", `No session of yours matches "${ref}". Use claude_sessions to list your sessions.`);
  }

  /** Sessions that left memory (an earlier gateway run, or over an hour ago) have ended. */
  private requireInMemory(target: Snapshot, action: string): void {
    if (this.engine.find(target.id)) return;
    const state = `${target.status}${target.reason ? `: ${reasonText(target.reason)}` : ""}`;
    throw new SessionError(
      action === "kill" ? "ALREADY_FINISHED" : "NOT_RUNNING",
      `Session "${target.name}" (${target.id}) has ended (${state}); cannot ${action} it. Resume it to continue: /claude_resume ${target.name} or claude_launch with resume_session_id "${target.id}".`,
    );
  }

  private assertResumable(caller: Caller, ref: string): void {
    const found = this.engine.find(ref) ?? this.stored?.findSnapshot(ref);
    // A bare Claude session UUID we never ran may still be resumed; any other unknown ref is
    // answered like another agent's session, so the answer does not tell them apart.
    const refused = found ? !this.canSee(caller, found) : caller.kind === "agent" && !looksLikeUuid(ref.trim());
    if (refused) {
      throw new SessionError("NOT_FOUND", `No session of yours to resume matches "${ref}". Use claude_sessions to list your sessions.`);
    }
  }

  private requireRoute(caller: Caller, what: string): NonNullable<Caller["route"]> {
    if (!caller.route) {
      throw new SessionError("INVALID_ARGUMENT", `${what} works per conversation, and this call came from none; use it from a chat, or read output with claude_output.`);
    }
    return caller.route;
  }

  /**
   * Engine hooks derived from the config: the workdir allow-list and per-workdir environment.
   * `alsoAllowed`: folders the plugin itself makes (session worktrees, made only for allowed workdirs).
   */
  static engineHooks(config: PluginConfig, alsoAllowed: readonly string[] = []): {
    checkWorkdir: (dir: string) => void;
    envForWorkdir: (dir: string) => Record<string, string>;
    permissionPolicy: PermissionPolicy;
    permissionTimeoutMs: number;
  } {
    return {
      permissionPolicy: createPolicy(config.permissionPolicy),
      permissionTimeoutMs: config.permissionTimeoutMinutes * 60_000,
      // Both sides by real path: a symlink inside an allowed directory must not lead out of it.
      checkWorkdir: (dir) => {
        if (config.allowedWorkdirs.length === 0) return;
        const real = realOrResolved(dir);
        if (![...config.allowedWorkdirs, ...alsoAllowed].some((prefix) => isUnder(real, realOrResolved(prefix)))) {
          const shown = real === dir ? dir : `${dir} (really ${real})`;
          throw new SessionError("FORBIDDEN", `workdir ${shown} is outside allowedWorkdirs (${config.allowedWorkdirs.join(", ")}); choose a directory inside one of them`);
        }
      },
      envForWorkdir: (dir) => agentEnvFor(config, dir),
    };
  }
}

/** Tools that change nothing: an agent may let Claude Code use them unasked. */
const READ_ONLY_TOOLS: ReadonlySet<string> = new Set(["Read", "Glob", "Grep", "LS", "NotebookRead", "WebSearch", "TodoWrite"]);

/** Entries before a page that starts after `since`: those up to `since`. */
function pageEarlier(entries: readonly OutputEntry[], since: number): number {
  return entries.length ? (entries[0]?.seq ?? since + 1) - 1 : since;
}

/** Session keys name conversations; the host treats them without case. */
function sameConversation(a: string | undefined, b: string | undefined): boolean {
  return (a ?? "").toLowerCase() === (b ?? "").toLowerCase();
}

function usd(value: number): string {
  return `$${value.toFixed(2)}`;
}

/** What is kept of a session's output when it has no transcript: its last result. */
function keptResult(s: Snapshot): OutputEntry[] {
  return s.lastResult ? [{ seq: s.lastSeq, at: s.endedAt ?? s.createdAt, kind: "result", text: s.lastResult }] : [];
}

// The operations: one implementation of launch, respond, kill, output, list, fg, bg, resume and
// stats that every surface (tools, chat commands, RPC) calls. Typed results; no formatting.
import { agentEnvFor, isUnder, type PluginConfig } from "../config.ts";
import {
  createPolicy,
  isLive,
  looksLikeUuid,
  type PermissionPolicy,
  reasonText,
  SessionError,
  type PermissionAnswer,
  type PermissionRecord,
  type PermissionRequest,
  type SessionStatus,
  type OutputEntry,
  type SessionEngine,
  type SessionSnapshot,
  type StatsSnapshot,
} from "../engine/index.ts";
import type { NodeDirectory, NodeStatus, Placement } from "../nodes/directory.ts";
import type { ForegroundRegistry } from "./foreground.ts";
import {
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
    resumableOnly?: boolean;
    limit: number;
    offset: number;
  }): { sessions: Snapshot[]; total: number };
  decisions(query: { sessionId: string | undefined; limit: number; offset: number }): PermissionRecord[];
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
  /** Paired nodes sessions can run on; absent: every session runs on this machine. */
  nodes?: NodeDirectory;
}

export interface NodesResult {
  nodes: NodeStatus[];
}

export interface LaunchResult {
  session: Snapshot;
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
  }

  /** A config edit: new values apply to the operations from now on. */
  setConfig(config: PluginConfig, preLaunchChecks: PreLaunchCheck | undefined): void {
    this.config = config;
    this.preLaunchChecks = preLaunchChecks;
  }

  async launch(caller: Caller, raw: unknown): Promise<LaunchResult> {
    const input = parseLaunchInput(raw);
    if (input.resumeSessionId !== undefined) this.assertResumable(caller, input.resumeSessionId);
    if (caller.kind === "agent" && !this.config.skipSafetyChecks && this.preLaunchChecks) await this.preLaunchChecks(caller, input);
    const owner: Owner = { agentId: caller.agentId, route: caller.route, sessionKey: caller.sessionKey, origin: caller.kind === "agent" ? "tool" : caller.origin };
    const placement = await this.placeOnNode(input);
    // Nothing awaits between this check and the launch, so two launches cannot take one slot.
    if (placement) this.nodes?.assertFree(placement);
    const session = this.engine.launch({
      prompt: input.prompt,
      name: input.name,
      workdir: input.workdir,
      model: input.model ?? this.config.defaultModel,
      maxBudgetUsd: input.maxBudgetUsd ?? this.config.defaultBudgetUsd,
      systemPrompt: input.systemPrompt,
      allowedTools: input.allowedTools,
      permissionMode: input.permissionMode ?? this.config.permissionMode,
      multiTurnDisabled: input.multiTurnDisabled,
      resume: input.resumeSessionId,
      fork: input.forkSession,
      ...(placement ? { node: placement.node } : {}),
      owner,
    });
    return { session };
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
      const past = this.engine.find(input.resumeSessionId)?.snapshot() ?? this.stored?.findSnapshot(input.resumeSessionId);
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
    const count = this.nextAutoRespond(caller, session, input.userInitiated, "claude_permit");
    const by = caller.kind === "agent" && input.userInitiated ? `user via agent ${caller.agentId}` : callerLabel(caller);
    const answer: PermissionAnswer =
      input.decision === "answer"
        ? { kind: "answer", answers: input.answers ?? [] }
        : input.decision === "deny"
          ? { kind: "deny", ...(input.note ? { note: input.note } : {}), stop: input.stop }
          : { kind: "allow", scope: input.decision === "allow_session" ? "session" : "once" };
    const record = this.engine.answerRequest(input.request, answer, by);
    this.autoResponds.set(session.id, count);
    return { record, session: this.engine.find(session.id)?.snapshot() ?? session };
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
      throw new SessionError(
        "LIMIT_REACHED",
        `You have answered session "${target.name}" ${max} times in a row without the user (maxAutoResponds = ${max}). Ask the user what to do, then call ${tool} with userInitiated: true.`,
      );
    }
    return count;
  }

  async kill(caller: Caller, raw: unknown): Promise<{ session: Snapshot }> {
    const input = parseSessionRef(raw, "kill");
    const target = this.visible(caller, input.session);
    this.requireInMemory(target, "kill");
    return { session: await this.engine.kill(target.id, callerLabel(caller)) };
  }

  output(caller: Caller, raw: unknown): OutputResult {
    const input = parseOutputInput(raw);
    const target = this.visible(caller, input.session);
    const live = this.engine.find(target.id);
    const session = live ? this.engine.snapshot(target.id) : target;
    const buffer = live?.output;
    const inMemory = buffer !== undefined;
    // The live buffer answers while it still holds what is asked; the durable transcript (longer,
    // and kept after the session left memory or the gateway restarted) answers the rest.
    if (input.since !== undefined) {
      if (buffer && (input.since + 1 >= buffer.firstSeq || !this.transcripts)) {
        const after = buffer.after(input.since).entries;
        const entries = after.slice(0, input.limit);
        return { session, entries, earlier: pageEarlier(entries, input.since), more: after.length - entries.length, source: "memory", inMemory };
      }
      if (this.transcripts) {
        const page = this.transcripts.page(target.id, { since: input.since, limit: input.limit });
        return { session, entries: page.entries, earlier: pageEarlier(page.entries, input.since), more: page.more, source: "transcript", inMemory };
      }
    } else if (buffer && !input.full && (buffer.size >= input.lines || buffer.firstSeq === 1 || !this.transcripts)) {
      const entries = buffer.tail(input.lines);
      return { session, entries, earlier: (entries[0]?.seq ?? buffer.lastSeq + 1) - 1, more: 0, source: "memory", inMemory };
    } else if (this.transcripts) {
      const page = input.full ? this.transcripts.page(target.id, {}) : this.transcripts.tail(target.id, input.lines);
      if (page.entries.length > 0) {
        return { session, entries: page.entries, earlier: (page.entries[0]?.seq ?? 1) - 1, more: 0, source: "transcript", inMemory };
      }
    }
    if (buffer) {
      const entries = buffer.all();
      return { session, entries, earlier: (entries[0]?.seq ?? buffer.lastSeq + 1) - 1, more: 0, source: "memory", inMemory };
    }
    return { session, entries: keptResult(target), earlier: Math.max(0, target.lastSeq - 1), more: 0, source: "result", inMemory };
  }

  /** The whole kept transcript of a session, for an export. */
  transcript(caller: Caller, raw: unknown): TranscriptResult {
    const input = parseTranscriptInput(raw);
    const target = this.visible(caller, input.session);
    const session = this.engine.find(target.id) ? this.engine.snapshot(target.id) : target;
    if (this.transcripts) {
      const page = this.transcripts.page(target.id, {});
      if (page.entries.length > 0 || !this.engine.find(target.id)) return { session, format: input.format, entries: page.entries, dropped: page.dropped };
    }
    const entries = this.engine.find(target.id)?.output.all() ?? keptResult(target);
    return { session, format: input.format, entries, dropped: (entries[0]?.seq ?? 1) - 1 };
  }

  list(caller: Caller, raw: unknown): ListResult {
    const input = parseListInput(raw);
    if (this.stored) {
      const statuses: SessionStatus[] | undefined =
        input.status === "all" ? undefined : input.status === "running" ? ["starting", "running"] : [input.status];
      const page = this.stored.list({
        agentId: caller.kind === "agent" ? caller.agentId : undefined,
        statuses,
        resumableOnly: input.resumable,
        limit: input.limit,
        offset: input.offset,
      });
      // The store has every session; the engine's copy of a live one is fresher (cost, duration).
      const sessions = page.sessions.map((s) => this.engine.find(s.id)?.snapshot() ?? s);
      return { sessions, total: page.total, offset: input.offset };
    }
    const all = this.engine
      .list()
      .filter((s) => this.canSee(caller, s))
      .filter((s) => input.status === "all" || s.status === input.status || (input.status === "running" && s.status === "starting"))
      .filter((s) => !input.resumable || (s.claudeSessionId !== undefined && !isLive(s.status)));
    return { sessions: all.slice(input.offset, input.offset + input.limit), total: all.length, offset: input.offset };
  }

  stats(_caller: Caller, raw: unknown): StatsSnapshot {
    parseNoInput(raw, "stats");
    return this.engine.getStats();
  }

  fg(caller: Caller, raw: unknown): FgResult {
    const input = parseFgInput(raw);
    const route = this.requireRoute(caller, "foreground");
    const target = this.visible(caller, input.session);
    const buffer = this.engine.find(target.id)?.output;
    if (!buffer) return { session: target, entries: keptResult(target), missed: 0, skipped: 0, streaming: false };
    const catchUp = buffer.after(this.foreground.lastSeen(route, target.id));
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
    return { detached: ids.flatMap((id) => this.engine.find(id)?.snapshot() ?? []) };
  }

  /** How many more times the owning agent may answer this session before it must ask the user. */
  autoRespondsLeft(sessionId: string): number {
    return Math.max(0, this.config.maxAutoResponds - (this.autoResponds.get(sessionId) ?? 0));
  }

  /** Whether `caller` may see `session`: operators see all, an agent only what it launched. */
  canSee(caller: Caller, session: Snapshot): boolean {
    return caller.kind === "operator" || session.owner.agentId === caller.agentId;
  }

  /** The session a ref names, if this caller may see it; otherwise NOT_FOUND (existence is not leaked). */
  private visible(caller: Caller, ref: string): Snapshot {
    const session = this.engine.find(ref)?.snapshot() ?? this.stored?.findSnapshot(ref);
    if (session && this.canSee(caller, session)) return session;
    // Operators get the engine's answer, which names known sessions; an agent must not learn the
    // names of other agents' sessions, so unknown and not-yours read the same.
    if (caller.kind === "operator") return this.engine.get(ref).snapshot();
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
    const found = this.engine.find(ref)?.snapshot() ?? this.stored?.findSnapshot(ref);
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

  /** Engine hooks derived from the config: the workdir allow-list and per-workdir environment. */
  static engineHooks(config: PluginConfig): {
    checkWorkdir: (dir: string) => void;
    envForWorkdir: (dir: string) => Record<string, string>;
    permissionPolicy: PermissionPolicy;
    permissionTimeoutMs: number;
  } {
    return {
      permissionPolicy: createPolicy(config.permissionPolicy),
      permissionTimeoutMs: config.permissionTimeoutMinutes * 60_000,
      checkWorkdir: (dir) => {
        if (config.allowedWorkdirs.length > 0 && !config.allowedWorkdirs.some((prefix) => isUnder(dir, prefix))) {
          throw new SessionError("FORBIDDEN", `workdir ${dir} is outside allowedWorkdirs (${config.allowedWorkdirs.join(", ")}); choose a directory inside one of them`);
        }
      },
      envForWorkdir: (dir) => agentEnvFor(config, dir),
    };
  }
}

/** What is kept of a session's output once it has left memory: its last result. */
/** Entries before a page that starts after `since`: those up to `since`. */
function pageEarlier(entries: readonly OutputEntry[], since: number): number {
  return entries.length ? (entries[0]?.seq ?? since + 1) - 1 : since;
}

function keptResult(s: Snapshot): OutputEntry[] {
  return s.lastResult ? [{ seq: s.lastSeq, at: s.endedAt ?? s.createdAt, kind: "result", text: s.lastResult }] : [];
}

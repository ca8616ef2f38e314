// One Claude Code session: a long-lived CLI process driven through the Agent SDK's streaming
// input, its status machine, its output buffer and the events it reports.
import { randomUUID } from "node:crypto";
import type {
  CanUseTool,
  HookCallback,
  Options,
  PermissionResult,
  PermissionUpdate,
  Query,
  SDKMessage,
  SDKResultMessage,
  SDKUserMessage,
  SpawnOptions,
  SpawnedProcess,
} from "@anthropic-ai/claude-agent-sdk";
import { loadAgentQuery, loadedAgentQuery } from "./agent-sdk.ts";
import type { Clock, TimerHandle } from "./clock.ts";
import { SessionError } from "./errors.ts";
import { InputQueue } from "./input-queue.ts";
import type { Logger } from "./logger.ts";
import { OutputBuffer, type OutputKind, type OutputLimits } from "./output-buffer.ts";
import { localProcessHost, type HostedProcess, type ProcessHost } from "./process-host.ts";
import { endProcessTrees, newSessionMarker, SESSION_MARKER_VAR, type ProcessTable, type ProcessTreeRef } from "./process-tree.ts";
import {
  describeRequest,
  MAX_SESSION_RULE_COMMAND_BYTES,
  outcomeText,
  resolveAnswers,
  sessionOnly,
  type PermissionAnswer,
  type PermissionOutcome,
  type PermissionRecord,
  type PermissionRequest,
} from "./permissions.ts";
import type { PermissionPolicy, PolicyVerdict } from "./policy.ts";
import { summarizeToolInput } from "./tool-summary.ts";
import {
  isLive,
  reasonText,
  statusForReason,
  type EndReason,
  type NodeRef,
  type PermissionMode,
  type QueueState,
  type SessionEvent,
  type SessionSnapshot,
  type SessionStatus,
  type TerminalStatus,
} from "./types.ts";

export type QueryFunction = (params: { prompt: AsyncIterable<SDKUserMessage>; options: Options }) => Query;

export interface SessionDeps<TOwner> {
  clock: Clock;
  logger: Logger;
  /** undefined: the Agent SDK's query(), imported at the first start. */
  queryFn: QueryFunction | undefined;
  emit: (event: SessionEvent<TOwner>) => void;
  idleTimeoutMs: number;
  /** Wall-clock bound of one turn (a stalled API must not hold a slot for ever); 0 disables. */
  maxTurnMs: number;
  outputLimits: OutputLimits;
  /** How long a process may take to exit after its input closed before it is signalled. */
  exitGraceMs: number;
  pathToClaudeCodeExecutable: string | undefined;
  /** Rules applied to permission requests before anyone is asked. */
  permissionPolicy: PermissionPolicy | undefined;
  /** A permission request nobody answers within this is denied (fail closed). */
  permissionTimeoutMs: number;
  newRequestId: () => string;
  /** Where a queued session stands in the launch queue. */
  queuePosition?: (id: string) => QueueState | undefined;
  /** Where the processes the session started are looked for when it ends. */
  processTable: ProcessTable;
}

export interface SessionInit<TOwner> {
  id: string;
  name: string;
  prompt: string;
  workdir: string;
  model: string | undefined;
  maxBudgetUsd: number | undefined;
  systemPrompt: string | undefined;
  allowedTools: readonly string[] | undefined;
  permissionMode: PermissionMode;
  multiTurn: boolean;
  resume: { sessionId: string | undefined; claudeSessionId: string; fork: boolean; costUsd: number } | undefined;
  env: Record<string, string>;
  owner: TOwner;
  /** The paired node the process runs on (undefined: this machine). */
  node?: NodeRef | undefined;
  /** Where the process runs (default: this machine). */
  processHost?: ProcessHost | undefined;
  /** Accepted while every slot is taken: waits, with no process, until start() is called. */
  queued?: boolean;
  /** When it was first accepted (a queued launch restored after a restart keeps its time). */
  createdAt?: number;
}

const STDERR_TAIL_BYTES = 4096;


interface PendingPermission {
  request: PermissionRequest;
  input: Record<string, unknown>;
  suggestions: PermissionUpdate[] | undefined;
  resolve: (result: PermissionResult) => void;
  timer: TimerHandle | undefined;
}

export class Session<TOwner> {
  readonly id: string;
  readonly createdAt: number;
  readonly output: OutputBuffer;
  private readonly init: SessionInit<TOwner>;
  private readonly deps: SessionDeps<TOwner>;
  private readonly input = new InputQueue<SDKUserMessage>();
  private name_: string;
  private status_: SessionStatus;
  private reason_: EndReason | undefined;
  private claudeSessionId_: string | undefined;
  private query: Query | undefined;
  private child: HostedProcess | undefined;
  private childExit: Promise<void> = Promise.resolve();
  /** What the CLI and everything it starts inherit; set when the CLI is spawned. */
  private tree: ProcessTreeRef | undefined;
  private treeEnded: Promise<void> | undefined;
  private stderrTail = "";
  private idleTimer: TimerHandle | undefined;
  private turnTimer: TimerHandle | undefined;
  private endedAt_: number | undefined;
  private costUsd_ = 0;
  private turns_ = 0;
  private lastResult_: string | undefined;
  private lastText = "";
  /** Messages pushed whose turn has not produced its result yet. */
  private readonly pendingTurns = new Set<string>();
  private interruptRequested = false;
  private loopDone: Promise<void> = Promise.resolve();
  /** Permission requests Claude Code is blocked on, by id. */
  private readonly pending = new Map<string, PendingPermission>();

  constructor(init: SessionInit<TOwner>, deps: SessionDeps<TOwner>) {
    this.init = init;
    this.deps = deps;
    this.id = init.id;
    this.name_ = init.name;
    this.status_ = init.queued ? "queued" : "starting";
    this.createdAt = init.createdAt ?? deps.clock.now();
    this.output = new OutputBuffer(deps.outputLimits);
    // The prompt is the first message of the stream, ahead of follow-ups sent while it was queued.
    this.pushUserMessage(init.prompt);
  }

  get name(): string {
    return this.name_;
  }
  get status(): SessionStatus {
    return this.status_;
  }
  get claudeSessionId(): string | undefined {
    return this.claudeSessionId_;
  }
  get workdir(): string {
    return this.init.workdir;
  }
  get owner(): TOwner {
    return this.init.owner;
  }
  get node(): NodeRef | undefined {
    return this.init.node;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
  get costUsd(): number {
    return this.costUsd_;
  }
  get endedAt(): number | undefined {
    return this.endedAt_;
  }

  snapshot(): SessionSnapshot<TOwner> {
    const end = this.endedAt_ ?? this.deps.clock.now();
    return {
      id: this.id,
      name: this.name_,
      status: this.status_,
      reason: this.reason_,
      prompt: this.init.prompt,
      workdir: this.init.workdir,
      node: this.init.node,
      model: this.init.model,
      permissionMode: this.init.permissionMode,
      maxBudgetUsd: this.init.maxBudgetUsd,
      multiTurn: this.init.multiTurn,
      claudeSessionId: this.claudeSessionId_,
      resumedFrom: this.init.resume
        ? { sessionId: this.init.resume.sessionId, claudeSessionId: this.init.resume.claudeSessionId, fork: this.init.resume.fork }
        : undefined,
      owner: this.init.owner,
      pid: this.child?.pid,
      costUsd: this.costUsd_,
      turns: this.turns_,
      createdAt: this.createdAt,
      endedAt: this.endedAt_,
      durationMs: end - this.createdAt,
      lastSeq: this.output.lastSeq,
      lastResult: this.lastResult_,
      waitingFor: this.status_ !== "waiting" ? undefined : this.pending.size > 0 ? "permission" : "input",
      pendingRequests: [...this.pending.values()].map((p) => p.request),
      queue: this.status_ === "queued" ? this.deps.queuePosition?.(this.id) : undefined,
      systemPrompt: this.init.systemPrompt,
      allowedTools: this.init.allowedTools,
    };
  }

  hasPendingRequest(id: string): boolean {
    return this.pending.has(id);
  }

  /** Answers a pending request; Claude Code carries on at once. Returns the decision's record. */
  answerPermission(id: string, answer: PermissionAnswer, by: string): PermissionRecord {
    const p = this.pending.get(id);
    if (!p) throw new SessionError("NOT_FOUND", `Session ${this.label()} has no pending request ${id}.`);
    const { request } = p;
    switch (answer.kind) {
      case "allow": {
        if (request.kind === "question") {
          throw new SessionError("INVALID_ARGUMENT", `Request ${id} is a question: answer it with one of its options, not allow/deny.`);
        }
        const forSession = answer.scope === "session";
        const command = typeof p.input.command === "string" ? p.input.command : "";
        if (forSession && Buffer.byteLength(command) > MAX_SESSION_RULE_COMMAND_BYTES) {
          throw new SessionError(
            "INVALID_ARGUMENT",
            `Request ${id} runs a command of ${Buffer.byteLength(command)} bytes, over 4 KiB: it can be allowed once only, after reading it whole in the session's output (claude_output with full: true).`,
          );
        }
        if (forSession && (request.kind !== "tool" || !p.suggestions?.length)) {
          throw new SessionError("INVALID_ARGUMENT", `Request ${id} cannot be allowed for the whole session; allow it once instead.`);
        }
        const result: PermissionResult = { behavior: "allow", updatedInput: p.input };
        if (forSession && p.suggestions) result.updatedPermissions = sessionOnly(p.suggestions);
        return this.settle(p, result, forSession ? "allowed_for_session" : "allowed", by, undefined);
      }
      case "deny": {
        const note = answer.note?.trim() || undefined;
        const message =
          request.kind === "plan"
            ? note
              ? `The user wants the plan revised: ${note}`
              : "The user rejected the plan."
            : `The user denied this${note ? `: ${note}` : "."}`;
        return this.settle(p, { behavior: "deny", message, ...(answer.stop ? { interrupt: true } : {}) }, "denied", by, note);
      }
      case "answer": {
        if (request.kind !== "question" || !request.questions) {
          throw new SessionError("INVALID_ARGUMENT", `Request ${id} is not a question: allow or deny it.`);
        }
        if (answer.answers.length !== request.questions.length || answer.answers.some((a) => !a.trim())) {
          throw new SessionError(
            "INVALID_ARGUMENT",
            `Request ${id} asks ${request.questions.length} question(s); give exactly one answer for each (an option number or label, or your own words).`,
          );
        }
        const answers = resolveAnswers(request.questions, answer.answers);
        const note = Object.entries(answers).map(([q, a]) => `${q} → ${a}`).join("; ");
        return this.settle(p, { behavior: "allow", updatedInput: { ...p.input, answers } }, "answered", by, note);
      }
      default: {
        const never: never = answer;
        return never;
      }
    }
  }

  /** A launch queued for several nodes runs on the one that freed a slot first: set before start(). */
  placeOn(node: NodeRef, processHost: ProcessHost, workdir: string): void {
    if (this.status_ !== "queued") throw new Error(`session ${this.id} has started; it cannot move to node ${node.name}`);
    Object.assign(this.init, { node, processHost, workdir });
  }

  /** Spawns the CLI and starts consuming its messages (a queued session leaves the queue). Returns at once. */
  start(): void {
    if (this.status_ === "queued") this.status_ = "starting";
    this.startTurnTimer();
    const queryFn = this.deps.queryFn ?? loadedAgentQuery();
    if (queryFn) {
      this.loopDone = this.run(queryFn);
      return;
    }
    // The first launch of the process imports the SDK; the session stays "starting" meanwhile,
    // and one killed or stopped before the import finished never spawns a process.
    this.loopDone = loadAgentQuery().then(
      (loaded) => {
        if (isLive(this.status_)) return this.run(loaded);
      },
      (err: unknown) => {
        if (isLive(this.status_)) this.finish({ kind: "error", message: `the Agent SDK could not be loaded: ${errorMessage(err)}` });
      },
    );
  }

  /** Spawns the CLI through `queryFn`; resolves when its message loop has ended. */
  private run(queryFn: QueryFunction): Promise<void> {
    const options = this.buildOptions();
    try {
      this.query = queryFn({ prompt: this.input, options });
    } catch (err) {
      this.finish({ kind: "error", message: errorMessage(err) });
      return Promise.resolve();
    }
    return this.consume(this.query);
  }

  /** Sends a follow-up. With `interrupt`, the current turn is stopped first. */
  async respond(message: string, interrupt: boolean, by: string): Promise<void> {
    this.assertAcceptsInput("send a message to");
    if (interrupt && (this.status_ === "running" || this.status_ === "starting")) {
      await this.interruptTurn();
      this.assertAcceptsInput("send a message to");
    }
    this.cancelIdleTimer();
    this.pushUserMessage(message);
    this.appendOutput("followup", message);
    // While Claude waits for a permission answer, a message is queued for after the turn.
    const wasWaiting = this.status_ === "waiting" && this.pending.size === 0;
    if (wasWaiting) {
      this.status_ = "running";
      this.startTurnTimer();
    }
    this.deps.emit({ type: "responded", session: this.snapshot(), message, interrupted: interrupt, by });
    if (wasWaiting) this.deps.emit({ type: "turn_started", session: this.snapshot() });
  }

  /** Stops the current turn; the session stays open for the next message. */
  async interrupt(): Promise<void> {
    if (!isLive(this.status_)) throw this.notRunning("interrupt");
    if (this.status_ === "queued") {
      throw new SessionError("NOT_RUNNING", `Session ${this.label()} is queued and has not started: there is no turn to interrupt (kill it to take it out of the queue).`);
    }
    if (this.status_ === "waiting" && this.pending.size === 0) {
      throw new SessionError("NOT_RUNNING", `Session ${this.label()} is waiting for input: there is no turn to interrupt.`);
    }
    await this.interruptTurn();
  }

  /** Ends the session as killed and waits until its process is gone. */
  async kill(by: string): Promise<void> {
    if (!isLive(this.status_)) {
      throw new SessionError(
        "ALREADY_FINISHED",
        `Session ${this.label()} has already ended (${this.status_}: ${reasonText(this.reason_ ?? { kind: "done" })}); there is nothing to kill.`,
      );
    }
    this.finish({ kind: "killed", by });
    await this.stopProcess(0);
  }

  /** Ends a live session for the given reason (used for shutdown) and waits for its process. */
  async stop(reason: EndReason): Promise<void> {
    if (isLive(this.status_)) this.finish(reason);
    await this.stopProcess(0);
  }

  /** Resolves once the message loop has ended and the process is gone. */
  async settled(): Promise<void> {
    await this.loopDone;
    await this.childExit;
    await this.treeEnded;
  }

  private label(): string {
    return `"${this.name_}" (${this.id})`;
  }

  private notRunning(action: string): SessionError {
    return new SessionError(
      "NOT_RUNNING",
      `Session ${this.label()} has ended (${this.status_}: ${reasonText(this.reason_ ?? { kind: "done" })}); cannot ${action} it. Resume it to continue the conversation.`,
    );
  }

  private assertAcceptsInput(action: string): void {
    if (!isLive(this.status_)) throw this.notRunning(action);
    if (!this.init.multiTurn) {
      throw new SessionError("NOT_RUNNING", `Session ${this.label()} runs a single turn (multi-turn disabled) and takes no follow-ups.`);
    }
  }

  private async interruptTurn(): Promise<void> {
    const q = this.query;
    if (!q) return;
    this.interruptRequested = true;
    try {
      await q.interrupt();
    } catch (err) {
      this.interruptRequested = false;
      throw new SessionError("UNAVAILABLE", `Claude Code did not accept the interrupt for ${this.label()}: ${errorMessage(err)}`);
    }
  }

  private pushUserMessage(text: string): void {
    const uuid = randomUUID();
    this.pendingTurns.add(uuid);
    this.input.push({
      type: "user",
      message: { role: "user", content: text },
      parent_tool_use_id: null,
      uuid,
    });
  }

  private buildOptions(): Options {
    const init = this.init;
    const options: Options = {
      cwd: init.workdir,
      env: init.env,
      permissionMode: init.permissionMode,
      settingSources: [],
      systemPrompt: init.systemPrompt
        ? { type: "preset", preset: "claude_code", append: init.systemPrompt }
        : { type: "preset", preset: "claude_code" },
      spawnClaudeCodeProcess: (spawnOptions) => this.spawnProcess(spawnOptions),
    };
    // Without bypass, Claude Code asks before acting; the asks come here and go to people.
    if (init.permissionMode !== "bypassPermissions") options.canUseTool = this.canUseTool;
    // Deny rules hold in every mode, for allowed tools, read-only commands and after "allow for
    // this session": the hook runs before Claude Code's own permission checks, and a failing hook blocks.
    const policy = this.deps.permissionPolicy;
    if (policy?.hasDenyRules) options.hooks = { PreToolUse: [{ hooks: [this.preToolUse], onFailure: "block" }] };
    if (policy?.deniedTools.length) options.disallowedTools = [...policy.deniedTools];
    if (init.permissionMode === "bypassPermissions") options.allowDangerouslySkipPermissions = true;
    if (init.model !== undefined) options.model = init.model;
    if (init.maxBudgetUsd !== undefined) options.maxBudgetUsd = init.maxBudgetUsd;
    if (init.allowedTools !== undefined) options.allowedTools = [...init.allowedTools];
    if (init.resume) {
      options.resume = init.resume.claudeSessionId;
      if (init.resume.fork) options.forkSession = true;
    }
    if (this.deps.pathToClaudeCodeExecutable) options.pathToClaudeCodeExecutable = this.deps.pathToClaudeCodeExecutable;
    return options;
  }

  /**
   * Our own spawn, through the session's host, so the engine knows the CLI's pid and can prove it
   * is gone. On this machine the CLI leads a process group of its own and carries the session's
   * marker (set last: no override removes it), which everything it starts inherits; a remote host
   * ends its own processes when its channel closes.
   */
  private spawnProcess(opts: SpawnOptions): SpawnedProcess {
    const host = this.init.processHost ?? localProcessHost;
    const tree: ProcessTreeRef | undefined = host === localProcessHost ? { marker: newSessionMarker(this.id), since: Date.now() } : undefined;
    this.tree = tree;
    const child = host.spawn(tree ? { ...opts, env: { ...opts.env, [SESSION_MARKER_VAR]: tree.marker } } : opts);
    this.child = child;
    const pid = child.pid;
    if (pid !== undefined && tree) this.deps.emit({ type: "process", session: this.snapshot(), pid, running: true, tree });
    this.childExit = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      child.once("exit", () => resolve());
      child.once("error", () => {
        if (child.pid === undefined) resolve();
      });
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_BYTES);
    });
    // The abort signal ends the child with an AbortError event; it is expected, not a fault.
    child.on("error", (err) => {
      if (err.name !== "AbortError") this.deps.logger.warn(`session ${this.id}: Claude Code process error: ${err.message}`);
    });
    return child;
  }

  private async consume(q: Query): Promise<void> {
    try {
      for await (const message of q) this.handle(message);
      if (isLive(this.status_)) this.finishAfterStreamEnd(undefined);
    } catch (err) {
      if (isLive(this.status_)) this.finishAfterStreamEnd(err);
    } finally {
      await this.stopProcess(this.deps.exitGraceMs);
    }
  }

  private finishAfterStreamEnd(err: unknown): void {
    // The host went away (a node disconnected): not Claude Code's failure, and resumable.
    const lost = this.child?.lost;
    if (lost) {
      this.finish({ kind: "host_lost", host: lost });
      return;
    }
    if (err === undefined) {
      this.finish({ kind: "done" });
      return;
    }
    const stderr = this.stderrTail.trim().split("\n").filter(Boolean).slice(-3).join(" | ");
    const message = errorMessage(err) + (stderr ? ` (stderr: ${stderr})` : "");
    this.finish({ kind: "error", message: message.slice(0, 1000) });
  }

  private handle(message: SDKMessage): void {
    switch (message.type) {
      case "system":
        if (message.subtype === "init") this.onInit(message.session_id);
        return;
      case "assistant":
        this.onAssistant(message.message.content);
        return;
      case "user":
        this.onUser(message.message.content);
        return;
      case "result":
        this.onResult(message);
        return;
      default:
        return;
    }
  }

  private onInit(claudeSessionId: string): void {
    if (claudeSessionId && claudeSessionId !== this.claudeSessionId_) {
      this.claudeSessionId_ = claudeSessionId;
      this.deps.emit({ type: "claude_session", session: this.snapshot(), claudeSessionId });
    }
    if (this.status_ === "starting") {
      this.status_ = "running";
      this.deps.emit({ type: "turn_started", session: this.snapshot() });
    }
  }

  private onAssistant(content: unknown): void {
    if (!Array.isArray(content)) return;
    for (const block of content as ReadonlyArray<Record<string, unknown>>) {
      if (block.type === "text" && typeof block.text === "string" && block.text.trim()) {
        this.lastText = block.text;
        this.appendOutput("text", block.text);
      } else if (block.type === "tool_use" && typeof block.name === "string") {
        this.appendOutput("tool_use", summarizeToolInput(block.name, block.input), block.name);
      }
    }
  }

  private onUser(content: unknown): void {
    if (!Array.isArray(content)) return;
    for (const block of content as ReadonlyArray<Record<string, unknown>>) {
      if (block.type === "tool_result" && block.is_error === true) {
        this.appendOutput("tool_error", toolResultText(block.content));
      }
    }
  }

  private onResult(result: SDKResultMessage): void {
    this.turns_++;
    const baseline = this.init.resume?.costUsd ?? 0;
    this.costUsd_ = Math.max(0, result.total_cost_usd - (result.total_cost_usd >= baseline ? baseline : 0));
    for (const uuid of result.user_message_uuids ?? (result.user_message_uuid ? [result.user_message_uuid] : [])) {
      this.pendingTurns.delete(uuid);
    }
    const interrupted = this.interruptRequested;
    this.interruptRequested = false;

    if (result.subtype === "success" && !result.is_error) {
      this.lastResult_ = result.result;
      this.appendOutput("result", result.result || "(no text)");
      if (!this.init.multiTurn) {
        this.finish({ kind: "done" });
        return;
      }
      this.enterWaitingUnlessMoreQueued(false);
      return;
    }
    if (result.subtype === "error_max_budget_usd") {
      this.finish({ kind: "budget", limitUsd: this.init.maxBudgetUsd });
    } else if (result.subtype === "error_max_turns") {
      this.finish({ kind: "max_turns" });
    } else if (result.subtype === "success") {
      // An API error: the CLI reports it as a "successful" result flagged is_error.
      const text = result.result || "the API returned an error";
      this.lastResult_ = text;
      this.finish({ kind: "api_error", message: text.slice(0, 1000), httpStatus: result.api_error_status ?? undefined });
    } else if (interrupted) {
      this.appendOutput("result", "(turn interrupted)");
      this.enterWaitingUnlessMoreQueued(true);
    } else {
      const detail = result.errors.join("; ") || result.subtype;
      this.finish({ kind: "error", message: detail.slice(0, 1000) });
    }
  }

  private enterWaitingUnlessMoreQueued(interrupted: boolean): void {
    if (this.pendingTurns.size > 0 && !interrupted) {
      this.startTurnTimer(); // the CLI goes straight on with the next message: a new turn
      return;
    }
    this.cancelTurnTimer();
    this.pendingTurns.clear();
    this.status_ = "waiting";
    this.deps.emit({ type: "waiting", session: this.snapshot(), lastText: this.lastResult_ ?? this.lastText, interrupted });
    this.cancelIdleTimer();
    const idleMs = this.deps.idleTimeoutMs;
    if (idleMs > 0) {
      this.idleTimer = this.deps.clock.setTimer(idleMs, () => {
        if (this.status_ === "waiting") {
          this.finish({ kind: "idle", idleMs });
          void this.stopProcess(this.deps.exitGraceMs);
        }
      });
    }
  }

  private appendOutput(kind: OutputKind, text: string, tool?: string): void {
    const entry = this.output.append(kind, text, this.deps.clock.now(), tool);
    this.deps.emit({ type: "output", session: this.snapshot(), entry });
  }

  /** The one place a session becomes terminal: exactly one "ended" event, whatever the cause. */
  private finish(reason: EndReason): void {
    if (!isLive(this.status_)) return;
    const status: TerminalStatus = statusForReason(reason);
    this.status_ = status;
    this.reason_ = reason;
    this.endedAt_ = this.deps.clock.now();
    this.cancelIdleTimer();
    this.cancelTurnTimer();
    this.input.close();
    for (const p of [...this.pending.values()]) {
      this.settle(p, { behavior: "deny", message: "The session ended before anyone answered." }, "cancelled", "session end", undefined, false);
    }
    this.deps.logger.info(`session ${this.id} ${status} (${reasonText(reason)})`);
    this.deps.emit({ type: "ended", session: this.snapshot(), status, reason });
  }

  /** Before every tool call, whatever the mode: the operator's deny rules, each block audited. */
  private readonly preToolUse: HookCallback = (input) => {
    if (input.hook_event_name !== "PreToolUse") return Promise.resolve({});
    const toolInput = typeof input.tool_input === "object" && input.tool_input !== null ? (input.tool_input as Record<string, unknown>) : {};
    const verdict = this.deps.permissionPolicy?.denies(input.tool_name, toolInput, { workdir: this.init.workdir });
    if (!verdict) return Promise.resolve({});
    this.recordPolicy(verdict, "tool", input.tool_name, summarizeToolInput(input.tool_name, toolInput));
    return Promise.resolve({
      hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: denialMessage(verdict) },
    });
  };

  private recordPolicy(verdict: PolicyVerdict, kind: PermissionRequest["kind"], tool: string, summary: string): void {
    const allow = verdict.decision === "allow";
    this.record({
      requestId: "-",
      kind,
      tool,
      summary,
      outcome: allow ? "policy_allowed" : "policy_denied",
      by: verdict.rule ? `policy ${verdict.rule}` : "policy",
      note: verdict.reason,
    });
  }

  /** The SDK's permission callback: policy first, then a pending request people answer. */
  private readonly canUseTool: CanUseTool = (tool, input, options) => {
    const described = describeRequest(tool, input, options.suggestions, this.lastText);
    const verdict = described.kind === "tool" ? this.deps.permissionPolicy?.evaluate(tool, input, { workdir: this.init.workdir }) : undefined;
    if (verdict && verdict.decision !== "ask") {
      this.recordPolicy(verdict, described.kind, tool, described.summary);
      return Promise.resolve(verdict.decision === "allow" ? { behavior: "allow", updatedInput: input } : { behavior: "deny", message: denialMessage(verdict) });
    }
    if (!isLive(this.status_)) return Promise.resolve({ behavior: "deny", message: "The session has ended." });
    const now = this.deps.clock.now();
    const request: PermissionRequest = {
      id: this.deps.newRequestId(),
      sessionId: this.id,
      ...described,
      tool,
      createdAt: now,
      expiresAt: now + this.deps.permissionTimeoutMs,
    };
    return new Promise<PermissionResult>((resolve) => {
      const p: PendingPermission = { request, input, suggestions: options.suggestions, resolve, timer: undefined };
      this.pending.set(request.id, p);
      const minutes = Math.round(this.deps.permissionTimeoutMs / 60_000);
      p.timer = this.deps.clock.setTimer(this.deps.permissionTimeoutMs, () => {
        const message = `Nobody answered this request within ${minutes} minute(s), so it was denied. Do not retry it: say what you needed and wait for the user.`;
        if (this.pending.get(request.id) === p) this.settle(p, { behavior: "deny", message }, "expired", "timeout", undefined);
      });
      // An interrupt or a kill aborts the call: nobody needs to answer any more.
      options.signal.addEventListener("abort", () => {
        if (this.pending.get(request.id) === p) this.settle(p, { behavior: "deny", message: "Interrupted." }, "cancelled", "interrupt", undefined);
      });
      this.cancelIdleTimer();
      this.status_ = "waiting";
      // The notice shows a long command's head and tail; the whole of it is readable here.
      if (request.fullText !== undefined) this.appendOutput("permission", `request ${request.id} asks to run this ${request.fullText.length}-character command:\n${request.fullText}`, tool);
      this.deps.emit({ type: "permission_request", session: this.snapshot(), request });
    });
  };

  private settle(p: PendingPermission, result: PermissionResult, outcome: PermissionOutcome, by: string, note: string | undefined, resume = true): PermissionRecord {
    this.pending.delete(p.request.id);
    p.timer?.cancel();
    const record = this.record({ requestId: p.request.id, kind: p.request.kind, tool: p.request.tool, summary: p.request.summary, outcome, by, note });
    if (resume && this.pending.size === 0 && this.status_ === "waiting") this.status_ = "running";
    p.resolve(result);
    return record;
  }

  private record(r: Omit<PermissionRecord, "sessionId" | "at">): PermissionRecord {
    const record: PermissionRecord = { ...r, sessionId: this.id, at: this.deps.clock.now() };
    this.appendOutput("permission", `${record.summary}: ${outcomeText(record.outcome)} by ${record.by}${record.note ? ` (${record.note})` : ""}`, record.tool);
    this.deps.emit({ type: "permission_decided", session: this.snapshot(), record });
    return record;
  }

  /**
   * Bounds the turn that starts now. The clock runs on while Claude Code waits for a permission
   * answer (that wait has its own, shorter, bound by default).
   */
  private startTurnTimer(): void {
    this.cancelTurnTimer();
    const ms = this.deps.maxTurnMs;
    if (ms <= 0) return;
    this.turnTimer = this.deps.clock.setTimer(ms, () => {
      this.turnTimer = undefined;
      if (this.status_ !== "running" && this.status_ !== "starting" && !(this.status_ === "waiting" && this.pending.size > 0)) return;
      this.deps.logger.warn(`session ${this.id}: turn ran over ${Math.round(ms / 60_000)} min without a result; stopping it`);
      this.finish({ kind: "turn_timeout", minutes: Math.round((ms / 60_000) * 100) / 100 });
      void this.stopProcess(0);
    });
  }

  private cancelTurnTimer(): void {
    this.turnTimer?.cancel();
    this.turnTimer = undefined;
  }

  private cancelIdleTimer(): void {
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
  }

  /** Makes sure the CLI is gone, then everything it started (every end of a session comes here). */
  private async stopProcess(graceMs: number): Promise<void> {
    await this.stopCli(graceMs);
    this.treeEnded ??= this.endTree();
    await this.treeEnded;
  }

  /**
   * Ends what the session started and is still running: background jobs of its Bash commands left
   * the CLI's group and tree, but carry its marker. The exit is reported once they are gone, so
   * the store keeps the marker for the restart's sweep until then.
   */
  private async endTree(): Promise<void> {
    const tree = this.tree;
    const pid = this.child?.pid;
    if (!tree || pid === undefined) return;
    try {
      const report = await endProcessTrees([tree], { table: this.deps.processTable });
      if (report.ended.length) {
        this.deps.logger.info(`session ${this.id}: ended ${report.ended.length} process(es) it left running: pids ${report.ended.join(", ")}`);
      }
      if (report.survivors.length) this.deps.logger.warn(`session ${this.id}: processes ${report.survivors.join(", ")} survived SIGKILL`);
    } catch (err) {
      this.deps.logger.warn(`session ${this.id}: could not look for the processes it started: ${errorMessage(err)}`);
    }
    this.deps.emit({ type: "process", session: this.snapshot(), pid, running: false, tree });
  }

  /**
   * Makes sure the CLI process is gone. Graceful (graceMs > 0): input closed, then the query
   * closed after graceMs. Forced (graceMs = 0, a kill): the query closed and SIGTERM at once.
   * SIGKILL follows when the process outlives the bound. Signals go to the CLI's whole process
   * group while the CLI (its leader) is there, so the group's id cannot belong to anyone else.
   */
  private async stopCli(graceMs: number): Promise<void> {
    this.input.close();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.query?.close();
      return;
    }
    if (graceMs > 0 && (await withTimeout(this.childExit, graceMs))) return;
    this.query?.close();
    if (graceMs > 0 && (await withTimeout(this.childExit, 2000))) return;
    signalGroup(child, "SIGTERM");
    if (await withTimeout(this.childExit, 3000)) return;
    this.deps.logger.warn(`session ${this.id}: Claude Code (pid ${child.pid}) ignored SIGTERM; sending SIGKILL`);
    signalGroup(child, "SIGKILL");
    await withTimeout(this.childExit, 5000);
  }
}

function denialMessage(verdict: PolicyVerdict): string {
  const why = verdict.rule ? `the operator's policy (${verdict.rule})` : "the operator's policy";
  return `Denied by ${why}${verdict.reason ? `: ${verdict.reason}` : ""}. Do not retry this; find another way or ask the user.`;
}

/** Signals the child's process group (it leads one: spawned detached), or the child alone if that fails. */
function signalGroup(child: HostedProcess, sig: NodeJS.Signals): void {
  if (child.pid !== undefined && child.exitCode === null && !child.signalCode) {
    try {
      process.kill(-child.pid, sig);
      return;
    } catch {
      // no group (already gone): fall back to the child itself
    }
  }
  child.kill(sig);
}

function toolResultText(content: unknown): string {
  if (typeof content === "string") return firstLine(content);
  if (Array.isArray(content)) {
    for (const part of content as ReadonlyArray<Record<string, unknown>>) {
      if (part.type === "text" && typeof part.text === "string") return firstLine(part.text);
    }
  }
  return "tool error";
}

function firstLine(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True if the promise settled within ms. */
async function withTimeout(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// One Claude Code session: a long-lived CLI process driven through the Agent SDK's streaming
// input, its status machine, its output buffer and the events it reports.
import { randomUUID } from "node:crypto";
import type {
  CanUseTool,
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
import type { Clock, TimerHandle } from "./clock.ts";
import { SessionError } from "./errors.ts";
import { InputQueue } from "./input-queue.ts";
import type { Logger } from "./logger.ts";
import { OutputBuffer, type OutputKind, type OutputLimits } from "./output-buffer.ts";
import { localProcessHost, type HostedProcess, type ProcessHost } from "./process-host.ts";
import {
  describeRequest,
  outcomeText,
  resolveAnswers,
  sessionOnly,
  type PermissionAnswer,
  type PermissionOutcome,
  type PermissionPolicy,
  type PermissionRecord,
  type PermissionRequest,
} from "./permissions.ts";
import { summarizeToolInput } from "./tool-summary.ts";
import {
  isLive,
  reasonText,
  statusForReason,
  type EndReason,
  type NodeRef,
  type PermissionMode,
  type SessionEvent,
  type SessionSnapshot,
  type SessionStatus,
  type TerminalStatus,
} from "./types.ts";

export type QueryFunction = (params: { prompt: AsyncIterable<SDKUserMessage>; options: Options }) => Query;

export interface SessionDeps<TOwner> {
  clock: Clock;
  logger: Logger;
  queryFn: QueryFunction;
  emit: (event: SessionEvent<TOwner>) => void;
  idleTimeoutMs: number;
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
  queuePosition?: (id: string) => { position: number; total: number } | undefined;
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
  private stderrTail = "";
  private idleTimer: TimerHandle | undefined;
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

  /** Spawns the CLI and starts consuming its messages (a queued session leaves the queue). Returns at once. */
  start(): void {
    if (this.status_ === "queued") this.status_ = "starting";
    const options = this.buildOptions();
    try {
      this.query = this.deps.queryFn({ prompt: this.input, options });
    } catch (err) {
      this.finish({ kind: "error", message: errorMessage(err) });
      return;
    }
    this.loopDone = this.consume(this.query);
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
    if (wasWaiting) this.status_ = "running";
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

  /** Our own spawn (through the session's host), so the engine knows the CLI's pid and can prove it is gone. */
  private spawnProcess(opts: SpawnOptions): SpawnedProcess {
    const child = (this.init.processHost ?? localProcessHost).spawn(opts);
    this.child = child;
    const pid = child.pid;
    if (pid !== undefined) this.deps.emit({ type: "process", session: this.snapshot(), pid, running: true });
    this.childExit = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      child.once("exit", () => {
        if (pid !== undefined) this.deps.emit({ type: "process", session: this.snapshot(), pid, running: false });
        resolve();
      });
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
    if (this.pendingTurns.size > 0 && !interrupted) return; // the CLI goes straight on with the next message
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
    this.input.close();
    for (const p of [...this.pending.values()]) {
      this.settle(p, { behavior: "deny", message: "The session ended before anyone answered." }, "cancelled", "session end", undefined, false);
    }
    this.deps.logger.info(`session ${this.id} ${status} (${reasonText(reason)})`);
    this.deps.emit({ type: "ended", session: this.snapshot(), status, reason });
  }

  /** The SDK's permission callback: policy first, then a pending request people answer. */
  private readonly canUseTool: CanUseTool = (tool, input, options) => {
    const described = describeRequest(tool, input, options.suggestions, this.lastText);
    const verdict = described.kind === "tool" ? this.deps.permissionPolicy?.(tool, input) : undefined;
    if (verdict && verdict.decision !== "ask") {
      const allow = verdict.decision === "allow";
      this.record({
        requestId: "-",
        kind: described.kind,
        tool,
        summary: described.summary,
        outcome: allow ? "policy_allowed" : "policy_denied",
        by: `policy ${verdict.rule ?? ""}`.trim(),
        note: undefined,
      });
      return Promise.resolve(
        allow
          ? { behavior: "allow", updatedInput: input }
          : { behavior: "deny", message: `Denied by the operator's policy (${verdict.rule}). Do not retry this; find another way or ask the user.` },
      );
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

  private cancelIdleTimer(): void {
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
  }

  /**
   * Makes sure the CLI process is gone. Graceful (graceMs > 0): input closed, then the query
   * closed after graceMs. Forced (graceMs = 0, a kill): the query closed and SIGTERM at once.
   * SIGKILL follows when the process outlives the bound.
   */
  private async stopProcess(graceMs: number): Promise<void> {
    this.input.close();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.query?.close();
      return;
    }
    if (graceMs > 0 && (await withTimeout(this.childExit, graceMs))) return;
    this.query?.close();
    if (graceMs > 0 && (await withTimeout(this.childExit, 2000))) return;
    child.kill("SIGTERM");
    if (await withTimeout(this.childExit, 3000)) return;
    this.deps.logger.warn(`session ${this.id}: Claude Code (pid ${child.pid}) ignored SIGTERM; sending SIGKILL`);
    child.kill("SIGKILL");
    await withTimeout(this.childExit, 5000);
  }
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

// One session: its status machine, output buffer, pending permission requests, idle stop and
// turn bound, and the events it reports. What runs the conversation is the session's AgentBackend:
// nothing here knows Claude Code or the Agent SDK.
import { randomUUID } from "node:crypto";
import type { AgentBackend, BackendEvent, Conversation, LaunchSpec, PermissionDecision, TurnOutcome } from "./backend.ts";
import type { Clock, TimerHandle } from "./clock.ts";
import { SessionError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { OutputBuffer, type OutputKind, type OutputLimits } from "./output-buffer.ts";
import type { ProcessHost } from "./process-host.ts";
import {
  describeRequest,
  MAX_SESSION_RULE_COMMAND_BYTES,
  outcomeText,
  resolveAnswers,
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

export interface SessionDeps<TOwner> {
  clock: Clock;
  logger: Logger;
  /** What runs the conversation. */
  backend: AgentBackend;
  emit: (event: SessionEvent<TOwner>) => void;
  idleTimeoutMs: number;
  /** Wall-clock bound of one turn (a stalled API must not hold a slot for ever); 0 disables. */
  maxTurnMs: number;
  outputLimits: OutputLimits;
  /** How long a process may take to exit after its input closed before it is signalled. */
  exitGraceMs: number;
  /** Rules applied to permission requests before anyone is asked. */
  permissionPolicy: PermissionPolicy | undefined;
  /** A permission request nobody answers within this is denied (fail closed). */
  permissionTimeoutMs: number;
  newRequestId: () => string;
  /** Where a queued session stands in the launch queue. */
  queuePosition?: (id: string) => QueueState | undefined;
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

interface PendingPermission {
  request: PermissionRequest;
  input: Record<string, unknown>;
  canAllowForSession: boolean;
  decide: (decision: PermissionDecision) => void;
  timer: TimerHandle | undefined;
}

export class Session<TOwner> {
  readonly id: string;
  readonly createdAt: number;
  readonly output: OutputBuffer;
  private readonly init: SessionInit<TOwner>;
  private readonly deps: SessionDeps<TOwner>;
  private name_: string;
  private status_: SessionStatus;
  private reason_: EndReason | undefined;
  /** The backend's ref of the conversation (for Claude Code, its session UUID). */
  private conversationId_: string | undefined;
  private conversation: Conversation | undefined;
  /** Messages sent before the conversation started (the prompt, follow-ups while queued). */
  private readonly unsent: Array<{ id: string; text: string }> = [];
  private pid_: number | undefined;
  private idleTimer: TimerHandle | undefined;
  private turnTimer: TimerHandle | undefined;
  private endedAt_: number | undefined;
  private costUsd_ = 0;
  private turns_ = 0;
  private lastResult_: string | undefined;
  private lastText = "";
  /** Messages sent whose turn has not produced its result yet. */
  private readonly pendingTurns = new Set<string>();
  /** Permission requests the agent is blocked on, by id. */
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
    this.sendUserMessage(init.prompt);
  }

  get name(): string {
    return this.name_;
  }
  get status(): SessionStatus {
    return this.status_;
  }
  get claudeSessionId(): string | undefined {
    return this.conversationId_;
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
  get costUsd(): number {
    return this.costUsd_;
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
      claudeSessionId: this.conversationId_,
      backend: { kind: this.deps.backend.kind, ref: this.conversationId_ },
      resumedFrom: this.init.resume
        ? { sessionId: this.init.resume.sessionId, claudeSessionId: this.init.resume.claudeSessionId, fork: this.init.resume.fork }
        : undefined,
      owner: this.init.owner,
      pid: this.pid_,
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

  /** Answers a pending request; the agent carries on at once. Returns the decision's record. */
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
        if (forSession && (request.kind !== "tool" || !p.canAllowForSession)) {
          throw new SessionError("INVALID_ARGUMENT", `Request ${id} cannot be allowed for the whole session; allow it once instead.`);
        }
        return this.settle(p, { behavior: "allow", updatedInput: p.input, forSession }, forSession ? "allowed_for_session" : "allowed", by, undefined);
      }
      case "deny": {
        const note = answer.note?.trim() || undefined;
        const message =
          request.kind === "plan"
            ? note
              ? `The user wants the plan revised: ${note}`
              : "The user rejected the plan."
            : `The user denied this${note ? `: ${note}` : "."}`;
        return this.settle(p, { behavior: "deny", message, interrupt: answer.stop === true }, "denied", by, note);
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
        return this.settle(p, { behavior: "allow", updatedInput: { ...p.input, answers }, forSession: false }, "answered", by, note);
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

  /** Starts the conversation through the backend (a queued session leaves the queue). Returns at once. */
  start(): void {
    if (this.status_ === "queued") this.status_ = "starting";
    this.startTurnTimer();
    const conversation = this.deps.backend.start(this.launchSpec(), (event) => this.onBackendEvent(event));
    this.conversation = conversation;
    for (const m of this.unsent.splice(0)) conversation.send(m.id, m.text);
    // It may have ended while the backend started (a start that failed at once).
    if (!isLive(this.status_)) conversation.endInput();
  }

  /** Sends a follow-up. With `interrupt`, the current turn is stopped first. */
  async respond(message: string, interrupt: boolean, by: string): Promise<void> {
    this.assertAcceptsInput("send a message to");
    if (interrupt && (this.status_ === "running" || this.status_ === "starting")) {
      await this.interruptTurn();
      this.assertAcceptsInput("send a message to");
    }
    this.cancelIdleTimer();
    this.sendUserMessage(message);
    this.appendOutput("followup", message);
    // While the agent waits for a permission answer, a message is queued for after the turn.
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
    await this.conversation?.stop(0);
  }

  /** Ends a live session for the given reason (used for shutdown) and waits for its process. */
  async stop(reason: EndReason): Promise<void> {
    if (isLive(this.status_)) this.finish(reason);
    await this.conversation?.stop(0);
  }

  /** Resolves once the conversation has ended and its process is gone. */
  async settled(): Promise<void> {
    await this.conversation?.settled();
  }

  private launchSpec(): LaunchSpec {
    const init = this.init;
    const policy = this.deps.permissionPolicy;
    return {
      sessionId: this.id,
      workdir: init.workdir,
      env: init.env,
      model: init.model,
      maxBudgetUsd: init.maxBudgetUsd,
      systemPrompt: init.systemPrompt,
      allowedTools: init.allowedTools,
      permissionMode: init.permissionMode,
      resume: init.resume ? { ref: init.resume.claudeSessionId, fork: init.resume.fork } : undefined,
      processHost: init.processHost,
      toolGate: policy && (policy.hasDenyRules || policy.deniedTools.length) ? { deniedTools: policy.deniedTools, check: policy.hasDenyRules ? this.checkTool : undefined } : undefined,
      exitGraceMs: this.deps.exitGraceMs,
      logger: this.deps.logger,
    };
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
    const c = this.conversation;
    if (!c) return;
    if (!this.deps.backend.capabilities.interrupt) {
      throw new SessionError("UNAVAILABLE", `Session ${this.label()} runs on the ${this.deps.backend.kind} backend, which cannot interrupt a turn; wait for it to finish, or kill it.`);
    }
    try {
      await c.interrupt();
    } catch (err) {
      throw new SessionError("UNAVAILABLE", `Claude Code did not accept the interrupt for ${this.label()}: ${errorMessage(err)}`);
    }
  }

  private sendUserMessage(text: string): void {
    const id = randomUUID();
    this.pendingTurns.add(id);
    if (this.conversation) this.conversation.send(id, text);
    else this.unsent.push({ id, text });
  }

  private onBackendEvent(event: BackendEvent): void {
    switch (event.type) {
      case "init":
        this.onInit(event.conversationId);
        return;
      case "text":
        if (event.text.trim()) {
          this.lastText = event.text;
          this.appendOutput("text", event.text);
        }
        return;
      case "tool_use":
        this.appendOutput("tool_use", summarizeToolInput(event.tool, event.input), event.tool);
        return;
      case "tool_result":
        if (event.isError) this.appendOutput("tool_error", event.text);
        return;
      case "turn_result":
        this.onTurnResult(event.costUsd, event.outcome, event.inputIds);
        return;
      case "permission_request":
        this.onPermissionRequest(event);
        return;
      case "process":
        this.onProcess(event);
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  private onProcess(event: Extract<BackendEvent, { type: "process" }>): void {
    switch (event.state) {
      case "spawned":
        this.pid_ = event.pid;
        this.deps.emit({ type: "process", session: this.snapshot(), pid: event.pid, running: true, tree: event.tree });
        return;
      case "exited":
        if (!isLive(this.status_)) return;
        // The host went away (a node disconnected): not the agent's failure, and resumable.
        if (event.lost) this.finish({ kind: "host_lost", host: event.lost });
        else if (event.error === undefined) this.finish({ kind: "done" });
        else this.finish({ kind: "error", message: event.error.slice(0, 1000) });
        return;
      case "gone":
        this.deps.emit({ type: "process", session: this.snapshot(), pid: event.pid, running: false, tree: event.tree });
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  private onInit(conversationId: string): void {
    if (conversationId && conversationId !== this.conversationId_) {
      this.conversationId_ = conversationId;
      this.deps.emit({ type: "claude_session", session: this.snapshot(), claudeSessionId: conversationId });
    }
    if (this.status_ === "starting") {
      this.status_ = "running";
      this.deps.emit({ type: "turn_started", session: this.snapshot() });
    }
  }

  private onTurnResult(totalCostUsd: number, outcome: TurnOutcome, inputIds: readonly string[]): void {
    this.turns_++;
    const baseline = this.init.resume?.costUsd ?? 0;
    this.costUsd_ = Math.max(0, totalCostUsd - (totalCostUsd >= baseline ? baseline : 0));
    for (const id of inputIds) this.pendingTurns.delete(id);

    switch (outcome.kind) {
      case "success":
        this.lastResult_ = outcome.text;
        this.appendOutput("result", outcome.text || "(no text)");
        if (!this.init.multiTurn) {
          this.finish({ kind: "done" });
          return;
        }
        this.enterWaitingUnlessMoreQueued(false);
        return;
      case "budget":
        this.finish({ kind: "budget", limitUsd: this.init.maxBudgetUsd });
        return;
      case "max_turns":
        this.finish({ kind: "max_turns" });
        return;
      case "api_error":
        this.lastResult_ = outcome.message;
        this.finish({ kind: "api_error", message: outcome.message.slice(0, 1000), httpStatus: outcome.httpStatus });
        return;
      case "interrupted":
        this.appendOutput("result", "(turn interrupted)");
        this.enterWaitingUnlessMoreQueued(true);
        return;
      case "error":
        this.finish({ kind: "error", message: outcome.message.slice(0, 1000) });
        return;
      default: {
        const never: never = outcome;
        return never;
      }
    }
  }

  private enterWaitingUnlessMoreQueued(interrupted: boolean): void {
    if (this.pendingTurns.size > 0 && !interrupted) {
      this.startTurnTimer(); // the agent goes straight on with the next message: a new turn
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
          void this.conversation?.stop(this.deps.exitGraceMs);
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
    this.conversation?.endInput();
    for (const p of [...this.pending.values()]) {
      this.settle(p, { behavior: "deny", message: "The session ended before anyone answered.", interrupt: false }, "cancelled", "session end", undefined, false);
    }
    this.deps.logger.info(`session ${this.id} ${status} (${reasonText(reason)})`);
    this.deps.emit({ type: "ended", session: this.snapshot(), status, reason });
  }

  /** Before every tool call, whatever the mode: the operator's deny rules, each block audited. */
  private readonly checkTool = (tool: string, input: Record<string, unknown>): string | undefined => {
    const verdict = this.deps.permissionPolicy?.denies(tool, input, { workdir: this.init.workdir });
    if (!verdict) return undefined;
    this.recordPolicy(verdict, "tool", tool, summarizeToolInput(tool, input));
    return denialMessage(verdict);
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

  /** The agent asks: policy first, then a pending request people answer. */
  private onPermissionRequest(event: Extract<BackendEvent, { type: "permission_request" }>): void {
    const { tool, input } = event;
    const described = describeRequest(tool, input, event.sessionScope, this.lastText);
    const verdict = described.kind === "tool" ? this.deps.permissionPolicy?.evaluate(tool, input, { workdir: this.init.workdir }) : undefined;
    if (verdict && verdict.decision !== "ask") {
      this.recordPolicy(verdict, described.kind, tool, described.summary);
      event.decide(verdict.decision === "allow" ? { behavior: "allow", updatedInput: input, forSession: false } : { behavior: "deny", message: denialMessage(verdict), interrupt: false });
      return;
    }
    if (!isLive(this.status_)) {
      event.decide({ behavior: "deny", message: "The session has ended.", interrupt: false });
      return;
    }
    const now = this.deps.clock.now();
    const request: PermissionRequest = {
      id: this.deps.newRequestId(),
      sessionId: this.id,
      ...described,
      tool,
      createdAt: now,
      expiresAt: now + this.deps.permissionTimeoutMs,
    };
    const p: PendingPermission = { request, input, canAllowForSession: event.canAllowForSession, decide: event.decide, timer: undefined };
    this.pending.set(request.id, p);
    const minutes = Math.round(this.deps.permissionTimeoutMs / 60_000);
    p.timer = this.deps.clock.setTimer(this.deps.permissionTimeoutMs, () => {
      const message = `Nobody answered this request within ${minutes} minute(s), so it was denied. Do not retry it: say what you needed and wait for the user.`;
      if (this.pending.get(request.id) === p) this.settle(p, { behavior: "deny", message, interrupt: false }, "expired", "timeout", undefined);
    });
    // An interrupt or a kill aborts the call: nobody needs to answer any more.
    event.signal.addEventListener("abort", () => {
      if (this.pending.get(request.id) === p) this.settle(p, { behavior: "deny", message: "Interrupted.", interrupt: false }, "cancelled", "interrupt", undefined);
    });
    this.cancelIdleTimer();
    this.status_ = "waiting";
    // The notice shows a long command's head and tail; the whole of it is readable here.
    if (request.fullText !== undefined) this.appendOutput("permission", `request ${request.id} asks to run this ${request.fullText.length}-character command:\n${request.fullText}`, tool);
    this.deps.emit({ type: "permission_request", session: this.snapshot(), request });
  }

  private settle(p: PendingPermission, decision: PermissionDecision, outcome: PermissionOutcome, by: string, note: string | undefined, resume = true): PermissionRecord {
    this.pending.delete(p.request.id);
    p.timer?.cancel();
    const record = this.record({ requestId: p.request.id, kind: p.request.kind, tool: p.request.tool, summary: p.request.summary, outcome, by, note });
    if (resume && this.pending.size === 0 && this.status_ === "waiting") this.status_ = "running";
    p.decide(decision);
    return record;
  }

  private record(r: Omit<PermissionRecord, "sessionId" | "at">): PermissionRecord {
    const record: PermissionRecord = { ...r, sessionId: this.id, at: this.deps.clock.now() };
    this.appendOutput("permission", `${record.summary}: ${outcomeText(record.outcome)} by ${record.by}${record.note ? ` (${record.note})` : ""}`, record.tool);
    this.deps.emit({ type: "permission_decided", session: this.snapshot(), record });
    return record;
  }

  /**
   * Bounds the turn that starts now. The clock runs on while the agent waits for a permission
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
      void this.conversation?.stop(0);
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
}

function denialMessage(verdict: PolicyVerdict): string {
  const why = verdict.rule ? `the operator's policy (${verdict.rule})` : "the operator's policy";
  return `Denied by ${why}${verdict.reason ? `: ${verdict.reason}` : ""}. Do not retry this; find another way or ask the user.`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

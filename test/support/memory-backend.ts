// A recording stand-in for an AgentBackend, for fast unit tests (and bench:queue) of the engine,
// the operations and the surfaces: no process, no model. Each user message is one turn, played from
// a script: an init, text, a tool call (asking permission first unless the mode bypasses it), then
// a result, an API error, or a stall until interrupted. Conversations keep their history by ref,
// so resume and fork behave as they do in Claude Code. It passes the backend conformance suite
// (src/engine/backend-conformance.test.ts), as the Claude Code backend does with the real CLI.
import { randomUUID } from "node:crypto";
import type { AgentBackend, BackendCapabilities, BackendEvent, Conversation, LaunchSpec, PermissionDecision } from "../../src/engine/index.ts";

export interface MemoryTurn {
  /** Text blocks, in order, before the result. */
  texts?: string[];
  /** A tool call: asks permission first (unless the mode bypasses it); a denial comes back as an error tool result. */
  ask?: { tool: string; input: Record<string, unknown>; sessionScope?: string };
  /** The result's text (default: the last text, else "done: <prompt>"). */
  result?: string;
  /** What the turn costs (added to the conversation's running total). Default $0.01. */
  costUsd?: number;
  /** Never send the result: the turn runs until interrupted or stopped (a long turn, a hung API). */
  stall?: boolean;
  /** The API fails this turn. */
  apiError?: { status: number; message: string };
}

export interface MemoryBackend extends AgentBackend {
  /** Every launch, in order. */
  readonly launches: LaunchSpec[];
  /** Per launch, the messages its conversation was sent. */
  readonly received: string[][];
  /** Every permission decision the backend was given. */
  readonly decisions: PermissionDecision[];
  /** The history (messages, texts, tool results) of the conversation that played the latest turn. */
  latestHistory(): readonly string[];
  /** Ends the process of a session's conversation from outside, as a crash would. */
  crash(sessionId: string, message?: string): void;
}

export interface MemoryBackendOptions {
  capabilities?: Partial<BackendCapabilities>;
  kind?: string;
}

const ALL: BackendCapabilities = { resume: true, fork: true, interrupt: true, permissionRelay: true, planMode: true };

/** `script` answers each user message (the prompt, then each follow-up). */
export function memoryBackend(script: (prompt: string) => MemoryTurn = () => ({}), options: MemoryBackendOptions = {}): MemoryBackend {
  const launches: LaunchSpec[] = [];
  const received: string[][] = [];
  const decisions: PermissionDecision[] = [];
  const histories = new Map<string, string[]>();
  const conversations: MemoryConversation[] = [];
  const shared: Shared = { script, histories, decisions, latest: [] };
  return {
    kind: options.kind ?? "memory",
    capabilities: { ...ALL, ...options.capabilities },
    launches,
    received,
    decisions,
    latestHistory: () => shared.latest,
    crash(sessionId, message = "the process was killed") {
      conversations[launches.findIndex((l) => l.sessionId === sessionId)]?.crash(message);
    },
    start(spec, sink) {
      launches.push(spec);
      const mine: string[] = [];
      received.push(mine);
      const c = new MemoryConversation(spec, sink, shared, mine);
      conversations.push(c);
      return c;
    },
  };
}

interface Shared {
  script: (prompt: string) => MemoryTurn;
  histories: Map<string, string[]>;
  decisions: PermissionDecision[];
  /** The history of the conversation that played the latest turn. */
  latest: string[];
}

class MemoryConversation implements Conversation {
  private readonly inbox: Array<{ id: string; text: string }> = [];
  private wake: (() => void) | undefined;
  private inputEnded = false;
  private stopped = false;
  private exited = false;
  private interruptTurn: (() => void) | undefined;
  private total = 0;
  private ref: string | undefined;
  private history: string[] = [];
  private readonly done: Promise<void>;
  private readonly spec: LaunchSpec;
  private readonly sink: (event: BackendEvent) => void;
  private readonly shared: Shared;
  private readonly received: string[];

  constructor(spec: LaunchSpec, sink: (event: BackendEvent) => void, shared: Shared, received: string[]) {
    this.spec = spec;
    this.sink = sink;
    this.shared = shared;
    this.received = received;
    this.done = this.run();
  }

  send(id: string, text: string): void {
    if (this.inputEnded) throw new Error("input closed");
    this.inbox.push({ id, text });
    this.poke();
  }

  interrupt(): Promise<void> {
    this.interruptTurn?.();
    return Promise.resolve();
  }

  endInput(): void {
    this.inputEnded = true;
    this.poke();
  }

  async stop(): Promise<void> {
    this.inputEnded = true;
    this.stopped = true;
    this.interruptTurn?.();
    this.poke();
    await this.done;
  }

  settled(): Promise<void> {
    return this.done;
  }

  crash(message: string): void {
    this.stopped = true;
    this.exit(message);
    this.interruptTurn?.();
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private exit(error: string | undefined): void {
    if (this.exited) return;
    this.exited = true;
    this.sink({ type: "process", state: "exited", error, lost: undefined });
  }

  private async run(): Promise<void> {
    // Like a process: nothing happens before the caller has returned from start().
    await Promise.resolve();
    const resume = this.spec.resume;
    if (resume) {
      const earlier = this.shared.histories.get(resume.ref);
      if (earlier) {
        this.history = [...earlier];
        this.ref = resume.fork ? randomUUID() : resume.ref;
      }
    }
    this.ref ??= resume ? undefined : randomUUID();
    while (!this.stopped) {
      const next = this.inbox.shift();
      if (!next) {
        if (this.inputEnded) break;
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      await this.turn(next.id, next.text);
    }
    this.exit(undefined);
  }

  private async turn(id: string, prompt: string): Promise<void> {
    this.received.push(prompt);
    if (!this.ref) {
      // Like Claude Code given an unknown conversation: an error result, no init.
      this.result(id, { kind: "error", message: `No conversation found with session ID: ${this.spec.resume?.ref ?? "?"}` }, 0);
      return;
    }
    this.history.push(`user: ${prompt}`);
    this.shared.latest = this.history;
    this.shared.histories.set(this.ref, this.history);
    this.sink({ type: "init", conversationId: this.ref });
    const turn = this.shared.script(prompt);
    for (const text of turn.texts ?? []) {
      this.history.push(`assistant: ${text}`);
      this.sink({ type: "text", text });
    }
    if (turn.ask) {
      const ok = await this.toolCall(turn.ask);
      if (this.stopped) return;
      if (ok === "interrupted") return this.result(id, { kind: "interrupted" }, turn.costUsd);
    }
    if (turn.apiError) return this.result(id, { kind: "api_error", message: `API Error: ${turn.apiError.status} ${turn.apiError.message}`, httpStatus: turn.apiError.status }, 0);
    if (turn.stall) {
      const interrupted = await new Promise<boolean>((resolve) => {
        this.interruptTurn = () => resolve(true);
        const check = () => (this.stopped ? resolve(false) : (this.wake = check));
        this.wake = check;
      });
      this.interruptTurn = undefined;
      if (!interrupted || this.stopped) return;
      return this.result(id, { kind: "interrupted" }, turn.costUsd);
    }
    const text = turn.result ?? turn.texts?.at(-1) ?? `done: ${prompt}`;
    this.result(id, { kind: "success", text }, turn.costUsd);
  }

  /** A tool call, asking first unless the mode bypasses permissions. */
  private async toolCall(ask: NonNullable<MemoryTurn["ask"]>): Promise<"ran" | "denied" | "interrupted"> {
    this.sink({ type: "tool_use", tool: ask.tool, input: ask.input });
    if (this.spec.permissionMode === "bypassPermissions") return this.toolResult(false, "ok");
    const abort = new AbortController();
    const decision = await new Promise<PermissionDecision | undefined>((resolve) => {
      this.interruptTurn = () => {
        abort.abort();
        resolve(undefined);
      };
      this.sink({
        type: "permission_request",
        tool: ask.tool,
        input: ask.input,
        sessionScope: ask.sessionScope,
        canAllowForSession: ask.sessionScope !== undefined,
        signal: abort.signal,
        decide: (d) => {
          this.shared.decisions.push(d);
          resolve(d);
        },
      });
    });
    this.interruptTurn = undefined;
    if (!decision) return "interrupted";
    if (decision.behavior === "deny") {
      this.toolResult(true, decision.message);
      return decision.interrupt ? "interrupted" : "denied";
    }
    return this.toolResult(false, "ok");
  }

  private toolResult(isError: boolean, text: string): "ran" | "denied" {
    this.history.push(`tool_result: ${text}`);
    this.sink({ type: "tool_result", isError, text });
    return isError ? "denied" : "ran";
  }

  private result(id: string, outcome: Extract<BackendEvent, { type: "turn_result" }>["outcome"], costUsd = 0.01): void {
    this.total += costUsd;
    if (outcome.kind === "success") this.history.push(`assistant: ${outcome.text}`);
    this.sink({ type: "turn_result", costUsd: this.total, usage: undefined, outcome, inputIds: [id] });
  }
}

// The AgentBackend port: what runs a session's conversation (Claude Code over the Agent SDK is
// the first backend). A backend turns a launch into a running conversation and reports what
// happens as one normalised event union, so the session's status machine knows no backend.
import type { Logger } from "./logger.ts";
import type { ProcessHost } from "./process-host.ts";
import type { ProcessTreeRef } from "./process-tree.ts";
import type { PermissionMode } from "./types.ts";

/** What a backend can do; the engine refuses, with a reason, what the session's backend cannot. */
export interface BackendCapabilities {
  /** Continue an earlier conversation by its ref. */
  resume: boolean;
  /** Continue an earlier conversation under a new ref, leaving the original untouched. */
  fork: boolean;
  /** Stop the current turn and carry on with the next message. */
  interrupt: boolean;
  /** Ask before acting (permission_request events), so modes other than bypassPermissions work. */
  permissionRelay: boolean;
  /** Plan first, act after the plan is approved (permission mode "plan"). */
  planMode: boolean;
}

/** The operator's deny rules, enforced by the backend before every tool call, in every mode. */
export interface ToolGate {
  /** Tools denied whole: never offered to the model. */
  deniedTools: readonly string[];
  /** Checked before each tool call (undefined: no finer rules): the reason to deny it, or undefined. */
  check: ((tool: string, input: Record<string, unknown>) => string | undefined) | undefined;
}

/** One launch, as the backend sees it: where, with what, and how to end. */
export interface LaunchSpec {
  /** The engine's session id (logs, the marker its processes carry). */
  sessionId: string;
  workdir: string;
  /** The whole environment of the agent's process. */
  env: Record<string, string>;
  model: string | undefined;
  maxBudgetUsd: number | undefined;
  /** Appended to the agent's own system prompt. */
  systemPrompt: string | undefined;
  allowedTools: readonly string[] | undefined;
  permissionMode: PermissionMode;
  /** Continue this conversation (a ref an `init` event reported earlier). */
  resume: { ref: string; fork: boolean } | undefined;
  /** Where the process runs (undefined: this machine). */
  processHost: ProcessHost | undefined;
  toolGate: ToolGate | undefined;
  /** How long a process may take to exit after its input closed before it is signalled. */
  exitGraceMs: number;
  logger: Logger;
}

/** How a turn ended. */
export type TurnOutcome =
  | { kind: "success"; text: string }
  /** Stopped by interrupt(); the conversation carries on. */
  | { kind: "interrupted" }
  | { kind: "budget" }
  | { kind: "max_turns" }
  | { kind: "api_error"; message: string; httpStatus: number | undefined }
  | { kind: "error"; message: string };

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
}

/** An answer to a permission_request. */
export type PermissionDecision =
  /** `forSession`: also allow what the request's session scope names, for the rest of the session. */
  | { behavior: "allow"; updatedInput: Record<string, unknown>; forSession: boolean }
  /** `interrupt`: also end the turn. */
  | { behavior: "deny"; message: string; interrupt: boolean };

/** Everything a backend reports. Exactly one turn_result per message sent (several may share one). */
export type BackendEvent =
  /** The conversation has its ref (at every turn's start; the same ref unless it changed). */
  | { type: "init"; conversationId: string }
  | { type: "text"; text: string }
  | { type: "tool_use"; tool: string; input: unknown }
  | { type: "tool_result"; isError: boolean; text: string }
  /** A turn ended. `costUsd` is the conversation's running total; `inputIds` the messages it answered. */
  | { type: "turn_result"; costUsd: number; usage: TokenUsage | undefined; outcome: TurnOutcome; inputIds: readonly string[] }
  /**
   * The agent asks before a tool call (or asks a question, or presents a plan) and waits until
   * `decide` is called. `signal` aborts when nobody needs to answer any more (interrupt, kill).
   */
  | {
      type: "permission_request";
      tool: string;
      input: Record<string, unknown>;
      /** What "allow for this session" would allow, in words; undefined when there is nothing to name. */
      sessionScope: string | undefined;
      /** Whether "allow for this session" is possible at all. */
      canAllowForSession: boolean;
      signal: AbortSignal;
      decide: (decision: PermissionDecision) => void;
    }
  /** A process on this machine started: its pid and the marker everything it starts inherits. */
  | { type: "process"; state: "spawned"; pid: number; tree: ProcessTreeRef }
  /**
   * The conversation's message stream ended: cleanly (no error), with an error, or because the
   * host it ran on went away (`lost` names it). Sent once, also after stop().
   */
  | { type: "process"; state: "exited"; error: string | undefined; lost: string | undefined }
  /** The process of a `spawned` event and everything it started are gone. */
  | { type: "process"; state: "gone"; pid: number; tree: ProcessTreeRef };

/** A running conversation. */
export interface Conversation {
  /** Queues a user message; its `id` comes back in the turn_result that answers it. */
  send(id: string, text: string): void;
  /** Stops the current turn (needs the interrupt capability); throws when the backend refuses. */
  interrupt(): Promise<void>;
  /** No more messages: the current turn may finish, then the process exits. */
  endInput(): void;
  /**
   * Makes sure the process and everything it started are gone. Graceful (graceMs > 0): input
   * closed, the process given graceMs to exit. Forced (0): ended at once.
   */
  stop(graceMs: number): Promise<void>;
  /** Resolves once the message stream has ended and the process is gone. */
  settled(): Promise<void>;
}

export interface AgentBackend {
  /** Recorded with every session (`backend.kind` in snapshots), e.g. "claude-code". */
  readonly kind: string;
  readonly capabilities: BackendCapabilities;
  /** Starts the conversation; returns at once. Events go to `sink`, in order (the first may come before it returns). */
  start(spec: LaunchSpec, sink: (event: BackendEvent) => void): Conversation;
}

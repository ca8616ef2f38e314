// The engine's vocabulary: statuses, terminal reasons, launch requests, snapshots and events.
// Discriminated unions throughout, so a new kind is a compile error wherever it must be handled.
import type { CatchUp, OutputEntry } from "./output-buffer.ts";
import type { PermissionRecord, PermissionRequest } from "./permissions.ts";
import type { ProcessTreeRef } from "./process-tree.ts";

/** A queued session waits for a free slot (maxSessions); the other live statuses hold one. */
export type LiveStatus = "queued" | "starting" | "running" | "waiting";
export type TerminalStatus = "completed" | "failed" | "killed" | "interrupted";
export type SessionStatus = LiveStatus | TerminalStatus;

export const LIVE_STATUSES: readonly LiveStatus[] = ["queued", "starting", "running", "waiting"];
export const TERMINAL_STATUSES: readonly TerminalStatus[] = ["completed", "failed", "killed", "interrupted"];

/** Not ended yet: queued, or running its Claude Code process. */
export function isLive(status: SessionStatus): status is LiveStatus {
  return status === "queued" || status === "starting" || status === "running" || status === "waiting";
}

/** Holds one of the maxSessions slots: its Claude Code process runs. */
export function holdsSlot(status: SessionStatus): boolean {
  return status === "starting" || status === "running" || status === "waiting";
}

export type PermissionMode = "default" | "plan" | "acceptEdits" | "bypassPermissions";
export const PERMISSION_MODES: readonly PermissionMode[] = ["default", "plan", "acceptEdits", "bypassPermissions"];
/** From the strictest to the most permissive: the operator's mode is a ceiling for agents. */
const PERMISSIVENESS: readonly PermissionMode[] = ["plan", "default", "acceptEdits", "bypassPermissions"];

/** Whether `mode` lets Claude Code do more unasked than `than`. */
export function isMorePermissive(mode: PermissionMode, than: PermissionMode): boolean {
  return PERMISSIVENESS.indexOf(mode) > PERMISSIVENESS.indexOf(than);
}

/** Why a session ended. Each terminal status has its own reasons. */
export type EndReason =
  | { kind: "done" }
  | { kind: "idle"; idleMs: number }
  | { kind: "budget"; limitUsd: number | undefined }
  | { kind: "max_turns" }
  | { kind: "api_error"; message: string; httpStatus: number | undefined }
  | { kind: "error"; message: string }
  /** A turn ran longer than the wall-clock bound (maxSessionMinutes) without a result. */
  | { kind: "turn_timeout"; minutes: number }
  | { kind: "killed"; by: string }
  | { kind: "gateway_restart" }
  /** The host the process ran on went away (a paired node disconnected): resumable. */
  | { kind: "host_lost"; host: string };

/** The canonical short reason text: "done", "idle", "budget", "api_error: …", "killed by …". */
export function reasonText(reason: EndReason): string {
  switch (reason.kind) {
    case "done":
    case "idle":
    case "budget":
    case "max_turns":
      return reason.kind;
    case "api_error":
      return `api_error: ${reason.message}`;
    case "error":
      return `error: ${reason.message}`;
    case "turn_timeout":
      return `turn_timeout: no result within ${reason.minutes} min (maxSessionMinutes)`;
    case "killed":
      return `killed by ${reason.by}`;
    case "gateway_restart":
      return "gateway restart";
    case "host_lost":
      return `${reason.host} lost`;
    default: {
      const never: never = reason;
      return String(never);
    }
  }
}

export function statusForReason(reason: EndReason): TerminalStatus {
  switch (reason.kind) {
    case "done":
    case "idle":
      return "completed";
    case "budget":
    case "max_turns":
    case "api_error":
    case "error":
    case "turn_timeout":
      return "failed";
    case "killed":
      return "killed";
    case "gateway_restart":
    case "host_lost":
      return "interrupted";
    default: {
      const never: never = reason;
      return never;
    }
  }
}

/** A paired node a session's process runs on: its stable id and the name people know it by. */
export interface NodeRef {
  id: string;
  name: string;
}

/** What a launch asks for, already validated for types by the caller. */
export interface LaunchRequest<TOwner> {
  prompt: string;
  workdir?: string;
  name?: string;
  model?: string;
  maxBudgetUsd?: number;
  /** Appended to Claude Code's own system prompt (the preset stays). */
  systemPrompt?: string;
  allowedTools?: readonly string[];
  permissionMode?: PermissionMode;
  /** One turn, then the session completes. */
  multiTurnDisabled?: boolean;
  /** Resume a Claude conversation: a session id, name or Claude session UUID. */
  resume?: string;
  /** With `resume`: continue in a new Claude session id, leaving the original untouched. */
  fork?: boolean;
  /** Extra environment for the child (e.g. the workdir's agentEnv). */
  env?: Readonly<Record<string, string>>;
  /** Run the process on this paired node (a resumed session stays on its original node). */
  node?: NodeRef;
  /**
   * The paired nodes the launch may run on, best first, with the slots this gateway may use on
   * each now: it runs on the first with a free slot, else it waits in their queues and runs on
   * whichever frees one first (takes the place of `node`).
   */
  nodes?: readonly NodeOption[];
  owner: TOwner;
}

/** A node a launch may run on, as the node directory found it. */
export interface NodeOption {
  node: NodeRef;
  /** Sessions this gateway may run there at once: the node's slots less what it runs for others. */
  slots: number;
  /** The workdir as the node resolved it (a ~ is the node's home); default: the launch's. */
  workdir?: string | undefined;
}

/** A plain, serialisable view of one session. */
export interface SessionSnapshot<TOwner> {
  id: string;
  name: string;
  status: SessionStatus;
  /** Set once the session has ended. */
  reason: EndReason | undefined;
  /** The launch prompt. */
  prompt: string;
  workdir: string;
  /** The paired node the process runs on; undefined: the gateway's machine. */
  node?: NodeRef | undefined;
  model: string | undefined;
  permissionMode: PermissionMode;
  maxBudgetUsd: number | undefined;
  multiTurn: boolean;
  /** The conversation's ref as the backend reports it: kept under this name for compatibility (Claude Code's session UUID). */
  claudeSessionId: string | undefined;
  /** Which backend runs the session, and its ref of the conversation (undefined until reported). */
  backend: { kind: string; ref: string | undefined };
  resumedFrom: { sessionId: string | undefined; claudeSessionId: string; fork: boolean } | undefined;
  owner: TOwner;
  pid: number | undefined;
  costUsd: number;
  turns: number;
  createdAt: number;
  endedAt: number | undefined;
  durationMs: number;
  lastSeq: number;
  /** The text of the last result, if any. */
  lastResult: string | undefined;
  /** While waiting: for the next message, or for an answer to a permission request. */
  waitingFor: "input" | "permission" | undefined;
  /** Permission requests Claude Code is blocked on. */
  pendingRequests: PermissionRequest[];
  /** While queued: where it stands (1 starts next), and the paired nodes whose slots it waits for. */
  queue?: QueueState | undefined;
  /** The launch's own system prompt addition and tool list, kept so a queued launch can start after a restart. */
  systemPrompt?: string | undefined;
  allowedTools?: readonly string[] | undefined;
}

/** A queued session's place: in this machine's queue, or (with `nodes`) in the queue of those nodes. */
export interface QueueState {
  position: number;
  total: number;
  nodes?: NodeRef[] | undefined;
}

/** Everything the engine reports; the notifier and stats consume these. */
export type SessionEvent<TOwner> =
  /** Accepted: running now, or queued (status "queued") until a slot frees. */
  | { type: "launched"; session: SessionSnapshot<TOwner> }
  /** A queued session got its slot and starts now. */
  | { type: "started"; session: SessionSnapshot<TOwner> }
  | { type: "claude_session"; session: SessionSnapshot<TOwner>; claudeSessionId: string }
  | { type: "turn_started"; session: SessionSnapshot<TOwner> }
  | { type: "output"; session: SessionSnapshot<TOwner>; entry: OutputEntry }
  | { type: "waiting"; session: SessionSnapshot<TOwner>; lastText: string; interrupted: boolean }
  | { type: "responded"; session: SessionSnapshot<TOwner>; message: string; interrupted: boolean; by: string }
  | { type: "ended"; session: SessionSnapshot<TOwner>; status: TerminalStatus; reason: EndReason }
  /** Claude Code asks for permission (a tool call, a question, a plan): someone must answer. */
  | { type: "permission_request"; session: SessionSnapshot<TOwner>; request: PermissionRequest }
  /** A permission request was decided (by a person, the agent, the policy, or the timeout). */
  | { type: "permission_decided"; session: SessionSnapshot<TOwner>; record: PermissionRecord }
  /**
   * The Claude Code process started, or it and every process it started are gone (so a crashed
   * gateway's orphans can be found: by pid, and by the marker all its descendants inherit).
   */
  | { type: "process"; session: SessionSnapshot<TOwner>; pid: number; running: boolean; tree: ProcessTreeRef };

export type SessionEventType = SessionEvent<unknown>["type"];

export interface OutputView {
  session: string;
  catchUp: CatchUp;
}

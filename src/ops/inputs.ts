// The operations' typed inputs, read from raw parameters (tool call, parsed chat command, RPC
// payload) by their one schema (schemas.ts), plus the rules that span several parameters.
import { homedir } from "node:os";
import path from "node:path";
import { invalid, type PermissionMode } from "../engine/index.ts";
import type { FinishAction } from "../worktrees/index.ts";
import { defaulted, describe, readInput } from "./read-input.ts";
import {
  AUDIT_PARAMS,
  BG_PARAMS,
  FG_PARAMS,
  FINISH_PARAMS,
  LAUNCH_PARAMS,
  LIST_PARAMS,
  LIST_STATUSES,
  NO_PARAMS,
  OUTPUT_PARAMS,
  PERMIT_DECISIONS,
  PERMIT_PARAMS,
  RESPOND_PARAMS,
  RESUME_PARAMS,
  SESSION_PARAMS,
  TRANSCRIPT_FORMATS,
  TRANSCRIPT_PARAMS,
} from "./schemas.ts";

export { LIST_STATUSES } from "./schemas.ts";
export type ListStatus = (typeof LIST_STATUSES)[number];

export interface LaunchInput {
  prompt: string;
  name: string | undefined;
  workdir: string | undefined;
  model: string | undefined;
  maxBudgetUsd: number | undefined;
  systemPrompt: string | undefined;
  allowedTools: string[] | undefined;
  resumeSessionId: string | undefined;
  forkSession: boolean;
  multiTurnDisabled: boolean;
  permissionMode: PermissionMode | undefined;
  /** Run in a new git worktree; undefined = the workdir's default (defaultWorktree, worktreeByWorkdir). */
  worktree?: boolean | undefined;
  /** A paired node's id or name, "auto", or "local" (this machine even when defaultNode is set). */
  node?: string | undefined;
}

export interface RespondInput {
  session: string;
  message: string;
  interrupt: boolean;
  userInitiated: boolean;
}

export interface SessionRefInput {
  session: string;
}

export interface FgInput {
  session: string;
  lines: number;
}

export interface BgInput {
  session: string | undefined;
}

export interface OutputInput {
  session: string;
  lines: number;
  full: boolean;
  /** Paging by sequence number: the entries after this one (with `limit`). */
  since: number | undefined;
  limit: number;
}

export interface ListInput {
  status: ListStatus;
  /** Only ended sessions that have a Claude conversation to resume. */
  resumable: boolean;
  limit: number;
  offset: number;
}

export interface ResumeInput {
  session: string;
  prompt: string;
  fork: boolean;
}

export function parseLaunchInput(raw: unknown): LaunchInput {
  const v = readInput("launch", LAUNCH_PARAMS, raw);
  const input: LaunchInput = {
    prompt: v.prompt,
    name: v.name,
    workdir: absoluteWorkdir(v.workdir),
    model: v.model,
    maxBudgetUsd: v.max_budget_usd,
    systemPrompt: v.system_prompt,
    allowedTools: v.allowed_tools,
    resumeSessionId: v.resume_session_id,
    forkSession: defaulted(v.fork_session, "fork_session"),
    multiTurnDisabled: defaulted(v.multi_turn_disabled, "multi_turn_disabled"),
    permissionMode: v.permission_mode,
    worktree: v.worktree,
    node: v.node,
  };
  if (input.forkSession && !input.resumeSessionId) throw invalid("launch: fork_session needs resume_session_id (the session to fork)");
  return input;
}

/**
 * A relative workdir would silently mean "relative to wherever the gateway was started"; ~ means
 * the home directory of the machine the session runs on, so it stays as given until the launch
 * knows where that is (expandHome here, or the node's own home there).
 */
function absoluteWorkdir(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  if (isHomePath(dir)) return dir;
  if (!path.isAbsolute(dir)) throw invalid(`launch: "workdir" must be an absolute path, got ${describe(dir)}; give the full path (or one starting with ~/)`);
  return dir;
}

function isHomePath(dir: string): boolean {
  return dir === "~" || dir.startsWith("~/");
}

/** A workdir for a session on this machine: a leading ~ is this machine's home. */
export function expandHome(dir: string | undefined, home: () => string = homedir): string | undefined {
  return dir !== undefined && isHomePath(dir) ? path.join(home(), dir.slice(1)) : dir;
}

export function parseRespondInput(raw: unknown): RespondInput {
  const v = readInput("respond", RESPOND_PARAMS, raw);
  return { session: v.session, message: v.message, interrupt: defaulted(v.interrupt, "interrupt"), userInitiated: defaulted(v.userInitiated, "userInitiated") };
}

export function parseSessionRef(raw: unknown, op: string): SessionRefInput {
  return { session: readInput(op, SESSION_PARAMS, raw).session };
}

export function parseFgInput(raw: unknown): FgInput {
  const v = readInput("fg", FG_PARAMS, raw);
  return { session: v.session, lines: defaulted(v.lines, "lines") };
}

export function parseBgInput(raw: unknown): BgInput {
  return { session: readInput("bg", BG_PARAMS, raw).session };
}

export function parseOutputInput(raw: unknown): OutputInput {
  const v = readInput("output", OUTPUT_PARAMS, raw);
  return { session: v.session, lines: defaulted(v.lines, "lines"), full: defaulted(v.full, "full"), since: v.since, limit: defaulted(v.limit, "limit") };
}

export type TranscriptFormat = (typeof TRANSCRIPT_FORMATS)[number];

export interface TranscriptInput {
  session: string;
  format: TranscriptFormat;
}

export function parseTranscriptInput(raw: unknown): TranscriptInput {
  const v = readInput("transcript", TRANSCRIPT_PARAMS, raw);
  return { session: v.session, format: defaulted(v.format, "format") };
}

export function parseListInput(raw: unknown): ListInput {
  const v = readInput("sessions", LIST_PARAMS, raw);
  return { status: defaulted(v.status, "status"), resumable: defaulted(v.resumable, "resumable"), limit: defaulted(v.limit, "limit"), offset: defaulted(v.offset, "offset") };
}

export function parseResumeInput(raw: unknown): ResumeInput {
  const v = readInput("resume", RESUME_PARAMS, raw);
  return { session: v.session, prompt: defaulted(v.prompt, "prompt"), fork: defaulted(v.fork, "fork") };
}

export interface PermitInput {
  request: string;
  decision: (typeof PERMIT_DECISIONS)[number];
  note: string | undefined;
  /** With deny: also stop Claude's turn (for a plan: reject rather than revise). */
  stop: boolean;
  answers: string[] | undefined;
  userInitiated: boolean;
}

export function parsePermitInput(raw: unknown): PermitInput {
  const v = readInput("permit", PERMIT_PARAMS, raw);
  const input: PermitInput = {
    request: v.request,
    decision: v.decision,
    note: v.note,
    stop: defaulted(v.stop, "stop"),
    answers: v.answers,
    userInitiated: defaulted(v.userInitiated, "userInitiated"),
  };
  if (input.decision === "answer" && !input.answers?.length) throw invalid('permit: a question needs "answers": one per question (an option number or label, or your own words)');
  if (input.decision !== "answer" && input.answers !== undefined) throw invalid('permit: "answers" go with decision "answer" only');
  if (input.decision !== "deny" && input.stop) throw invalid('permit: "stop" goes with decision "deny" only');
  return input;
}

export interface AuditInput {
  session: string | undefined;
  limit: number;
  offset: number;
}

export function parseAuditInput(raw: unknown): AuditInput {
  const v = readInput("audit", AUDIT_PARAMS, raw);
  return { session: v.session, limit: defaulted(v.limit, "limit"), offset: defaulted(v.offset, "offset") };
}

export function parseNoInput(raw: unknown, op: string): void {
  readInput(op, NO_PARAMS, raw);
}

export interface FinishInput {
  session: string;
  action: FinishAction;
}

export function parseFinishInput(raw: unknown): FinishInput {
  const v = readInput("finish", FINISH_PARAMS, raw);
  return { session: v.session, action: v.action };
}

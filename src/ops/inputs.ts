// Input validation shared by every surface: raw parameters (tool call, parsed chat command, RPC
// payload) in, a typed input out, or an INVALID_ARGUMENT error that says what to fix.
import { homedir } from "node:os";
import path from "node:path";
import { invalid, PERMISSION_MODES, type PermissionMode } from "../engine/index.ts";
import { FINISH_ACTIONS, type FinishAction } from "../worktrees/index.ts";

export const MAX_PROMPT_CHARS = 100_000;
const MAX_SYSTEM_PROMPT_CHARS = 20_000;

export const LIST_STATUSES = ["all", "queued", "running", "waiting", "completed", "failed", "killed", "interrupted"] as const;
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

type Spec = Record<string, readonly string[]>; // canonical key → accepted aliases

class Params {
  private readonly values: Record<string, unknown>;
  private readonly op: string;

  constructor(raw: unknown, op: string, spec: Spec) {
    this.op = op;
    if (raw === undefined || raw === null) raw = {};
    if (typeof raw !== "object" || Array.isArray(raw)) throw invalid(`${op}: parameters must be an object, got ${describe(raw)}`);
    const aliasOf = new Map<string, string>();
    for (const [key, aliases] of Object.entries(spec)) for (const a of [key, ...aliases]) aliasOf.set(a, key);
    this.values = {};
    const givenAs = new Map<string, string>();
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      const canonical = aliasOf.get(k);
      if (!canonical) throw invalid(`${op}: unknown parameter "${k}"; accepted: ${Object.keys(spec).join(", ") || "none"}`);
      if (v === undefined || v === null) continue;
      const earlier = givenAs.get(canonical);
      // Two names of one parameter (say "session" and its alias "id") must agree, or which one wins would be a guess.
      if (earlier !== undefined && JSON.stringify(this.values[canonical]) !== JSON.stringify(v)) {
        throw invalid(`${op}: "${earlier}" and "${k}" are two names of one parameter and give different values (${describe(this.values[canonical])}, ${describe(v)}); give one of them`);
      }
      givenAs.set(canonical, k);
      this.values[canonical] = v;
    }
  }

  str(key: string, opts: { required: true; max: number; what?: string }): string;
  str(key: string, opts: { required?: false; max: number; what?: string }): string | undefined;
  str(key: string, opts: { required?: boolean; max: number; what?: string }): string | undefined {
    const v = this.values[key];
    if (v === undefined) {
      if (opts.required) throw invalid(`${this.op}: "${key}" is required${opts.what ? ` (${opts.what})` : ""}`);
      return undefined;
    }
    if (typeof v !== "string") throw invalid(`${this.op}: "${key}" must be a string, got ${describe(v)}`);
    const trimmed = v.trim();
    if (!trimmed) {
      if (opts.required) throw invalid(`${this.op}: "${key}" is empty${opts.what ? `: give ${opts.what}` : ""}`);
      return undefined;
    }
    if (trimmed.length > opts.max) throw invalid(`${this.op}: "${key}" is ${trimmed.length} characters long; the limit is ${opts.max}`);
    return trimmed;
  }

  num(key: string, opts: { min: number; max: number; integer?: boolean; fallback: number }): number;
  num(key: string, opts: { min: number; max: number; integer?: boolean }): number | undefined;
  num(key: string, opts: { min: number; max: number; integer?: boolean; fallback?: number }): number | undefined {
    let v = this.values[key];
    if (v === undefined) return opts.fallback;
    // Chat commands and some clients send numbers as text.
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) v = Number(v);
    if (typeof v !== "number" || !Number.isFinite(v)) throw invalid(`${this.op}: "${key}" must be a number, got ${describe(this.values[key])}`);
    if (opts.integer && !Number.isInteger(v)) throw invalid(`${this.op}: "${key}" must be a whole number, got ${v}`);
    if (v < opts.min || v > opts.max) throw invalid(`${this.op}: "${key}" must be between ${opts.min} and ${opts.max}, got ${v}`);
    return v;
  }

  /** A boolean that may be absent (undefined), for options whose default comes from the config. */
  optBool(key: string): boolean | undefined {
    return this.values[key] === undefined ? undefined : this.bool(key);
  }

  bool(key: string): boolean {
    const v = this.values[key];
    if (v === undefined) return false;
    if (v === "true") return true;
    if (v === "false") return false;
    if (typeof v !== "boolean") throw invalid(`${this.op}: "${key}" must be true or false, got ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.values[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || !allowed.includes(v as T)) {
      throw invalid(`${this.op}: "${key}" must be one of ${allowed.join(", ")}, got ${describe(v)}`);
    }
    return v as T;
  }

  /** A list of strings; a single string is split at commas unless `split` is false (free text). */
  strList(key: string, opts: { maxItems: number; maxLength: number; split?: boolean }): string[] | undefined {
    let v = this.values[key];
    if (v === undefined) return undefined;
    if (typeof v === "string") v = opts.split === false ? [v] : v.split(",").map((s) => s.trim()).filter(Boolean);
    if (!Array.isArray(v)) throw invalid(`${this.op}: "${key}" must be a list of strings, got ${describe(v)}`);
    if (v.length > opts.maxItems) throw invalid(`${this.op}: "${key}" has ${v.length} items; the limit is ${opts.maxItems}`);
    return v.map((item, i) => {
      if (typeof item !== "string" || !item.trim()) throw invalid(`${this.op}: "${key}[${i}]" must be a non-empty string`);
      if (item.length > opts.maxLength) throw invalid(`${this.op}: "${key}[${i}]" is too long (limit ${opts.maxLength})`);
      return item.trim();
    });
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

const SESSION_WHAT = "a session id, name or Claude session UUID";
/** Other names of a "session" parameter; "id" is what the community plugin's RPC clients send. */
const SESSION_ALIASES = ["session_id", "sessionId", "ref", "id"] as const;

export function parseLaunchInput(raw: unknown): LaunchInput {
  const p = new Params(raw, "launch", {
    prompt: [],
    name: [],
    workdir: ["cwd"],
    model: [],
    max_budget_usd: ["maxBudgetUsd", "budget"],
    system_prompt: ["systemPrompt"],
    allowed_tools: ["allowedTools"],
    resume_session_id: ["resumeSessionId", "resume"],
    fork_session: ["forkSession", "fork"],
    multi_turn_disabled: ["multiTurnDisabled"],
    permission_mode: ["permissionMode"],
    worktree: [],
    node: [],
  });
  const input: LaunchInput = {
    prompt: p.str("prompt", { required: true, max: MAX_PROMPT_CHARS, what: "what Claude Code should do" }),
    name: p.str("name", { max: 200 }),
    workdir: absoluteWorkdir(p.str("workdir", { max: 4096 })),
    model: p.str("model", { max: 200 }),
    maxBudgetUsd: p.num("max_budget_usd", { min: 0.01, max: 10_000 }),
    systemPrompt: p.str("system_prompt", { max: MAX_SYSTEM_PROMPT_CHARS }),
    allowedTools: p.strList("allowed_tools", { maxItems: 200, maxLength: 500 }),
    resumeSessionId: p.str("resume_session_id", { max: 200 }),
    forkSession: p.bool("fork_session"),
    multiTurnDisabled: p.bool("multi_turn_disabled"),
    permissionMode: p.oneOf("permission_mode", PERMISSION_MODES),
    worktree: p.optBool("worktree"),
    node: p.str("node", { max: 200 }),
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
  const p = new Params(raw, "respond", { session: SESSION_ALIASES, message: [], interrupt: [], userInitiated: ["user_initiated"] });
  return {
    session: p.str("session", { required: true, max: 200, what: SESSION_WHAT }),
    message: p.str("message", { required: true, max: MAX_PROMPT_CHARS, what: "the message to send" }),
    interrupt: p.bool("interrupt"),
    userInitiated: p.bool("userInitiated"),
  };
}

export function parseSessionRef(raw: unknown, op: string): SessionRefInput {
  const p = new Params(raw, op, { session: SESSION_ALIASES });
  return { session: p.str("session", { required: true, max: 200, what: SESSION_WHAT }) };
}

export function parseFgInput(raw: unknown): FgInput {
  const p = new Params(raw, "fg", { session: SESSION_ALIASES, lines: [] });
  return { session: p.str("session", { required: true, max: 200, what: SESSION_WHAT }), lines: p.num("lines", { min: 1, max: 500, integer: true, fallback: 30 }) };
}

export function parseBgInput(raw: unknown): BgInput {
  const p = new Params(raw, "bg", { session: SESSION_ALIASES });
  return { session: p.str("session", { max: 200 }) };
}

export function parseOutputInput(raw: unknown): OutputInput {
  const p = new Params(raw, "output", { session: SESSION_ALIASES, lines: [], full: [], since: [], limit: [] });
  return {
    session: p.str("session", { required: true, max: 200, what: SESSION_WHAT }),
    lines: p.num("lines", { min: 1, max: 5000, integer: true, fallback: 50 }),
    full: p.bool("full"),
    since: p.num("since", { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }),
    limit: p.num("limit", { min: 1, max: 5000, integer: true, fallback: 200 }),
  };
}

export const TRANSCRIPT_FORMATS = ["jsonl", "markdown"] as const;
export type TranscriptFormat = (typeof TRANSCRIPT_FORMATS)[number];

export interface TranscriptInput {
  session: string;
  format: TranscriptFormat;
}

export function parseTranscriptInput(raw: unknown): TranscriptInput {
  const p = new Params(raw, "transcript", { session: SESSION_ALIASES, format: [] });
  return {
    session: p.str("session", { required: true, max: 200, what: SESSION_WHAT }),
    format: p.oneOf("format", TRANSCRIPT_FORMATS) ?? "markdown",
  };
}

export function parseListInput(raw: unknown): ListInput {
  const p = new Params(raw, "sessions", { status: [], limit: [], offset: [], resumable: [] });
  return {
    status: p.oneOf("status", LIST_STATUSES) ?? "all",
    resumable: p.bool("resumable"),
    limit: p.num("limit", { min: 1, max: 500, integer: true, fallback: 50 }),
    offset: p.num("offset", { min: 0, max: 10_000_000, integer: true, fallback: 0 }),
  };
}

export function parseResumeInput(raw: unknown): ResumeInput {
  const p = new Params(raw, "resume", { session: SESSION_ALIASES, prompt: ["message"], fork: ["fork_session", "forkSession"] });
  return {
    session: p.str("session", { required: true, max: 200, what: SESSION_WHAT }),
    prompt: p.str("prompt", { max: MAX_PROMPT_CHARS }) ?? "Continue where you left off.",
    fork: p.bool("fork"),
  };
}

export const PERMIT_DECISIONS = ["allow", "allow_session", "deny", "answer"] as const;

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
  const p = new Params(raw, "permit", { request: ["request_id", "requestId", "id"], decision: [], note: ["message", "reason"], stop: [], answers: ["answer"], userInitiated: ["user_initiated"] });
  const decision = p.oneOf("decision", PERMIT_DECISIONS);
  if (decision === undefined) throw invalid(`permit: "decision" is required: one of ${PERMIT_DECISIONS.join(", ")}`);
  const input: PermitInput = {
    request: p.str("request", { required: true, max: 40, what: "the request id from the 🔐 notice, e.g. r7k2m" }),
    decision,
    note: p.str("note", { max: 4000 }),
    stop: p.bool("stop"),
    answers: p.strList("answers", { maxItems: 4, maxLength: 2000, split: false }),
    userInitiated: p.bool("userInitiated"),
  };
  if (decision === "answer" && !input.answers?.length) throw invalid('permit: a question needs "answers": one per question (an option number or label, or your own words)');
  if (decision !== "answer" && input.answers !== undefined) throw invalid('permit: "answers" go with decision "answer" only');
  if (decision !== "deny" && input.stop) throw invalid('permit: "stop" goes with decision "deny" only');
  return input;
}

export interface AuditInput {
  session: string | undefined;
  limit: number;
  offset: number;
}

export function parseAuditInput(raw: unknown): AuditInput {
  const p = new Params(raw, "audit", { session: SESSION_ALIASES, limit: [], offset: [] });
  return {
    session: p.str("session", { max: 200 }),
    limit: p.num("limit", { min: 1, max: 1000, integer: true, fallback: 50 }),
    offset: p.num("offset", { min: 0, max: 10_000_000, integer: true, fallback: 0 }),
  };
}

export function parseNoInput(raw: unknown, op: string): void {
  new Params(raw, op, {});
}

export interface FinishInput {
  session: string;
  action: FinishAction;
}

export function parseFinishInput(raw: unknown): FinishInput {
  const p = new Params(raw, "finish", { session: ["session_id", "sessionId", "ref"], action: [] });
  const session = p.str("session", { required: true, max: 200, what: SESSION_WHAT });
  const action = p.oneOf("action", FINISH_ACTIONS);
  if (action === undefined) throw invalid(`finish: "action" is required: one of ${FINISH_ACTIONS.join(", ")}`);
  return { session, action };
}

// Permission requests from Claude Code (tool approvals, Claude's own questions, plans to approve):
// what a request says to a person, the decisions they can make, and the record of every decision.
// The operator's rules applied before anyone is asked are in policy.ts.
import { summarizeToolInput } from "./tool-summary.ts";

export type RequestKind = "tool" | "question" | "plan";

export interface QuestionOption {
  label: string;
  description: string;
}

export interface Question {
  question: string;
  header: string;
  options: QuestionOption[];
  multiSelect: boolean;
}

/** A decision Claude Code is waiting for. */
export interface PermissionRequest {
  /** Short id people type: /claude_allow <id>. */
  id: string;
  sessionId: string;
  kind: RequestKind;
  tool: string;
  /** One line: "Bash — npm test". */
  summary: string;
  /** More to judge by: the command (head and tail when long), a diff preview of an edit, the plan. */
  detail: string | undefined;
  /** The whole command when `detail` shows only its head and tail (also in the session's output). */
  fullText: string | undefined;
  /** Claude's questions (kind "question"). */
  questions: Question[] | undefined;
  /** What "allow for this session" would allow, or undefined when it is not offered. */
  sessionScope: string | undefined;
  createdAt: number;
  expiresAt: number;
}

/** What a person (or the owning agent) decides. */
export type PermissionAnswer =
  | { kind: "allow"; scope: "once" | "session" }
  /** For a plan, a deny with a note asks Claude to revise; `stop` also ends the turn (reject). */
  | { kind: "deny"; note?: string; stop?: boolean }
  /** Answers to Claude's questions, one per question, in order: an option label or free text. */
  | { kind: "answer"; answers: string[] };

export type PermissionOutcome =
  | "allowed"
  | "allowed_for_session"
  | "denied"
  | "answered"
  | "expired"
  | "cancelled"
  | "policy_allowed"
  | "policy_denied";

const OUTCOME_TEXT: Record<PermissionOutcome, string> = {
  allowed: "allowed once",
  allowed_for_session: "allowed for this session",
  denied: "denied",
  answered: "answered",
  expired: "denied (no answer in time)",
  cancelled: "withdrawn",
  policy_allowed: "allowed",
  policy_denied: "denied",
};

/** How an outcome reads in a sentence: "allowed once", "withdrawn", … */
export function outcomeText(outcome: PermissionOutcome): string {
  return OUTCOME_TEXT[outcome];
}

/** One line of the audit log: who decided what, when. */
export interface PermissionRecord {
  requestId: string;
  sessionId: string;
  kind: RequestKind;
  tool: string;
  summary: string;
  outcome: PermissionOutcome;
  /** "user 123 on telegram", "agent main", "policy Bash(rm *)", "timeout". */
  by: string;
  note: string | undefined;
  at: number;
}

const MAX_DETAIL = 1500;
/** A command longer than this is shown as its head and tail, with the length left out between. */
const COMMAND_HEAD = 1000;
const COMMAND_TAIL = 400;
/** A command over this many bytes can be allowed once only: a session-wide rule must be readable. */
export const MAX_SESSION_RULE_COMMAND_BYTES = 4096;

/** A long command as its head and tail with the number of characters between, so the end is never hidden. */
export function headAndTail(text: string): string {
  if (text.length <= MAX_DETAIL) return text;
  const omitted = text.length - COMMAND_HEAD - COMMAND_TAIL;
  return `${text.slice(0, COMMAND_HEAD)}\n… ${omitted} characters not shown (the whole command is in the session's output) …\n${text.slice(-COMMAND_TAIL)}`;
}

function clip(text: string, max = MAX_DETAIL): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function prefixed(text: string, mark: string, maxLines: number): string {
  const lines = text.split("\n");
  const shown = lines.slice(0, maxLines).map((l) => `${mark} ${l}`);
  if (lines.length > maxLines) shown.push(`${mark} … ${lines.length - maxLines} more lines`);
  return shown.join("\n");
}

/** A short preview of what an edit changes, as -/+ lines. */
function editPreview(tool: string, input: Record<string, unknown>): string | undefined {
  const str = (k: string) => (typeof input[k] === "string" ? (input[k] as string) : undefined);
  if (tool === "Write") {
    const content = str("content");
    return content === undefined ? undefined : clip(prefixed(content, "+", 20));
  }
  if (tool === "Edit") {
    const oldText = str("old_string");
    const newText = str("new_string");
    if (oldText === undefined || newText === undefined) return undefined;
    return clip(`${prefixed(oldText, "-", 12)}\n${prefixed(newText, "+", 12)}`);
  }
  if (tool === "MultiEdit" && Array.isArray(input.edits)) {
    const parts = (input.edits as Array<Record<string, unknown>>).slice(0, 3).map((e) =>
      typeof e.old_string === "string" && typeof e.new_string === "string" ? `${prefixed(e.old_string, "-", 6)}\n${prefixed(e.new_string, "+", 6)}` : "",
    );
    return clip(parts.filter(Boolean).join("\n…\n"));
  }
  return undefined;
}

function parseQuestions(input: Record<string, unknown>): Question[] {
  if (!Array.isArray(input.questions)) return [];
  return (input.questions as Array<Record<string, unknown>>).flatMap((q) => {
    if (typeof q.question !== "string") return [];
    const options = Array.isArray(q.options)
      ? (q.options as Array<Record<string, unknown>>).flatMap((o) =>
          typeof o.label === "string" ? [{ label: o.label, description: typeof o.description === "string" ? o.description : "" }] : [],
        )
      : [];
    return [{ question: q.question, header: typeof q.header === "string" ? q.header : "", options, multiSelect: q.multiSelect === true }];
  });
}

/**
 * The person-facing description of a request. `lastText` is Claude's latest text: the CLI keeps a
 * plan out of ExitPlanMode's input, and Claude writes it out just before asking.
 */
export function describeRequest(
  tool: string,
  input: Record<string, unknown>,
  /** What "allow for this session" would allow, in the backend's words (undefined: not offered). */
  sessionScope: string | undefined,
  lastText = "",
): Pick<PermissionRequest, "kind" | "summary" | "detail" | "fullText" | "questions" | "sessionScope"> {
  if (tool === "AskUserQuestion") {
    const questions = parseQuestions(input);
    return { kind: "question", summary: questions[0]?.question ?? "Claude has a question", detail: undefined, fullText: undefined, questions, sessionScope: undefined };
  }
  if (tool === "ExitPlanMode") {
    const plan = typeof input.plan === "string" && input.plan.trim() ? input.plan : lastText.trim() || undefined;
    return { kind: "plan", summary: "Claude has a plan and asks to start on it", detail: plan ? clip(plan, 3000) : undefined, fullText: undefined, questions: undefined, sessionScope: undefined };
  }
  const summary = summarizeToolInput(tool, input);
  const command = typeof input.command === "string" ? input.command : undefined;
  const detail = editPreview(tool, input) ?? (command && command.length > 100 ? headAndTail(command) : undefined);
  const fullText = command !== undefined && command.length > MAX_DETAIL ? command : undefined;
  // A session-wide approval of a command nobody can read in one message is not offered.
  const tooLong = command !== undefined && Buffer.byteLength(command) > MAX_SESSION_RULE_COMMAND_BYTES;
  return { kind: "tool", summary, detail, fullText, questions: undefined, sessionScope: tooLong ? undefined : sessionScope };
}

/** Matches answers to questions: an option's number or label (case-insensitive), else free text. */
export function resolveAnswers(questions: readonly Question[], given: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  questions.forEach((q, i) => {
    const raw = (given[i] ?? "").trim();
    const picks = q.multiSelect ? raw.split(",").map((s) => s.trim()).filter(Boolean) : [raw];
    const labels = picks.map((p) => {
      const n = Number(p);
      if (Number.isInteger(n) && n >= 1 && n <= q.options.length) return q.options[n - 1]!.label;
      return q.options.find((o) => o.label.toLowerCase() === p.toLowerCase())?.label ?? p;
    });
    out[q.question] = labels.join(", ");
  });
  return out;
}

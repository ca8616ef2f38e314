// The one definition of every operation's input: TypeBox schemas that the tools publish to the
// model and that ops/ reads every surface's parameters with (read-input.ts).
import { Type, type TObject, type TSchema } from "typebox";
import { PERMISSION_MODES } from "../engine/index.ts";
import { FINISH_ACTIONS } from "../worktrees/index.ts";

export const MAX_PROMPT_CHARS = 100_000;
const MAX_SYSTEM_PROMPT_CHARS = 20_000;

export const LIST_STATUSES = ["all", "queued", "running", "waiting", "completed", "failed", "killed", "interrupted"] as const;
export const TRANSCRIPT_FORMATS = ["jsonl", "markdown"] as const;
export const PERMIT_DECISIONS = ["allow", "allow_session", "deny", "answer"] as const;

/**
 * Keywords of ours inside the schemas, read by read-input.ts and left out of what the model sees:
 * `aliases` (other accepted names), `hint` (what to give, for "is required" and "is empty"),
 * `splitAtCommas: false` (a list given as one string is one item, for free text).
 */
export const READER_KEYWORDS = ["aliases", "hint", "splitAtCommas"] as const;


const SESSION_HINT = "a session id, name or Claude session UUID";
/** Other names of a "session" parameter; "id" is what the community plugin's RPC clients send. */
const SESSION_ALIASES = ["session_id", "sessionId", "ref", "id"];
const sessionRef = (aliases: readonly string[]) => Type.String({ description: "Session id, name, or Claude session UUID", maxLength: 200, aliases, hint: SESSION_HINT });
const SESSION = sessionRef(SESSION_ALIASES);
const NONE = Type.Object({});

export const LAUNCH_PARAMS = Type.Object({
  prompt: Type.String({ description: "The task for Claude Code", maxLength: MAX_PROMPT_CHARS, hint: "what Claude Code should do" }),
  name: Type.Optional(Type.String({ description: "Short name (letters, digits, - _ .); derived from the prompt if omitted", maxLength: 200 })),
  workdir: Type.Optional(Type.String({ description: "Absolute directory to work in (default: the plugin's defaultWorkdir)", maxLength: 4096, aliases: ["cwd"] })),
  model: Type.Optional(Type.String({ description: "Claude model, e.g. sonnet or opus", maxLength: 200 })),
  max_budget_usd: Type.Optional(
    Type.Number({ description: "Spending limit in USD (default: defaultBudgetUsd)", minimum: 0.01, maximum: 10_000, aliases: ["maxBudgetUsd", "budget"] }),
  ),
  system_prompt: Type.Optional(
    Type.String({ description: "Extra instructions appended to Claude Code's own system prompt", maxLength: MAX_SYSTEM_PROMPT_CHARS, aliases: ["systemPrompt"] }),
  ),
  allowed_tools: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 500 }), {
      description: 'Tools Claude may use without asking, e.g. ["Bash(npm test*)", "Edit"]',
      maxItems: 200,
      aliases: ["allowedTools"],
    }),
  ),
  resume_session_id: Type.Optional(
    Type.String({ description: "Resume this session (id, name or Claude UUID) in its original workdir", maxLength: 200, aliases: ["resumeSessionId", "resume"] }),
  ),
  fork_session: Type.Optional(
    Type.Boolean({ description: "With resume_session_id: continue in a new branch, leaving the original untouched", default: false, aliases: ["forkSession", "fork"] }),
  ),
  multi_turn_disabled: Type.Optional(Type.Boolean({ description: "Run one turn and finish (no follow-ups)", default: false, aliases: ["multiTurnDisabled"] })),
  permission_mode: Type.Optional(
    Type.Enum(PERMISSION_MODES, { description: "Claude Code permission mode (default: the plugin's permissionMode)", aliases: ["permissionMode"] }),
  ),
  worktree: Type.Optional(
    Type.Boolean({
      description: "Run in a new git worktree on its own branch, outside the user's checkout (default: the plugin's defaultWorktree); finish it with claude_finish",
    }),
  ),
  node: Type.Optional(
    Type.String({
      description:
        'Run on this paired node (id or name from claude_nodes), "auto" for the one with most free slots, or "local" (default: the plugin\'s defaultNode); workdir is then a path on that node',
      maxLength: 200,
    }),
  ),
});

export const RESPOND_PARAMS = Type.Object({
  session: SESSION,
  message: Type.String({ description: "The message for Claude", maxLength: MAX_PROMPT_CHARS, hint: "the message to send" }),
  interrupt: Type.Optional(Type.Boolean({ description: "Stop the current turn before sending", default: false })),
  userInitiated: Type.Optional(Type.Boolean({ description: "True when the message comes from the user, not from you", default: false, aliases: ["user_initiated"] })),
});

export const SESSION_PARAMS = Type.Object({ session: SESSION });

export const FG_PARAMS = Type.Object({
  session: SESSION,
  lines: Type.Optional(Type.Integer({ description: "At most this many catch-up entries (default 30)", minimum: 1, maximum: 500, default: 30 })),
});

export const BG_PARAMS = Type.Object({ session: Type.Optional(SESSION) });

export const OUTPUT_PARAMS = Type.Object({
  session: SESSION,
  lines: Type.Optional(Type.Integer({ description: "The newest N entries (default 50)", minimum: 1, maximum: 5000, default: 50 })),
  full: Type.Optional(Type.Boolean({ description: "The whole transcript kept for the session", default: false })),
  since: Type.Optional(Type.Integer({ description: "Page by sequence number: the entries after this one", minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  limit: Type.Optional(Type.Integer({ description: "With since: at most this many entries (default 200)", minimum: 1, maximum: 5000, default: 200 })),
});

export const TRANSCRIPT_PARAMS = Type.Object({
  session: SESSION,
  format: Type.Optional(Type.Enum(TRANSCRIPT_FORMATS, { description: "jsonl (one entry per line) or markdown (default)", default: "markdown" })),
});

export const LIST_PARAMS = Type.Object({
  status: Type.Optional(Type.Enum(LIST_STATUSES, { description: "Filter (default all)", default: "all" })),
  resumable: Type.Optional(Type.Boolean({ description: "Only ended sessions that can be resumed", default: false })),
  limit: Type.Optional(Type.Integer({ description: "Page size (default 50, at most 500)", minimum: 1, maximum: 500, default: 50 })),
  offset: Type.Optional(Type.Integer({ description: "Skip this many (for the next page)", minimum: 0, maximum: 10_000_000, default: 0 })),
});

export const RESUME_PARAMS = Type.Object({
  session: SESSION,
  prompt: Type.Optional(Type.String({ description: "The first message of the resumed session", maxLength: MAX_PROMPT_CHARS, default: "Continue where you left off.", aliases: ["message"] })),
  fork: Type.Optional(Type.Boolean({ description: "Continue in a new Claude session, leaving the original untouched", default: false, aliases: ["fork_session", "forkSession"] })),
});

export const PERMIT_PARAMS = Type.Object({
  request: Type.String({ description: "The request id from the notice, e.g. r7k2m", maxLength: 40, aliases: ["request_id", "requestId", "id"], hint: "the request id from the 🔐 notice, e.g. r7k2m" }),
  decision: Type.Enum(PERMIT_DECISIONS, { description: "allow (once), allow_session (this and like calls for the rest of the session), deny, or answer (a question)" }),
  note: Type.Optional(Type.String({ description: "With deny: why, or what to change in a plan; Claude reads it", maxLength: 4000, aliases: ["message", "reason"] })),
  stop: Type.Optional(Type.Boolean({ description: "With deny: also stop Claude's turn (reject a plan)", default: false })),
  answers: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), {
      description: "With answer: one per question, an option number or label, or your own words",
      maxItems: 4,
      aliases: ["answer"],
      splitAtCommas: false,
    }),
  ),
  userInitiated: Type.Optional(
    Type.Boolean({ description: "Leave out: a decision here is always recorded as yours (true is refused)", default: false, aliases: ["user_initiated"] }),
  ),
});

export const AUDIT_PARAMS = Type.Object({
  session: Type.Optional(SESSION),
  limit: Type.Optional(Type.Integer({ description: "Page size (default 50)", minimum: 1, maximum: 1000, default: 50 })),
  offset: Type.Optional(Type.Integer({ description: "Skip this many (for the next page)", minimum: 0, maximum: 10_000_000, default: 0 })),
});

export const FINISH_PARAMS = Type.Object({
  // No "id" here: finish is new and takes only the names its docs give.
  session: sessionRef(["session_id", "sessionId", "ref"]),
  action: Type.Enum(FINISH_ACTIONS, { description: "merge, pr, keep or discard" }),
});

export const NO_PARAMS = NONE;

/**
 * The schema as the model sees it: without our reader keywords, and without the bounds (lengths,
 * ranges, item counts). The host checks a tool call against the published schema before execute
 * and answers a miss with a terse list and the whole argument dump; leaving the bounds to
 * read-input.ts gives the model the same one-line reason, naming the limit, as every other surface.
 */
export function toolParameters(schema: TObject): TSchema {
  return strip(schema) as TSchema;
}

const UNPUBLISHED = new Set<string>([...READER_KEYWORDS, "minimum", "maximum", "maxLength", "minLength", "maxItems"]);

function strip(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strip);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (!UNPUBLISHED.has(k)) out[k] = k === "properties" ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strip(s)])) : strip(v);
  return out;
}

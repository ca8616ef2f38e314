// The agent tools: static definitions (name, label, description, the operation's input schema)
// whose execute parses nothing itself: the operations validate, the presenters render.
import type { TSchema } from "typebox";
import type { Route } from "../config.ts";
import {
  BG_PARAMS,
  FG_PARAMS,
  FINISH_PARAMS,
  LAUNCH_PARAMS,
  LIST_PARAMS,
  NO_PARAMS,
  OUTPUT_PARAMS,
  PERMIT_PARAMS,
  RESPOND_PARAMS,
  SESSION_PARAMS,
  toolParameters,
} from "../ops/schemas.ts";
import type { Caller } from "../ops/types.ts";
import { consoleLogger, toFailure } from "./errors.ts";
import {
  auditText,
  bgText,
  permitText,
  fgText,
  killText,
  launchText,
  listText,
  nodeJson,
  nodesText,
  outputJson,
  outputText,
  respondText,
  sessionJson,
  statsText,
} from "./present.ts";
import { finishJson, finishText, worktreeJson } from "./worktree-present.ts";
import type { PluginServices, ServicesRef } from "./services.ts";

/** What the host tells a tool factory about the calling agent. */
export interface ToolCallerContext {
  agentId?: string;
  sessionKey?: string;
  workspaceDir?: string;
  deliveryContext?: { channel?: string; to?: string; accountId?: string; threadId?: string | number };
}

export interface ToolResult {
  content: Array<{ type: "text"; text: string }>;
  details: Record<string, unknown>;
}

export interface ToolDefinition {
  name: string;
  label: string;
  description: string;
  parameters: TSchema;
  execute: (toolCallId: string, params: unknown) => Promise<ToolResult>;
}

export const TOOL_NAMES = [
  "claude_launch",
  "claude_respond",
  "claude_fg",
  "claude_bg",
  "claude_kill",
  "claude_output",
  "claude_sessions",
  "claude_stats",
  "claude_permit",
  "claude_finish",
  "claude_nodes",
] as const;

export function routeFromDelivery(d: ToolCallerContext["deliveryContext"]): Route | undefined {
  if (!d?.channel || !d.to) return undefined;
  const route: Route = { channel: d.channel, to: d.to };
  if (d.accountId) route.accountId = d.accountId;
  if (d.threadId !== undefined && d.threadId !== "") route.threadId = String(d.threadId);
  return route;
}

export function toolCaller(ctx: ToolCallerContext): Caller {
  return {
    kind: "agent",
    agentId: ctx.agentId ?? "main",
    sessionKey: ctx.sessionKey,
    route: routeFromDelivery(ctx.deliveryContext),
    workspaceDir: ctx.workspaceDir,
  };
}

type Run = (services: PluginServices, caller: Caller, params: unknown) => Promise<{ text: string; details: Record<string, unknown> }>;

interface Spec {
  name: (typeof TOOL_NAMES)[number];
  label: string;
  description: string;
  parameters: TSchema;
  run: Run;
}

const SPECS: readonly Spec[] = [
  {
    name: "claude_launch",
    label: "Launch Claude Code",
    description:
      "Start a Claude Code session in the background on a coding task in a directory. Returns at once with the session id and name; you are woken when Claude needs input or finishes. Resume an earlier session with resume_session_id (add fork_session to branch it).",
    parameters: toolParameters(LAUNCH_PARAMS),
    run: async (s, caller, params) => {
      const r = await s.ops.launch(caller, params);
      return { text: launchText(r), details: { session: sessionJson(r.session, s.ops.inForeground(r.session.id)), worktree: worktreeJson(r.worktree?.record) } };
    },
  },
  {
    name: "claude_respond",
    label: "Reply to Claude Code",
    description:
      "Send a follow-up message to a Claude Code session (it starts a new turn). interrupt: stop the current turn first. Set userInitiated when you are relaying the user's own words (it resets the auto-reply limit).",
    parameters: toolParameters(RESPOND_PARAMS),
    run: async (s, caller, params) => {
      const r = await s.ops.respond(caller, params);
      return { text: respondText(r), details: { session: sessionJson(r.session, s.ops.inForeground(r.session.id)), interrupted: r.interrupted, autoResponds: r.autoResponds } };
    },
  },
  {
    name: "claude_fg",
    label: "Foreground a Claude Code session",
    description: "Bring a session to the foreground of this conversation: returns what this conversation has not seen yet, then new output streams here live.",
    parameters: toolParameters(FG_PARAMS),
    run: async (s, caller, params) => {
      const r = s.ops.fg(caller, params);
      return {
        text: fgText(r),
        details: { session: sessionJson(r.session, s.ops.inForeground(r.session.id)), entries: r.entries.map(outputJson), missed: r.missed, skipped: r.skipped, streaming: r.streaming },
      };
    },
  },
  {
    name: "claude_bg",
    label: "Background Claude Code sessions",
    description: "Stop streaming a session in this conversation (or every session, when none is named). Notices still arrive.",
    parameters: toolParameters(BG_PARAMS),
    run: async (s, caller, params) => {
      const r = s.ops.bg(caller, params);
      return { text: bgText(r), details: { detached: r.detached.map((x) => sessionJson(x, s.ops.inForeground(x.id))) } };
    },
  },
  {
    name: "claude_kill",
    label: "Kill a Claude Code session",
    description: "End a session and its Claude Code process now. It can be resumed later with claude_launch resume_session_id.",
    parameters: toolParameters(SESSION_PARAMS),
    run: async (s, caller, params) => {
      const r = await s.ops.kill(caller, params);
      return { text: killText(r.session), details: { session: sessionJson(r.session, s.ops.inForeground(r.session.id)) } };
    },
  },
  {
    name: "claude_output",
    label: "Read Claude Code output",
    description: "Read a session's recent output (assistant text, one-line tool calls, tool errors, results, follow-ups).",
    parameters: toolParameters(OUTPUT_PARAMS),
    run: async (s, caller, params) => {
      const r = s.ops.output(caller, params);
      return { text: outputText(r), details: { session: sessionJson(r.session, s.ops.inForeground(r.session.id)), entries: r.entries.map(outputJson), earlier: r.earlier } };
    },
  },
  {
    name: "claude_sessions",
    label: "List Claude Code sessions",
    description:
      "List your Claude Code sessions, newest first, including finished ones from earlier gateway runs (paged). Filter by status, or resumable: true for those you can continue with claude_launch resume_session_id.",
    parameters: toolParameters(LIST_PARAMS),
    run: async (s, caller, params) => {
      const r = s.ops.list(caller, params);
      return { text: listText(r), details: { sessions: r.sessions.map((x) => ({ ...sessionJson(x, s.ops.inForeground(x.id)), worktree: worktreeJson(r.worktrees?.[x.id]) })), total: r.total, offset: r.offset } };
    },
  },
  {
    name: "claude_stats",
    label: "Claude Code usage stats",
    description: "Sessions launched, by outcome, total and per-day cost, average duration, most expensive session.",
    parameters: toolParameters(NO_PARAMS),
    run: async (s, caller, params) => {
      const r = s.ops.stats(caller, params);
      return { text: statsText(r), details: { stats: r } };
    },
  },
  {
    name: "claude_permit",
    label: "Answer Claude Code's permission request",
    description:
      "Answer a request from one of your Claude Code sessions: allow a tool call once or for the rest of the session, deny it (the note is told to Claude), answer Claude's question, or approve / revise / reject its plan (deny with a note revises; deny with stop rejects). Decide yourself only within the user's autonomy rules; otherwise forward the request to the user. Every decision made here is recorded as yours, counts against maxAutoResponds and is announced in the session's chat.",
    parameters: toolParameters(PERMIT_PARAMS),
    run: async (s, caller, params) => {
      const r = s.ops.permit(caller, params);
      return { text: permitText(r), details: { decision: r.record, session: sessionJson(r.session, s.ops.inForeground(r.session.id)) } };
    },
  },
  {
    name: "claude_finish",
    label: "Finish a Claude Code worktree session",
    description:
      "Finish the work of a session that ran in its own git worktree: merge (commit leftovers, merge into the base branch, remove the worktree), pr (push and open a draft pull request), keep (leave it for later), or discard (remove it; unmerged work is kept under refs/claude-code/snapshots). Refused while a turn runs in it. Ask the user before merge or discard unless their autonomy rules allow it.",
    parameters: toolParameters(FINISH_PARAMS),
    run: async (s, caller, params) => {
      const r = await s.ops.finish(caller, params);
      return { text: finishText(r), details: { session: sessionJson(r.session, s.ops.inForeground(r.session.id)), finish: finishJson(r) } };
    },
  },
  {
    name: "claude_nodes",
    label: "List paired nodes for Claude Code",
    description:
      "List the paired machines (OpenClaw nodes) Claude Code sessions can run on: their free slots, allowed workdirs and the sessions running there. Launch on one with claude_launch node.",
    parameters: toolParameters(NO_PARAMS),
    run: async (s, caller, params) => {
      const r = await s.ops.listNodes(caller, params);
      return { text: nodesText(r), details: { nodes: r.nodes.map(nodeJson) } };
    },
  },
];

/** The tools, bound to the calling agent's context. */
export function createTools(services: ServicesRef, ctx: ToolCallerContext): ToolDefinition[] {
  const caller = toolCaller(ctx);
  return SPECS.map((spec) => ({
    name: spec.name,
    label: spec.label,
    description: spec.description,
    parameters: spec.parameters,
    execute: async (_toolCallId: string, params: unknown): Promise<ToolResult> => {
      let live: PluginServices | undefined;
      try {
        live = await services.ready();
        const { text, details } = await spec.run(live, caller, params);
        return { content: [{ type: "text", text }], details };
      } catch (err) {
        const failure = toFailure(err, live?.logger ?? consoleLogger, spec.name);
        throw failure.code === "INTERNAL" ? new Error(failure.message) : new ToolRefusal(failure.message, failure.code === "FORBIDDEN");
      }
    },
  }));
}

/**
 * A refusal the caller can act on. The host passes on the message of an error named
 * ToolInputError (HTTP 400 from /tools/invoke) or ToolAuthorizationError (403) and replaces any
 * other error's with "tool execution failed"; in an agent turn the model reads the message either way.
 */
class ToolRefusal extends Error {
  readonly status: number;

  constructor(message: string, forbidden: boolean) {
    super(message);
    this.name = forbidden ? "ToolAuthorizationError" : "ToolInputError";
    this.status = forbidden ? 403 : 400;
  }
}

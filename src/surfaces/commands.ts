// The chat commands (/claude, /claude_respond, …): parse the text after the command into the same
// parameters the tools take, call the operation, reply with the same rendering.
import type { Route } from "../config.ts";
import { invalid } from "../engine/index.ts";
import { LIST_STATUSES } from "../ops/inputs.ts";
import type { Caller } from "../ops/types.ts";
import { readCommandLine, splitArgs, type FlagSpec } from "./command-line.ts";
import { consoleLogger, toFailure } from "./errors.ts";
import { bgText, fgText, killText, launchText, listText, nodesText, outputText, pendingText, permitText, respondText, statsText } from "./present.ts";
import { finishText } from "./worktree-present.ts";
import { FINISH_ACTIONS } from "../worktrees/index.ts";
import type { PluginServices, ServicesRef } from "./services.ts";

/** What the host tells a command handler about the message. */
export interface CommandContext {
  channel: string;
  channelId?: string;
  senderId?: string;
  from?: string;
  to?: string;
  accountId?: string;
  messageThreadId?: string | number;
  agentId?: string;
  sessionKey?: string;
  args?: string;
  /** The host's verdict on the sender (its allow-list); the commands are registered requireAuth. */
  isAuthorizedSender?: boolean;
}

export interface CommandSpec {
  name: string;
  description: string;
  usage: string;
  run: (services: PluginServices, caller: Caller, args: string) => Promise<string>;
}

const LAUNCH_FLAGS: FlagSpec = {
  values: { "--name": "name", "--workdir": "workdir", "--model": "model", "--budget": "max_budget_usd", "--mode": "permission_mode", "--system": "system_prompt", "--tools": "allowed_tools", "--node": "node" },
  booleans: { "--once": "multi_turn_disabled", "--worktree": "worktree", "--no-worktree": "no_worktree" },
};

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "claude",
    description: "Launch a Claude Code session on a task",
    usage: "/claude [--name N] [--workdir DIR] [--model M] [--budget USD] [--mode MODE] [--system TEXT] [--tools LIST] [--node NODE] [--once] [--worktree | --no-worktree] <prompt>",
    run: async (s, caller, args) => {
      const usage = "/claude [--name N] [--workdir DIR] [--model M] [--budget USD] [--mode MODE] [--system TEXT] [--tools LIST] [--node NODE] [--once] [--worktree | --no-worktree] <prompt>";
      const { params, text } = readCommandLine(args, LAUNCH_FLAGS, usage);
      if (!text.trim()) throw invalid(`say what Claude Code should do. Usage: ${usage}`);
      if (params.no_worktree) {
        if (params.worktree) throw invalid(`--worktree and --no-worktree contradict each other. Usage: ${usage}`);
        delete params.no_worktree;
        params.worktree = false;
      }
      return launchText(await s.ops.launch(caller, { ...params, prompt: text }));
    },
  },
  {
    name: "claude_respond",
    description: "Send a follow-up to a Claude Code session",
    usage: "/claude_respond [--interrupt] <session> <message>",
    run: async (s, caller, args) => {
      const usage = "/claude_respond [--interrupt] <session> <message>";
      const { params, words, text } = readCommandLine(args, { booleans: { "--interrupt": "interrupt" } }, usage, { words: 1 });
      if (words.length < 1 || !text.trim()) throw invalid(`give the session and the message. Usage: ${usage}`);
      return respondText(await s.ops.respond(caller, { ...params, session: words[0], message: text }));
    },
  },
  {
    name: "claude_fg",
    description: "Stream a Claude Code session in this chat (with catch-up)",
    usage: "/claude_fg <session> [lines]",
    run: async (s, caller, args) => {
      const words = splitArgs(args);
      if (words.length < 1 || words.length > 2) throw invalid("usage: /claude_fg <session> [lines]");
      return fgText(s.ops.fg(caller, { session: words[0], ...(words[1] !== undefined ? { lines: words[1] } : {}) }));
    },
  },
  {
    name: "claude_bg",
    description: "Stop streaming a session here (all sessions if none given)",
    usage: "/claude_bg [session]",
    run: async (s, caller, args) => {
      const words = splitArgs(args);
      if (words.length > 1) throw invalid("usage: /claude_bg [session]");
      return bgText(s.ops.bg(caller, words[0] !== undefined ? { session: words[0] } : {}));
    },
  },
  {
    name: "claude_kill",
    description: "Kill a Claude Code session",
    usage: "/claude_kill <session>",
    run: async (s, caller, args) => {
      const words = splitArgs(args);
      if (words.length !== 1) throw invalid("usage: /claude_kill <session>");
      return killText((await s.ops.kill(caller, { session: words[0] })).session);
    },
  },
  {
    name: "claude_output",
    description: "Show a session's recent output",
    usage: "/claude_output <session> [lines] [--full]",
    run: async (s, caller, args) => {
      const words = splitArgs(args);
      const full = words.includes("--full");
      const rest = words.filter((w) => w !== "--full");
      if (rest.length < 1 || rest.length > 2 || rest.some((w) => w.startsWith("--"))) throw invalid("usage: /claude_output <session> [lines] [--full]");
      return outputText(s.ops.output(caller, { session: rest[0], full, ...(rest[1] !== undefined ? { lines: rest[1] } : {}) }));
    },
  },
  {
    name: "claude_sessions",
    description: "List Claude Code sessions",
    usage: `/claude_sessions [${LIST_STATUSES.join("|")}] [page]`,
    run: async (s, caller, args) => {
      const usage = `/claude_sessions [${LIST_STATUSES.join("|")}] [page]`;
      const words = splitArgs(args);
      const pageWord = words.length > 0 && /^\d+$/.test(words.at(-1)!) ? words.pop() : undefined;
      if (words.length > 1) throw invalid(`usage: ${usage}`);
      const status = words[0] ?? "all";
      const page = parsePage(pageWord, usage);
      const r = s.ops.list(caller, { status, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
      return listText(r, "sessions", () => `/claude_sessions ${status} ${page + 1}`);
    },
  },
  {
    name: "claude_resume",
    description: "Resume or fork an earlier Claude Code session; --list shows resumable ones",
    usage: "/claude_resume [--fork] <session> [prompt] | /claude_resume --list [page]",
    run: async (s, caller, args) => {
      const usage = "/claude_resume [--fork] <session> [prompt] | /claude_resume --list [page]";
      const { params, words, text } = readCommandLine(args, { booleans: { "--fork": "fork", "--list": "list" } }, usage, { words: 1 });
      if (params.list) {
        if (text || params.fork) throw invalid(`--list takes only a page number. Usage: ${usage}`);
        const page = parsePage(words[0], usage);
        const r = s.ops.list(caller, { resumable: true, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
        return listText(r, "resumable sessions", () => `/claude_resume --list ${page + 1}`);
      }
      if (words.length < 1) throw invalid(`name the session to resume. Usage: ${usage}`);
      return launchText(await s.ops.resume(caller, { session: words[0], fork: params.fork === true, ...(text.trim() ? { prompt: text } : {}) }));
    },
  },
  {
    name: "claude_allow",
    description: "Allow what a Claude Code session asks (once, or --session for the rest of the session); approves a plan",
    usage: "/claude_allow <request> [--session] | /claude_allow (lists waiting requests)",
    run: async (s, caller, args) => {
      const usage = "/claude_allow <request> [--session]";
      // No free text here, so --session may come before or after the id (buttons put it after).
      const words = splitArgs(args);
      const forSession = words.includes("--session");
      const rest = words.filter((w) => w !== "--session");
      const unknown = rest.find((w) => w.startsWith("--"));
      if (unknown) throw invalid(`unknown flag ${unknown} (known: --session). Usage: ${usage}`);
      if (rest.length === 0 && !forSession) return pendingText(s.ops.pending(caller, {}).requests);
      if (rest.length !== 1) throw invalid(`give one request id. Usage: ${usage}`);
      return permitText(s.ops.permit(caller, { request: rest[0], decision: forSession ? "allow_session" : "allow" }));
    },
  },
  {
    name: "claude_deny",
    description: "Deny what a Claude Code session asks, with an optional note Claude reads (--stop also ends its turn; for a plan: revise with a note, reject with --stop)",
    usage: "/claude_deny [--stop] <request> [note]",
    run: async (s, caller, args) => {
      const usage = "/claude_deny [--stop] <request> [note]";
      // --stop may also follow the id ("/claude_deny r7k2m --stop", as the reject button sends it).
      const stopFlag: FlagSpec = { booleans: { "--stop": "stop" } };
      const { params, words, text } = readCommandLine(args, stopFlag, usage, { words: 1, afterWords: stopFlag });
      if (words.length === 0) throw invalid(`give the request id. Usage: ${usage}`);
      return permitText(s.ops.permit(caller, { request: words[0], decision: "deny", stop: params.stop === true, ...(text.trim() ? { note: text } : {}) }));
    },
  },
  {
    name: "claude_answer",
    description: "Answer Claude Code's question: an option number or label, or your own words (several questions: separate answers with ;)",
    usage: "/claude_answer <request> <answer>[ ; <answer 2>]",
    run: async (s, caller, args) => {
      const usage = "/claude_answer <request> <answer>[ ; <answer 2>]";
      const { words, text } = readCommandLine(args, {}, usage, { words: 1 });
      if (words.length === 0 || !text.trim()) throw invalid(`give the request id and your answer. Usage: ${usage}`);
      // Only several questions split the text at ";": one question gets the answer as typed.
      const questions = s.ops.pending(caller, {}).requests.find((p) => p.request.id === words[0]!.toLowerCase())?.request.questions?.length ?? 1;
      const answers = questions > 1 ? text.split(";").map((a) => a.trim()) : [text];
      return permitText(s.ops.permit(caller, { request: words[0], decision: "answer", answers }));
    },
  },
  {
    name: "claude_nodes",
    description: "List the paired machines Claude Code sessions can run on (free slots, workdirs, sessions)",
    usage: "/claude_nodes",
    run: async (s, caller, args) => {
      if (splitArgs(args).length > 0) throw invalid("usage: /claude_nodes (no arguments)");
      return nodesText(await s.ops.listNodes(caller, {}));
    },
  },
  {
    name: "claude_stats",
    description: "Claude Code usage and costs",
    usage: "/claude_stats",
    run: async (s, caller, args) => {
      if (splitArgs(args).length > 0) throw invalid("usage: /claude_stats (no arguments)");
      return statsText(s.ops.stats(caller, {}));
    },
  },
  {
    name: "claude_finish",
    description: "Finish a worktree session: merge into its base branch, open a PR, keep it, or discard it (unmerged work is kept in a ref)",
    usage: `/claude_finish <session> <${FINISH_ACTIONS.join("|")}>`,
    run: async (s, caller, args) => {
      const usage = `/claude_finish <session> <${FINISH_ACTIONS.join("|")}>`;
      const words = splitArgs(args);
      if (words.length !== 2) throw invalid(`give the session and the action. Usage: ${usage}`);
      return finishText(await s.ops.finish(caller, { session: words[0], action: words[1] }));
    },
  },
];

const PAGE_SIZE = 20;

/** A 1-based page number from a chat command, 1 when absent. */
function parsePage(word: string | undefined, usage: string): number {
  if (word === undefined) return 1;
  const page = Number(word);
  if (!Number.isInteger(page) || page < 1 || page > 100_000) throw invalid(`page must be a whole number from 1, got "${word}". Usage: ${usage}`);
  return page;
}

/**
 * Where replies to this chat go. The host's own record of the conversation (the session's
 * delivery context) is authoritative; `from`/`to` mean different things on different channels
 * (a DM's `to` can be the bot itself), so they are only a fallback.
 */
export type ConversationResolver = (ctx: CommandContext) => Route | undefined;

export function commandCaller(ctx: CommandContext, resolveConversation: ConversationResolver): Caller {
  const channel = ctx.channelId ?? ctx.channel;
  return {
    kind: "operator",
    origin: "command",
    label: `user ${ctx.senderId ?? ctx.from ?? "unknown"} on ${channel}`,
    agentId: ctx.agentId,
    sessionKey: ctx.sessionKey,
    route: resolveConversation(ctx) ?? fallbackRoute(ctx),
  };
}

function fallbackRoute(ctx: CommandContext): Route | undefined {
  const channel = ctx.channelId ?? ctx.channel;
  const to = ctx.to && !ctx.to.startsWith(`${channel}:`) ? ctx.to : ctx.from;
  if (!channel || !to) return undefined;
  const route: Route = { channel, to };
  if (ctx.accountId) route.accountId = ctx.accountId;
  if (ctx.messageThreadId !== undefined && ctx.messageThreadId !== "") route.threadId = String(ctx.messageThreadId);
  return route;
}

/** Runs one command for a message; always answers with text, never throws. */
export async function runCommand(spec: CommandSpec, services: ServicesRef, ctx: CommandContext, resolveConversation: ConversationResolver): Promise<{ text: string }> {
  let live: PluginServices | undefined;
  try {
    // The host refuses unauthorized senders before the handler (requireAuth); if one ever gets
    // here, they are not an operator: nothing runs.
    if (ctx.isAuthorizedSender === false) {
      return { text: `⚠️ /${spec.name}: you are not allowed to control Claude Code sessions from this chat; ask the gateway's owner to add you to the channel's allow-list.` };
    }
    live = await services.ready();
    return { text: await spec.run(live, commandCaller(ctx, resolveConversation), ctx.args ?? "") };
  } catch (err) {
    const failure = toFailure(err, live?.logger ?? consoleLogger, `/${spec.name}`);
    return { text: `⚠️ ${failure.message}` };
  }
}

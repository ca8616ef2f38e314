// The chat commands (/claude, /claude_respond, …): parse the text after the command into the same
// parameters the tools take, call the operation, reply with the same rendering.
import type { Route } from "../config.ts";
import { invalid } from "../engine/index.ts";
import { LIST_STATUSES } from "../ops/inputs.ts";
import type { Caller } from "../ops/types.ts";
import { consoleLogger, toFailure } from "./errors.ts";
import { bgText, fgText, killText, launchText, listText, nodesText, outputText, pendingText, permitText, respondText, statsText } from "./present.ts";
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
}

export interface CommandSpec {
  name: string;
  description: string;
  usage: string;
  run: (services: PluginServices, caller: Caller, args: string) => Promise<string>;
}

/** Splits "a b 'c d' \"e\"" into words, honouring quotes. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] ?? m[3] ?? ""));
  return out;
}

interface FlagSpec {
  /** flag → parameter name; value flags take the next word. */
  values?: Record<string, string>;
  booleans?: Record<string, string>;
}

/**
 * Reads leading flags, then the rest. Flags must come before the positional text: a flag after
 * it is an error, not silently part of the prompt (use `--` to pass text that starts with `--`).
 */
export function parseFlags(words: string[], spec: FlagSpec, usage: string): { params: Record<string, unknown>; rest: string[] } {
  const params: Record<string, unknown> = {};
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (w === "--") {
      i++;
      break;
    }
    if (!w.startsWith("--")) break;
    const [flag, inline] = w.includes("=") ? [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)] : [w, undefined];
    const valueKey = spec.values?.[flag];
    const boolKey = spec.booleans?.[flag];
    if (valueKey) {
      const value = inline ?? words[++i];
      if (value === undefined || value === "") throw invalid(`${flag} needs a value. Usage: ${usage}`);
      params[valueKey] = value;
    } else if (boolKey) {
      params[boolKey] = true;
    } else {
      const known = [...Object.keys(spec.values ?? {}), ...Object.keys(spec.booleans ?? {})];
      throw invalid(`unknown flag ${flag}${known.length ? ` (known: ${known.join(", ")})` : ""}. Usage: ${usage}`);
    }
  }
  const rest = words.slice(i);
  const known = new Set([...Object.keys(spec.values ?? {}), ...Object.keys(spec.booleans ?? {})]);
  const misplaced = rest.find((w) => known.has(w.split("=")[0]!));
  if (misplaced && words[i - 1] !== "--") throw invalid(`flags go before the text: ${misplaced} came after it. Usage: ${usage}`);
  return { params, rest };
}

const LAUNCH_FLAGS: FlagSpec = {
  values: { "--name": "name", "--workdir": "workdir", "--model": "model", "--budget": "max_budget_usd", "--mode": "permission_mode", "--system": "system_prompt", "--tools": "allowed_tools", "--node": "node" },
  booleans: { "--once": "multi_turn_disabled" },
};

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "claude",
    description: "Launch a Claude Code session on a task",
    usage: "/claude [--name N] [--workdir DIR] [--model M] [--budget USD] [--mode MODE] [--system TEXT] [--tools LIST] [--node NODE] [--once] <prompt>",
    run: async (s, caller, args) => {
      const usage = "/claude [--name N] [--workdir DIR] [--model M] [--budget USD] [--mode MODE] [--system TEXT] [--tools LIST] [--node NODE] [--once] <prompt>";
      const { params, rest } = parseFlags(splitArgs(args), LAUNCH_FLAGS, usage);
      if (rest.length === 0) throw invalid(`say what Claude Code should do. Usage: ${usage}`);
      return launchText(await s.ops.launch(caller, { ...params, prompt: rest.join(" ") }));
    },
  },
  {
    name: "claude_respond",
    description: "Send a follow-up to a Claude Code session",
    usage: "/claude_respond [--interrupt] <session> <message>",
    run: async (s, caller, args) => {
      const usage = "/claude_respond [--interrupt] <session> <message>";
      const { params, rest } = parseFlags(splitArgs(args), { booleans: { "--interrupt": "interrupt" } }, usage);
      if (rest.length < 2) throw invalid(`give the session and the message. Usage: ${usage}`);
      return respondText(await s.ops.respond(caller, { ...params, session: rest[0], message: rest.slice(1).join(" ") }));
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
      const { params, rest } = parseFlags(splitArgs(args), { booleans: { "--fork": "fork", "--list": "list" } }, usage);
      if (params.list) {
        if (rest.length > 1 || params.fork) throw invalid(`--list takes only a page number. Usage: ${usage}`);
        const page = parsePage(rest[0], usage);
        const r = s.ops.list(caller, { resumable: true, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
        return listText(r, "resumable sessions", () => `/claude_resume --list ${page + 1}`);
      }
      if (rest.length < 1) throw invalid(`name the session to resume. Usage: ${usage}`);
      const prompt = rest.slice(1).join(" ");
      return launchText(await s.ops.resume(caller, { session: rest[0], fork: params.fork === true, ...(prompt ? { prompt } : {}) }));
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
      const words = splitArgs(args);
      // --stop may also follow the id ("/claude_deny r7k2m --stop", as the reject button sends it).
      const stopAfterId = words[1] === "--stop";
      if (stopAfterId) words.splice(1, 1);
      const { params, rest } = parseFlags(words, { booleans: { "--stop": "stop" } }, usage);
      if (rest.length === 0) throw invalid(`give the request id. Usage: ${usage}`);
      const note = rest.slice(1).join(" ");
      const stop = params.stop === true || stopAfterId;
      return permitText(s.ops.permit(caller, { request: rest[0], decision: "deny", stop, ...(note ? { note } : {}) }));
    },
  },
  {
    name: "claude_answer",
    description: "Answer Claude Code's question: an option number or label, or your own words (several questions: separate answers with ;)",
    usage: "/claude_answer <request> <answer>[ ; <answer 2>]",
    run: async (s, caller, args) => {
      const usage = "/claude_answer <request> <answer>[ ; <answer 2>]";
      const trimmed = args.trim();
      const space = trimmed.search(/\s/);
      if (space < 0) throw invalid(`give the request id and your answer. Usage: ${usage}`);
      const answers = trimmed.slice(space + 1).split(";").map((a) => a.trim());
      return permitText(s.ops.permit(caller, { request: trimmed.slice(0, space), decision: "answer", answers }));
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
    live = services.get();
    return { text: await spec.run(live, commandCaller(ctx, resolveConversation), ctx.args ?? "") };
  } catch (err) {
    const failure = toFailure(err, live?.logger ?? consoleLogger, `/${spec.name}`);
    return { text: `⚠️ ${failure.message}` };
  }
}

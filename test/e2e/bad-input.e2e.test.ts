// Bad input on every surface of a real gateway (tools through /tools/invoke, chat commands from a
// test-channel user, RPC over the operator WebSocket), table by table: each answer is a clear
// one-line reason (with a stable code over RPC), and nothing changes: the sessions, the stats and
// what the model was asked are the same after the tables, and the gateway still launches.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPluginGateway, type PluginGateway } from "./support/plugin-gateway.ts";

interface SessionView {
  id: string;
  name: string;
  state: string;
  lastSeq: number;
  turns: number;
  costUsd: number;
  waitingFor?: string;
}

interface Dirs {
  /** The only allowed workdir tree (allowedWorkdirs). */
  allowed: string;
  /** An existing directory outside it. */
  outside: string;
  /** A file inside the allowed tree. */
  file: string;
}

type Params = Record<string, unknown>;

interface Case<T> {
  name: string;
  input: (d: Dirs) => T;
  expect: RegExp;
}

interface RpcCase extends Case<{ method: string; params: unknown }> {
  code: string;
}

const MAX_SESSIONS = 2;
const TOO_LONG_PROMPT = "x".repeat(100_001);
const LONG_NAME = "n".repeat(49);
const PROMPT = "say hello";
/** Not a stack trace, not a file location. */
const NO_INTERNALS = /\n|\bat .+:\d+|\.(ts|js|mjs):\d+|Internal error/;

const dirs: Dirs = { allowed: "", outside: "", file: "" };
let p: PluginGateway;
let before: { sessions: SessionView[]; stats: unknown; modelRequests: number; pids: number[] };

beforeAll(async () => {
  dirs.allowed = mkdtempSync(path.join(tmpdir(), "cc-bad-input-allowed-"));
  dirs.outside = mkdtempSync(path.join(tmpdir(), "cc-bad-input-outside-"));
  dirs.file = path.join(dirs.allowed, "a-file.txt");
  writeFileSync(dirs.file, "not a directory\n");
  p = await startPluginGateway({
    label: "bad-input",
    lockTimeoutMs: 360_000,
    // No launch queue: a launch beyond maxSessions is refused, which is what these tables check.
    pluginConfig: { skipSafetyChecks: true, maxSessions: MAX_SESSIONS, maxQueuedSessions: 0, allowedWorkdirs: [dirs.allowed] },
  });
  // The sessions the tables aim at, owned by the agent "main" so that its tools can see them:
  // one finished, two live and waiting (the limit, so no case can start a session by mistake).
  await launch({ prompt: "say done", name: "done-one", multi_turn_disabled: true });
  await waitForSession("done-one", (s) => s.state === "completed");
  await launch({ prompt: "say one", name: "live-one" });
  await launch({ prompt: "say two", name: "live-two" });
  await waitForSession("live-one", (s) => s.state === "waiting" && s.waitingFor === "input");
  await waitForSession("live-two", (s) => s.state === "waiting" && s.waitingFor === "input");
  before = await snapshot();
}, 420_000);

afterAll(async () => {
  await p?.close();
  for (const dir of [dirs.allowed, dirs.outside]) if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function launch(args: Params): Promise<void> {
  const r = await p.gw.invokeTool("claude_launch", { workdir: dirs.allowed, permission_mode: "bypassPermissions", ...args });
  if (!r.ok) throw new Error(`launch ${JSON.stringify(args)} failed: ${JSON.stringify(r.body)}`);
}

async function sessions(): Promise<SessionView[]> {
  return (await p.gw.rpc<{ sessions: SessionView[] }>("claude-code.sessions", { limit: 500 })).sessions;
}

async function waitForSession(name: string, match: (s: SessionView) => boolean, timeoutMs = 60_000): Promise<SessionView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = (await sessions()).find((x) => x.name === name);
    if (s && match(s)) return s;
    if (Date.now() > deadline) throw new Error(`session ${name} not as expected after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function snapshot(): Promise<typeof before> {
  const list = (await sessions()).map(({ id, name, state, lastSeq, turns, costUsd, waitingFor }) => ({ id, name, state, lastSeq, turns, costUsd, waitingFor }));
  const { stats } = await p.gw.rpc<{ stats: Record<string, unknown> }>("claude-code.stats", {});
  return { sessions: list, stats, modelRequests: p.claude.requests.length, pids: p.claudePids().sort() };
}

const launchArgs = (extra: Params) => (d: Dirs): Params => ({ prompt: PROMPT, workdir: d.allowed, ...extra });
const toolLaunch = (extra: Params) => (d: Dirs) => ({ tool: "claude_launch", args: launchArgs(extra)(d) });

const TOOL_CASES: ReadonlyArray<Case<{ tool: string; args: Params; conversation?: boolean }>> = [
  { name: "launch without a prompt", input: () => ({ tool: "claude_launch", args: {} }), expect: /^launch: "prompt" is required \(what Claude Code should do\)$/ },
  { name: "launch with an empty prompt", input: toolLaunch({ prompt: "" }), expect: /"prompt" is empty: give what Claude Code should do/ },
  { name: "launch with a blank prompt", input: toolLaunch({ prompt: "   \n " }), expect: /"prompt" is empty/ },
  { name: "launch with a number for the prompt", input: () => ({ tool: "claude_launch", args: { prompt: 42 } }), expect: /"prompt" must be a string, got number 42/ },
  { name: "launch with an oversized prompt", input: toolLaunch({ prompt: TOO_LONG_PROMPT }), expect: /"prompt" is 100001 characters long; the limit is 100000/ },
  { name: "launch with a non-numeric budget", input: toolLaunch({ max_budget_usd: "lots" }), expect: /"max_budget_usd" must be a number, got "lots"/ },
  { name: "launch with a negative budget", input: toolLaunch({ max_budget_usd: -1 }), expect: /"max_budget_usd" must be between 0.01 and 10000, got -1/ },
  { name: "launch with a zero budget", input: toolLaunch({ max_budget_usd: 0 }), expect: /"max_budget_usd" must be between 0.01 and 10000, got 0/ },
  { name: "launch with an object for the name", input: toolLaunch({ name: { first: "x" } }), expect: /"name" must be a string, got an object/ },
  { name: "launch with an emoji in the name", input: toolLaunch({ name: "🚀rocket" }), expect: /name "🚀rocket" may contain only letters a-z, digits/ },
  { name: "launch with a name too long", input: toolLaunch({ name: LONG_NAME }), expect: /name is 49 characters long; the limit is 48/ },
  { name: "launch with an unknown permission mode", input: toolLaunch({ permission_mode: "yolo" }), expect: /"permission_mode" must be one of default, plan, acceptEdits, bypassPermissions, got "yolo"/ },
  { name: "launch with an unknown parameter", input: toolLaunch({ colour: "red" }), expect: /unknown parameter "colour"; accepted: prompt, name, workdir/ },
  { name: "launch in a missing workdir", input: (d) => toolLaunch({ workdir: path.join(d.allowed, "missing") })(d), expect: /workdir .*missing does not exist; create it or choose an existing directory/ },
  { name: "launch in a file", input: (d) => toolLaunch({ workdir: d.file })(d), expect: /workdir .*a-file\.txt is a file, not a directory/ },
  { name: "launch in a relative workdir", input: toolLaunch({ workdir: "relative/dir" }), expect: /"workdir" must be an absolute path, got "relative\/dir"/ },
  { name: "launch outside allowedWorkdirs", input: (d) => toolLaunch({ workdir: d.outside })(d), expect: /is outside allowedWorkdirs \(.*\); choose a directory inside one of them/ },
  { name: "launch with a list of numbers for allowed_tools", input: toolLaunch({ allowed_tools: [1] }), expect: /"allowed_tools\[0\]" must be a non-empty string/ },
  { name: "launch with a non-boolean multi_turn_disabled", input: toolLaunch({ multi_turn_disabled: "maybe" }), expect: /"multi_turn_disabled" must be true or false, got "maybe"/ },
  { name: "fork without resume", input: toolLaunch({ fork_session: true }), expect: /fork_session needs resume_session_id/ },
  { name: "resume an unknown session", input: () => ({ tool: "claude_launch", args: { prompt: PROMPT, resume_session_id: "no-such-session" } }), expect: /No session of yours to resume matches "no-such-session"/ },
  { name: "resume a live session", input: () => ({ tool: "claude_launch", args: { prompt: PROMPT, resume_session_id: "live-one" } }), expect: /"live-one" \([a-z2-9]{8}\) is still live: send it a message instead, or kill it first to resume or fork it/ },
  { name: "launch over maxSessions (names the live sessions)", input: toolLaunch({}), expect: /2 sessions are running, the limit is 2: (live-(one|two) \([a-z2-9]{8}, waiting\)(, )?){2}\. Kill or finish one, or raise maxSessions/ },
  { name: "respond to a finished session", input: () => ({ tool: "claude_respond", args: { session: "done-one", message: "hello" } }), expect: /"done-one" \([a-z2-9]{8}\) has ended \(completed: .*\); cannot send a message to it\. Resume it/ },
  { name: "interrupt a session that waits for input", input: () => ({ tool: "claude_respond", args: { session: "live-one", message: "hello", interrupt: true } }), expect: /"live-one" \([a-z2-9]{8}\) is waiting for input: there is no turn to interrupt\. Send the message without interrupt/ },
  { name: "respond without a message", input: () => ({ tool: "claude_respond", args: { session: "live-one" } }), expect: /"message" is required \(the message to send\)/ },
  { name: "respond with a number for the message", input: () => ({ tool: "claude_respond", args: { session: "live-one", message: 5 } }), expect: /"message" must be a string, got number 5/ },
  { name: "respond to an unknown session", input: () => ({ tool: "claude_respond", args: { session: "nope", message: "hello" } }), expect: /^No session of yours matches "nope"\. Use claude_sessions to list your sessions\.$/ },
  { name: "respond with a non-boolean interrupt", input: () => ({ tool: "claude_respond", args: { session: "live-one", message: "hello", interrupt: "yes" } }), expect: /"interrupt" must be true or false, got "yes"/ },
  { name: "kill a finished session", input: () => ({ tool: "claude_kill", args: { session: "done-one" } }), expect: /"done-one" \([a-z2-9]{8}\) has already ended \(completed: .*\); there is nothing to kill/ },
  { name: "kill without a session", input: () => ({ tool: "claude_kill", args: {} }), expect: /"session" is required \(a session id, name or Claude session UUID\)/ },
  { name: "output with zero lines", input: () => ({ tool: "claude_output", args: { session: "live-one", lines: 0 } }), expect: /"lines" must be between 1 and 5000, got 0/ },
  { name: "output with a billion lines", input: () => ({ tool: "claude_output", args: { session: "live-one", lines: 1e9 } }), expect: /"lines" must be between 1 and 5000, got 1000000000/ },
  { name: "output with a fraction of a line", input: () => ({ tool: "claude_output", args: { session: "live-one", lines: 2.5 } }), expect: /"lines" must be a whole number, got 2.5/ },
  { name: "sessions with an unknown status", input: () => ({ tool: "claude_sessions", args: { status: "zombie" } }), expect: /"status" must be one of all, queued, running, waiting, completed, failed, killed, interrupted, got "zombie"/ },
  { name: "stats with a parameter", input: () => ({ tool: "claude_stats", args: { verbose: true } }), expect: /unknown parameter "verbose"; accepted: none/ },
  { name: "fg from no conversation", input: () => ({ tool: "claude_fg", args: { session: "live-one" } }), expect: /works per conversation, and this call came from none/ },
  { name: "fg with negative lines", input: () => ({ tool: "claude_fg", args: { session: "live-one", lines: -3 }, conversation: true }), expect: /"lines" must be between 1 and 500, got -3/ },
  { name: "bg of an unknown session", input: () => ({ tool: "claude_bg", args: { session: "nope" }, conversation: true }), expect: /No session of yours matches "nope"/ },
];

const COMMAND_CASES: ReadonlyArray<Case<string>> = [
  { name: "/claude with nothing", input: () => "/claude", expect: /say what Claude Code should do\. Usage: \/claude \[--name N\]/ },
  { name: "/claude with a flag after the prompt", input: () => "/claude hello --name x", expect: /flags go before the text: --name came after it/ },
  { name: "/claude with an unknown flag", input: () => "/claude --colour red do it", expect: /unknown flag --colour \(known: --name, --workdir/ },
  { name: "/claude with a flag missing its value", input: () => "/claude --name", expect: /--name needs a value/ },
  { name: "/claude with an emoji name", input: (d) => `/claude --workdir ${d.allowed} --name 🚀rocket do it`, expect: /name "🚀rocket" may contain only letters/ },
  { name: "/claude with a name too long", input: (d) => `/claude --workdir ${d.allowed} --name ${LONG_NAME} do it`, expect: /name is 49 characters long; the limit is 48/ },
  { name: "/claude with a non-numeric budget", input: (d) => `/claude --workdir ${d.allowed} --budget lots do it`, expect: /"max_budget_usd" must be a number, got "lots"/ },
  { name: "/claude with a negative budget", input: (d) => `/claude --workdir ${d.allowed} --budget -5 do it`, expect: /"max_budget_usd" must be between 0.01 and 10000, got -5/ },
  { name: "/claude with a zero budget", input: (d) => `/claude --workdir ${d.allowed} --budget 0 do it`, expect: /"max_budget_usd" must be between 0.01 and 10000, got 0/ },
  { name: "/claude with an unknown mode", input: (d) => `/claude --workdir ${d.allowed} --mode yolo do it`, expect: /"permission_mode" must be one of default, plan, acceptEdits, bypassPermissions, got "yolo"/ },
  { name: "/claude in a missing workdir", input: (d) => `/claude --workdir ${path.join(d.allowed, "missing")} do it`, expect: /does not exist; create it or choose an existing directory/ },
  { name: "/claude in a relative workdir", input: () => "/claude --workdir relative/dir do it", expect: /"workdir" must be an absolute path, got "relative\/dir"/ },
  { name: "/claude outside allowedWorkdirs", input: (d) => `/claude --workdir ${d.outside} do it`, expect: /is outside allowedWorkdirs/ },
  { name: "/claude in a file", input: (d) => `/claude --workdir ${d.file} do it`, expect: /is a file, not a directory/ },
  { name: "/claude over maxSessions (names the live sessions)", input: (d) => `/claude --workdir ${d.allowed} do something`, expect: /2 sessions are running, the limit is 2: .*live-(one|two).*live-(one|two).*Kill or finish one/ },
  { name: "/claude_respond with nothing", input: () => "/claude_respond", expect: /give the session and the message\. Usage: \/claude_respond/ },
  { name: "/claude_respond without a message", input: () => "/claude_respond live-one", expect: /give the session and the message/ },
  { name: "/claude_respond to an unknown session", input: () => "/claude_respond nope hello", expect: /No session matches "nope"; known sessions: .*live-one.*\. Use a session id, name or Claude session UUID/ },
  { name: "/claude_respond to a finished session", input: () => "/claude_respond done-one hello", expect: /has ended \(completed: .*\); cannot send a message to it/ },
  { name: "/claude_respond --interrupt to a waiting session", input: () => "/claude_respond --interrupt live-one hello", expect: /is waiting for input: there is no turn to interrupt/ },
  { name: "/claude_respond with the flag after the session", input: () => "/claude_respond live-one --interrupt hello", expect: /flags go before the text: --interrupt came after it/ },
  { name: "/claude_kill with nothing", input: () => "/claude_kill", expect: /usage: \/claude_kill <session>/ },
  { name: "/claude_kill of a finished session", input: () => "/claude_kill done-one", expect: /has already ended \(completed: .*\); there is nothing to kill/ },
  { name: "/claude_kill of two sessions", input: () => "/claude_kill live-one live-two", expect: /usage: \/claude_kill <session>/ },
  { name: "/claude_output with nothing", input: () => "/claude_output", expect: /usage: \/claude_output <session> \[lines\] \[--full\]/ },
  { name: "/claude_output with zero lines", input: () => "/claude_output live-one 0", expect: /"lines" must be between 1 and 5000, got 0/ },
  { name: "/claude_output with a billion lines", input: () => "/claude_output live-one 1000000000", expect: /"lines" must be between 1 and 5000, got 1000000000/ },
  { name: "/claude_output with words for lines", input: () => "/claude_output live-one many", expect: /"lines" must be a number, got "many"/ },
  { name: "/claude_output with an unknown flag", input: () => "/claude_output live-one --tail", expect: /usage: \/claude_output/ },
  { name: "/claude_sessions with an unknown status", input: () => "/claude_sessions zombie", expect: /"status" must be one of all, queued, running/ },
  { name: "/claude_sessions with two filters", input: () => "/claude_sessions running waiting", expect: /usage: \/claude_sessions \[all\|queued\|running/ },
  { name: "/claude_resume with nothing", input: () => "/claude_resume", expect: /name the session to resume\. Usage: \/claude_resume/ },
  { name: "/claude_resume of a live session", input: () => "/claude_resume live-one", expect: /is still live: send it a message instead, or kill it first to resume or fork it/ },
  { name: "/claude_resume of an unknown session", input: () => "/claude_resume nope", expect: /No session to resume matches "nope"/ },
  { name: "/claude_resume --list with a session instead of a page", input: () => "/claude_resume --list done-one", expect: /page must be a whole number from 1, got "done-one"/ },
  { name: "/claude_resume --list with --fork", input: () => "/claude_resume --fork --list", expect: /--list takes only a page number/ },
  { name: "/claude_resume --fork without a session", input: () => "/claude_resume --fork", expect: /name the session to resume/ },
  { name: "/claude_stats with an argument", input: () => "/claude_stats now", expect: /usage: \/claude_stats \(no arguments\)/ },
  { name: "/claude_fg with nothing", input: () => "/claude_fg", expect: /usage: \/claude_fg <session> \[lines\]/ },
  { name: "/claude_fg of an unknown session", input: () => "/claude_fg nope", expect: /No session matches "nope"/ },
  { name: "/claude_fg with negative lines", input: () => "/claude_fg live-one -1", expect: /"lines" must be between 1 and 500, got -1/ },
  { name: "/claude_bg of two sessions", input: () => "/claude_bg live-one live-two", expect: /usage: \/claude_bg \[session\]/ },
  { name: "/claude_bg of an unknown session", input: () => "/claude_bg nope", expect: /No session matches "nope"/ },
];

const rpc = (method: string, params: unknown) => () => ({ method: `claude-code.${method}`, params });
const rpcLaunch = (extra: Params) => (d: Dirs) => ({ method: "claude-code.launch", params: launchArgs(extra)(d) });

const RPC_CASES: readonly RpcCase[] = [
  { name: "launch without a prompt", input: rpc("launch", {}), code: "INVALID_ARGUMENT", expect: /"prompt" is required/ },
  { name: "launch with an empty prompt", input: rpcLaunch({ prompt: "" }), code: "INVALID_ARGUMENT", expect: /"prompt" is empty/ },
  { name: "launch with a number for the prompt", input: rpcLaunch({ prompt: 42 }), code: "INVALID_ARGUMENT", expect: /"prompt" must be a string, got number 42/ },
  { name: "launch with an oversized prompt", input: rpcLaunch({ prompt: TOO_LONG_PROMPT }), code: "INVALID_ARGUMENT", expect: /the limit is 100000/ },
  { name: "launch with a list for parameters", input: rpc("launch", ["say hello"]), code: "INVALID_ARGUMENT", expect: /launch: parameters must be an object, got a list/ },
  { name: "launch with a non-numeric budget", input: rpcLaunch({ max_budget_usd: "lots" }), code: "INVALID_ARGUMENT", expect: /"max_budget_usd" must be a number, got "lots"/ },
  { name: "launch with a negative budget", input: rpcLaunch({ max_budget_usd: -0.5 }), code: "INVALID_ARGUMENT", expect: /between 0.01 and 10000, got -0.5/ },
  { name: "launch with a zero budget", input: rpcLaunch({ max_budget_usd: 0 }), code: "INVALID_ARGUMENT", expect: /between 0.01 and 10000, got 0/ },
  { name: "launch with an object for the name", input: rpcLaunch({ name: { a: 1 } }), code: "INVALID_ARGUMENT", expect: /"name" must be a string, got an object/ },
  { name: "launch with an emoji in the name", input: rpcLaunch({ name: "fix-🐛" }), code: "INVALID_ARGUMENT", expect: /name "fix-🐛" may contain only letters/ },
  { name: "launch with a name too long", input: rpcLaunch({ name: LONG_NAME }), code: "INVALID_ARGUMENT", expect: /name is 49 characters long; the limit is 48/ },
  { name: "launch with an unknown permission mode", input: rpcLaunch({ permission_mode: "auto" }), code: "INVALID_ARGUMENT", expect: /"permission_mode" must be one of default, plan, acceptEdits, bypassPermissions, got "auto"/ },
  { name: "launch with an unknown parameter", input: rpcLaunch({ timeout: 5 }), code: "INVALID_ARGUMENT", expect: /unknown parameter "timeout"/ },
  { name: "launch in a missing workdir", input: (d) => rpcLaunch({ workdir: path.join(d.allowed, "missing") })(d), code: "INVALID_ARGUMENT", expect: /does not exist/ },
  { name: "launch in a file", input: (d) => rpcLaunch({ workdir: d.file })(d), code: "INVALID_ARGUMENT", expect: /is a file, not a directory/ },
  { name: "launch in a relative workdir", input: rpcLaunch({ workdir: "./src" }), code: "INVALID_ARGUMENT", expect: /"workdir" must be an absolute path, got "\.\/src"/ },
  { name: "launch outside allowedWorkdirs", input: (d) => rpcLaunch({ workdir: d.outside })(d), code: "FORBIDDEN", expect: /is outside allowedWorkdirs/ },
  { name: "fork without resume", input: rpcLaunch({ fork_session: true }), code: "INVALID_ARGUMENT", expect: /fork_session needs resume_session_id/ },
  { name: "launch over maxSessions (names the live sessions)", input: rpcLaunch({}), code: "LIMIT_REACHED", expect: /2 sessions are running, the limit is 2: .*live-(one|two).*live-(one|two)/ },
  { name: "resume a live session", input: rpc("resume", { session: "live-one" }), code: "INVALID_ARGUMENT", expect: /is still live: send it a message instead, or kill it first to resume or fork it/ },
  { name: "resume an unknown session", input: rpc("resume", { session: "nope" }), code: "NOT_FOUND", expect: /No session to resume matches "nope"/ },
  { name: "resume without a session", input: rpc("resume", {}), code: "INVALID_ARGUMENT", expect: /"session" is required/ },
  { name: "resume with a non-boolean fork", input: rpc("resume", { session: "done-one", fork: "sure" }), code: "INVALID_ARGUMENT", expect: /"fork" must be true or false, got "sure"/ },
  { name: "respond to a finished session", input: rpc("respond", { session: "done-one", message: "hello" }), code: "NOT_RUNNING", expect: /has ended \(completed: .*\); cannot send a message to it/ },
  { name: "interrupt a session that waits for input", input: rpc("respond", { session: "live-one", message: "hello", interrupt: true }), code: "NOT_RUNNING", expect: /there is no turn to interrupt/ },
  { name: "respond to an unknown session", input: rpc("respond", { session: "nope", message: "hello" }), code: "NOT_FOUND", expect: /No session matches "nope"; known sessions:/ },
  { name: "respond without a message", input: rpc("respond", { session: "live-one" }), code: "INVALID_ARGUMENT", expect: /"message" is required/ },
  { name: "respond with an empty message", input: rpc("respond", { session: "live-one", message: "  " }), code: "INVALID_ARGUMENT", expect: /"message" is empty/ },
  { name: "kill with session and id naming different sessions", input: rpc("kill", { session: "live-one", id: "done-one" }), code: "INVALID_ARGUMENT", expect: /kill: "session" and "id" are two names of one parameter and give different values \("live-one", "done-one"\); give one of them/ },
  { name: "kill with an empty ref", input: rpc("kill", { session: "" }), code: "INVALID_ARGUMENT", expect: /"session" is empty: give a session id, name or Claude session UUID/ },
  { name: "kill with a number for the ref", input: rpc("kill", { session: 7 }), code: "INVALID_ARGUMENT", expect: /"session" must be a string, got number 7/ },
  { name: "kill with an oversized ref", input: rpc("kill", { session: "s".repeat(201) }), code: "INVALID_ARGUMENT", expect: /"session" is 201 characters long; the limit is 200/ },
  { name: "output with zero lines", input: rpc("output", { session: "live-one", lines: 0 }), code: "INVALID_ARGUMENT", expect: /"lines" must be between 1 and 5000, got 0/ },
  { name: "output with a billion lines", input: rpc("output", { session: "live-one", lines: 1e9 }), code: "INVALID_ARGUMENT", expect: /"lines" must be between 1 and 5000/ },
  { name: "output with a non-boolean full", input: rpc("output", { session: "live-one", full: "yes" }), code: "INVALID_ARGUMENT", expect: /"full" must be true or false, got "yes"/ },
  { name: "sessions with an unknown status", input: rpc("sessions", { status: "zombie" }), code: "INVALID_ARGUMENT", expect: /"status" must be one of all, queued, running/ },
  { name: "sessions with a zero limit", input: rpc("sessions", { limit: 0 }), code: "INVALID_ARGUMENT", expect: /"limit" must be between 1 and 500, got 0/ },
  { name: "sessions with a negative offset", input: rpc("sessions", { offset: -1 }), code: "INVALID_ARGUMENT", expect: /"offset" must be between 0 and/ },
  { name: "stats with a parameter", input: rpc("stats", { verbose: true }), code: "INVALID_ARGUMENT", expect: /unknown parameter "verbose"; accepted: none/ },
];

function checkMessage(message: string, pattern: RegExp): void {
  expect(message).toMatch(pattern);
  expect(message).not.toMatch(NO_INTERNALS);
}

describe("bad input changes nothing and is answered with a clear reason", () => {
  it.each(TOOL_CASES.map((c) => [c.name, c] as const))("tool: %s", async (_name, c) => {
    const { tool, args, conversation } = c.input(dirs);
    const headers = conversation ? { "x-openclaw-message-channel": "test-channel", "x-openclaw-message-to": "alice" } : undefined;
    const r = await p.gw.invokeTool(tool, args, headers ? { headers } : {});
    expect(r.ok, JSON.stringify(r.body).slice(0, 500)).toBe(false);
    // 400 for input, 403 for a refused workdir; never the host's "tool execution failed" 500.
    expect([400, 403]).toContain(r.status);
    checkMessage(r.error?.message ?? "", c.expect);
  }, 30_000);

  it.each(COMMAND_CASES.map((c) => [c.name, c] as const))("command: %s", async (_name, c) => {
    const reply = await p.command("alice", c.input(dirs));
    expect(reply.startsWith("⚠️ "), reply).toBe(true);
    checkMessage(reply.slice("⚠️ ".length), c.expect);
  }, 30_000);

  it.each(RPC_CASES.map((c) => [c.name, c] as const))("rpc: %s", async (_name, c) => {
    const { method, params } = c.input(dirs);
    const r = await p.gw.rpcRaw(method, params);
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe(c.code);
    checkMessage(r.error?.message ?? "", c.expect);
  }, 30_000);

  it("rpc: fg and bg are per conversation and have no RPC method", async () => {
    for (const method of ["claude-code.fg", "claude-code.bg"]) {
      const r = await p.gw.rpcRaw(method, { session: "live-one" });
      expect(r.ok, method).toBe(false);
      expect(r.error?.message, method).toMatch(/unknown method/i);
    }
  }, 30_000);

  it("after all the tables: the same sessions, stats and model requests, no new process; the gateway still launches", async () => {
    expect(TOOL_CASES.length).toBeGreaterThanOrEqual(25);
    expect(COMMAND_CASES.length).toBeGreaterThanOrEqual(25);
    expect(RPC_CASES.length).toBeGreaterThanOrEqual(25);
    expect(await snapshot()).toEqual(before);
    expect(p.gw.running).toBe(true);
    expect((await fetch(`${p.gw.url}/readyz`)).status).toBe(200);

    await p.gw.rpc("claude-code.kill", { session: "live-two" });
    const after = p.gw.outbound().length;
    const reply = await p.command("alice", `/claude --once --name still-works --workdir ${dirs.allowed} create a file named ok.txt containing fine`);
    expect(reply).toMatch(/↩️ Claude Code session still-works \[[a-z2-9]{8}\] launched/);
    await p.waitForText("alice", /✅ still-works \[[a-z2-9]{8}\] completed/, 60_000, after);
    await p.gw.rpc("claude-code.kill", { session: "live-one" });
    const deadline = Date.now() + 15_000;
    while (p.claudePids().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(p.claudePids()).toEqual([]);
  }, 120_000);
});

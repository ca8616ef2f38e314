// Every surface in one real gateway (two agents, the real Claude Code CLI, the offline model):
// RPC over the operator WebSocket and its scopes, the tools through /tools/invoke and in a real
// agent turn woken by the plugin, ownership between agents, the auto-reply limit, permissionMode
// from the config, what the host's loader sees, the community plugin's RPC payload contract, and
// prompts typed in chat reaching Claude Code byte for byte.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasToolResult, lastUserText, messageText, type MockChatRequest } from "./fixtures/mock-openai/server.ts";
import type { ToolInvokeResult } from "./harness/gateway.ts";
import { connectGatewayWs } from "./harness/ws-client.ts";
import { COMMUNITY_RPC, contractProblems, type CommunityMethod } from "./support/community-rpc.ts";
import { PLUGIN_ID, startPluginGateway, type PluginGateway } from "./support/plugin-gateway.ts";

interface SessionView {
  id: string;
  name: string;
  state: string;
  reason?: string;
  workdir: string;
  permissionMode: string;
  costUsd: number;
  turns: number;
  claudeSessionId?: string;
  agentId?: string;
  createdAt: string;
  endedAt?: string;
  durationMs: number;
  lastSeq: number;
  waitingFor?: string;
  pending?: Array<{ tool: string }>;
  resumedFrom?: { sessionId?: string; claudeSessionId: string; fork: boolean };
}

interface EntryView {
  seq: number;
  kind: string;
  text: string;
  at: string;
  tool?: string;
}

interface ToolResultView {
  content: Array<{ type: string; text: string }>;
  details: Record<string, unknown>;
}

interface StatsView {
  launched: number;
  live: number;
  byStatus: Record<string, number>;
  totalCostUsd: number;
}

const TOOLS = ["claude_launch", "claude_respond", "claude_fg", "claude_bg", "claude_kill", "claude_output", "claude_sessions", "claude_stats"];
const COMMANDS = ["claude", "claude_respond", "claude_fg", "claude_bg", "claude_kill", "claude_output", "claude_sessions", "claude_resume", "claude_stats"];
const RPC = ["launch", "respond", "kill", "resume", "output", "sessions", "stats"].map((m) => `claude-code.${m}`);
const SESSION_ID = /^[a-z2-9]{8}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The conversation a tool call is made from (the host derives the tool's deliveryContext from these). */
const FROM_ALICE = { "x-openclaw-message-channel": "test-channel", "x-openclaw-message-to": "alice" };

let p: PluginGateway;

beforeAll(async () => {
  p = await startPluginGateway({
    label: "surfaces",
    lockTimeoutMs: 1_800_000,
    // A config value every launch without its own mode must honour, and the ceiling for agents'
    // launches (read-only commands such as echo still run unasked); operators may pass any mode.
    pluginConfig: { skipSafetyChecks: true, maxAutoResponds: 2, permissionMode: "default" },
    agents: { entries: { main: { default: true }, beta: {} } },
  });
}, 1_860_000);

afterAll(async () => {
  await p?.close();
}, 60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function sessions(): Promise<SessionView[]> {
  return (await p.gw.rpc<{ sessions: SessionView[] }>("claude-code.sessions", { limit: 500 })).sessions;
}

/** Polls the operator's session list (RPC pushes no session events) until `ref` matches. */
async function waitForSession(ref: string, what: string, match: (s: SessionView) => boolean, timeoutMs = 60_000): Promise<SessionView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = (await sessions()).find((x) => x.id === ref || x.name === ref);
    if (s && match(s)) return s;
    if (Date.now() > deadline) throw new Error(`session ${ref} is not ${what} after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await sleep(100);
  }
}

/** Claude finished its turn and waits for the next message. */
const waitForInput = (ref: string) => waitForSession(ref, "waiting for input", (s) => s.state === "waiting" && s.waitingFor === "input");

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** A tool call through POST /tools/invoke as `agentId`; throws unless the tool succeeded. */
async function tool(agentId: string, name: string, args: Record<string, unknown>, headers?: Record<string, string>): Promise<ToolResultView> {
  const r = await p.gw.invokeTool(name, args, { agentId, ...(headers ? { headers } : {}) });
  if (!r.ok) throw new Error(`${name} as ${agentId} failed: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.result as ToolResultView;
}

async function toolRefusal(agentId: string, name: string, args: Record<string, unknown>): Promise<ToolInvokeResult & { message: string }> {
  const r = await p.gw.invokeTool(name, args, { agentId });
  expect(r.ok, `${name} ${JSON.stringify(args)} should fail`).toBe(false);
  return { ...r, message: r.error?.message ?? "" };
}

function session(result: ToolResultView): SessionView {
  return result.details.session as SessionView;
}

function claudeRequestsWith(marker: string) {
  return p.claude.requests.filter((r) => r.kind === "conversation" && (r.lastUserText ?? "").includes(marker));
}

/** The text of the newest message of an agent-model request: OpenClaw's context block, where wake events arrive. */
function newestMessageText(r: MockChatRequest): string {
  return messageText(r.messages[r.messages.length - 1]);
}

describe("surfaces in a real gateway", () => {
  it("the host's loader lists the eight tools, the nine commands, the RPC methods and the service", async () => {
    const inspect = await p.gw.cli(["plugins", "inspect", PLUGIN_ID, "--runtime", "--json"], { timeoutMs: 150_000 });
    expect(inspect.code, inspect.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(inspect.stdout) as {
      plugin: { status: string; toolNames: string[]; services: string[] };
      commands: string[];
      gatewayMethods: string[];
    };
    expect(report.plugin.status).toBe("loaded");
    expect(report.plugin.toolNames).toEqual(expect.arrayContaining(TOOLS));
    expect(report.commands).toEqual(expect.arrayContaining(COMMANDS));
    expect(report.gatewayMethods).toEqual(expect.arrayContaining(RPC));
    expect(report.plugin.services).toContain("claude-code-sessions");
  }, 180_000);

  it("wakes the launching agent when Claude waits; the agent's next turn answers with claude_respond", async () => {
    const room = "wake-room";
    const agent = p.agentModel;
    agent.on((r) => lastUserText(r).includes("please launch the wake-task") && !hasToolResult(r), {
      toolCalls: [{ name: "claude_launch", arguments: { prompt: "run `echo wake-one`", workdir: p.workdir, name: "wakey", permission_mode: "default" } }],
    }, { times: 1 });
    agent.on((r) => hasToolResult(r) && lastUserText(r).includes("please launch the wake-task"), { text: "Launched it." }, { times: 1 });
    const wakePattern = /Claude Code session \\?"wakey\\?" \(id ([a-z2-9]{8})\) finished a turn and is waiting for input/;
    let wokenFor: string | undefined;
    agent.on((r) => wakePattern.test(newestMessageText(r)) && !hasToolResult(r), (r) => {
      wokenFor = wakePattern.exec(newestMessageText(r))?.[1];
      return { toolCalls: [{ name: "claude_respond", arguments: { session: wokenFor ?? "wakey", message: "now run `echo after-wake`" } }] };
    }, { times: 1 });

    const after = p.gw.outbound().length;
    const turn = await p.gw.injectInbound({ from: "alice", chat: room, text: "please launch the wake-task" }, { timeoutMs: 90_000 });
    expect(turn.ok, JSON.stringify(turn)).toBe(true);
    const launched = await p.waitForText(room, /↩️ Claude Code session wakey \[([a-z2-9]{8})\] launched/, 60_000, after);
    const id = /\[([a-z2-9]{8})\]/.exec(launched.text)?.[1] ?? "";

    const waiting = await p.waitForText(room, /🔔 wakey \[[a-z2-9]{8}\] is waiting for input/, 60_000, after);
    const turnEnd = Math.max(...claudeRequestsWith("wake-one").map((r) => r.receivedAt));
    const wake = await agent.waitForRequest((r) => wakePattern.test(newestMessageText(r)), 30_000);
    expect(wokenFor).toBe(id);
    // The wake tells the agent what to call next.
    expect(newestMessageText(wake)).toContain("claude_respond");
    console.log(
      `wake latency: ${wake.time - waiting.time} ms from the 🔔 notice, ${wake.time - turnEnd} ms from Claude's last model request of the turn`,
    );
    expect(wake.time - turnEnd).toBeLessThan(15_000);

    // The agent's claude_respond reached Claude Code as the next turn's prompt.
    await waitFor(() => claudeRequestsWith("after-wake").length > 0, 30_000, "Claude Code receiving the agent's reply");
    await p.waitForText(room, /↩️ wakey \[[a-z2-9]{8}\] \(agent main\) ← now run `echo after-wake`/, 30_000, after);
    const done = await waitForInput(id);
    expect(done.agentId).toBe("main");
    expect(done.turns).toBeGreaterThanOrEqual(2);
    await p.gw.rpc("claude-code.kill", { session: id });
  }, 180_000);

  it("RPC: launch really works in the workdir; sessions, output, respond and kill carry structured payloads", async () => {
    const launched = await p.gw.rpc<{ session: SessionView; display: string }>("claude-code.launch", {
      prompt: "create a file named rpc.txt containing made over rpc",
      workdir: p.workdir,
      name: "rpc-one",
      permission_mode: "bypassPermissions",
    });
    expect(launched.session).toMatchObject({ name: "rpc-one", workdir: p.workdir, permissionMode: "bypassPermissions" });
    expect(launched.session.id).toMatch(SESSION_ID);
    expect(launched.display).toContain("rpc-one");
    const id = launched.session.id;

    const waiting = await waitForInput(id);
    expect(readFileSync(path.join(p.workdir, "rpc.txt"), "utf8")).toBe("made over rpc");
    expect(waiting.claudeSessionId).toMatch(UUID);
    expect(waiting.costUsd).toBeGreaterThan(0);
    expect(waiting.turns).toBe(1);
    expect(waiting.agentId).toBeUndefined();
    expect(Date.parse(waiting.createdAt)).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(waiting.durationMs).toBeGreaterThan(0);

    const out = await p.gw.rpc<{ session: SessionView; entries: EntryView[]; earlier: number; display: string }>("claude-code.output", { session: "rpc-one" });
    expect(out.entries.length).toBeGreaterThanOrEqual(3);
    expect(out.entries.map((e) => e.seq)).toEqual(out.entries.map((_, i) => out.entries[0]!.seq + i));
    expect(out.entries.at(-1)!.seq).toBe(out.session.lastSeq);
    expect(out.entries.find((e) => e.kind === "tool_use")).toMatchObject({ tool: "Write", text: expect.stringContaining("rpc.txt") });
    expect(out.entries.map((e) => e.kind)).toContain("result");
    for (const e of out.entries) expect(Number.isNaN(Date.parse(e.at))).toBe(false);
    expect(out.display).toContain("rpc-one");
    const two = await p.gw.rpc<{ entries: EntryView[]; earlier: number }>("claude-code.output", { session: id, lines: 2 });
    expect(two.entries.map((e) => e.seq)).toEqual(out.entries.slice(-2).map((e) => e.seq));
    expect(two.earlier).toBe(out.entries.at(-3)!.seq);

    const responded = await p.gw.rpc<{ session: SessionView; interrupted: boolean; display: string }>("claude-code.respond", {
      session: waiting.claudeSessionId,
      message: "run `echo rpc-follow-up`",
    });
    expect(responded).toMatchObject({ interrupted: false, session: { id } });
    expect(responded.display).toMatch(/Sent to rpc-one/);
    const again = await waitForInput(id);
    expect(again.turns).toBe(2);
    expect(claudeRequestsWith("rpc-follow-up").length).toBeGreaterThan(0);
    const later = await p.gw.rpc<{ entries: EntryView[] }>("claude-code.output", { session: id, full: true });
    expect(later.entries.filter((e) => e.seq > out.session.lastSeq).map((e) => [e.kind, e.tool ?? ""])).toEqual(
      expect.arrayContaining([["followup", ""], ["tool_use", "Bash"]]),
    );

    const killed = await p.gw.rpc<{ session: SessionView; display: string }>("claude-code.kill", { session: id });
    // The client's identity, as the gateway reports it, never its token.
    expect(killed.session).toMatchObject({ id, state: "killed", reason: expect.stringMatching(/^killed by operator \(RPC: client cli, conn [\w-]+\)$/) });
    expect(killed.session.reason).not.toContain(p.gw.token);
    expect(killed.display).toMatch(/Killed rpc-one/);
    expect(Date.parse(killed.session.endedAt ?? "")).toBeGreaterThan(0);
    // As the community plugin answered: an ended session is an answer, not an error.
    expect(await p.gw.rpcRaw("claude-code.kill", { session: id })).toMatchObject({ ok: true, payload: { id, status: "killed", message: "Session already killed" } });
    expect(await p.gw.rpcRaw("claude-code.respond", { session: id, message: "hello?" })).toMatchObject({ ok: false, error: { code: "NOT_RUNNING" } });
    expect(await p.gw.rpcRaw("claude-code.output", { session: "no-such-session" })).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    expect(await p.gw.rpcRaw("claude-code.launch", { workdir: p.workdir })).toMatchObject({ ok: false, error: { code: "INVALID_ARGUMENT" } });
  }, 180_000);

  it("RPC: resume brings the earlier conversation back to the model, in the original workdir", async () => {
    const original = (await sessions()).find((s) => s.name === "rpc-one")!;
    const before = p.claude.requests.length;
    const resumed = await p.gw.rpc<{ session: SessionView; display: string }>("claude-code.resume", {
      session: "rpc-one",
      prompt: "what did I ask first? resume-marker",
    });
    expect(resumed.session).toMatchObject({ name: "rpc-one-2", workdir: p.workdir, resumedFrom: { sessionId: original.id, fork: false } });
    expect(resumed.display).toMatch(/resume of/);
    await waitFor(() => claudeRequestsWith("resume-marker").length > 0, 30_000, "the resumed turn reaching the model");
    const request = claudeRequestsWith("resume-marker")[0]!;
    expect(request.seq).toBeGreaterThan(before);
    const history = JSON.stringify(request.messages);
    expect(history).toContain("made over rpc");
    expect(history).toContain("rpc-follow-up");
    expect(request.sessionId).toBe(original.claudeSessionId);
    expect(request.workdir).toBe(p.workdir);
    const waiting = await waitForInput(resumed.session.id);
    expect(waiting.claudeSessionId).toBe(original.claudeSessionId);
    expect(await p.gw.rpcRaw("claude-code.resume", { session: "rpc-one-2" })).toMatchObject({ ok: false, error: { code: "INVALID_ARGUMENT", message: expect.stringMatching(/still live/) } });
    await p.gw.rpc("claude-code.kill", { session: resumed.session.id });
  }, 120_000);

  it("RPC scopes: a read-only operator can list, read and count but not launch, respond, kill or resume", async () => {
    const readOnly = await connectGatewayWs({ url: p.gw.wsUrl, token: p.gw.token, scopes: ["operator.read"] });
    try {
      const list = await readOnly.request("claude-code.sessions", {});
      expect(list.ok).toBe(true);
      expect((list.payload as { sessions: SessionView[] }).sessions.some((s) => s.name === "rpc-one")).toBe(true);
      expect((await readOnly.request("claude-code.output", { session: "rpc-one" })).ok).toBe(true);
      expect((await readOnly.request("claude-code.stats", {})).ok).toBe(true);
      const before = (await sessions()).length;
      for (const [method, params] of [
        ["claude-code.launch", { prompt: "should never run", workdir: p.workdir }],
        ["claude-code.respond", { session: "rpc-one", message: "x" }],
        ["claude-code.kill", { session: "rpc-one" }],
        ["claude-code.resume", { session: "rpc-one" }],
      ] as const) {
        const res = await readOnly.request(method, params);
        expect(res, method).toMatchObject({ ok: false, error: { code: "FORBIDDEN", details: { missingScope: "operator.write" } } });
      }
      expect(await sessions()).toHaveLength(before);
    } finally {
      await readOnly.close();
    }
  }, 30_000);

  it("RPC scopes: each method refuses a lesser scope; approving needs operator.approvals, which write does not give", async () => {
    const launched = await p.gw.rpc<{ session: SessionView }>("claude-code.launch", {
      // Not a read-only command (those run unasked in default mode): Claude Code asks first.
      prompt: "run `touch scope-approval.txt`",
      workdir: p.workdir,
      name: "scoped",
      permission_mode: "default",
    });
    const id = launched.session.id;
    const asking = await waitForSession(id, "asking permission", (s) => s.state === "waiting" && s.waitingFor === "permission");
    const pending = await p.gw.rpc<{ requests: Array<{ id: string; sessionId: string }> }>("claude-code.pending");
    const request = pending.requests.find((r) => r.sessionId === id)!.id;

    const lesser: Record<string, string[]> = { "operator.read": ["operator.pairing"], "operator.write": ["operator.read"], "operator.approvals": ["operator.read", "operator.write"] };
    const required: Record<string, string> = {
      "claude-code.launch": "operator.write",
      "claude-code.respond": "operator.write",
      "claude-code.kill": "operator.write",
      "claude-code.resume": "operator.write",
      "claude-code.output": "operator.read",
      "claude-code.sessions": "operator.read",
      "claude-code.stats": "operator.read",
      "claude-code.audit": "operator.read",
      "claude-code.pending": "operator.approvals",
      "claude-code.permit": "operator.approvals",
    };
    const params: Record<string, unknown> = {
      "claude-code.launch": { prompt: "should never run", workdir: p.workdir },
      "claude-code.respond": { session: id, message: "x" },
      "claude-code.kill": { session: id },
      "claude-code.resume": { session: id },
      "claude-code.output": { session: id },
      "claude-code.sessions": {},
      "claude-code.stats": {},
      "claude-code.audit": {},
      "claude-code.pending": {},
      "claude-code.permit": { request, decision: "allow" },
    };
    const sessionsBefore = (await sessions()).length;
    for (const [scope, grants] of Object.entries(lesser)) {
      const client = await connectGatewayWs({ url: p.gw.wsUrl, token: p.gw.token, scopes: grants });
      try {
        for (const [method, needs] of Object.entries(required)) {
          if (needs !== scope) continue;
          const res = await client.request(method, params[method]);
          expect(res, `${method} with ${grants.join("+")}`).toMatchObject({ ok: false, error: { code: "FORBIDDEN", details: { missingScope: scope } } });
        }
      } finally {
        await client.close();
      }
    }
    expect(Object.keys(required).sort()).toEqual([...RPC, "claude-code.pending", "claude-code.permit", "claude-code.audit"].sort());
    // Nothing happened: no session, the request still waits, the session still asks.
    expect(await sessions()).toHaveLength(sessionsBefore);
    expect((await waitForSession(id, "still asking", (s) => s.state === "waiting")).lastSeq).toBe(asking.lastSeq);

    // operator.approvals alone approves; the decision names the client, never its token.
    const approver = await connectGatewayWs({ url: p.gw.wsUrl, token: p.gw.token, scopes: ["operator.approvals"] });
    try {
      const res = await approver.request("claude-code.permit", { request, decision: "allow" });
      expect(res.ok, JSON.stringify(res)).toBe(true);
      const by = (res.payload as { decision: { by: string } }).decision.by;
      expect(by).toMatch(/^operator \(RPC: client cli, conn [\w-]+\)$/);
      expect(by).not.toContain(p.gw.token);
    } finally {
      await approver.close();
    }
    await waitForInput(id);
    await p.gw.rpc("claude-code.kill", { session: id });
  }, 120_000);

  it("sessions belong to a conversation: the agent in another conversation neither sees nor controls them", async () => {
    const here = { agentId: "main", sessionKey: "agent:main:test-channel:direct:conv-a" };
    const elsewhere = { agentId: "main", sessionKey: "agent:main:test-channel:direct:conv-b" };
    const call = (who: { agentId: string; sessionKey: string }, name: string, args: Record<string, unknown>) => p.gw.invokeTool(name, args, who);
    const launched = await call(here, "claude_launch", { prompt: "run `echo conv-a`", workdir: p.workdir, name: "conv-a", permission_mode: "default" });
    expect(launched.ok, JSON.stringify(launched.body)).toBe(true);
    const id = session(launched.result as ToolResultView).id;
    const waiting = await waitForInput(id);
    const requestsBefore = p.claude.requests.length;

    const listedElsewhere = await call(elsewhere, "claude_sessions", {});
    expect(((listedElsewhere.result as ToolResultView).details.sessions as SessionView[]).map((s) => s.id)).not.toContain(id);
    for (const [name, args] of [
      ["claude_output", { session: id }],
      ["claude_respond", { session: id, message: "hijack" }],
      ["claude_kill", { session: "conv-a" }],
    ] as const) {
      const r = await call(elsewhere, name, args);
      expect(r.ok, name).toBe(false);
      expect(r.error?.message, name).toMatch(/^No session of yours matches/);
    }
    const stats = (await call(elsewhere, "claude_stats", {})).result as ToolResultView;
    expect(JSON.stringify(stats.details.stats)).not.toContain(id);
    expect((await waitForInput(id)).lastSeq).toBe(waiting.lastSeq);
    expect(p.claude.requests.length).toBe(requestsBefore);

    // The conversation that launched it sees and controls it; so do operators.
    const listedHere = await call(here, "claude_sessions", {});
    expect(((listedHere.result as ToolResultView).details.sessions as SessionView[]).map((s) => s.id)).toContain(id);
    expect((await call(here, "claude_output", { session: id })).ok).toBe(true);
    expect((await p.gw.rpc<{ sessions: SessionView[] }>("claude-code.sessions", {})).sessions.map((s) => s.id)).toContain(id);
    const killed = await call(here, "claude_kill", { session: id });
    expect(session(killed.result as ToolResultView)).toMatchObject({ state: "killed", reason: "killed by agent main" });
  }, 120_000);

  it("tools through /tools/invoke: results are {content:[text], details}; a refusal is a clear one-line message", async () => {
    const launched = await tool("main", "claude_launch", { prompt: "run `echo tool-one`", workdir: p.workdir, name: "tool-one", permission_mode: "default" });
    expect(launched.content).toEqual([{ type: "text", text: expect.stringMatching(/↩️ Claude Code session tool-one \[[a-z2-9]{8}\] launched/) }]);
    expect(session(launched)).toMatchObject({ name: "tool-one", agentId: "main", permissionMode: "default" });
    expect(launched.details).not.toHaveProperty("status");
    const id = session(launched).id;
    await waitForInput(id);

    const listed = await tool("main", "claude_sessions", { status: "waiting" });
    expect((listed.details.sessions as SessionView[]).map((s) => s.name)).toContain("tool-one");
    expect(listed.content[0]!.text).toContain("tool-one");

    const output = await tool("main", "claude_output", { session: "tool-one", lines: 5 });
    expect((output.details.entries as EntryView[]).some((e) => e.kind === "tool_use" && e.text.includes("echo tool-one"))).toBe(true);

    // fg/bg need a conversation: the host derives it from these headers.
    const fg = await tool("main", "claude_fg", { session: id }, FROM_ALICE);
    expect(fg.details).toMatchObject({ streaming: true, session: { id } });
    expect(fg.content[0]!.text).toMatch(/is in the foreground here/);
    const bg = await tool("main", "claude_bg", {}, FROM_ALICE);
    expect((bg.details.detached as SessionView[]).map((s) => s.id)).toEqual([id]);

    const responded = await tool("main", "claude_respond", { session: id, message: "run `echo tool-two`", userInitiated: true });
    expect(responded.details).toMatchObject({ interrupted: false, autoResponds: 0, session: { id } });
    await waitFor(() => claudeRequestsWith("tool-two").length > 0, 30_000, "the follow-up reaching the model");
    await waitForInput(id);

    const stats = await tool("main", "claude_stats", {});
    expect((stats.details.stats as StatsView).launched).toBeGreaterThanOrEqual(1);
    expect(stats.content[0]!.text).toMatch(/Sessions launched: \d+/);

    const killed = await tool("main", "claude_kill", { session: "tool-one" });
    expect(session(killed)).toMatchObject({ state: "killed", reason: "killed by agent main" });

    const refusal = await toolRefusal("main", "claude_kill", { session: "tool-one" });
    expect(refusal.status).toBe(400);
    expect(refusal.message).toMatch(/has already ended \(killed: killed by agent main\); there is nothing to kill/);
    expect(refusal.message).not.toContain("\n");
    const wrongType = await toolRefusal("main", "claude_launch", { prompt: 42 });
    expect(wrongType.message).toBe('launch: "prompt" must be a string, got number 42');
    const noConversation = await toolRefusal("main", "claude_fg", { session: id });
    expect(noConversation.message).toMatch(/works per conversation/);
  }, 120_000);

  it("ownership: an agent sees and controls only its own sessions; operators see every agent's", async () => {
    const mine = session(await tool("main", "claude_launch", { prompt: "run `echo own-a`", workdir: p.workdir, name: "own-a", permission_mode: "default" }));
    const theirs = session(await tool("beta", "claude_launch", { prompt: "run `echo own-b`", workdir: p.workdir, name: "own-b", permission_mode: "default" }));
    // /tools/invoke with agentId really selects the agent the tool factory is built for.
    expect(mine.agentId).toBe("main");
    expect(theirs.agentId).toBe("beta");
    const b = await waitForInput(theirs.id);
    await waitForInput(mine.id);
    const requestsBefore = p.claude.requests.length;

    const mainList = (await tool("main", "claude_sessions", {})).details.sessions as SessionView[];
    expect(mainList.map((s) => s.name)).toContain("own-a");
    expect(mainList.some((s) => s.agentId !== "main")).toBe(false);
    const betaList = (await tool("beta", "claude_sessions", {})).details.sessions as SessionView[];
    expect(betaList.map((s) => s.name)).toEqual(["own-b"]);
    const all = (await sessions()).map((s) => s.name);
    expect(all).toEqual(expect.arrayContaining(["own-a", "own-b"]));

    // Every way main can name beta's session is answered exactly as a session that does not exist.
    const unknown = (await toolRefusal("main", "claude_output", { session: "no-such-session" })).message.replace("no-such-session", "REF");
    expect(unknown).toBe('No session of yours matches "REF". Use claude_sessions to list your sessions.');
    for (const ref of [theirs.id, theirs.name, b.claudeSessionId!]) {
      for (const [name, args] of [
        ["claude_output", { session: ref }],
        ["claude_respond", { session: ref, message: "hijack" }],
        ["claude_kill", { session: ref }],
        ["claude_fg", { session: ref }],
      ] as const) {
        const r = await p.gw.invokeTool(name, args, { agentId: "main", headers: FROM_ALICE });
        expect(r.ok, `${name} ${ref}`).toBe(false);
        expect((r.error?.message ?? "").replace(ref, "REF"), `${name} ${ref}`).toBe(unknown);
      }
      const resume = await toolRefusal("main", "claude_launch", { prompt: "continue", resume_session_id: ref });
      const resumeUnknown = (await toolRefusal("main", "claude_launch", { prompt: "continue", resume_session_id: "no-such-session" })).message;
      expect(resume.message.replace(ref, "REF")).toBe(resumeUnknown.replace("no-such-session", "REF"));
    }

    const still = (await sessions()).find((s) => s.id === theirs.id)!;
    expect(still).toMatchObject({ state: "waiting", lastSeq: b.lastSeq, turns: b.turns });
    expect(p.claude.requests.length).toBe(requestsBefore);

    // The operator controls both.
    expect((await p.gw.rpc<{ session: SessionView }>("claude-code.kill", { session: "own-b" })).session.state).toBe("killed");
    await tool("main", "claude_kill", { session: "own-a" });
  }, 120_000);

  it("maxAutoResponds: the agent's third reply in a row is refused with 'ask the user'; userInitiated resets the count", async () => {
    const id = session(await tool("main", "claude_launch", { prompt: "run `echo auto-0`", workdir: p.workdir, name: "auto", permission_mode: "default" })).id;
    await waitForInput(id);
    for (const n of [1, 2]) {
      const r = await tool("main", "claude_respond", { session: id, message: `run \`echo auto-${n}\`` });
      expect(r.details.autoResponds).toBe(n);
      await waitFor(() => claudeRequestsWith(`auto-${n}`).length > 0, 30_000, `auto-${n}`);
      await waitForInput(id);
    }
    const before = await waitForInput(id);
    const refused = await toolRefusal("main", "claude_respond", { session: id, message: "run `echo auto-3`" });
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(/answered session "auto" 2 times in a row without the user \(maxAutoResponds = 2\)\. Ask the user what to do, then call claude_respond with userInitiated: true/);
    expect((await waitForInput(id)).lastSeq).toBe(before.lastSeq);
    expect(claudeRequestsWith("auto-3")).toHaveLength(0);

    const relayed = await tool("main", "claude_respond", { session: id, message: "run `echo from-the-user`", userInitiated: true });
    expect(relayed.details.autoResponds).toBe(0);
    await waitFor(() => claudeRequestsWith("from-the-user").length > 0, 30_000, "the user's reply");
    await waitForInput(id);
    expect((await tool("main", "claude_respond", { session: id, message: "run `echo auto-again`" })).details.autoResponds).toBe(1);
    await waitForInput(id);
    await tool("main", "claude_kill", { session: id });
  }, 120_000);

  it("permissionMode from the config reaches Claude Code; a launch's own permission_mode overrides it", async () => {
    const launched = await p.gw.rpc<{ session: SessionView }>("claude-code.launch", {
      prompt: "create a file named planny.txt containing should not exist",
      workdir: p.workdir,
      name: "planny",
    });
    expect(launched.session.permissionMode).toBe("default");
    // Claude Code itself is in default mode: the Write it attempts waits for a person's permission.
    const asking = await waitForSession(launched.session.id, "asking for permission", (s) => s.state === "waiting" && s.waitingFor === "permission");
    expect(asking.pending).toMatchObject([{ tool: "Write" }]);
    expect(existsSync(path.join(p.workdir, "planny.txt"))).toBe(false);
    await p.gw.rpc("claude-code.kill", { session: launched.session.id });

    // rpc-one asked for bypassPermissions (an operator may): its Write ran unasked.
    expect(existsSync(path.join(p.workdir, "rpc.txt"))).toBe(true);
  }, 90_000);

  it("chat commands reach the running service when several agents are configured", async () => {
    const reply = await p.command("alice", "/claude_sessions killed");
    expect(reply).not.toMatch(/not running/);
    expect(reply).toContain("rpc-one");
  }, 60_000);

  it("stats count every session exactly once and add up their costs", async () => {
    const list = await sessions();
    const stats = (await p.gw.rpc<{ stats: StatsView; display: string }>("claude-code.stats", {})).stats;
    expect(stats.launched).toBe(list.length);
    for (const status of ["completed", "failed", "killed", "interrupted"]) {
      expect(stats.byStatus[status], status).toBe(list.filter((s) => s.state === status).length);
    }
    expect(stats.live).toBe(list.filter((s) => ["starting", "running", "waiting"].includes(s.state)).length);
    const total = list.reduce((sum, s) => sum + s.costUsd, 0);
    expect(stats.totalCostUsd).toBeGreaterThan(0);
    expect(stats.totalCostUsd).toBeCloseTo(total, 6);
    expect(await p.gw.rpcRaw("claude-code.stats", { verbose: true })).toMatchObject({ ok: false, error: { code: "INVALID_ARGUMENT" } });
  }, 30_000);
});

const ENDED = ["completed", "failed", "killed", "interrupted"];
const isEnded = (s: Record<string, unknown>) => ENDED.includes(String(s.status));

/** Calls `method` and checks its payload against the community plugin's contract. */
async function contract(method: CommunityMethod, params: Record<string, unknown>, ended: boolean | ((s: Record<string, unknown>) => boolean)): Promise<Record<string, unknown>> {
  const payload = await p.gw.rpc<Record<string, unknown>>(method, params);
  expect(contractProblems(payload, COMMUNITY_RPC[method], ended, method), `${method} ${JSON.stringify(params)}`).toEqual([]);
  return payload;
}

describe("drop-in for the community plugin's RPC clients", () => {
  it("every payload field of the community plugin is there with its type, for running, waiting, completed and killed sessions; id works as session", async () => {
    // Scripted replies: a quick answer, and for "contract-slow" a turn that streams for 30 s.
    p.claude.setHandler((req) => {
      const text = req.lastUserText ?? "";
      if (text.includes("contract-slow")) return { type: "text", text: "slow ".repeat(300), chunks: 300, chunkDelayMs: 100 };
      if (text.includes("contract-")) return { type: "text", text: `Done with ${/contract-[a-z]+/.exec(text)?.[0]}.` };
      return undefined;
    });
    const started = Date.now();
    try {
      const launch = (name: string, extra: Record<string, unknown> = {}) =>
        contract("claude-code.launch", { prompt: `please do ${name}`, workdir: p.workdir, name, model: "sonnet", ...extra }, false);
      const live = await launch("contract-live");
      const wait = await launch("contract-wait");
      const done = await launch("contract-done", { multi_turn_disabled: true });
      const kill = await launch("contract-kill");
      expect(live).toMatchObject({ name: "contract-live", workdir: p.workdir, model: "sonnet", session: { id: live.id } });
      expect(["starting", "running"]).toContain(live.status);
      for (const s of [live, wait, kill]) await waitForInput(String(s.id));
      await waitForSession(String(done.id), "completed", (s) => s.state === "completed");

      expect(await p.gw.rpc("claude-code.respond", { id: live.id, message: "now the contract-slow part" })).toMatchObject({ id: live.id, name: "contract-live", status: "running" });
      await waitForSession(String(live.id), "running its second turn", (s) => s.state === "running" && s.turns === 1);

      // Killed, with the old-shape param; then again, and a completed one: ok, "already".
      const killed = await contract("claude-code.kill", { id: kill.id }, true);
      expect(killed).toMatchObject({ id: kill.id, name: "contract-kill", status: "killed", message: `Session contract-kill [${String(kill.id)}] terminated`, session: { status: "killed" } });
      expect(await contract("claude-code.kill", { id: kill.id }, true)).toMatchObject({ status: "killed", message: "Session already killed" });
      expect(await contract("claude-code.kill", { session: done.name }, true)).toMatchObject({ id: done.id, status: "completed", message: "Session already completed" });
      expect(await p.gw.rpcRaw("claude-code.kill", { session: wait.name, id: kill.id })).toMatchObject({ ok: false, error: { code: "INVALID_ARGUMENT", message: expect.stringMatching(/"session" and "id" are two names of one parameter/) } });

      // One session in a chat's foreground: the list says so.
      expect(await p.command("alice", "/claude_fg contract-wait")).toMatch(/is in the foreground here/);
      const list = await contract("claude-code.sessions", { limit: 500 }, isEnded);
      const byName = new Map((list.sessions as Array<Record<string, unknown>>).map((s) => [s.name, s]));
      expect(list.count).toBe((list.sessions as unknown[]).length);
      expect(Object.fromEntries(["contract-live", "contract-wait", "contract-done", "contract-kill"].map((n) => [n, byName.get(n)?.status]))).toEqual({
        "contract-live": "running",
        "contract-wait": "waiting",
        "contract-done": "completed",
        "contract-kill": "killed",
      });
      expect(byName.get("contract-wait")?.foreground).toBe(true);
      expect(byName.get("contract-live")?.foreground).toBe(false);
      for (const s of byName.values()) {
        if (!String(s.name).startsWith("contract-")) continue;
        expect(s.startedAt as number).toBeGreaterThanOrEqual(started - 1000);
        expect(s.prompt).toBe(`please do ${String(s.name)}`);
        expect(s.multiTurn).toBe(s.name !== "contract-done");
        expect(s.model).toBe("sonnet");
        if (isEnded(s)) expect(s.completedAt as number).toBeGreaterThanOrEqual(s.startedAt as number);
      }
      expect(await p.command("alice", "/claude_bg")).toMatch(/Moved to the background: contract-wait/);

      for (const s of [live, wait, done, kill]) {
        const out = await contract("claude-code.output", { id: s.id }, false);
        expect(out).toMatchObject({ id: s.id, name: s.name, lineCount: (out.lines as string[]).length, result: `Done with ${String(s.name)}.` });
        expect((out.lines as string[]).length).toBe((out.entries as unknown[]).length);
        expect(out.lines as string[]).toContain(`✔ Done with ${String(s.name)}.`);
      }

      const stats = await contract("claude-code.stats", {}, false);
      const inner = stats.stats as { launched: number; live: number; byStatus: Record<string, number>; totalCostUsd: number };
      expect(stats).toMatchObject({ totalLaunched: inner.launched, totalCostUsd: inner.totalCostUsd, sessionsByStatus: { ...inner.byStatus, running: inner.live } });
      expect(inner.live).toBeGreaterThanOrEqual(2);
      expect(Object.keys(stats.costPerDay as object).every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d))).toBe(true);

      // The oracle can fail: today's kill payload without the flat fields would not pass.
      expect(contractProblems({ session: killed.session, display: killed.display }, COMMUNITY_RPC["claude-code.kill"], true)).toEqual(
        expect.arrayContaining(["payload.id: missing", "payload.status: missing", "payload.message: missing"]),
      );
    } finally {
      p.claude.setHandler(undefined);
      for (const name of ["contract-live", "contract-wait"]) await p.gw.rpc("claude-code.kill", { session: name });
    }
  }, 180_000);

  it("a prompt typed in chat reaches Claude Code byte for byte: quotes, backslashes, a code fence, indentation, emoji", async () => {
    // OpenClaw itself trims a command's first line and drops blank lines and indentation right
    // after it, before any plugin sees the text; from the second line's first character on, the
    // text is the user's.
    const prompt = [
      `verbatim-marker: run node -e "console.log('1+1')" and fix the "login" bug 🐛`,
      "```js",
      "function login(user) {",
      "",
      String.raw`    return user.name.replace(/\s+/g, "\") ;  // two  spaces`,
      "}",
      "```",
      "  - keep the list\t(tabs too)",
    ].join("\n");
    p.claude.setHandler((req) => ((req.lastUserText ?? "").includes("verbatim-") ? { type: "text", text: "Noted." } : undefined));
    try {
      // WebChat's chat.send, as someone typing in the Control UI.
      const reply = await p.gw.chatRun("agent:main:main", `/claude --name 'verbatim-task' --system "answer briefly, please" --workdir ${p.workdir} ${prompt}`);
      expect(reply.text).toMatch(/Claude Code session verbatim-task \[[a-z2-9]{8}\] launched/);
      await waitFor(() => claudeRequestsWith("verbatim-marker").length > 0, 30_000, "the prompt reaching the model");
      const first = claudeRequestsWith("verbatim-marker")[0]!;
      expect(first.lastUserText).toBe(prompt);
      // A quoted flag value arrives whole.
      expect(first.system).toContain("answer briefly, please");
      await waitForInput("verbatim-task");

      // A follow-up from a chat channel that starts with -- after --.
      const followUp = ["-- is not a flag here: verbatim-follow-up", "'single' and \"double\"", "    C:\\temp\\x, indented"].join("\n");
      expect(await p.command("alice", `/claude_respond -- verbatim-task ${followUp}`)).toMatch(/Sent to verbatim-task/);
      await waitFor(() => claudeRequestsWith("verbatim-follow-up").length > 0, 30_000, "the follow-up reaching the model");
      expect(claudeRequestsWith("verbatim-follow-up")[0]!.lastUserText).toBe(followUp);
    } finally {
      p.claude.setHandler(undefined);
    }
    await p.gw.rpc("claude-code.kill", { session: "verbatim-task" });
  }, 120_000);
});

// Approving from the chat in a real gateway: Claude Code (real CLI, offline model scripted to ask
// for Bash and Write and to ask a question) waits for permission; the owning conversation gets a
// notice with buttons and answers with commands. Policy rules, timeouts, late and unauthorized
// answers, and the audit log. The agents' limits: the operator's mode as a ceiling, allowed_tools
// within the operator's rules, deny rules in bypassPermissions, claude_permit as the agent's own.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScriptedReply } from "../../offline-model/src/index.ts";
import { PLUGIN_ID, startPluginGateway, type PluginGateway } from "./support/plugin-gateway.ts";

let p: PluginGateway;

const POLICY = { allow: ["Bash(touch policy-ok*)"], deny: ["Bash(rm *)"], ask: [] };

beforeAll(async () => {
  p = await startPluginGateway({ label: "permissions", lockTimeoutMs: 600_000, pluginConfig: { permissionMode: "default", permissionPolicy: POLICY, skipSafetyChecks: true } });
}, 720_000);

afterAll(async () => {
  await p?.close();
}, 60_000);

/** Scripts the model: for a prompt containing `marker`, these replies in order (one per request). */
function scriptFor(marker: string, replies: ScriptedReply[]): void {
  let i = 0;
  p.claude.setHandler((req) => {
    const first = JSON.stringify(req.messages).includes(marker);
    if (!first) return undefined;
    return replies[Math.min(i++, replies.length - 1)];
  });
}

/** The chat command a recorded button runs when pressed. */
function commandOf(button: { action: { type: string; [key: string]: unknown } | null } | undefined): string {
  const command = button?.action?.command;
  if (button?.action?.type !== "command" || typeof command !== "string") throw new Error(`not a command button: ${JSON.stringify(button)}`);
  return command;
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A tool call from the agent "main" in alice's conversation (the host derives deliveryContext from these headers). */
const FROM_ALICE = { "x-openclaw-message-channel": "test-channel", "x-openclaw-message-to": "alice" };
function agentTool(name: string, args: Record<string, unknown>) {
  return p.gw.invokeTool(name, args, { agentId: "main", headers: FROM_ALICE });
}

async function sessionCount(): Promise<number> {
  return (await p.gw.rpc<{ total: number }>("claude-code.sessions", { limit: 500 })).total;
}

function requestId(text: string): string {
  const m = /\[(r[a-z2-9]{4})\]/.exec(text);
  if (!m) throw new Error(`no request id in: ${text}`);
  return m[1]!;
}

describe("approving Claude Code's requests from the chat", () => {
  it("asks with a 🔐 notice and buttons; /claude_allow runs it once; answering again says it was decided", async () => {
    scriptFor("perm-once", [
      { type: "tool_use", name: "Bash", input: { command: "touch allowed-once.txt", description: "make a file" } },
      { type: "text", text: "made the file" },
    ]);
    const after = p.gw.outbound().length;
    await p.command("alice", `/claude --name once --workdir ${p.workdir} perm-once please`);
    const notice = await p.waitForText("alice", /🔐 once \[[a-z2-9]{8}\] asks permission \[r[a-z2-9]{4}\]: Bash — touch allowed-once.txt/, 60_000, after);
    const id = requestId(notice.text);
    expect(notice.text).toContain(`/claude_allow ${id}`);
    expect(notice.buttons.map((b) => b.label)).toEqual(["Allow once", "Allow for session", "Deny"]);
    expect(notice.buttons[0]).toMatchObject({ action: { type: "command", command: `/claude_allow ${id}` } });
    const listed = await p.gw.rpc<{ sessions: Array<{ name: string; state: string; waitingFor: string; pending: Array<{ id: string }> }> }>("claude-code.sessions");
    expect(listed.sessions.find((s) => s.name === "once")).toMatchObject({ state: "waiting", waitingFor: "permission", pending: [{ id }] });

    const reply = await p.command("alice", `/claude_allow ${id}`);
    expect(reply).toMatch(new RegExp(`${id} \\(Bash — touch allowed-once.txt\\) of once .*allowed once`));
    await p.waitForText("alice", /🔔 once .* is waiting for input/, 60_000, after);
    expect(existsSync(path.join(p.workdir, "allowed-once.txt"))).toBe(true);
    expect(await p.command("bob", `/claude_deny ${id}`)).toMatch(new RegExp(`Request ${id} was already decided .*allowed once by user alice`));
    await p.command("alice", "/claude_kill once");
  }, 120_000);

  it("allows for the session with the button's command: the second like call is not asked", async () => {
    scriptFor("perm-session", [
      { type: "tool_use", name: "Bash", input: { command: "npm test -- --first", description: "test" } },
      { type: "tool_use", name: "Bash", input: { command: "npm test -- --second", description: "test again" } },
      { type: "text", text: "tests ran twice" },
    ]);
    const after = p.gw.outbound().length;
    await p.command("alice", `/claude --name twice --workdir ${p.workdir} perm-session please`);
    const notice = await p.waitForText("alice", /🔐 twice .* asks permission/, 60_000, after);
    const button = notice.buttons.find((b) => b.label === "Allow for session");
    expect(commandOf(button)).toBe(`/claude_allow ${requestId(notice.text)} --session`);
    // Pressing a button sends its command as the user.
    expect(await p.command("alice", commandOf(button))).toMatch(/allowed for this session/);
    await p.waitForText("alice", /🔔 twice .* is waiting for input/, 60_000, after);
    expect(p.sentTo("alice", after).filter((m) => m.text.includes("🔐 twice") && m.text.includes("asks permission"))).toHaveLength(1);
    await p.command("alice", "/claude_kill twice");
  }, 120_000);

  it("denies with a note that the model receives", async () => {
    const target = path.join(p.workdir, "denied.txt");
    scriptFor("perm-deny", [
      { type: "tool_use", name: "Write", input: { file_path: target, content: "nope" } },
      { type: "text", text: "fine, I will not" },
    ]);
    const after = p.gw.outbound().length;
    const seen = p.claude.requests.length;
    await p.command("alice", `/claude --name deny-me --workdir ${p.workdir} perm-deny please`);
    const notice = await p.waitForText("alice", /🔐 deny-me .* asks permission .*Write/, 60_000, after);
    expect(notice.text).toContain("+ nope"); // the diff preview
    expect(await p.command("alice", `/claude_deny ${requestId(notice.text)} keep the repo clean`)).toMatch(/denied — Claude is told: keep the repo clean/);
    await p.waitForText("alice", /🔔 deny-me .* is waiting for input/, 60_000, after);
    expect(JSON.stringify(p.claude.requests.slice(seen).map((r) => r.toolResults))).toContain("keep the repo clean");
    expect(existsSync(target)).toBe(false);
    await p.command("alice", "/claude_kill deny-me");
  }, 120_000);

  it("relays Claude's question with options as buttons and passes the answer on", async () => {
    scriptFor("perm-question", [
      {
        type: "tool_use",
        name: "AskUserQuestion",
        input: { questions: [{ question: "Which framework?", header: "Framework", multiSelect: false, options: [{ label: "Vitest", description: "fast" }, { label: "Jest", description: "classic" }] }] },
      },
      { type: "text", text: "using the answer" },
    ]);
    const after = p.gw.outbound().length;
    const seen = p.claude.requests.length;
    await p.command("alice", `/claude --name quiz --workdir ${p.workdir} perm-question please`);
    const notice = await p.waitForText("alice", /❓ quiz .* asks \[r[a-z2-9]{4}\]:\nWhich framework\?\n1\. Vitest — fast\n2\. Jest — classic/, 60_000, after);
    expect(notice.buttons.map((b) => b.label)).toEqual(["Vitest", "Jest"]);
    expect(await p.command("alice", commandOf(notice.buttons[1]))).toMatch(/answered \(Which framework\? → Jest\)/);
    await p.waitForText("alice", /🔔 quiz .* is waiting for input/, 60_000, after);
    expect(JSON.stringify(p.claude.requests.slice(seen).map((r) => r.toolResults))).toContain('\\"Which framework?\\"=\\"Jest\\"');
    await p.command("alice", "/claude_kill quiz");
  }, 120_000);

  it("applies the policy without asking anyone, and records every decision in the audit log", async () => {
    scriptFor("perm-policy", [
      { type: "tool_use", name: "Bash", input: { command: "touch policy-ok.txt", description: "allowed" } },
      { type: "tool_use", name: "Bash", input: { command: "rm -rf build", description: "denied" } },
      { type: "text", text: "policy applied" },
    ]);
    const after = p.gw.outbound().length;
    await p.command("alice", `/claude --name policy --workdir ${p.workdir} perm-policy please`);
    await p.waitForText("alice", /🔔 policy .* is waiting for input/, 60_000, after);
    expect(p.sentTo("alice", after).some((m) => m.text.includes("asks permission"))).toBe(false);
    expect(existsSync(path.join(p.workdir, "policy-ok.txt"))).toBe(true);
    const audit = await p.gw.rpc<{ decisions: Array<{ outcome: string; by: string; summary: string }> }>("claude-code.audit", { session: "policy" });
    expect(audit.decisions.map((d) => [d.outcome, d.by])).toEqual([
      ["policy_denied", "policy Bash(rm *)"],
      ["policy_allowed", "policy Bash(touch policy-ok*)"],
    ]);
    const output = await p.command("alice", "/claude_output policy");
    expect(output).toContain("🔐 Bash — rm -rf build: denied by policy Bash(rm *)");
    // The earlier sessions' decisions are there too, newest first, for operators.
    const all = await p.gw.rpc<{ decisions: Array<{ outcome: string }> }>("claude-code.audit", {});
    expect(all.decisions.map((d) => d.outcome)).toEqual(expect.arrayContaining(["allowed", "allowed_for_session", "denied", "answered"]));
    await p.command("alice", "/claude_kill policy");
  }, 120_000);

  it("refuses an answer from a sender who may not run commands", async () => {
    scriptFor("perm-auth", [{ type: "tool_use", name: "Bash", input: { command: "touch guarded.txt", description: "guarded" } }, { type: "text", text: "ok" }]);
    const after = p.gw.outbound().length;
    await p.command("alice", `/claude --name guarded --workdir ${p.workdir} perm-auth please`);
    const id = requestId((await p.waitForText("alice", /🔐 guarded .* asks permission/, 60_000, after)).text);
    const res = await p.gw.injectInbound({ from: "mallory", text: `/claude_allow ${id}`, commandAuthorized: false });
    expect(res.ok).toBe(true);
    expect(p.sentTo("mallory", after).some((m) => m.text.includes("allowed"))).toBe(false);
    const pending = await p.gw.rpc<{ requests: Array<{ id: string }> }>("claude-code.pending");
    expect(pending.requests.map((r) => r.id)).toContain(id);
    expect(existsSync(path.join(p.workdir, "guarded.txt"))).toBe(false);
    await p.command("alice", "/claude_kill guarded");
    expect(await p.command("alice", `/claude_allow ${id}`)).toMatch(new RegExp(`Request ${id} was already decided .*withdrawn`));
  }, 120_000);

  it("denies a request nobody answers in time, tells Claude and the chat, and a late answer gets a clear reply", async () => {
    p.gw.updateConfig((cfg) => {
      const entries = (cfg.plugins as { entries: Record<string, { config: Record<string, unknown> }> }).entries;
      entries[PLUGIN_ID]!.config.permissionTimeoutMinutes = 0.05; // 3 s
    });
    // A live edit: new sessions take the new timeout without a restart.
    await waitFor(() => /config change applied without a restart: [^\n]*permissionTimeoutMinutes/.test(p.gw.logs({ tail: 400 })), 30_000, "the plugin applied the edit");
    scriptFor("perm-timeout", [{ type: "tool_use", name: "Bash", input: { command: "touch too-late.txt", description: "late" } }, { type: "text", text: "understood" }]);
    const after = p.gw.outbound().length;
    const seen = p.claude.requests.length;
    await p.command("alice", `/claude --name slowpoke --workdir ${p.workdir} perm-timeout please`);
    const id = requestId((await p.waitForText("alice", /🔐 slowpoke .* asks permission/, 60_000, after)).text);
    await p.waitForText("alice", new RegExp(`🔐 slowpoke .* request ${id} .*denied: nobody answered in time`), 30_000, after);
    await waitFor(() => JSON.stringify(p.claude.requests.slice(seen).map((r) => r.toolResults)).includes("Nobody answered this request"), 30_000, "Claude told");
    expect(await p.command("alice", `/claude_allow ${id}`)).toMatch(new RegExp(`Request ${id} expired at .*nobody answered in time`));
    expect(existsSync(path.join(p.workdir, "too-late.txt"))).toBe(false);
    await p.command("alice", "/claude_kill slowpoke");
  }, 180_000);
});

describe("what agents may not do", () => {
  it("an agent's permission_mode above the operator's is refused FORBIDDEN, naming the mode allowed; nothing is created", async () => {
    const before = await sessionCount();
    const requests = p.claude.requests.length;
    for (const mode of ["acceptEdits", "bypassPermissions"]) {
      const r = await agentTool("claude_launch", { prompt: "escalate", workdir: p.workdir, permission_mode: mode });
      expect(r.ok, mode).toBe(false);
      expect(r.status, mode).toBe(403);
      expect(r.error?.message).toContain(`permission_mode "${mode}" is more permissive than the operator allows agents ("default", the plugin's permissionMode)`);
    }
    expect(await sessionCount()).toBe(before);
    expect(p.claude.requests.length).toBe(requests);
    // A stricter mode is fine, and a person may choose any mode.
    const plan = await agentTool("claude_launch", { prompt: "just plan", workdir: p.workdir, name: "agent-plan", permission_mode: "plan", multi_turn_disabled: true });
    expect(plan.ok, JSON.stringify(plan.body)).toBe(true);
    expect(await p.command("alice", `/claude --name person-bypass --mode bypassPermissions --workdir ${p.workdir} say hi`)).toMatch(/person-bypass[\s\S]*bypassPermissions/);
    await p.command("alice", "/claude_kill person-bypass").catch(() => "");
  }, 60_000);

  it("an agent's allowed_tools that widen the operator's rules are refused, naming the entries", async () => {
    const before = await sessionCount();
    const r = await agentTool("claude_launch", { prompt: "widen", workdir: p.workdir, allowed_tools: ["Read", "Bash", "Bash(touch policy-ok*)", "Write(*.md)"] });
    expect(r.status).toBe(403);
    expect(r.error?.message).toMatch(/allowed_tools may name only read-only tools \(Read, .*\) or rules the operator's permissionPolicy\.allow already has \(Bash\(touch policy-ok\*\)\); not allowed: "Bash", "Write\(\*\.md\)"/);
    expect(await sessionCount()).toBe(before);
  }, 30_000);

  it("a deny rule holds in bypassPermissions: the Bash call is blocked, audited, and the rest runs", async () => {
    const victim = path.join(p.workdir, "victim.txt");
    writeFileSync(victim, "keep me");
    scriptFor("perm-bypass", [
      { type: "tool_use", name: "Bash", input: { command: "touch bypass-ran.txt && rm -f victim.txt", description: "clean" } },
      { type: "tool_use", name: "Bash", input: { command: "touch bypass-after.txt", description: "carry on" } },
      { type: "text", text: "cleaned" },
    ]);
    const after = p.gw.outbound().length;
    await p.command("alice", `/claude --name bypassed --mode bypassPermissions --workdir ${p.workdir} perm-bypass please`);
    await p.waitForText("alice", /🔔 bypassed .* is waiting for input/, 60_000, after);
    expect(readFileSync(victim, "utf8")).toBe("keep me");
    expect(existsSync(path.join(p.workdir, "bypass-ran.txt"))).toBe(false); // the whole command was blocked
    expect(existsSync(path.join(p.workdir, "bypass-after.txt"))).toBe(true);
    const audit = await p.gw.rpc<{ decisions: Array<{ outcome: string; by: string; summary: string }> }>("claude-code.audit", { session: "bypassed" });
    expect(audit.decisions).toMatchObject([{ outcome: "policy_denied", by: "policy Bash(rm *)", summary: "Bash — touch bypass-ran.txt && rm -f victim.txt" }]);
    await p.command("alice", "/claude_kill bypassed");
  }, 120_000);

  it("claude_permit is recorded as the agent's, announced in the session's chat, and userInitiated is refused", async () => {
    scriptFor("perm-agent", [
      { type: "tool_use", name: "Bash", input: { command: "touch agent-approved.txt", description: "make a file" } },
      { type: "text", text: "made it" },
    ]);
    const after = p.gw.outbound().length;
    const launched = await agentTool("claude_launch", { prompt: "perm-agent please", workdir: p.workdir, name: "agent-asks" });
    expect(launched.ok, JSON.stringify(launched.body)).toBe(true);
    const id = requestId((await p.waitForText("alice", /🔐 agent-asks .* asks permission/, 60_000, after)).text);

    const claimed = await agentTool("claude_permit", { request: id, decision: "allow", userInitiated: true });
    expect(claimed.status).toBe(400);
    expect(claimed.error?.message).toMatch(/"userInitiated" applies to claude_respond only/);

    const r = await agentTool("claude_permit", { request: id, decision: "allow" });
    expect(r.ok, JSON.stringify(r.body)).toBe(true);
    expect((r.result as { details: { decision: { by: string } } }).details.decision.by).toBe("agent main");
    await p.waitForText("alice", new RegExp(`🔐 agent-asks \\[[a-z2-9]{8}\\] allowed once by agent main: Bash — touch agent-approved\\.txt · request ${id}`), 30_000, after);
    await p.waitForText("alice", /🔔 agent-asks .* is waiting for input/, 60_000, after);
    expect(existsSync(path.join(p.workdir, "agent-approved.txt"))).toBe(true);
    const audit = await p.gw.rpc<{ decisions: Array<{ requestId: string; outcome: string; by: string }> }>("claude-code.audit", { session: "agent-asks" });
    expect(audit.decisions).toMatchObject([{ requestId: id, outcome: "allowed", by: "agent main" }]);
    await p.command("alice", "/claude_kill agent-asks");
  }, 120_000);

  it("bad answers to requests are refused with a reason on every surface", async () => {
    const cases: Array<[string, RegExp]> = [
      ["/claude_allow r2222 r3333", /give one request id\. Usage: \/claude_allow <request> \[--session\]/],
      ["/claude_allow r2222 --forever", /unknown flag --forever \(known: --session\)/],
      ["/claude_allow rzzzz", /No permission request "rzzzz"/],
      ["/claude_deny", /give the request id\. Usage: \/claude_deny/],
      ["/claude_deny rzzzz not this", /No permission request "rzzzz"/],
      ["/claude_answer", /give the request id and your answer\. Usage: \/claude_answer/],
      ["/claude_answer rzzzz 2", /No permission request "rzzzz"/],
    ];
    for (const [command, reason] of cases) expect(await p.command("alice", command), command).toMatch(reason);
    const toolCases: Array<[Record<string, unknown>, RegExp]> = [
      [{}, /"request" is required/],
      [{ request: "rzzzz" }, /"decision" is required: one of allow, allow_session, deny, answer/],
      [{ request: "rzzzz", decision: "maybe" }, /"decision" must be one of allow, allow_session, deny, answer, got "maybe"/],
      [{ decision: "allow" }, /"request" is required/],
      [{ request: "rzzzz", decision: "answer" }, /a question needs "answers"/],
      [{ request: "rzzzz", decision: "allow", stop: true }, /"stop" goes with decision "deny" only/],
      [{ request: "rzzzz", decision: "deny", answers: ["1"] }, /"answers" go with decision "answer" only/],
      [{ request: "rzzzz", decision: "allow", colour: "red" }, /unknown parameter "colour"/],
      [{ request: "rzzzz", decision: "allow" }, /No permission request "rzzzz"/],
    ];
    for (const [args, reason] of toolCases) {
      const r = await agentTool("claude_permit", args);
      expect(r.ok, JSON.stringify(args)).toBe(false);
      expect(r.error?.message ?? "", JSON.stringify(args)).toMatch(reason);
    }
  }, 60_000);
});

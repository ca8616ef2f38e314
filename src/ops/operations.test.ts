// The trust boundary at the operations: an agent's permission_mode is capped by the operator's,
// its allowed_tools may not widen what runs unasked, and its claude_permit decisions are its own.
// Claude Code is replaced at the process boundary (the SDK's query) so these run in milliseconds.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CanUseTool, Options, Query, SDKMessage, SDKUserMessage } from "@anthropic-ai/claude-agent-sdk";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig, type PluginConfig } from "../config.ts";
import { claudeCodeBackend, SessionEngine, type SessionEvent } from "../engine/index.ts";
import { ForegroundRegistry } from "./foreground.ts";
import { Operations } from "./operations.ts";
import type { Caller, Owner } from "./types.ts";

const workdir = mkdtempSync(path.join(tmpdir(), "cc-ops-test-"));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

const agent: Caller = { kind: "agent", agentId: "main", sessionKey: "agent:main:main", route: { channel: "test", to: "alice" } };
const person: Caller = { kind: "operator", origin: "command", label: "user alice on test", agentId: "main", sessionKey: undefined, route: { channel: "test", to: "alice" } };

/** A stand-in for the Claude Code process: reports init, then idles until closed; keeps the options it got. */
function fakeQuery(seen: Options[]) {
  return (params: { prompt: AsyncIterable<SDKUserMessage>; options: Options }): Query => {
    seen.push(params.options);
    let close: () => void = () => {};
    const closed = new Promise<void>((resolve) => (close = resolve));
    async function* messages(): AsyncGenerator<SDKMessage> {
      yield { type: "system", subtype: "init", session_id: "00000000-0000-4000-8000-000000000001" } as SDKMessage;
      await closed;
    }
    const it = messages();
    return Object.assign(it, { interrupt: async () => {}, close }) as unknown as Query;
  };
}

let seen: Options[];
let events: SessionEvent<Owner>[];

function setup(raw: Record<string, unknown>): { ops: Operations; engine: SessionEngine<Owner>; config: PluginConfig } {
  const config = parseConfig({ skipSafetyChecks: true, ...raw });
  const engine = new SessionEngine<Owner>({ backend: claudeCodeBackend({ queryFn: fakeQuery(seen) }), isRoot: () => false, ...Operations.engineHooks(config), defaultWorkdir: workdir });
  engine.subscribe((e) => events.push(e));
  return { ops: new Operations({ engine, config, foreground: new ForegroundRegistry() }), engine, config };
}

beforeEach(() => {
  seen = [];
  events = [];
});

describe("the operator's permissionMode is a ceiling for agents", () => {
  it.each([
    ["plan", "default"],
    ["default", "acceptEdits"],
    ["default", "bypassPermissions"],
    ["acceptEdits", "bypassPermissions"],
  ])("config %s: an agent's %s is refused FORBIDDEN naming the allowed mode, and nothing is created", async (ceiling, asked) => {
    const { ops, engine } = setup({ permissionMode: ceiling });
    const err = await ops.launch(agent, { prompt: "go", workdir, permission_mode: asked }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "FORBIDDEN", data: { allowedMode: ceiling } });
    expect((err as Error).message).toContain(`more permissive than the operator allows agents ("${ceiling}"`);
    expect(engine.list()).toEqual([]);
    expect(seen).toEqual([]);
  });

  it("an agent may take the operator's mode or a stricter one; a person may take any", async () => {
    const { ops } = setup({ permissionMode: "acceptEdits" });
    expect((await ops.launch(agent, { prompt: "a", workdir })).session.permissionMode).toBe("acceptEdits");
    expect((await ops.launch(agent, { prompt: "b", workdir, permission_mode: "plan" })).session.permissionMode).toBe("plan");
    expect((await ops.launch(person, { prompt: "c", workdir, permission_mode: "bypassPermissions" })).session.permissionMode).toBe("bypassPermissions");
  });
});

describe("agents cannot widen what runs unasked with allowed_tools", () => {
  it("refuses entries the operator's allow rules do not have, naming them", async () => {
    const { ops, engine } = setup({ permissionMode: "default", permissionPolicy: { allow: ["Bash(npm test:*)"] } });
    const err = await ops.launch(agent, { prompt: "go", workdir, allowed_tools: ["Read", "Bash", "Write(*.md)", "Bash(npm test:*)"] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "FORBIDDEN", data: { refused: ["Bash", "Write(*.md)"] } });
    expect((err as Error).message).toMatch(/not allowed: "Bash", "Write\(\*\.md\)"\. Leave them out/);
    expect(engine.list()).toEqual([]);
  });

  it("accepts read-only tools and covered rules; Claude Code gets only the read-only ones (the rules decide the rest)", async () => {
    const { ops } = setup({ permissionMode: "default", permissionPolicy: { allow: ["Bash(npm test:*)"] } });
    await ops.launch(agent, { prompt: "go", workdir, allowed_tools: ["Read", "Grep(src/*)", "Bash(npm test:*)"] });
    expect(seen[0]?.allowedTools).toEqual(["Read", "Grep(src/*)"]);
  });

  it("a person's allowed_tools reach Claude Code as given", async () => {
    const { ops } = setup({ permissionMode: "default" });
    await ops.launch(person, { prompt: "go", workdir, allowed_tools: ["Bash", "Write"] });
    expect(seen[0]?.allowedTools).toEqual(["Bash", "Write"]);
  });

  it("an entry that is not a rule is refused with the rule syntax", async () => {
    const { ops } = setup({});
    await expect(ops.launch(agent, { prompt: "go", workdir, allowed_tools: ["rm -rf"] })).rejects.toThrow(/allowed_tools entry "rm -rf": .*is not a rule/);
  });
});

describe("deny rules reach Claude Code whatever the mode", () => {
  it("a PreToolUse hook that blocks on failure, and whole-tool denials as disallowedTools", async () => {
    const { ops } = setup({ permissionPolicy: { deny: ["WebFetch", "Bash(rm *)"] } });
    await ops.launch(person, { prompt: "go", workdir, permission_mode: "bypassPermissions" });
    const options = seen[0]!;
    expect(options.disallowedTools).toEqual(["WebFetch"]);
    const matcher = options.hooks?.PreToolUse?.[0];
    expect(matcher?.onFailure).toBe("block");
    const hook = matcher!.hooks[0]!;
    const base = { session_id: "s", transcript_path: "t", cwd: workdir, hook_event_name: "PreToolUse" as const, tool_use_id: "u1" };
    const blocked = await hook({ ...base, tool_name: "Bash", tool_input: { command: "ls && rm -rf build" } }, "u1", { signal: new AbortController().signal });
    expect(blocked).toMatchObject({ hookSpecificOutput: { permissionDecision: "deny", permissionDecisionReason: expect.stringContaining("Bash(rm *)") } });
    expect(await hook({ ...base, tool_name: "Bash", tool_input: { command: "ls" } }, "u2", { signal: new AbortController().signal })).toEqual({});
    const decided = events.flatMap((e) => (e.type === "permission_decided" ? [e.record] : []));
    expect(decided).toMatchObject([{ outcome: "policy_denied", by: "policy Bash(rm *)", summary: "Bash — ls && rm -rf build" }]);
  });
});

/** What Claude Code passes with a permission ask (only what the session reads). */
function askOptions(toolUseID: string): Parameters<CanUseTool>[2] {
  return { signal: new AbortController().signal, suggestions: [], toolUseID, requestId: toolUseID } as unknown as Parameters<CanUseTool>[2];
}

describe("claude_permit decisions are the agent's", () => {
  async function pendingRequest(ops: Operations): Promise<{ id: string; sessionId: string }> {
    const { session } = await ops.launch(agent, { prompt: "go", workdir, permission_mode: "default" });
    const canUseTool = seen.at(-1)!.canUseTool as CanUseTool;
    void canUseTool("Bash", { command: "npm test" }, askOptions("t1"));
    const req = events.find((e) => e.type === "permission_request" && e.session.id === session.id);
    if (req?.type !== "permission_request") throw new Error("no permission request");
    return { id: req.request.id, sessionId: session.id };
  }

  it("is recorded as the agent's even when it claims the user asked, which is refused with a reason", async () => {
    const { ops } = setup({ permissionMode: "default" });
    const { id } = await pendingRequest(ops);
    expect(() => ops.permit(agent, { request: id, decision: "allow", userInitiated: true })).toThrow(/"userInitiated" applies to claude_respond only/);
    const r = ops.permit(agent, { request: id, decision: "allow" });
    expect(r.record).toMatchObject({ outcome: "allowed", by: "agent main", summary: "Bash — npm test" });
  });

  it("counts against maxAutoResponds, and past it tells the agent to forward the request", async () => {
    const { ops } = setup({ permissionMode: "default", maxAutoResponds: 1 });
    const first = await pendingRequest(ops);
    ops.permit(agent, { request: first.id, decision: "deny" });
    const canUseTool = seen.at(-1)!.canUseTool as CanUseTool;
    void canUseTool("Bash", { command: "npm run lint" }, askOptions("t2"));
    const second = events.filter((e) => e.type === "permission_request").at(-1);
    if (second?.type !== "permission_request") throw new Error("no second request");
    expect(() => ops.permit(agent, { request: second.request.id, decision: "allow" })).toThrow(/1 times in a row without the user .*Forward the request to the user, who answers with \/claude_allow/);
    // A person's answer is theirs and resets the count.
    expect(ops.permit(person, { request: second.request.id, decision: "allow" }).record.by).toBe("user alice on test");
    expect(ops.autoRespondsLeft(first.sessionId)).toBe(1);
  });
});

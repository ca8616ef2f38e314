// The authorization matrix, cell by cell, through the real surfaces (tools, chat commands, RPC)
// over the real operations and engine (the agent backend replaced by the in-memory one): who may
// list, read, answer, approve, kill and count which session. The gateway's scope checks are
// asserted here by the declared scopes and refused for real in test/e2e/surfaces.e2e.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryBackend } from "../../test/support/memory-backend.ts";
import { DEFAULT_CONFIG, type PluginConfig } from "../config.ts";
import { SessionEngine, silentLogger, type SessionEvent } from "../engine/index.ts";
import { COMMANDS, runCommand, type CommandContext } from "../surfaces/commands.ts";
import { RPC_METHODS, runRpc, type RpcClientInfo } from "../surfaces/rpc.ts";
import { ServicesRef } from "../surfaces/services.ts";
import { createTools, type ToolCallerContext } from "../surfaces/tools.ts";
import { ForegroundRegistry } from "./foreground.ts";
import { Operations } from "./operations.ts";
import type { Owner } from "./types.ts";

type Op = "list" | "output" | "respond" | "permit" | "kill" | "stats";
const OPS: readonly Op[] = ["list", "output", "respond", "permit", "kill", "stats"];

const HERE = "agent:main:test-channel:direct:alice";
const ELSEWHERE = "agent:main:test-channel:direct:bob";
const ALICE: ToolCallerContext = { agentId: "main", sessionKey: HERE, deliveryContext: { channel: "test-channel", to: "alice" } };

/** One caller on one surface: performs an operation on a session and says whether it was allowed. */
interface Surface {
  label: string;
  run(op: Op, target: { id: string; name: string; request: string }): Promise<boolean>;
}

let dir: string;
let engine: SessionEngine<Owner>;
let services: ServicesRef;
const events: SessionEvent<Owner>[] = [];

function build(over: Partial<PluginConfig> = {}): void {
  const config: PluginConfig = { ...DEFAULT_CONFIG, skipSafetyChecks: true, permissionMode: "default", maxSessions: 20, ...over };
  // Every turn asks permission first, then costs what its prompt says ("cost=12.5"), so the
  // request, the output and the stats all have something to show.
  engine = new SessionEngine<Owner>({
    backend: memoryBackend((prompt) => ({ ask: { tool: "Bash", input: { command: "npm test" } }, costUsd: Number(/cost=([\d.]+)/.exec(prompt)?.[1] ?? "0.01") })),
    defaultWorkdir: dir,
    baseEnv: { PATH: process.env.PATH },
    isRoot: () => false,
    idleTimeoutMs: 0,
    logger: silentLogger,
  });
  engine.subscribe((e) => events.push(e));
  const ops = new Operations({ engine, config, foreground: new ForegroundRegistry() });
  services = new ServicesRef();
  services.set({ ops, logger: silentLogger });
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "authz-"));
  events.length = 0;
  build();
});

afterEach(async () => {
  await engine.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

async function waitForEvent(match: (e: SessionEvent<Owner>) => boolean, what: string): Promise<SessionEvent<Owner>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = events.find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} within 5 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A session agent main launched from alice's conversation, blocked on a permission request. */
async function aliceSession(prompt = "fix it"): Promise<{ id: string; name: string; request: string }> {
  const tools = createTools(services, ALICE);
  const launched = await tools.find((t) => t.name === "claude_launch")!.execute("t", { prompt });
  const session = launched.details.session as { id: string; name: string };
  const asked = await waitForEvent((e) => e.type === "permission_request" && e.session.id === session.id, "permission request");
  if (asked.type !== "permission_request") throw new Error("unreachable");
  return { id: session.id, name: session.name, request: asked.request.id };
}

function toolSurface(label: string, ctx: ToolCallerContext): Surface {
  return {
    label,
    async run(op, target) {
      const tools = createTools(services, ctx);
      const call = async (name: string, params: Record<string, unknown>) => tools.find((t) => t.name === name)!.execute("t", params);
      try {
        switch (op) {
          case "list":
            return ((await call("claude_sessions", {})).details.sessions as Array<{ id: string }>).some((s) => s.id === target.id);
          case "stats":
            return ((await call("claude_stats", {})).details.stats as { mostExpensive?: { id: string } }).mostExpensive?.id === target.id;
          case "output":
            await call("claude_output", { session: target.name });
            return true;
          case "respond":
            await call("claude_respond", { session: target.id, message: "carry on" });
            return true;
          case "permit":
            await call("claude_permit", { request: target.request, decision: "allow" });
            return true;
          case "kill":
            await call("claude_kill", { session: target.name });
            return true;
        }
      } catch (err) {
        // Refused: and in words that do not tell another conversation's session from none at all.
        expect((err as Error).message).toMatch(/^No (session|permission request) .* of yours|^No session of yours/);
        return false;
      }
    },
  };
}

function commandSurface(label: string, ctx: Partial<CommandContext>): Surface {
  const run = async (name: string, args: string) =>
    (await runCommand(COMMANDS.find((c) => c.name === name)!, services, { channel: "test-channel", senderId: "alice", ...ctx, args }, () => ({ channel: "test-channel", to: "alice" }))).text;
  return {
    label,
    async run(op, target) {
      const text =
        op === "list"
          ? await run("claude_sessions", "")
          : op === "stats"
            ? await run("claude_stats", "")
            : op === "output"
              ? await run("claude_output", target.name)
              : op === "respond"
                ? await run("claude_respond", `${target.id} carry on`)
                : op === "permit"
                  ? await run("claude_allow", target.request)
                  : await run("claude_kill", target.name);
      if (text.startsWith("⚠️")) return false;
      return op === "list" || op === "stats" ? text.includes(target.name) : true;
    },
  };
}

function rpcSurface(label: string, client: RpcClientInfo): Surface {
  const call = async (method: string, params: Record<string, unknown>) => {
    let answer: { ok: boolean; payload?: unknown } = { ok: false };
    await runRpc(RPC_METHODS.find((m) => m.name === method)!, services, params, (ok, payload) => (answer = { ok, payload }), client);
    return answer;
  };
  return {
    label,
    async run(op, target) {
      const r =
        op === "list"
          ? await call("claude-code.sessions", {})
          : op === "stats"
            ? await call("claude-code.stats", {})
            : op === "output"
              ? await call("claude-code.output", { session: target.name })
              : op === "respond"
                ? await call("claude-code.respond", { session: target.id, message: "carry on" })
                : op === "permit"
                  ? await call("claude-code.permit", { request: target.request, decision: "allow" })
                  : await call("claude-code.kill", { session: target.name });
      if (!r.ok) return false;
      const payload = r.payload as { sessions?: Array<{ id: string }>; stats?: { mostExpensive?: { id: string } } };
      if (op === "list") return payload.sessions?.some((s) => s.id === target.id) ?? false;
      if (op === "stats") return payload.stats?.mostExpensive?.id === target.id;
      return true;
    },
  };
}

const ALL: Record<Op, boolean> = { list: true, output: true, respond: true, permit: true, kill: true, stats: true };
const NONE: Record<Op, boolean> = { list: false, output: false, respond: false, permit: false, kill: false, stats: false };

const MATRIX: Array<{ surface: () => Surface; allowed: Record<Op, boolean> }> = [
  { surface: () => toolSurface("agent main, this conversation (tool)", ALICE), allowed: ALL },
  { surface: () => toolSurface("agent main, another conversation (tool)", { agentId: "main", sessionKey: ELSEWHERE, deliveryContext: { channel: "test-channel", to: "bob" } }), allowed: NONE },
  { surface: () => toolSurface("agent main, no conversation (tool)", { agentId: "main" }), allowed: NONE },
  { surface: () => toolSurface("agent beta (tool)", { agentId: "beta", sessionKey: "agent:beta:test-channel:direct:alice" }), allowed: NONE },
  { surface: () => commandSurface("authorized sender, owner (command)", { senderId: "alice", isAuthorizedSender: true, senderIsOwner: true, agentId: "main", sessionKey: HERE } as Partial<CommandContext>), allowed: ALL },
  { surface: () => commandSurface("authorized sender in another chat (command)", { senderId: "carol", isAuthorizedSender: true, agentId: "main", sessionKey: ELSEWHERE }), allowed: ALL },
  { surface: () => commandSurface("sender not authorized (command)", { senderId: "mallory", isAuthorizedSender: false, agentId: "main", sessionKey: HERE }), allowed: NONE },
  { surface: () => rpcSurface("RPC operator (past the gateway's scope check)", { connId: "c1", connect: { client: { id: "cli" } } }), allowed: ALL },
];

describe("the authorization matrix: caller × operation × surface", () => {
  for (const row of MATRIX) {
    for (const op of OPS) {
      const expected = row.allowed[op];
      it(`${row.surface().label}: ${op} is ${expected ? "allowed" : "refused"}`, async () => {
        const target = await aliceSession(op === "stats" ? "fix it cost=7.5" : "fix it");
        if (op === "stats") {
          // The stats' most expensive session is the target once its first turn is paid for.
          await engine.answerRequest(target.request, { kind: "allow", scope: "once" }, "setup");
          await waitForEvent((e) => e.type === "waiting" && e.session.id === target.id, "the paid turn");
        }
        const before = engine.get(target.id);
        const allowed = await row.surface().run(op, target);
        expect(allowed).toBe(expected);
        const after = engine.get(target.id);
        if (!expected) {
          // Nothing changed: still live, the request still pending, nothing sent.
          expect(after.status).toBe(before.status);
          expect(after.pendingRequests.map((r) => r.id)).toEqual(before.pendingRequests.map((r) => r.id));
          expect(after.lastSeq).toBe(before.lastSeq);
        } else if (op === "kill") expect(after.status).toBe("killed");
        else if (op === "permit") expect(after.pendingRequests).toEqual([]);
      });
    }
  }

  it("the wake reaches the launching agent in the launching conversation, where its tools see the session", async () => {
    const target = await aliceSession();
    const owner = engine.get(target.id).owner;
    // The notifier wakes {agentId, sessionKey} of the owner: that turn's tools run with this context.
    expect(owner).toMatchObject({ agentId: "main", sessionKey: HERE, origin: "tool" });
    const woken = toolSurface("the woken agent", { agentId: owner.agentId, sessionKey: owner.sessionKey });
    expect(await woken.run("output", target)).toBe(true);
  });

  it("shareSessionsAcrossConversations: the agent's other conversations see its sessions; other agents still do not", async () => {
    build({ shareSessionsAcrossConversations: true });
    const target = await aliceSession();
    expect(await toolSurface("main elsewhere", { agentId: "main", sessionKey: ELSEWHERE }).run("output", target)).toBe(true);
    expect(await toolSurface("main elsewhere", { agentId: "main", sessionKey: ELSEWHERE }).run("list", target)).toBe(true);
    expect(await toolSurface("beta", { agentId: "beta", sessionKey: ELSEWHERE }).run("output", target)).toBe(false);
  });

  it("RPC scopes fit the power: read to look, write to change, approvals to approve", () => {
    const scopes = Object.fromEntries(RPC_METHODS.map((m) => [m.name, m.scope]));
    expect(scopes).toEqual({
      "claude-code.launch": "operator.write",
      "claude-code.respond": "operator.write",
      "claude-code.kill": "operator.write",
      "claude-code.resume": "operator.write",
      "claude-code.output": "operator.read",
      "claude-code.sessions": "operator.read",
      "claude-code.permit": "operator.approvals",
      "claude-code.pending": "operator.approvals",
      "claude-code.audit": "operator.read",
      "claude-code.stats": "operator.read",
      "claude-code.transcript": "operator.read",
      "claude-code.finish": "operator.write",
      "claude-code.nodes": "operator.read",
    });
  });

  it("an RPC decision is recorded with the client's identity, never its credentials", async () => {
    const target = await aliceSession();
    const client = { connId: "0f1e2d3c4b5a", connect: { client: { id: "cli", instanceId: "ops-box" }, device: { id: "3f9a0c11d2e4b5a6c7d8" }, auth: { token: "s3cret-token" } } };
    await rpcSurface("rpc", client as RpcClientInfo).run("permit", target);
    const decided = await waitForEvent((e) => e.type === "permission_decided" && e.record.requestId === target.request, "the decision");
    if (decided.type !== "permission_decided") throw new Error("unreachable");
    expect(decided.record.by).toBe("operator (RPC: client cli/ops-box, device 3f9a0c11d2e4b5a6…, conn 0f1e2d3c)");
    expect(JSON.stringify(decided.record)).not.toContain("s3cret");
  });
});

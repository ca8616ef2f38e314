// Checks, against the real OpenClaw 2026.9.6 gateway, the plugin-API facts this plugin relies on
// (the probe plugin in test/e2e/fixtures/probe-plugin records what the host passes to each
// surface); docs/architecture.md points here. The same gateway serves the smoke test of the e2e
// harness first (RPC, inbound -> agent -> outbound, chunking, WebChat, tool invocation, injected
// send failures) and, last, its clean stop: one gateway start for both.

import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasToolResult, lastUserText, startMockOpenAI, type MockOpenAI } from "../fixtures/mock-openai/server.ts";
import { startGateway, RpcError, type GatewayHandle } from "./gateway.ts";
import { fileURLToPath } from "node:url";
import { connectGatewayWs } from "./ws-client.ts";
import { descendantPids, isAlive } from "./processes.ts";

const PROBE_DIR = fileURLToPath(new URL("../fixtures/probe-plugin/", import.meta.url));
const CHUNK_LIMIT = 2000;

interface ProbeInfo {
  pluginConfig: Record<string, unknown>;
  registrationMode: string;
  runtimeVersion: string;
  stateDir: string;
  record: {
    registers: Array<{ mode: string }>;
    serviceStarts: Array<{ stateDir: string; workspaceDir?: string; keys: string[] }>;
    toolExecutions: Array<{ toolCallId: string; context: Record<string, unknown>; sent: string | null }>;
    commandCalls: Array<Record<string, unknown>>;
    gatewayCalls: Array<{ method: string; optionKeys: string[]; scopes: unknown }>;
  };
}

/** The JSON the probe's commands reply with ("probe-command {...}"), from recorded chunks. */
function commandReply(texts: string[]): Record<string, unknown> {
  const joined = texts.join("");
  const start = joined.indexOf("{");
  expect(joined.startsWith("probe-command"), joined.slice(0, 200)).toBe(true);
  return JSON.parse(joined.slice(start)) as Record<string, unknown>;
}

interface ChatEventPayload {
  runId?: string;
  state?: string;
  message?: { content?: Array<{ type?: string; text?: string }> };
}

let mock: MockOpenAI;
let gw: GatewayHandle;

beforeAll(async () => {
  mock = await startMockOpenAI();
  gw = await startGateway({
    label: "host-api",
    lockTimeoutMs: 180_000,
    testChannel: { allowFrom: ["alice", "bob"], textChunkLimit: CHUNK_LIMIT },
    modelBaseUrl: mock.baseUrl,
    pluginPaths: [PROBE_DIR],
    pluginConfig: { "e2e-probe": { greeting: "hey" } },
    config: { commands: { ownerAllowFrom: ["test-channel:alice"] } },
  });
}, 240_000);

afterAll(async () => {
  await gw?.cleanup();
  await mock?.close();
}, 30_000);

describe("e2e harness against the real gateway", () => {
  it("answers operator RPC and reports the test channel running", async () => {
    const health = await gw.rpc<{ ok: boolean; channels: Record<string, { running?: boolean }> }>("health");
    expect(health.ok).toBe(true);
    expect(health.channels["test-channel"]?.running).toBe(true);
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
  }, 15_000);

  it("routes an injected inbound message through the agent (mock model) to the outbound recorder", async () => {
    mock.on((r) => lastUserText(r).includes("ping from alice"), { text: "pong for alice" }, { times: 1 });
    const before = gw.outbound().length;
    const result = await gw.injectInbound({ from: "alice", text: "ping from alice" });
    expect(result).toMatchObject({ ok: true, chatType: "direct", to: "alice", commandAuthorized: true });
    const reply = await gw.waitForOutbound((m) => m.text === "pong for alice", 20_000, { after: before });
    expect(reply).toMatchObject({ channel: "test-channel", to: "alice", accountId: "default", via: "reply", ok: true });
    // The model saw the user's text.
    expect(mock.requests().some((r) => lastUserText(r).includes("ping from alice"))).toBe(true);
  }, 30_000);

  it("routes a group message to its own session and replies into the group", async () => {
    const before = gw.outbound().length;
    const result = await gw.injectInbound({ from: "alice", chat: "team-room", text: "hello room" });
    expect(result).toMatchObject({ ok: true, chatType: "group", to: "team-room" });
    expect(result.sessionKey).toContain("group:team-room");
    const reply = await gw.waitForOutbound((m) => m.to === "team-room", 20_000, { after: before });
    expect(reply.text).toBe("Mock model reply.");
  }, 30_000);

  it("splits a long reply at the channel's chunk limit", async () => {
    const long = Array.from({ length: 60 }, (_, i) => `Line ${i + 1} of a long answer, long enough to need several parts.`).join("\n");
    mock.on((r) => lastUserText(r).includes("long please"), { text: long }, { times: 1 });
    const before = gw.outbound().length;
    await gw.injectInbound({ from: "alice", text: "long please" });
    await gw.waitForOutbound((m) => m.text.includes("Line 60 of"), 20_000, { after: before });
    const parts = gw.outbound().slice(before).filter((m) => m.to === "alice");
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.text.length).toBeLessThanOrEqual(CHUNK_LIMIT);
    expect(parts.map((p) => p.text).join("\n")).toContain("Line 1 of");
  }, 30_000);

  it("drives WebChat (chat.send / chat.history) and direct tool invocation", async () => {
    mock.on((r) => lastUserText(r).includes("webchat hello"), { text: "webchat answer" }, { times: 1 });
    const afterIndex = gw.lastEventIndex();
    const sent = await gw.chatSend("agent:main:main", "webchat hello");
    const runId = (sent as { runId?: string }).runId;
    expect(runId).toBeTruthy();
    const final = await gw.waitForEvent(
      (e) => e.event === "chat" && (e.payload as ChatEventPayload).runId === runId && (e.payload as ChatEventPayload).state === "final",
      20_000,
      { afterIndex },
    );
    expect((final.payload as ChatEventPayload).message?.content?.[0]?.text).toBe("webchat answer");
    const history = await gw.chatHistory("agent:main:main", { limit: 5 });
    expect(JSON.stringify(history.messages)).toContain("webchat answer");

    const listed = await gw.invokeTool("sessions_list", {});
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.result)).toContain("agent:main:main");
    const missing = await gw.invokeTool("no_such_tool", {});
    expect(missing.status).toBe(404);
  }, 30_000);

  it("fails the next send on request, and the host's delivery queue retries it", async () => {
    await gw.failNextSends(1);
    const before = gw.outbound().length;
    const send = await gw.rpcRaw("send", { channel: "test-channel", to: "bob", message: "queued notice", idempotencyKey: "smoke-send-1" });
    expect(send.ok).toBe(false);
    expect(send.error?.details).toMatchObject({ code: "OUTBOUND_DELIVERY_QUEUED" });
    const failed = gw.outbound().slice(before);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ to: "bob", text: "queued notice", ok: false, failMode: "not-dispatched" });
    // The queue replays "not dispatched" failures on its 5 s recovery tick (observed ~10 s).
    const retried = await gw.waitForOutbound((m) => m.ok && m.text === "queued notice", 40_000, { after: before });
    expect(retried.to).toBe("bob");
  }, 50_000);

});

describe("OpenClaw host plugin API (verified against the real gateway)", () => {
  const info = (): Promise<ProbeInfo> => gw.rpc<ProbeInfo>("e2e-probe.info");

  /** Texts sent to `to` by one injected message (the reply may be chunked). */
  async function inject(from: string, text: string, chat?: string): Promise<string[]> {
    const before = gw.outbound().length;
    await gw.injectInbound({ from, text, ...(chat ? { chat } : {}) });
    return gw.outbound().slice(before).filter((m) => m.to === (chat ?? from)).map((m) => m.text);
  }

  it("applies manifest configSchema defaults to api.pluginConfig and starts services with stateDir", async () => {
    const probe = await info();
    expect(probe.pluginConfig).toEqual({ greeting: "hey", limit: 7, nested: { flag: true } });
    expect(probe.runtimeVersion).toBe("2026.9.6");
    expect(probe.record.registers.map((r) => r.mode)).toContain("full");
    expect(probe.stateDir).toBe(gw.stateDir);
    expect(probe.record.serviceStarts[0]?.stateDir).toBe(gw.stateDir);
    expect(probe.record.serviceStarts[0]?.keys).toEqual(expect.arrayContaining(["config", "logger", "stateDir", "workspaceDir"]));
  }, 15_000);

  it("gateway methods: default scope is operator.admin, explicit scopes apply, respond(false) keeps the code", async () => {
    const limited = await connectGatewayWs({ url: gw.wsUrl, token: gw.token, scopes: ["operator.read", "operator.write"] });
    const readOnly = await connectGatewayWs({ url: gw.wsUrl, token: gw.token, scopes: ["operator.read"] });
    try {
      const admin = await limited.request("e2e-probe.admin", {});
      expect(admin.ok).toBe(false);
      expect(admin.error).toMatchObject({ code: "FORBIDDEN", details: { code: "MISSING_SCOPE", missingScope: "operator.admin" } });
      expect((await limited.request("e2e-probe.info", {})).ok).toBe(true);
      const write = await readOnly.request("e2e-probe.send", { channel: "test-channel", to: "x", text: "y" });
      expect(write.error).toMatchObject({ code: "FORBIDDEN", details: { missingScope: "operator.write" } });
    } finally {
      await limited.close();
      await readOnly.close();
    }
    const failed = await gw.rpcRaw("e2e-probe.fail", {});
    expect(failed).toMatchObject({ ok: false, error: { code: "NOT_FOUND", message: "probe: nothing here" } });
    await expect(gw.rpc("e2e-probe.fail")).rejects.toBeInstanceOf(RpcError);
    const call = (await info()).record.gatewayCalls.at(-1);
    expect(call?.optionKeys).toEqual(expect.arrayContaining(["params", "respond", "client", "req", "context"]));
  }, 20_000);

  it("chat commands from a channel: ctx fields, owner gating, and where the conversation is", async () => {
    const dm = commandReply(await inject("alice", "/probe hello world"));
    expect(dm).toMatchObject({
      channel: "test-channel",
      channelId: "test-channel",
      senderId: "alice",
      from: "alice",
      to: "test-channel:bot", // a DM's `to` is the bot, not the chat
      accountId: "default",
      isAuthorizedSender: true,
      senderIsOwner: null, // not exposed to non-bundled plugins
      gatewayClientScopes: null,
      agentId: "main",
      sessionKey: "agent:main:main",
      args: "hello world",
      commandBody: "/probe hello world",
    });
    // The session entry knows where that conversation is delivered.
    expect(dm.sessionRoute).toMatchObject({
      chatType: "direct",
      delivery: { context: { channel: "test-channel", to: "alice", accountId: "default" } },
    });

    const group = commandReply(await inject("alice", "/probe in group", "ops-room"));
    expect(group).toMatchObject({ to: "ops-room", sessionKey: "agent:main:test-channel:group:ops-room", args: "in group" });
    expect(group.sessionRoute).toMatchObject({ chatType: "group", delivery: { context: { to: "ops-room" } } });

    // bob is in allowFrom but commands.ownerAllowFrom names only alice: requireAuth commands are refused.
    const callsBefore = (await info()).record.commandCalls.length;
    expect(await inject("bob", "/probe hi")).toEqual(["⚠️ This command requires authorization."]);
    expect(await inject("mallory", "/probe hi")).toEqual(["⚠️ This command requires authorization."]);
    expect((await info()).record.commandCalls.length).toBe(callsBefore);
    // requireAuth:false runs for anyone; isAuthorizedSender tells the handler who it is.
    expect(commandReply(await inject("mallory", "/probe_open hi"))).toMatchObject({ senderId: "mallory", isAuthorizedSender: false });
  }, 30_000);

  it("chat commands from WebChat (chat.send): channel webchat, operator scopes, reply as the run's final message", async () => {
    const run = await gw.chatRun("agent:main:main", "/probe from webchat", { timeoutMs: 20_000 });
    expect(run.state).toBe("final");
    const reply = commandReply([run.text]);
    expect(reply).toMatchObject({ channel: "webchat", senderId: "cli", to: "agent:main:main", isAuthorizedSender: true, sessionKey: "agent:main:main" });
    expect(reply.gatewayClientScopes).toEqual(expect.arrayContaining(["operator.admin"]));
  }, 30_000);

  it("tool factories get the conversation (deliveryContext, requester) in agent turns, not via /tools/invoke", async () => {
    const direct = await gw.invokeTool("probe_context", { note: "direct" });
    expect(direct.status).toBe(200);
    const directDetails = (direct.result as { details: { context: Record<string, unknown> } }).details.context;
    expect(directDetails).toMatchObject({ agentId: "main", sessionKey: "agent:main:main", senderIsOwner: true, deliveryContext: null, hasDelivery: false });

    const withHeaders = await gw.invokeTool("probe_context", {}, {
      sessionKey: "agent:main:test-channel:group:ops-room",
      headers: { "x-openclaw-message-channel": "test-channel", "x-openclaw-message-to": "ops-room" },
    });
    expect((withHeaders.result as { details: { context: Record<string, unknown> } }).details.context).toMatchObject({
      messageChannel: "test-channel",
      deliveryContext: { channel: "test-channel", to: "ops-room" },
    });

    mock.on((r) => lastUserText(r).includes("use the probe") && !hasToolResult(r), {
      toolCalls: [{ name: "probe_context", arguments: { note: "from-agent", send: "sent with ctx.delivery" } }],
    }, { times: 1 });
    mock.on((r) => hasToolResult(r) && JSON.stringify(r.messages).includes("from-agent"), { text: "probe done" }, { times: 1 });
    const texts = await inject("alice", "please use the probe", "ops-room");
    expect(texts).toEqual(["sent with ctx.delivery", "probe done"]);
    const exec = (await info()).record.toolExecutions.at(-1);
    expect(exec?.sent).toBe("sent with ctx.delivery");
    expect(exec?.context).toMatchObject({
      agentId: "main",
      sessionKey: "agent:main:test-channel:group:ops-room",
      messageChannel: "test-channel",
      agentAccountId: "default",
      requesterSenderId: "alice",
      deliveryContext: { channel: "test-channel", to: "ops-room", accountId: "default" },
      hasDelivery: true,
    });
  }, 30_000);

  it("outbound from plugin code: sendDurableMessageBatch chunks and reports failures; adapter.sendText does not chunk", async () => {
    let before = gw.outbound().length;
    const durable = await gw.rpc<{ status: string; resultCount: number }>("e2e-probe.send", { channel: "test-channel", to: "bob", text: "x".repeat(4500) });
    expect(durable).toMatchObject({ status: "sent", resultCount: 3 });
    expect(gw.outbound().slice(before).map((m) => m.text.length)).toEqual([2000, 2000, 500]);

    before = gw.outbound().length;
    const viaAdapter = await gw.rpc<{ result: { messageId: string } }>("e2e-probe.send", { channel: "test-channel", to: "bob", text: "y".repeat(4500), via: "adapter" });
    expect(viaAdapter.result.messageId).toBeTruthy();
    expect(gw.outbound().slice(before).map((m) => m.text.length)).toEqual([4500]);

    await gw.failNextSends(1);
    before = gw.outbound().length;
    const failed = await gw.rpc<{ status: string; error: string }>("e2e-probe.send", { channel: "test-channel", to: "bob", text: "retry me" });
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("send failed on purpose");

    before = gw.outbound().length;
    const presentation = {
      title: "Session fix-tests",
      blocks: [
        { type: "text", text: "Claude is waiting for input." },
        { type: "buttons", buttons: [{ label: "Show", action: { type: "command", command: "/claude_fg fix-tests" } }] },
      ],
    };
    await gw.rpc("e2e-probe.send", { channel: "test-channel", to: "bob", text: "Claude is waiting for input.", presentation });
    const card = gw.outbound().slice(before)[0];
    expect(card?.buttons).toEqual([{ label: "Show", action: { type: "command", command: "/claude_fg fix-tests" }, value: null }]);
  }, 30_000);

  it("runtime.channel.text: resolveTextChunkLimit reads channel config, else 4000; chunkMarkdownText splits", async () => {
    const chunked = await gw.rpc<{ limit: number; chunks: string[] }>("e2e-probe.chunk", { channel: "test-channel", text: "word ".repeat(500) });
    expect(chunked.limit).toBe(CHUNK_LIMIT);
    expect(chunked.chunks.length).toBe(2);
    const telegram = await gw.rpc<{ limit: number }>("e2e-probe.chunk", { channel: "telegram", text: "a" });
    expect(telegram.limit).toBe(4000);
  }, 15_000);

  it("runtime.state.openKeyedStore is refused to plugins loaded from a local path", async () => {
    const res = await gw.rpcRaw("e2e-probe.state", { key: "k", value: 1 });
    expect(res.ok).toBe(false);
    expect(res.error?.message).toContain("openKeyedStore is only available for trusted plugins");
  }, 15_000);

  it("wakes: enqueueSystemEvent + requestHeartbeat(immediate) runs an agent turn that sees the event", async () => {
    const seen = mock.requests().length;
    const started = Date.now();
    await gw.rpc("e2e-probe.wake", { sessionKey: "agent:main:test-channel:group:ops-room", agentId: "main", text: "PROBE-WAKE-1" });
    const request = await mock.waitForRequest((r) => r.seq > seen && JSON.stringify(r.messages).includes("PROBE-WAKE-1"), 15_000);
    expect(request.time - started).toBeLessThan(10_000);
    // The event text reaches the model inside OpenClaw's internal-context block ("System: [...] PROBE-WAKE-1").
    expect(JSON.stringify(request.messages)).toMatch(/System: \[[^\]]+\] PROBE-WAKE-1/);
  }, 30_000);

  it("CLI: registerCli adds `openclaw <name>`; `plugins inspect --runtime --json` lists what the plugin registered", async () => {
    const cli = await gw.cli(["e2e-probe"]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('"probeCli":true');
    const inspect = await gw.cli(["plugins", "inspect", "e2e-probe", "--runtime", "--json"]);
    expect(inspect.code).toBe(0);
    const report = JSON.parse(inspect.stdout) as Record<string, unknown>;
    const text = JSON.stringify(report);
    for (const name of ["probe_context", "e2e-probe.info", "e2e-probe-service"]) expect(text).toContain(name);
    expect(text).toContain('"probe"');
  }, 60_000);
});

describe("e2e harness: stopping", () => {
  it("stops cleanly: SIGTERM ends the gateway and its workers, temp files are removed", async () => {
    const pid = gw.pid;
    expect(pid).toBeGreaterThan(0);
    const workers = descendantPids(pid);
    const rootDir = gw.rootDir;
    await gw.cleanup();
    expect(gw.running).toBe(false);
    expect(isAlive(pid)).toBe(false);
    for (const worker of workers) expect(isAlive(worker)).toBe(false);
    expect(existsSync(rootDir)).toBe(false);
  }, 30_000);
});

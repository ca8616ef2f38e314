// Smoke test of the end-to-end harness against the real OpenClaw gateway: one gateway with the
// test channel and the mock model; RPC, inbound -> agent -> outbound, chunking, WebChat, tool
// invocation, injected send failures, and a clean stop. Bounded: ~30 s here, 120 s at most.

import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastUserText, startMockOpenAI, type MockOpenAI } from "../fixtures/mock-openai/server.ts";
import { startGateway, type GatewayHandle } from "./gateway.ts";
import { descendantPids, isAlive } from "./processes.ts";

const CHUNK_LIMIT = 120;

interface ChatEventPayload {
  runId?: string;
  state?: string;
  message?: { content?: Array<{ type?: string; text?: string }> };
}

describe("e2e harness against the real gateway", () => {
  let mock: MockOpenAI;
  let gw: GatewayHandle;

  beforeAll(async () => {
    mock = await startMockOpenAI();
    gw = await startGateway({
      label: "smoke",
      lockTimeoutMs: 180_000,
      testChannel: { allowFrom: ["alice"], textChunkLimit: CHUNK_LIMIT },
      modelBaseUrl: mock.baseUrl,
    });
  }, 240_000);

  afterAll(async () => {
    await gw?.cleanup();
    await mock?.close();
  }, 30_000);

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
    const long = Array.from({ length: 12 }, (_, i) => `Line ${i + 1} of a long answer.`).join("\n");
    mock.on((r) => lastUserText(r).includes("long please"), { text: long }, { times: 1 });
    const before = gw.outbound().length;
    await gw.injectInbound({ from: "alice", text: "long please" });
    await gw.waitForOutbound((m) => m.text.includes("Line 12"), 20_000, { after: before });
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

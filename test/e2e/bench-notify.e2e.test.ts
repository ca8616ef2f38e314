// Smoke test of the notify benchmark (bench/notify): its fixture plugin still loads in a real
// gateway beside our built plugin, its RPC drives the plugin's real notifier so every notice
// reaches the test channel's adapter once and in order, and the old CLI path still sends; the
// first plugin call right after the gateway's ready is answered (bench:boot's measure). A
// refactor that breaks the benchmarks fails here instead of silently.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayHandle, RpcResponse } from "./harness/gateway.ts";
import { BENCH_NOTIFY_MEMORY, BENCH_NOTIFY_RUN, type MemoryResponse, type RunResponse } from "../../bench/notify/fixture/protocol.ts";
import { idleMemory, sendViaCli, startNotifyGateway, waitForPluginService } from "../../bench/notify/setup.ts";

let gw: GatewayHandle;
/** The first claude-code.sessions, sent the moment the gateway is ready (as bench:boot does). */
let firstSessions: Promise<{ res: RpcResponse; ms: number }>;

beforeAll(async () => {
  gw = await startNotifyGateway({ withPlugin: true, label: "bench-notify-smoke", lockTimeoutMs: 300_000 });
  const readyAt = Date.now();
  firstSessions = gw.rpcRaw("claude-code.sessions", {}, { timeoutMs: 30_000 }).then((res) => ({ res, ms: Date.now() - readyAt }));
}, 400_000);

afterAll(async () => {
  await gw?.cleanup();
}, 60_000);

const sentTo = (to: string) => gw.outbound().filter((r) => r.to === to);

describe("bench/notify fixture in a real gateway", () => {
  it("a call made as soon as the gateway is ready is answered: it waits for the service's background start, bounded", async () => {
    const { res, ms } = await firstSessions;
    expect(res.error?.message).toBeUndefined();
    expect(res.ok).toBe(true);
    expect(ms).toBeLessThan(10_000);
  }, 40_000);

  it("the plugin's service runs beside the fixture (the memory comparison depends on it)", async () => {
    await waitForPluginService(gw);
    expect((await gw.rpcRaw("claude-code.stats")).ok).toBe(true);
  }, 90_000);

  it("sequential run: each synthetic waiting/ended event becomes one notice at the test channel, in order", async () => {
    const res = await gw.rpc<RunResponse>(BENCH_NOTIFY_RUN, { count: 6, warmup: 2, to: "smoke-seq", mode: "sequential" }, { timeoutMs: 60_000 });
    expect(res.pid).toBe(gw.pid);
    expect(res.outbox).toBe(true);
    expect(res.sends).toBe(6);
    expect(res.samples.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5]);
    const recorded = sentTo("smoke-seq");
    expect(recorded.map((r) => r.text)).toEqual(res.samples.map((s) => s.text));
    expect(recorded.every((r) => r.ok && r.via === "outbound")).toBe(true);
    // The notices are the plugin's real texts: waiting and completed, alternately.
    expect(recorded[0]?.text).toMatch(/^🔔 bench-0 \[bn[0-9a-z]{6}\] is waiting for input/);
    expect(recorded[1]?.text).toMatch(/^✅ bench-1 \[bn[0-9a-z]{6}\] completed in \/srv\/bench/);
    for (const s of res.samples) {
      expect(s.calledMs).toBeGreaterThanOrEqual(0);
      expect(s.recordedMs).toBeGreaterThanOrEqual(s.calledMs);
    }
    // Warm-up notices went to their own conversation and are not among the samples.
    expect(sentTo("smoke-seq-warmup")).toHaveLength(2);
  }, 90_000);

  it("without the outbox, and when run again (new session ids, so no notice is a duplicate), all notices still arrive", async () => {
    const res = await gw.rpc<RunResponse>(BENCH_NOTIFY_RUN, { count: 4, warmup: 1, to: "smoke-bare", outbox: false }, { timeoutMs: 60_000 });
    expect(res.outbox).toBe(false);
    expect(sentTo("smoke-bare").map((r) => r.text)).toEqual(res.samples.map((s) => s.text));
    const again = await gw.rpc<RunResponse>(BENCH_NOTIFY_RUN, { count: 4, warmup: 1, to: "smoke-bare" }, { timeoutMs: 60_000 });
    expect(sentTo("smoke-bare").map((r) => r.text)).toEqual([...res.samples, ...again.samples].map((s) => s.text));
  }, 90_000);

  it("burst run: events emitted at once to one conversation all arrive, in order", async () => {
    const res = await gw.rpc<RunResponse>(BENCH_NOTIFY_RUN, { count: 8, warmup: 0, to: "smoke-burst", mode: "burst" }, { timeoutMs: 60_000 });
    expect(res.mode).toBe("burst");
    expect(sentTo("smoke-burst").map((r) => r.text)).toEqual(res.samples.map((s) => s.text));
    expect(new Set(res.samples.map((s) => s.text)).size).toBe(8);
  }, 90_000);

  it("rejects a bad request with a reason", async () => {
    const res = await gw.rpcRaw(BENCH_NOTIFY_RUN, { count: 0, to: "x" });
    expect(res.ok).toBe(false);
    expect(res.error?.message).toContain("count must be");
  }, 30_000);

  it("memory figures come from the gateway process itself, after a GC", async () => {
    const m = await gw.rpc<MemoryResponse>(BENCH_NOTIFY_MEMORY);
    expect(m.pid).toBe(gw.pid);
    expect(m.gcRan).toBe(true);
    expect(m.heapUsedBytes).toBeGreaterThan(0);
    expect(m.rssBytes).toBeGreaterThan(m.heapUsedBytes);
    // bench:notify's and bench:boot's reading of them.
    const idle = await idleMemory(gw, 0, 1);
    expect(idle.heapUsedKb).toBeGreaterThan(0);
    expect(idle.rssKb * 1024).toBeGreaterThan(idle.heapUsedKb * 1024);
  }, 30_000);

  it("old way: `openclaw message send` delivers the same text to the same conversation", async () => {
    const text = "✅ bench-smoke [bn999999] completed via the CLI";
    const timing = await sendViaCli(gw, "smoke-seq", text);
    expect(timing.record.text).toBe(text);
    expect(timing.recordedMs).toBeGreaterThan(0);
  }, 120_000);
});

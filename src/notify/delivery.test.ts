import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Route } from "../config.ts";
import { silentLogger } from "../engine/index.ts";
import { openStore, type PluginStore } from "../store/index.ts";
import { Delivery, type Transport } from "./delivery.ts";

function recorder(failures: Record<string, number> = {}) {
  const sent: Array<{ to: string; text: string; at: number }> = [];
  let attempts = 0;
  const transport: Transport = {
    async send(route: Route, text: string) {
      attempts++;
      const left = failures[text] ?? 0;
      if (left > 0) {
        failures[text] = left - 1;
        throw new Error("channel unavailable");
      }
      sent.push({ to: route.to, text, at: Date.now() });
    },
    chunk: (_route, text) => text.split("|"),
  };
  return { transport, sent, attempts: () => attempts };
}

const a: Route = { channel: "test", to: "a" };
const b: Route = { channel: "test", to: "b" };

describe("Delivery", () => {
  it("delivers a chunk that fails twice exactly once, in order with the rest", async () => {
    const r = recorder({ two: 2 });
    const d = new Delivery({ transport: r.transport, logger: silentLogger, retryDelaysMs: [1, 1, 1] });
    const outcome = await d.enqueue(a, "one|two|three", "t");
    expect(outcome).toEqual({ delivered: true, chunks: 3, attempts: 5 });
    expect(r.sent.map((s) => s.text)).toEqual(["one", "two", "three"]);
  });

  it("gives up after the bounded retries and reports why", async () => {
    const r = recorder({ x: 10 });
    const d = new Delivery({ transport: r.transport, logger: silentLogger, retryDelaysMs: [1, 1] });
    const outcome = await d.enqueue(a, "x", "t");
    expect(outcome).toEqual({ delivered: false, error: "channel unavailable", attempts: 3 });
    expect(r.sent).toHaveLength(0);
  });

  it("keeps order per conversation while a failing one does not block another", async () => {
    const r = recorder({ a1: 1 });
    const d = new Delivery({ transport: r.transport, logger: silentLogger, retryDelaysMs: [30] });
    const p1 = d.enqueue(a, "a1", "t");
    const p2 = d.enqueue(a, "a2", "t");
    const p3 = d.enqueue(b, "b1", "t");
    await Promise.all([p1, p2, p3]);
    const order = r.sent.map((s) => s.text);
    expect(order.indexOf("a1")).toBeLessThan(order.indexOf("a2"));
    expect(order.indexOf("b1")).toBeLessThan(order.indexOf("a1")); // b was not held behind a's retry
  });

  it("paces sends to one conversation", async () => {
    const r = recorder();
    const d = new Delivery({ transport: r.transport, logger: silentLogger, paceMs: () => 40 });
    await d.enqueue(a, "1|2|3", "t");
    const gaps = r.sent.slice(1).map((s, i) => s.at - r.sent[i]!.at);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(35);
  });
});

describe("Delivery with the outbox", () => {
  let dir: string;
  let db: PluginStore<unknown> | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "ccp-outbox-"));
  });
  afterEach(() => {
    db?.close();
    db = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const reopen = () => {
    db?.close();
    db = openStore<unknown>({ stateDir: dir, maxPersistedSessions: 100, agentOf: () => undefined });
    return db.outbox;
  };

  it("resumes after a restart from the chunk that failed, sending each chunk once", async () => {
    const r = recorder({ two: 100 });
    const first = new Delivery({ transport: r.transport, logger: silentLogger, retryDelaysMs: [60_000], outbox: reopen() });
    const outcome = first.enqueue(a, "one|two|three", "t", { key: "s1:ended" });
    while (r.attempts() < 2) await new Promise((res) => setImmediate(res));
    first.close(); // the gateway stops while the retry waits
    expect(await outcome).toEqual({ delivered: false, skipped: "stopped" });
    expect(r.sent.map((s) => s.text)).toEqual(["one"]);

    const r2 = recorder();
    const second = new Delivery({ transport: r2.transport, logger: silentLogger, retryDelaysMs: [1], outbox: reopen() });
    expect(second.resumePending()).toBe(1);
    await second.idle();
    expect(r2.sent.map((s) => s.text)).toEqual(["two", "three"]);
    // Delivered: nothing left to resume, and the same key is not sent again.
    const third = new Delivery({ transport: r2.transport, logger: silentLogger, outbox: reopen() });
    expect(third.resumePending()).toBe(0);
    expect(await third.enqueue(a, "one|two|three", "t", { key: "s1:ended" })).toEqual({ delivered: false, skipped: "duplicate" });
    expect(r2.sent).toHaveLength(2);
  });

  it("counts attempts across restarts and gives up for good after the bound", async () => {
    const r = recorder({ x: 100 });
    const first = new Delivery({ transport: r.transport, logger: silentLogger, retryDelaysMs: [1, 60_000], outbox: reopen() });
    const outcome = first.enqueue(a, "x", "t", { key: "k" });
    while (r.attempts() < 2) await new Promise((res) => setImmediate(res));
    first.close();
    await outcome;
    const second = new Delivery({ transport: r.transport, logger: silentLogger, retryDelaysMs: [1, 1], outbox: reopen() });
    second.resumePending();
    await second.idle();
    expect(r.attempts()).toBe(3); // two before the restart, the last one allowed after it
    expect(new Delivery({ transport: r.transport, logger: silentLogger, outbox: reopen() }).resumePending()).toBe(0);
  });

  it("keeps per-conversation order for notices resumed after a restart", async () => {
    const outbox = reopen();
    const blocked = recorder({ first: 100 });
    const d = new Delivery({ transport: blocked.transport, logger: silentLogger, retryDelaysMs: [60_000], outbox });
    void d.enqueue(a, "first", "t", { key: "1" });
    void d.enqueue(a, "second", "t", { key: "2" });
    void d.enqueue(b, "other", "t", { key: "3" });
    while (blocked.attempts() < 2) await new Promise((res) => setImmediate(res));
    d.close();
    await d.idle();
    expect(blocked.sent.map((s) => s.text)).toEqual(["other"]);
    const r = recorder();
    const after = new Delivery({ transport: r.transport, logger: silentLogger, outbox: reopen() });
    expect(after.resumePending()).toBe(2);
    await after.idle();
    expect(r.sent.map((s) => s.text)).toEqual(["first", "second"]);
  });

  it("a hung channel: each send times out and is retried; close() ends the wait at once and the notice stays in the outbox", async () => {
    let calls = 0;
    const hung: Transport = {
      send: () => {
        calls++;
        return new Promise<void>(() => undefined); // the platform never answers
      },
      chunk: (_route, text) => [text],
    };
    const first = new Delivery({ transport: hung, logger: silentLogger, retryDelaysMs: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], sendTimeoutMs: 40, outbox: reopen() });
    const outcome = first.enqueue(a, "✅ done", "t", { key: "s1:ended" });
    while (calls < 3) await new Promise((res) => setTimeout(res, 5));
    // Shutdown does not wait for the hung send.
    const started = Date.now();
    first.close();
    expect(await outcome).toEqual({ delivered: false, skipped: "stopped" });
    await first.idle();
    expect(Date.now() - started).toBeLessThan(200);

    const r = recorder();
    const second = new Delivery({ transport: r.transport, logger: silentLogger, retryDelaysMs: [1], outbox: reopen() });
    expect(second.resumePending()).toBe(1);
    await second.idle();
    expect(r.sent.map((s) => s.text)).toEqual(["✅ done"]);
  });

  it("a send that times out counts as a failed attempt with the reason", async () => {
    const hung: Transport = { send: () => new Promise<void>(() => undefined), chunk: (_route, text) => [text] };
    const d = new Delivery({ transport: hung, logger: silentLogger, retryDelaysMs: [1], sendTimeoutMs: 20 });
    expect(await d.enqueue(b, "x", "t")).toEqual({ delivered: false, error: "the channel did not answer within 20 ms", attempts: 2 });
  });
});

import { describe, expect, it } from "vitest";
import type { Route } from "../config.ts";
import { silentLogger } from "../engine/index.ts";
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

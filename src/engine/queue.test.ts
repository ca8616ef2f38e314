// The launch queue through the engine on the in-memory backend: beyond maxSessions launches are
// queued with their place, start in order (agents in turn) as slots free, a queued session is
// killed without ever starting, shutdown leaves the queue alone, a restart queues them again, and
// a higher maxSessions starts them at once.
import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../test/support/memory-backend.ts";
import { EventLog } from "../../test/support/events.ts";
import { SessionEngine } from "./index.ts";
import { tmpdir } from "node:os";

type Owner = { agentId: string };
const workdir = tmpdir();

function engine(max: number, maxQueued = 20) {
  const backend = memoryBackend();
  const received = backend.received;
  const e = new SessionEngine<Owner>({
    maxSessions: max,
    maxQueued,
    queueKeyOf: (o) => o.agentId,
    backend,
    defaultWorkdir: workdir,
    baseEnv: {},
    isRoot: () => false,
    idleTimeoutMs: 0,
  });
  const log = new EventLog(e);
  return { e, log, events: log.events, received };
}

const launch = (e: SessionEngine<Owner>, prompt: string, agentId = "main") => e.launch({ prompt, owner: { agentId }, permissionMode: "default" });

describe("launch queue in the engine", () => {
  it("queues launches beyond maxSessions with their place and starts them in order as sessions end", async () => {
    const { e, log, events } = engine(2);
    const a = launch(e, "one");
    const b = launch(e, "two");
    const c = launch(e, "three");
    const d = launch(e, "four");
    expect([a.status, b.status]).toEqual(["starting", "starting"]);
    expect(c).toMatchObject({ status: "queued", queue: { position: 1, total: 1 } });
    expect(d).toMatchObject({ status: "queued", queue: { position: 2, total: 2 } });
    expect(e.get(c.id).queue).toEqual({ position: 1, total: 2 });
    await log.waitFor((ev) => ev.type === "waiting" && ev.session.id === b.id);
    const started = log.next((ev) => ev.type === "started");
    await e.kill(a.id, "test");
    expect((await started).session.id).toBe(c.id);
    expect(e.get(d.id).queue).toEqual({ position: 1, total: 1 });
    await log.waitFor((ev) => ev.type === "waiting" && ev.session.id === c.id);
    await e.kill(b.id, "test");
    await log.waitFor((ev) => ev.type === "waiting" && ev.session.id === d.id);
    expect(events.filter((ev) => ev.type === "started").map((ev) => ev.session.id)).toEqual([c.id, d.id]);
    // A queued session's first turn is its own prompt.
    expect(e.get(d.id).lastResult).toBe("done: four");
    await e.shutdown();
  });

  it("takes agents in turn when several wait", async () => {
    const { e, log, events } = engine(1);
    const first = launch(e, "first", "A");
    for (const p of ["a1", "a2", "a3"]) launch(e, p, "A");
    launch(e, "b1", "B");
    const order = e.list().filter((s) => s.status === "queued").sort((x, y) => (x.queue?.position ?? 0) - (y.queue?.position ?? 0)).map((s) => s.prompt);
    expect(order).toEqual(["a1", "b1", "a2", "a3"]);
    await log.waitFor((ev) => ev.type === "waiting" && ev.session.id === first.id);
    for (let i = 0; i < 4; i++) {
      const started = log.next((ev) => ev.type === "started");
      const running = e.list().find((s) => s.status === "waiting" || s.status === "running" || s.status === "starting");
      await e.kill(running!.id, "test");
      const s = (await started).session;
      await log.waitFor((ev) => ev.type === "waiting" && ev.session.id === s.id);
    }
    expect(events.filter((ev) => ev.type === "started").map((ev) => ev.session.prompt)).toEqual(["a1", "b1", "a2", "a3"]);
    await e.shutdown();
  });

  it("kills a queued session before it ever starts, and refuses to interrupt it", async () => {
    const { e, events, received } = engine(1);
    launch(e, "busy");
    const q = launch(e, "waits");
    await expect(e.interrupt(q.id)).rejects.toThrow(/queued/);
    const ended = await e.kill(q.id, "user 1");
    expect(ended).toMatchObject({ status: "killed", pid: undefined });
    expect(events.some((ev) => ev.type === "started")).toBe(false);
    expect(received).toHaveLength(1); // only the busy session reached a backend
    await e.shutdown();
  });

  it("refuses with LIMIT_REACHED once the queue is full, naming the running sessions", () => {
    const { e } = engine(1, 1);
    const busy = launch(e, "busy");
    launch(e, "queued");
    expect(() => launch(e, "one too many")).toThrow(/1 session is running, the limit is 1 and 1 launch\(es\) wait in the queue/);
    expect(() => launch(e, "one too many")).toThrow(new RegExp(busy.id));
    void e.shutdown();
  });

  it("leaves queued sessions queued on shutdown, and a new engine queues them again and starts them", async () => {
    const first = engine(1);
    launch(first.e, "busy");
    const q = launch(first.e, "later");
    await first.e.shutdown();
    const stored = first.e.list().filter((s) => s.status === "queued");
    expect(stored.map((s) => s.id)).toEqual([q.id]);

    const second = engine(1);
    const started = second.log.next((ev) => ev.type === "started");
    const restored = second.e.restoreQueued(stored);
    expect(restored.map((s) => [s.id, s.name, s.createdAt])).toEqual([[q.id, q.name, q.createdAt]]);
    expect((await started).session.id).toBe(q.id);
    await second.log.waitFor((ev) => ev.type === "waiting" && ev.session.id === q.id);
    expect(second.received[0]).toEqual(["later"]);
    await second.e.shutdown();
  });

  it("starts queued launches at once when maxSessions is raised", async () => {
    const { e, log } = engine(1);
    launch(e, "busy");
    const q = launch(e, "waiting");
    const started = log.next((ev) => ev.type === "started");
    e.setLimits({ maxSessions: 2, maxQueued: 20 });
    expect((await started).session.id).toBe(q.id);
    await e.shutdown();
  });
});

// The session engine driving the real Claude Code CLI (through the Agent SDK) against the offline model.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startOfflineModel, type OfflineModel } from "../../offline-model/src/index.ts";
import { SessionEngine, type EngineOptions, type SessionSnapshot } from "../../src/engine/index.ts";
import { EventLog, isEnded, isWaiting } from "../support/events.ts";
import { createSandbox, processExists, type Sandbox } from "../support/sandbox.ts";

type Owner = { agent: string };
const owner: Owner = { agent: "main" };

let model: OfflineModel;
let box: Sandbox;
let engine: SessionEngine<Owner>;
let log: EventLog<Owner>;

function makeEngine(options: EngineOptions = {}): SessionEngine<Owner> {
  engine = new SessionEngine<Owner>({ baseEnv: box.env, defaultWorkdir: box.workdir, allowRootBypass: true, ...options });
  log = new EventLog(engine);
  return engine;
}

beforeEach(async () => {
  model = await startOfflineModel({ fallback: "error" });
  box = await createSandbox(model.url);
});

afterEach(async () => {
  await engine?.shutdown();
  for (const s of engine?.list() ?? []) {
    if (s.pid !== undefined) expect(processExists(s.pid), `process of ${s.name} is gone`).toBe(false);
  }
  log?.unsubscribe();
  await model.close();
  await box.cleanup();
});

function allText(messages: unknown): string {
  return JSON.stringify(messages);
}

describe("engine through the real Claude Code CLI", () => {
  it("runs a task that really writes a file and completes a single-turn session", async () => {
    makeEngine();
    const target = path.join(box.workdir, "hello.txt");
    model.script(
      { type: "tool_use", name: "Write", input: { file_path: target, content: "hello from claude\n" } },
      { type: "text", text: "I wrote hello.txt." },
    );
    const launched = engine.launch({ prompt: "Create hello.txt", multiTurnDisabled: true, owner });
    expect(launched.status).toBe("starting");
    expect(launched.name).toBe("create-hello-txt");
    const ended = await log.waitFor(isEnded(launched.id), 60_000);
    expect(ended.status).toBe("completed");
    expect(ended.reason).toEqual({ kind: "done" });
    expect(await readFile(target, "utf8")).toBe("hello from claude\n");
    const out = engine.get(launched.id).output.all();
    expect(out.map((e) => e.kind)).toEqual(["tool_use", "text", "result"]);
    expect(out[0]?.text).toBe(`Write — ${target}`);
    expect(ended.session.costUsd).toBeGreaterThan(0);
    expect(ended.session.claudeSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(log.ofType("ended", launched.id)).toHaveLength(1);
  });

  it("keeps three turns on one Claude session id, each turn seeing the earlier ones", async () => {
    makeEngine();
    model.script({ type: "text", text: "one" }, { type: "text", text: "two" }, { type: "text", text: "three" });
    const s = engine.launch({ prompt: "turn-alpha", owner });
    await log.waitFor(isWaiting(s.id), 60_000);
    for (const [i, msg] of ["turn-beta", "turn-gamma"].entries()) {
      const next = log.next((e) => isWaiting<Owner>(s.id)(e), 60_000, `waiting after turn ${i + 2}`);
      await engine.respond(s.id, msg);
      await next;
    }
    const snap = engine.snapshot(s.id);
    expect(snap.status).toBe("waiting");
    expect(snap.turns).toBe(3);
    expect(snap.lastResult).toBe("three");
    const ids = new Set(log.ofType("claude_session", s.id).map((e) => e.claudeSessionId));
    expect(ids.size).toBe(1);
    expect(model.requests).toHaveLength(3);
    const third = allText(model.requests[2]?.messages);
    expect(third).toContain("turn-alpha");
    expect(third).toContain("turn-beta");
    expect(third).toContain("turn-gamma");
    expect(engine.get(s.id).output.all().filter((e) => e.kind === "followup").map((e) => e.text)).toEqual(["turn-beta", "turn-gamma"]);
  });

  it("interrupts a turn mid-stream, then carries on with a follow-up", async () => {
    makeEngine();
    model.script({ type: "text", text: "slow ".repeat(100), chunks: 100, chunkDelayMs: 100 }, { type: "text", text: "after the interrupt" });
    const s = engine.launch({ prompt: "write a long essay", owner });
    await model.waitForRequests(1, 30_000);
    const started = Date.now();
    const waiting = log.next((e) => isWaiting<Owner>(s.id)(e), 30_000, "waiting after interrupt");
    await engine.interrupt(s.id);
    const w = await waiting;
    expect(w.type === "waiting" && w.interrupted).toBe(true);
    expect(Date.now() - started).toBeLessThan(8000); // the scripted stream alone lasts 10 s
    expect(engine.snapshot(s.id).status).toBe("waiting");

    const again = log.next((e) => isWaiting<Owner>(s.id)(e), 30_000, "waiting after follow-up");
    await engine.respond(s.id, "continue please");
    await again;
    expect(engine.snapshot(s.id).lastResult).toBe("after the interrupt");
    expect(allText(model.requests.at(-1)?.messages)).toContain("continue please");
  });

  it("interrupts and sends in one call (respond with interrupt)", async () => {
    makeEngine();
    model.script({ type: "text", text: "slow ".repeat(100), chunks: 100, chunkDelayMs: 100 }, { type: "text", text: "redirected" });
    const s = engine.launch({ prompt: "start something long", owner });
    await model.waitForRequests(1, 30_000);
    const done = log.next((e) => isWaiting<Owner>(s.id)(e) && e.type === "waiting" && !e.interrupted, 30_000, "waiting after redirect");
    await engine.respond(s.id, "do this instead", { interrupt: true });
    await done;
    expect(engine.snapshot(s.id).lastResult).toBe("redirected");
    expect(log.ofType("responded", s.id)[0]?.interrupted).toBe(true);
  });

  it("resumes and forks by name in the original workdir; the model receives the earlier history", async () => {
    makeEngine();
    const elsewhere = await box.dir("elsewhere");
    model.script({ type: "text", text: "noted the codeword" });
    const first = engine.launch({ prompt: "the codeword is PAPAYA", name: "codeword", workdir: box.workdir, multiTurnDisabled: true, owner });
    const firstEnd = await log.waitFor(isEnded(first.id), 60_000);
    const originalClaudeId = firstEnd.session.claudeSessionId;
    expect(originalClaudeId).toBeDefined();

    expect(() => engine.launch({ prompt: "x", resume: "codeword", workdir: elsewhere, owner })).toThrow(/original workdir/);

    model.script({ type: "text", text: "the codeword was PAPAYA" });
    const resumed = engine.launch({ prompt: "what was the codeword?", resume: "codeword", multiTurnDisabled: true, owner });
    expect(resumed.workdir).toBe(box.workdir);
    expect(resumed.resumedFrom).toEqual({ sessionId: first.id, claudeSessionId: originalClaudeId, fork: false });
    const resumedEnd = await log.waitFor(isEnded(resumed.id), 60_000);
    expect(resumedEnd.status).toBe("completed");
    expect(resumedEnd.session.claudeSessionId).toBe(originalClaudeId);
    expect(allText(model.requests.at(-1)?.messages)).toContain("the codeword is PAPAYA");

    model.script({ type: "text", text: "forked" });
    const forked = engine.launch({ prompt: "try another way", resume: originalClaudeId!, fork: true, multiTurnDisabled: true, owner });
    const forkEnd = await log.waitFor(isEnded(forked.id), 60_000);
    expect(forkEnd.status).toBe("completed");
    expect(forkEnd.session.claudeSessionId).toBeDefined();
    expect(forkEnd.session.claudeSessionId).not.toBe(originalClaudeId);
    expect(allText(model.requests.at(-1)?.messages)).toContain("the codeword is PAPAYA");
    expect(forked.resumedFrom?.fork).toBe(true);
  });

  it("fails with reason budget when the budget is exhausted", async () => {
    makeEngine();
    const big = { input_tokens: 2_000_000, output_tokens: 1000 };
    model.script(
      { type: "tool_use", name: "Bash", input: { command: "echo hi", description: "say hi" }, usage: big },
      { type: "text", text: "should not get here", usage: big },
    );
    const s = engine.launch({ prompt: "spend money", maxBudgetUsd: 0.05, owner });
    const ended = await log.waitFor(isEnded(s.id), 60_000);
    expect(ended.status).toBe("failed");
    expect(ended.reason).toEqual({ kind: "budget", limitUsd: 0.05 });
    expect(ended.session.costUsd).toBeGreaterThan(0.05);
  });

  for (const status of [500, 529] as const) {
    it(`fails on HTTP ${status} with the API's message, in bounded time`, async () => {
      makeEngine();
      model.script({ type: "error", status, message: `scripted failure ${status} zebra` });
      const started = Date.now();
      const s = engine.launch({ prompt: "anything", owner });
      const ended = await log.waitFor(isEnded(s.id), 45_000);
      expect(Date.now() - started).toBeLessThan(45_000);
      expect(ended.status).toBe("failed");
      expect(ended.reason.kind).toBe("api_error");
      if (ended.reason.kind === "api_error") expect(ended.reason.message).toContain(`scripted failure ${status} zebra`);
      expect(log.ofType("ended", s.id)).toHaveLength(1);
    });
  }

  it("kills a session mid-turn: status killed, one ended event, the process gone", async () => {
    makeEngine();
    model.script({ type: "text", text: "slow ".repeat(100), chunks: 100, chunkDelayMs: 100 });
    const s = engine.launch({ prompt: "long work", owner });
    await model.waitForRequests(1, 30_000);
    const pid = engine.snapshot(s.id).pid;
    expect(pid).toBeTypeOf("number");
    expect(processExists(pid!)).toBe(true);
    const killed = await engine.kill(s.id, "test");
    expect(killed.status).toBe("killed");
    expect(killed.reason).toEqual({ kind: "killed", by: "test" });
    expect(processExists(pid!)).toBe(false);
    await expect(engine.kill(s.id, "test")).rejects.toMatchObject({ code: "ALREADY_FINISHED" });
    await engine.get(s.id).settled();
    expect(log.ofType("ended", s.id)).toHaveLength(1);
    expect(engine.getStats().byStatus.killed).toBe(1);
  });

  it("stops a waiting session after the idle timeout as completed (idle)", async () => {
    makeEngine({ idleTimeoutMs: 1500 });
    model.script({ type: "text", text: "done, waiting" });
    const s = engine.launch({ prompt: "quick", owner });
    await log.waitFor(isWaiting(s.id), 60_000);
    const ended = await log.waitFor(isEnded(s.id), 30_000);
    expect(ended.status).toBe("completed");
    expect(ended.reason).toEqual({ kind: "idle", idleMs: 1500 });
    await engine.get(s.id).settled();
    const pid = engine.snapshot(s.id).pid;
    expect(pid !== undefined && processExists(pid)).toBe(false);
  });

  it("runs 5 sessions concurrently, each getting its own answer", async () => {
    makeEngine({ maxSessions: 5 });
    model.setHandler((req) => ({ type: "text", text: `answer to ${req.lastUserText ?? "?"}` }));
    const launched = Array.from({ length: 5 }, (_, i) => engine.launch({ prompt: `job number ${i}`, multiTurnDisabled: true, owner }));
    expect(new Set(launched.map((s) => s.name)).size).toBe(5);
    const ended = await Promise.all(launched.map((s) => log.waitFor(isEnded(s.id), 90_000)));
    for (const [i, e] of ended.entries()) {
      expect(e.status).toBe("completed");
      expect(e.session.lastResult).toBe(`answer to job number ${i}`);
    }
    const stats = engine.getStats();
    expect(stats.launched).toBe(5);
    expect(stats.byStatus.completed).toBe(5);
    expect(stats.totalCostUsd).toBeCloseTo(ended.reduce((sum, e) => sum + e.session.costUsd, 0), 10);
  }, 120_000);
});

describe("engine bad inputs: a clear error and no other change", () => {
  it("rejects each bad input without starting anything", async () => {
    makeEngine({ maxSessions: 1 });
    model.script({ type: "text", text: "first is waiting" });
    const first = engine.launch({ prompt: "the only one", owner });
    await log.waitFor(isWaiting(first.id), 60_000);
    const file = path.join(box.root, "a-file.txt");
    await writeFile(file, "x");
    const before = { list: engine.list().map((s: SessionSnapshot<Owner>) => [s.id, s.status]), requests: model.requests.length, launched: engine.getStats().launched };

    const cases: Array<[string, () => unknown, string, RegExp]> = [
      ["unknown ref (respond)", () => engine.respond("no-such-session", "hi"), "NOT_FOUND", /No session matches "no-such-session"/],
      ["unknown ref (kill)", () => engine.kill("nope", "t"), "NOT_FOUND", /No session matches/],
      ["unknown ref (resume)", () => engine.launch({ prompt: "x", resume: "nope", owner }), "NOT_FOUND", /No session to resume/],
      ["empty prompt", () => engine.launch({ prompt: "   ", owner }), "INVALID_ARGUMENT", /prompt is empty/],
      ["empty message", () => engine.respond(first.id, " "), "INVALID_ARGUMENT", /message is empty/],
      ["missing workdir", () => engine.launch({ prompt: "x", workdir: path.join(box.root, "missing"), owner }), "INVALID_ARGUMENT", /does not exist/],
      ["workdir is a file", () => engine.launch({ prompt: "x", workdir: file, owner }), "INVALID_ARGUMENT", /is a file/],
      ["negative budget", () => engine.launch({ prompt: "x", maxBudgetUsd: -1, owner }), "INVALID_ARGUMENT", /positive number/],
      ["unknown permission mode", () => engine.launch({ prompt: "x", permissionMode: "yolo" as never, owner }), "INVALID_ARGUMENT", /permission_mode "yolo" is unknown/],
      ["fork without resume", () => engine.launch({ prompt: "x", fork: true, owner }), "INVALID_ARGUMENT", /fork needs a session/],
      ["name with emoji", () => engine.launch({ prompt: "x", name: "fix 🚀", owner }), "INVALID_ARGUMENT", /may contain only/],
      ["resume a live session", () => engine.launch({ prompt: "x", resume: first.id, owner }), "INVALID_ARGUMENT", /still live/],
      ["interrupt a waiting session", () => engine.interrupt(first.id), "NOT_RUNNING", /no turn to interrupt/],
      ["one over maxSessions", () => engine.launch({ prompt: "second", owner }), "LIMIT_REACHED", /1 session is live, the limit is 1: only-one \(/],
    ];
    for (const [label, run, code, message] of cases) {
      let error: unknown;
      try {
        await run();
      } catch (err) {
        error = err;
      }
      expect(error, label).toMatchObject({ code });
      expect((error as Error).message, label).toMatch(message);
    }
    const after = { list: engine.list().map((s) => [s.id, s.status]), requests: model.requests.length, launched: engine.getStats().launched };
    expect(after).toEqual(before);
  });

  it("refuses bypassPermissions as root unless allowed, saying what to do", async () => {
    makeEngine({ allowRootBypass: false, isRoot: () => true });
    expect(() => engine.launch({ prompt: "x", permissionMode: "bypassPermissions", owner })).toThrow(/allowRootBypass: true/);
    expect(engine.list()).toHaveLength(0);
    expect(engine.getStats().launched).toBe(0);
  });
});

// The session engine driving the real Claude Code CLI (through the Agent SDK) against the offline model.
import { spawn } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { SessionSnapshot } from "../../src/engine/index.ts";
import { isEnded, isWaiting } from "../support/events.ts";
import { useEngineFixture } from "../support/engine-fixture.ts";
import { BACKGROUND_JOBS, backgroundJobs, newTag, pidsWithEnv, pollUntil } from "../support/processes.ts";
import { processExists } from "../support/sandbox.ts";

type Owner = { agent: string };
const owner: Owner = { agent: "main" };

const f = useEngineFixture<Owner>({ allowRootBypass: true });

function allText(messages: unknown): string {
  return JSON.stringify(messages);
}

describe("engine through the real Claude Code CLI", () => {
  it("runs a task that really writes a file and completes a single-turn session", async () => {
    f.make();
    const target = path.join(f.box.workdir, "hello.txt");
    f.model.script(
      { type: "tool_use", name: "Write", input: { file_path: target, content: "hello from claude\n" } },
      { type: "text", text: "I wrote hello.txt." },
    );
    const launched = f.engine.launch({ prompt: "Create hello.txt", multiTurnDisabled: true, owner });
    expect(launched.status).toBe("starting");
    expect(launched.name).toBe("create-hello-txt");
    const ended = await f.log.waitFor(isEnded(launched.id), 60_000);
    expect(ended.status).toBe("completed");
    expect(ended.reason).toEqual({ kind: "done" });
    expect(await readFile(target, "utf8")).toBe("hello from claude\n");
    const out = f.engine.output(launched.id)!.entries;
    expect(out.map((e) => e.kind)).toEqual(["tool_use", "text", "result"]);
    expect(out[0]?.text).toBe(`Write — ${target}`);
    expect(ended.session.costUsd).toBeGreaterThan(0);
    expect(ended.session.claudeSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(f.log.ofType("ended", launched.id)).toHaveLength(1);
  });

  it("keeps three turns on one Claude session id, each turn seeing the earlier ones", async () => {
    f.make();
    f.model.script({ type: "text", text: "one" }, { type: "text", text: "two" }, { type: "text", text: "three" });
    const s = f.engine.launch({ prompt: "turn-alpha", owner });
    await f.log.waitFor(isWaiting(s.id), 60_000);
    for (const [i, msg] of ["turn-beta", "turn-gamma"].entries()) {
      const next = f.log.next((e) => isWaiting<Owner>(s.id)(e), 60_000, `waiting after turn ${i + 2}`);
      await f.engine.respond(s.id, msg);
      await next;
    }
    const snap = f.engine.get(s.id);
    expect(snap.status).toBe("waiting");
    expect(snap.turns).toBe(3);
    expect(snap.lastResult).toBe("three");
    const ids = new Set(f.log.ofType("claude_session", s.id).map((e) => e.claudeSessionId));
    expect(ids.size).toBe(1);
    expect(f.model.requests).toHaveLength(3);
    const third = allText(f.model.requests[2]?.messages);
    expect(third).toContain("turn-alpha");
    expect(third).toContain("turn-beta");
    expect(third).toContain("turn-gamma");
    expect(f.engine.output(s.id)!.entries.filter((e) => e.kind === "followup").map((e) => e.text)).toEqual(["turn-beta", "turn-gamma"]);
  });

  it("interrupts a turn mid-stream, then carries on with a follow-up", async () => {
    f.make();
    f.model.script({ type: "text", text: "slow ".repeat(100), chunks: 100, chunkDelayMs: 100 }, { type: "text", text: "after the interrupt" });
    const s = f.engine.launch({ prompt: "write a long essay", owner });
    await f.model.waitForRequests(1, 30_000);
    const started = Date.now();
    const waiting = f.log.next((e) => isWaiting<Owner>(s.id)(e), 30_000, "waiting after interrupt");
    await f.engine.interrupt(s.id);
    const w = await waiting;
    expect(w.type === "waiting" && w.interrupted).toBe(true);
    expect(Date.now() - started).toBeLessThan(8000); // the scripted stream alone lasts 10 s
    expect(f.engine.get(s.id).status).toBe("waiting");

    const again = f.log.next((e) => isWaiting<Owner>(s.id)(e), 30_000, "waiting after follow-up");
    await f.engine.respond(s.id, "continue please");
    await again;
    expect(f.engine.get(s.id).lastResult).toBe("after the interrupt");
    expect(allText(f.model.requests.at(-1)?.messages)).toContain("continue please");
  });

  it("interrupts and sends in one call (respond with interrupt)", async () => {
    f.make();
    f.model.script({ type: "text", text: "slow ".repeat(100), chunks: 100, chunkDelayMs: 100 }, { type: "text", text: "redirected" });
    const s = f.engine.launch({ prompt: "start something long", owner });
    await f.model.waitForRequests(1, 30_000);
    const done = f.log.next((e) => isWaiting<Owner>(s.id)(e) && e.type === "waiting" && !e.interrupted, 30_000, "waiting after redirect");
    await f.engine.respond(s.id, "do this instead", { interrupt: true });
    await done;
    expect(f.engine.get(s.id).lastResult).toBe("redirected");
    expect(f.log.ofType("responded", s.id)[0]?.interrupted).toBe(true);
  });

  it("resumes and forks by name in the original workdir; the model receives the earlier history", async () => {
    f.make();
    const elsewhere = await f.box.dir("elsewhere");
    f.model.script({ type: "text", text: "noted the codeword" });
    const first = f.engine.launch({ prompt: "the codeword is PAPAYA", name: "codeword", workdir: f.box.workdir, multiTurnDisabled: true, owner });
    const firstEnd = await f.log.waitFor(isEnded(first.id), 60_000);
    const originalClaudeId = firstEnd.session.claudeSessionId;
    expect(originalClaudeId).toBeDefined();

    expect(() => f.engine.launch({ prompt: "x", resume: "codeword", workdir: elsewhere, owner })).toThrow(/original workdir/);

    f.model.script({ type: "text", text: "the codeword was PAPAYA" });
    const resumed = f.engine.launch({ prompt: "what was the codeword?", resume: "codeword", multiTurnDisabled: true, owner });
    expect(resumed.workdir).toBe(f.box.workdir);
    expect(resumed.resumedFrom).toEqual({ sessionId: first.id, claudeSessionId: originalClaudeId, fork: false });
    const resumedEnd = await f.log.waitFor(isEnded(resumed.id), 60_000);
    expect(resumedEnd.status).toBe("completed");
    expect(resumedEnd.session.claudeSessionId).toBe(originalClaudeId);
    expect(allText(f.model.requests.at(-1)?.messages)).toContain("the codeword is PAPAYA");

    f.model.script({ type: "text", text: "forked" });
    const forked = f.engine.launch({ prompt: "try another way", resume: originalClaudeId!, fork: true, multiTurnDisabled: true, owner });
    const forkEnd = await f.log.waitFor(isEnded(forked.id), 60_000);
    expect(forkEnd.status).toBe("completed");
    expect(forkEnd.session.claudeSessionId).toBeDefined();
    expect(forkEnd.session.claudeSessionId).not.toBe(originalClaudeId);
    expect(allText(f.model.requests.at(-1)?.messages)).toContain("the codeword is PAPAYA");
    expect(forked.resumedFrom?.fork).toBe(true);
  });

  it("fails with reason budget when the budget is exhausted", async () => {
    f.make();
    const big = { input_tokens: 2_000_000, output_tokens: 1000 };
    f.model.script(
      { type: "tool_use", name: "Bash", input: { command: "echo hi", description: "say hi" }, usage: big },
      { type: "text", text: "should not get here", usage: big },
    );
    const s = f.engine.launch({ prompt: "spend money", maxBudgetUsd: 0.05, owner });
    const ended = await f.log.waitFor(isEnded(s.id), 60_000);
    expect(ended.status).toBe("failed");
    expect(ended.reason).toEqual({ kind: "budget", limitUsd: 0.05 });
    expect(ended.session.costUsd).toBeGreaterThan(0.05);
  });

  for (const status of [500, 529] as const) {
    it(`fails on HTTP ${status} with the API's message, in bounded time`, async () => {
      f.make();
      f.model.script({ type: "error", status, message: `scripted failure ${status} zebra` });
      const started = Date.now();
      const s = f.engine.launch({ prompt: "anything", owner });
      const ended = await f.log.waitFor(isEnded(s.id), 45_000);
      expect(Date.now() - started).toBeLessThan(45_000);
      expect(ended.status).toBe("failed");
      expect(ended.reason.kind).toBe("api_error");
      if (ended.reason.kind === "api_error") expect(ended.reason.message).toContain(`scripted failure ${status} zebra`);
      expect(f.log.ofType("ended", s.id)).toHaveLength(1);
    });
  }

  it("kills a session mid-turn: status killed, one ended event, the process gone", async () => {
    f.make();
    f.model.script({ type: "text", text: "slow ".repeat(100), chunks: 100, chunkDelayMs: 100 });
    const s = f.engine.launch({ prompt: "long work", owner });
    await f.model.waitForRequests(1, 30_000);
    const pid = f.engine.get(s.id).pid;
    expect(pid).toBeTypeOf("number");
    expect(processExists(pid!)).toBe(true);
    const killed = await f.engine.kill(s.id, "test");
    expect(killed.status).toBe("killed");
    expect(killed.reason).toEqual({ kind: "killed", by: "test" });
    expect(processExists(pid!)).toBe(false);
    await expect(f.engine.kill(s.id, "test")).rejects.toMatchObject({ code: "ALREADY_FINISHED" });
    await f.engine.settled(s.id);
    expect(f.log.ofType("ended", s.id)).toHaveLength(1);
    expect(f.engine.getStats().byStatus.killed).toBe(1);
  });

  // Claude Code runs each Bash command in a new session: what it leaves in the background is in
  // neither the CLI's process group nor its tree. Every way a session ends must still end it.
  it.each<[string, (id: string) => Promise<unknown>, { idleTimeoutMs?: number; multiTurnDisabled?: boolean }]>([
    ["a kill", (id) => f.engine.kill(id, "test"), {}],
    ["the idle stop", (id) => f.log.waitFor(isEnded(id), 30_000), { idleTimeoutMs: 1000 }],
    ["a single turn's completion", (id) => f.log.waitFor(isEnded(id), 30_000), { multiTurnDisabled: true }],
    ["the engine's shutdown", () => f.engine.shutdown(), {}],
  ])("ends the background jobs a Bash call left (setsid, nested, a server, a watcher) at %s, and no look-alike", async (_end, end, opts) => {
    f.make(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {});
    const tag = newTag();
    f.model.script(
      { type: "tool_use", name: "Bash", input: { command: backgroundJobs(tag.entry), description: "start the dev server" } },
      // Held, so that the turn's end (which ends the jobs at the idle stop and a single turn's
      // completion) cannot come before the test has seen them all running.
      { type: "stall", ms: 3000, then: { type: "text", text: "the server runs" } },
    );
    const s = f.engine.launch({ prompt: "start the dev server", owner, ...(opts.multiTurnDisabled ? { multiTurnDisabled: true } : {}) });
    const jobs = await pollUntil(() => pidsWithEnv(tag.entry), (p) => p.length >= BACKGROUND_JOBS, 30_000);
    expect(jobs.length).toBeGreaterThanOrEqual(BACKGROUND_JOBS);
    const lookAlike = spawn("sleep", ["601"], { env: { ...process.env, [tag.name]: tag.value }, stdio: "ignore", detached: true });
    try {
      await end(s.id);
      await f.engine.settled(s.id);
      expect(pidsWithEnv(tag.entry)).toEqual([lookAlike.pid]);
    } finally {
      lookAlike.kill("SIGKILL");
      for (const pid of pidsWithEnv(tag.entry)) if (pid !== lookAlike.pid) process.kill(pid, "SIGKILL");
    }
  });

  it("stops a waiting session after the idle timeout as completed (idle)", async () => {
    f.make({ idleTimeoutMs: 1500 });
    f.model.script({ type: "text", text: "done, waiting" });
    const s = f.engine.launch({ prompt: "quick", owner });
    await f.log.waitFor(isWaiting(s.id), 60_000);
    const ended = await f.log.waitFor(isEnded(s.id), 30_000);
    expect(ended.status).toBe("completed");
    expect(ended.reason).toEqual({ kind: "idle", idleMs: 1500 });
    await f.engine.settled(s.id);
    const pid = f.engine.get(s.id).pid;
    expect(pid !== undefined && processExists(pid)).toBe(false);
  });

  it("runs 5 sessions concurrently, each getting its own answer", async () => {
    f.make({ maxSessions: 5 });
    f.model.setHandler((req) => ({ type: "text", text: `answer to ${req.lastUserText ?? "?"}` }));
    const launched = Array.from({ length: 5 }, (_, i) => f.engine.launch({ prompt: `job number ${i}`, multiTurnDisabled: true, owner }));
    expect(new Set(launched.map((s) => s.name)).size).toBe(5);
    const ended = await Promise.all(launched.map((s) => f.log.waitFor(isEnded(s.id), 90_000)));
    for (const [i, e] of ended.entries()) {
      expect(e.status).toBe("completed");
      expect(e.session.lastResult).toBe(`answer to job number ${i}`);
    }
    const stats = f.engine.getStats();
    expect(stats.launched).toBe(5);
    expect(stats.byStatus.completed).toBe(5);
    expect(stats.totalCostUsd).toBeCloseTo(ended.reduce((sum, e) => sum + e.session.costUsd, 0), 10);
  }, 120_000);
});

describe("engine bad inputs: a clear error and no other change", () => {
  it("rejects each bad input without starting anything", async () => {
    f.make({ maxSessions: 1, maxQueued: 0 });
    f.model.script({ type: "text", text: "first is waiting" });
    const first = f.engine.launch({ prompt: "the only one", owner });
    await f.log.waitFor(isWaiting(first.id), 60_000);
    const file = path.join(f.box.root, "a-file.txt");
    await writeFile(file, "x");
    const before = { list: f.engine.list().map((s: SessionSnapshot<Owner>) => [s.id, s.status]), requests: f.model.requests.length, launched: f.engine.getStats().launched };

    const cases: Array<[string, () => unknown, string, RegExp]> = [
      ["unknown ref (respond)", () => f.engine.respond("no-such-session", "hi"), "NOT_FOUND", /No session matches "no-such-session"/],
      ["unknown ref (kill)", () => f.engine.kill("nope", "t"), "NOT_FOUND", /No session matches/],
      ["unknown ref (resume)", () => f.engine.launch({ prompt: "x", resume: "nope", owner }), "NOT_FOUND", /No session to resume/],
      ["empty prompt", () => f.engine.launch({ prompt: "   ", owner }), "INVALID_ARGUMENT", /prompt is empty/],
      ["empty message", () => f.engine.respond(first.id, " "), "INVALID_ARGUMENT", /message is empty/],
      ["missing workdir", () => f.engine.launch({ prompt: "x", workdir: path.join(f.box.root, "missing"), owner }), "INVALID_ARGUMENT", /does not exist/],
      ["workdir is a file", () => f.engine.launch({ prompt: "x", workdir: file, owner }), "INVALID_ARGUMENT", /is a file/],
      ["negative budget", () => f.engine.launch({ prompt: "x", maxBudgetUsd: -1, owner }), "INVALID_ARGUMENT", /positive number/],
      ["unknown permission mode", () => f.engine.launch({ prompt: "x", permissionMode: "yolo" as never, owner }), "INVALID_ARGUMENT", /permission_mode "yolo" is unknown/],
      ["fork without resume", () => f.engine.launch({ prompt: "x", fork: true, owner }), "INVALID_ARGUMENT", /fork needs a session/],
      ["name with emoji", () => f.engine.launch({ prompt: "x", name: "fix 🚀", owner }), "INVALID_ARGUMENT", /may contain only/],
      ["resume a live session", () => f.engine.launch({ prompt: "x", resume: first.id, owner }), "INVALID_ARGUMENT", /still live/],
      ["interrupt a waiting session", () => f.engine.interrupt(first.id), "NOT_RUNNING", /no turn to interrupt/],
      ["one over maxSessions (no queue)", () => f.engine.launch({ prompt: "second", owner }), "LIMIT_REACHED", /1 session is running, the limit is 1: only-one \(/],
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
    const after = { list: f.engine.list().map((s) => [s.id, s.status]), requests: f.model.requests.length, launched: f.engine.getStats().launched };
    expect(after).toEqual(before);
  });

  it("refuses bypassPermissions as root unless allowed, saying what to do", async () => {
    f.make({ allowRootBypass: false, isRoot: () => true });
    expect(() => f.engine.launch({ prompt: "x", permissionMode: "bypassPermissions", owner })).toThrow(/allowRootBypass: true/);
    expect(f.engine.list()).toHaveLength(0);
    expect(f.engine.getStats().launched).toBe(0);
  });

  it("ends a turn that outlives maxTurnMs as failed (turn_timeout), and its process is gone", async () => {
    f.make({ maxTurnMs: 1500 });
    f.model.script({ type: "stall", ms: 60_000 });
    const s = f.engine.launch({ prompt: "a turn that never finishes", owner });
    const ended = await f.log.waitFor(isEnded(s.id), 30_000);
    expect(ended.status).toBe("failed");
    expect(ended.reason).toMatchObject({ kind: "turn_timeout" });
    const pid = f.log.ofType("process", s.id)[0]?.pid;
    expect(pid).toBeDefined();
    const deadline = Date.now() + 10_000;
    while (processExists(pid!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(processExists(pid!)).toBe(false);
    expect(f.engine.liveSessions()).toEqual([]);
  });

  it("runs Claude Code in the workdir's real path when given a symlink", async () => {
    const real = path.join(f.box.root, "real-project");
    await mkdir(real);
    const link = path.join(f.box.root, "link-to-project");
    await symlink(real, link);
    f.make();
    f.model.script({ type: "text", text: "here" });
    const s = f.engine.launch({ prompt: "where am I", workdir: link, multiTurnDisabled: true, owner });
    expect(s.workdir).toBe(real);
    await f.log.waitFor(isEnded(s.id), 60_000);
    expect(f.model.requests.at(-1)?.workdir).toBe(real);
  });

  it("gives Claude Code only the allow-listed environment: no OTEL_*, no cloud keys unless that provider is on, agentEnv as given", async () => {
    f.make({
      baseEnv: { ...f.box.env, OTEL_EXPORTER_OTLP_HEADERS: "otel-secret", AWS_SECRET_ACCESS_KEY: "aws-secret", OPENCLAW_GATEWAY_TOKEN: "gw-secret", LC_ALL: "C.UTF-8" },
      envForWorkdir: () => ({ PROJECT_FLAG: "from-agent-env" }),
    });
    f.model.script({ type: "tool_use", name: "Bash", input: { command: "env | sort", description: "show the environment" } }, { type: "text", text: "listed" });
    const s = f.engine.launch({ prompt: "show env", permissionMode: "bypassPermissions", multiTurnDisabled: true, owner });
    await f.log.waitFor(isEnded(s.id), 60_000);
    const listing = f.model.requests.flatMap((r) => r.toolResults).map((t) => t.content).join("\n");
    expect(listing).toMatch(/^PATH=/m);
    expect(listing).toMatch(/^LC_ALL=C\.UTF-8$/m);
    expect(listing).toMatch(/^PROJECT_FLAG=from-agent-env$/m);
    for (const secret of ["otel-secret", "aws-secret", "gw-secret"]) expect(listing).not.toContain(secret);
  });
});

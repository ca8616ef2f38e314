// The operator's ceilings and the workdir boundary, through the operations over the real engine
// (the agent backend replaced by the in-memory one): budget per launch, budget per agent per day,
// wall clock per turn, and workdirs by real path.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryBackend, type MemoryTurn } from "../../test/support/memory-backend.ts";
import { DEFAULT_CONFIG, parseConfig, type PluginConfig } from "../config.ts";
import { SessionEngine, silentLogger, type SessionEvent } from "../engine/index.ts";
import { Delivery } from "../notify/delivery.ts";
import { endedNotice } from "../notify/messages.ts";
import { Notifier } from "../notify/notifier.ts";
import { ForegroundRegistry } from "./foreground.ts";
import { Operations } from "./operations.ts";
import type { Caller, Owner } from "./types.ts";

let root: string;
let engine: SessionEngine<Owner>;
let ops: Operations;
const events: SessionEvent<Owner>[] = [];

const agent = (agentId = "main"): Caller => ({ kind: "agent", agentId, sessionKey: `agent:${agentId}:c1`, route: undefined });
const rpc: Caller = { kind: "operator", origin: "rpc", label: "operator (RPC)", agentId: undefined, sessionKey: undefined, route: undefined };

function build(over: Partial<PluginConfig>, script: (prompt: string) => MemoryTurn = () => ({}), maxTurnMs = 0): void {
  const config: PluginConfig = { ...DEFAULT_CONFIG, skipSafetyChecks: true, maxSessions: 20, ...over };
  engine = new SessionEngine<Owner>({
    backend: memoryBackend(script),
    defaultWorkdir: root,
    baseEnv: { PATH: process.env.PATH },
    isRoot: () => false,
    idleTimeoutMs: 0,
    maxTurnMs,
    logger: silentLogger,
    ...Operations.engineHooks(config),
  });
  engine.subscribe((e) => events.push(e));
  ops = new Operations({ engine, config, foreground: new ForegroundRegistry() });
}

async function waitForEvent(match: (e: SessionEvent<Owner>) => boolean, what: string, ms = 5000): Promise<SessionEvent<Owner>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = events.find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "ceilings-"));
  events.length = 0;
});

afterEach(async () => {
  await engine?.shutdown();
  rmSync(root, { recursive: true, force: true });
});

describe("maxBudgetUsd caps what any launch may ask for", () => {
  it("refuses a budget over the ceiling, from an agent or an operator, before anything is created, naming the ceiling", async () => {
    build({ maxBudgetUsd: 20 });
    for (const caller of [agent(), rpc]) {
      const err = await ops.launch(caller, { prompt: "go", max_budget_usd: 10_000 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "LIMIT_REACHED", data: { ceiling: "maxBudgetUsd", limitUsd: 20 } });
      expect((err as Error).message).toMatch(/max_budget_usd \$10000\.00 is above the ceiling maxBudgetUsd \(\$20\.00\)/);
    }
    expect(engine.list()).toEqual([]);
    expect((await ops.launch(agent(), { prompt: "go", max_budget_usd: 20 })).session.maxBudgetUsd).toBe(20);
  });

  it("defaults to 50, rises to meet an old config's larger defaultBudgetUsd, and refuses a contradiction", () => {
    expect(parseConfig({}).maxBudgetUsd).toBe(50);
    expect(parseConfig({ defaultBudgetUsd: 80 }).maxBudgetUsd).toBe(80);
    expect(() => parseConfig({ defaultBudgetUsd: 80, maxBudgetUsd: 20 })).toThrow(/defaultBudgetUsd \(80\) is above maxBudgetUsd \(20\)/);
  });
});

describe("dailyBudgetUsd per agent", () => {
  it("refuses an agent's launches once its sessions spent the day's budget; other agents and RPC go on", async () => {
    build({ dailyBudgetUsd: 1 }, (prompt) => ({ costUsd: prompt.includes("pricey") ? 1.25 : 0.01 }));
    const first = await ops.launch(agent(), { prompt: "a pricey task" });
    await waitForEvent((e) => e.type === "waiting" && e.session.id === first.session.id, "the paid turn");
    const err = await ops.launch(agent(), { prompt: "one more" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "LIMIT_REACHED", data: { ceiling: "dailyBudgetUsd", limitUsd: 1, spentUsd: 1.25 } });
    expect((err as Error).message).toBe(
      "agent main has spent $1.25 today (UTC), its daily budget dailyBudgetUsd is $1.00: no more launches until 00:00 UTC, or have the operator raise dailyBudgetUsd.",
    );
    expect(engine.list()).toHaveLength(1);
    // What one agent spent does not stop another, nor the operator.
    await ops.launch(agent("beta"), { prompt: "fine" });
    await ops.launch(rpc, { prompt: "fine" });
  });

  it("tells the session's chat once, the first time the agent reaches it today", async () => {
    build({ dailyBudgetUsd: 1 }, () => ({ costUsd: 0.75 }));
    const sent: Array<{ to: string; text: string }> = [];
    const delivery = new Delivery({ transport: { send: async (route, text) => void sent.push({ to: route.to, text }), chunk: (_r, t) => [t] }, logger: silentLogger });
    const config = { ...DEFAULT_CONFIG, dailyBudgetUsd: 1, longRunningNoticeMinutes: 0 };
    const notifier = new Notifier({ engine, config, delivery, foreground: new ForegroundRegistry(), logger: silentLogger, autoRespondsLeft: () => 1, dailyBudget: (a) => ops.dailyBudgetReached(a) });
    notifier.start();
    const caller: Caller = { kind: "agent", agentId: "main", sessionKey: "agent:main:c1", route: { channel: "test", to: "alice" } };
    const first = await ops.launch(caller, { prompt: "one" });
    await waitForEvent((e) => e.type === "waiting" && e.session.id === first.session.id, "the first turn");
    await ops.respond(caller, { session: first.session.id, message: "two", userInitiated: true });
    await waitForEvent((e) => e.type === "waiting" && e.session.id === first.session.id && e.session.turns === 2, "the second turn");
    await ops.kill(rpc, { session: first.session.id });
    await notifier.stop();
    const told = sent.filter((m) => m.text.startsWith("💸"));
    expect(told).toEqual([
      { to: "alice", text: "💸 Agent main reached its daily budget: $1.50 of $1.00 spent today (UTC). Its new launches are refused until 00:00 UTC; running sessions carry on. Raise dailyBudgetUsd to allow more." },
    ]);
  });

  it("is off by default", async () => {
    build({}, () => ({ costUsd: 1000 }));
    const first = await ops.launch(agent(), { prompt: "go" });
    await waitForEvent((e) => e.type === "waiting" && e.session.id === first.session.id, "the paid turn");
    await ops.launch(agent(), { prompt: "again" });
  });
});

describe("maxSessionMinutes bounds a turn in wall-clock time", () => {
  it("fails a stalled turn with the reason, frees its slot and says so in the notice", async () => {
    build({}, (prompt) => ({ stall: prompt.includes("stall") }), 150);
    const stalled = await ops.launch(agent(), { prompt: "stall forever" });
    const ended = await waitForEvent((e) => e.type === "ended" && e.session.id === stalled.session.id, "the turn timeout", 5000);
    if (ended.type !== "ended") throw new Error("unreachable");
    expect(ended.status).toBe("failed");
    expect(ended.reason).toEqual({ kind: "turn_timeout", minutes: 0 });
    expect(engine.liveSessions()).toEqual([]);
    expect(endedNotice(ended.session, { kind: "turn_timeout", minutes: 120 })).toMatch(/❌ .* failed: a turn ran 120 min without a result \(maxSessionMinutes\), so it was stopped/);
  });

  it("does not end a turn that finishes in time, nor a session waiting for input", async () => {
    build({}, () => ({}), 150);
    const quick = await ops.launch(agent(), { prompt: "quick" });
    await waitForEvent((e) => e.type === "waiting" && e.session.id === quick.session.id, "the result");
    await new Promise((r) => setTimeout(r, 300));
    expect(engine.get(quick.session.id).status).toBe("waiting");
  });
});

describe("workdirs by real path", () => {
  it("refuses a symlink inside an allowed directory that leads out of it, and runs an allowed one where it really leads", async () => {
    const allowed = path.join(root, "allowed");
    const outside = path.join(root, "outside");
    mkdirSync(path.join(allowed, "real"), { recursive: true });
    mkdirSync(outside);
    symlinkSync(outside, path.join(allowed, "escape"));
    symlinkSync(path.join(allowed, "real"), path.join(allowed, "alias"));
    build({ allowedWorkdirs: [allowed] });
    const err = await ops.launch(agent(), { prompt: "go", workdir: path.join(allowed, "escape") }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "FORBIDDEN" });
    expect((err as Error).message).toMatch(/is outside allowedWorkdirs/);
    expect((err as Error).message).toContain(outside);
    expect(engine.list()).toEqual([]);
    const ok = await ops.launch(agent(), { prompt: "go", workdir: path.join(allowed, "alias") });
    expect(ok.session.workdir).toBe(path.join(allowed, "real"));
  });

  it("an allowed directory given through a symlink still admits its real children", async () => {
    const real = path.join(root, "projects");
    mkdirSync(path.join(real, "api"), { recursive: true });
    symlinkSync(real, path.join(root, "link-to-projects"));
    build({ allowedWorkdirs: [path.join(root, "link-to-projects")] });
    expect((await ops.launch(agent(), { prompt: "go", workdir: path.join(real, "api") })).session.workdir).toBe(path.join(real, "api"));
  });
});

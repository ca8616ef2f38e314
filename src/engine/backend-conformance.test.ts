// The backend conformance suite against the in-memory backend the unit tests use (the same suite
// runs against the real Claude Code CLI in test/engine/backend-conformance.e2e.test.ts), and the
// engine's refusals of what a backend's capability flags say it cannot do.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { backendConformance, type AgentStep, type BackendHarness, type Owner } from "../../test/support/backend-conformance.ts";
import { EventLog } from "../../test/support/events.ts";
import { memoryBackend, type MemoryBackend, type MemoryTurn } from "../../test/support/memory-backend.ts";
import { SessionEngine, type EngineOptions } from "./index.ts";

const workdir = mkdtempSync(path.join(tmpdir(), "cc-conformance-"));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

/** One turn from the scripted steps: text, tool calls and stalls up to the step that ends the turn. */
function turnFrom(steps: AgentStep[]): MemoryTurn {
  const turn: MemoryTurn = {};
  for (let step = steps.shift(); step; step = steps.shift()) {
    switch (step.type) {
      case "bash":
        turn.ask = { tool: "Bash", input: { command: step.command }, sessionScope: `Bash(${step.command})` };
        continue;
      case "text":
        return { ...turn, texts: [step.text], result: step.text };
      case "slow":
        return { ...turn, stall: true };
      case "api_error":
        return { ...turn, apiError: { status: step.status, message: step.message } };
      default: {
        const never: never = step;
        return never;
      }
    }
  }
  return turn;
}

function memoryHarness(): BackendHarness {
  let steps: AgentStep[] = [];
  let calls = 0;
  let waiters: Array<{ n: number; resolve: () => void }> = [];
  let backend: MemoryBackend | undefined;
  let engine: SessionEngine<Owner> | undefined;
  let log: EventLog<Owner> | undefined;
  afterEach(async () => {
    await engine?.shutdown();
    log?.unsubscribe();
    steps = [];
    calls = 0;
    waiters = [];
    engine = undefined;
  });
  return {
    kind: "memory",
    timeoutMs: 2000,
    make(options: EngineOptions<Owner> = {}) {
      backend = memoryBackend((_prompt) => {
        calls++;
        for (const w of waiters.filter((x) => x.n <= calls)) w.resolve();
        return turnFrom(steps);
      });
      engine = new SessionEngine<Owner>({ backend, defaultWorkdir: workdir, baseEnv: {}, isRoot: () => false, ...options });
      log = new EventLog(engine);
      return engine;
    },
    get log() {
      if (!log) throw new Error("make() first");
      return log;
    },
    script: (...more) => void steps.push(...more),
    seen: () => JSON.stringify(backend?.latestHistory() ?? []),
    calls: (n) => (calls >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    crash: (s) => backend?.crash(s.id),
  };
}

backendConformance("in-memory", memoryHarness());

describe("capability flags", () => {
  const none = { resume: false, fork: false, interrupt: false, permissionRelay: false, planMode: false };
  const engineWith = (caps: Partial<typeof none>) =>
    new SessionEngine<Owner>({ backend: memoryBackend(() => ({ stall: true }), { capabilities: caps, kind: "limited" }), defaultWorkdir: workdir, baseEnv: {}, isRoot: () => false });
  const owner = { agent: "main" };

  it("a launch asking what the backend cannot do is refused with a reason, and nothing starts", () => {
    const e = engineWith(none);
    expect(() => e.launch({ prompt: "go", resume: "0b7f3f0e-0000-4000-8000-000000000001", owner })).toThrow(/the limited backend cannot resume a conversation; launch a new session instead/);
    expect(() => e.launch({ prompt: "go", permissionMode: "plan", owner })).toThrow(/cannot run in plan mode/);
    expect(() => e.launch({ prompt: "go", permissionMode: "default", owner })).toThrow(/cannot ask for permission .*use permission_mode "bypassPermissions"/);
    expect(e.list()).toEqual([]);
  });

  it("fork without the fork capability is refused even when resume works", () => {
    const e = engineWith({ ...none, resume: true, permissionRelay: true });
    expect(() => e.launch({ prompt: "go", resume: "0b7f3f0e-0000-4000-8000-000000000001", fork: true, owner })).toThrow(/cannot fork a conversation/);
  });

  it("an interrupt the backend cannot do says so; the session goes on", async () => {
    const e = engineWith({ ...none, permissionRelay: true });
    const log = new EventLog(e);
    const s = e.launch({ prompt: "go", permissionMode: "bypassPermissions", owner });
    await log.waitFor((ev) => ev.type === "turn_started", 2000);
    await expect(e.interrupt(s.id)).rejects.toMatchObject({ code: "UNAVAILABLE", message: expect.stringContaining("cannot interrupt a turn") });
    expect(e.get(s.id).status).toBe("running");
    await e.shutdown();
  });
});

// Permission requests through the real Claude Code CLI (default and plan modes) against the offline
// model: allow once, allow for the session, deny with a note, timeout, policy rules, Claude's
// questions and plans, late answers, and a kill while a request is pending.
import path from "node:path";
import { readFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startOfflineModel, type OfflineModel } from "../../offline-model/src/index.ts";
import { createPolicy, parseRule, SessionEngine, type EngineOptions, type SessionEvent } from "../../src/engine/index.ts";
import { EventLog, isWaiting } from "../support/events.ts";
import { createSandbox, processExists, type Sandbox } from "../support/sandbox.ts";

type Owner = { agent: string };
const owner: Owner = { agent: "main" };

let model: OfflineModel;
let box: Sandbox;
let engine: SessionEngine<Owner>;
let log: EventLog<Owner>;

function makeEngine(options: EngineOptions = {}): SessionEngine<Owner> {
  engine = new SessionEngine<Owner>({ baseEnv: box.env, defaultWorkdir: box.workdir, ...options });
  log = new EventLog(engine);
  return engine;
}

beforeEach(async () => {
  model = await startOfflineModel({ fallback: "error" });
  box = await createSandbox(model.url);
});

afterEach(async () => {
  await engine?.shutdown();
  log?.unsubscribe();
  await model.close();
  await box.cleanup();
});

type Req = Extract<SessionEvent<Owner>, { type: "permission_request" }>;
const isRequest = (id: string) => (e: SessionEvent<Owner>): e is Req => e.type === "permission_request" && e.session.id === id;

/** The text of the tool_result Claude Code sent back for the n-th tool call (1-based request index). */
function toolResultText(requestIndex: number): string {
  return JSON.stringify(model.requests[requestIndex]?.toolResults ?? []);
}

describe("permission requests through the real CLI", () => {
  it("asks for a Bash call, shows waiting (permission), and runs it once allowed", async () => {
    makeEngine();
    // Read-only commands (echo, ls) run without asking; a command that changes files asks.
    model.script({ type: "tool_use", name: "Bash", input: { command: "touch perm-ok.txt", description: "make a file" } }, { type: "text", text: "ran it" });
    const s = engine.launch({ prompt: "make the file", permissionMode: "default", owner });
    const req = await log.waitFor(isRequest(s.id), 60_000, "permission request");
    expect(req.request).toMatchObject({ kind: "tool", tool: "Bash", summary: "Bash — touch perm-ok.txt" });
    expect(req.request.id).toMatch(/^r[a-z2-9]{4}$/);
    expect(engine.snapshot(s.id)).toMatchObject({ status: "waiting", waitingFor: "permission" });
    expect(engine.findRequest(req.request.id).state).toBe("pending");

    const record = engine.answerRequest(req.request.id, { kind: "allow", scope: "once" }, "user alice");
    expect(record).toMatchObject({ outcome: "allowed", by: "user alice", tool: "Bash" });
    await log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(await readFile(path.join(box.workdir, "perm-ok.txt"), "utf8")).toBe("");
    expect(engine.snapshot(s.id).waitingFor).toBe("input");
    // The decision is in the output log and answering again says how it ended.
    expect(engine.get(s.id).output.all().some((e) => e.kind === "permission" && e.text.includes("allowed once by user alice"))).toBe(true);
    expect(() => engine.answerRequest(req.request.id, { kind: "deny" }, "user bob")).toThrow(/already decided .* allowed once by user alice/);
    expect(() => engine.answerRequest("rzzzz", { kind: "deny" }, "x")).toThrow(/No permission request "rzzzz"/);
  });

  it("allows for the session: a like call later is not asked again", async () => {
    makeEngine();
    model.script(
      { type: "tool_use", name: "Bash", input: { command: "npm test -- --first-run", description: "first" } },
      { type: "tool_use", name: "Bash", input: { command: "npm test -- --second-run", description: "second" } },
      { type: "text", text: "both ran" },
    );
    const s = engine.launch({ prompt: "run two", permissionMode: "default", owner });
    const req = await log.waitFor(isRequest(s.id), 60_000, "first request");
    expect(req.request.sessionScope).toBe("Bash(npm test *)");
    engine.answerRequest(req.request.id, { kind: "allow", scope: "session" }, "user alice");
    await log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(log.ofType("permission_request", s.id)).toHaveLength(1);
    expect(toolResultText(2)).toContain("package.json"); // npm ran (and found no package.json)
  });

  it("denies with a note that Claude receives, and the turn carries on", async () => {
    makeEngine();
    const target = path.join(box.workdir, "secret.txt");
    model.script({ type: "tool_use", name: "Write", input: { file_path: target, content: "x" } }, { type: "text", text: "ok, not writing" });
    const s = engine.launch({ prompt: "write it", permissionMode: "default", owner });
    const req = await log.waitFor(isRequest(s.id), 60_000, "request");
    expect(req.request.detail).toBe("+ x");
    engine.answerRequest(req.request.id, { kind: "deny", note: "use notes.md instead" }, "user alice");
    await log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(toolResultText(1)).toContain("use notes.md instead");
    await expect(readFile(target, "utf8")).rejects.toThrow();
  });

  it("denies a request nobody answers in time (fail closed) and tells Claude why", async () => {
    makeEngine({ permissionTimeoutMs: 1500 });
    model.script({ type: "tool_use", name: "Bash", input: { command: "touch late.txt", description: "late" } }, { type: "text", text: "understood" });
    const s = engine.launch({ prompt: "run late", permissionMode: "default", owner });
    const req = await log.waitFor(isRequest(s.id), 60_000, "request");
    const decided = await log.waitFor((e) => e.type === "permission_decided" && e.record.requestId === req.request.id, 30_000, "expiry");
    expect(decided.type === "permission_decided" && decided.record).toMatchObject({ outcome: "expired", by: "timeout" });
    await log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(toolResultText(1)).toContain("Nobody answered this request");
    expect(() => engine.answerRequest(req.request.id, { kind: "allow", scope: "once" }, "user alice")).toThrow(/expired at .*nobody answered in time/);
  });

  it("applies the policy before anyone is asked: allow and deny rules, each recorded", async () => {
    const policy = createPolicy({ allow: [parseRule("Bash(touch *)")], deny: [parseRule("Bash(rm *)")], ask: [] });
    makeEngine({ permissionPolicy: policy });
    model.script(
      { type: "tool_use", name: "Bash", input: { command: "touch allowed-by-policy.txt", description: "touch" } },
      { type: "tool_use", name: "Bash", input: { command: "rm -rf build", description: "clean" } },
      { type: "text", text: "done" },
    );
    const s = engine.launch({ prompt: "go", permissionMode: "default", owner });
    await log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(log.ofType("permission_request", s.id)).toHaveLength(0);
    const outcomes = log.ofType("permission_decided", s.id).map((e) => [e.record.outcome, e.record.by]);
    expect(outcomes).toEqual([
      ["policy_allowed", "policy Bash(touch *)"],
      ["policy_denied", "policy Bash(rm *)"],
    ]);
    expect(await readFile(path.join(box.workdir, "allowed-by-policy.txt"), "utf8")).toBe("");
    expect(toolResultText(2)).toContain("Denied by the operator's policy (Bash(rm *))");
  });

  it("relays Claude's question with its options and returns the chosen answer", async () => {
    makeEngine();
    model.script(
      {
        type: "tool_use",
        name: "AskUserQuestion",
        input: { questions: [{ question: "Which database?", header: "DB", multiSelect: false, options: [{ label: "SQLite", description: "a file" }, { label: "Postgres", description: "a server" }] }] },
      },
      { type: "text", text: "going with it" },
    );
    const s = engine.launch({ prompt: "set up storage", permissionMode: "default", owner });
    const req = await log.waitFor(isRequest(s.id), 60_000, "question");
    expect(req.request.kind).toBe("question");
    expect(req.request.questions?.[0]?.options.map((o) => o.label)).toEqual(["SQLite", "Postgres"]);
    expect(() => engine.answerRequest(req.request.id, { kind: "allow", scope: "once" }, "x")).toThrow(/is a question/);
    engine.answerRequest(req.request.id, { kind: "answer", answers: ["2"] }, "user alice");
    await log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(toolResultText(1)).toContain('\\"Which database?\\"=\\"Postgres\\"');
  });

  it("relays a plan in plan mode: revising with a note sends the note back to Claude", async () => {
    makeEngine();
    model.script(
      { type: "tool_use", name: "ExitPlanMode", input: {}, text: "1. Add a test\n2. Fix the bug" },
      { type: "text", text: "revising" },
    );
    const s = engine.launch({ prompt: "plan the fix", permissionMode: "plan", owner });
    const req = await log.waitFor(isRequest(s.id), 60_000, "plan");
    expect(req.request).toMatchObject({ kind: "plan", detail: "1. Add a test\n2. Fix the bug" });
    engine.answerRequest(req.request.id, { kind: "deny", note: "write the test first, then stop" }, "user alice");
    await log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(toolResultText(1)).toContain("write the test first, then stop");
  });

  it("withdraws a pending request when the session is killed, and the process is gone", async () => {
    makeEngine();
    model.script({ type: "tool_use", name: "Bash", input: { command: "touch never.txt", description: "never" } });
    const s = engine.launch({ prompt: "go", permissionMode: "default", owner });
    const req = await log.waitFor(isRequest(s.id), 60_000, "request");
    const pid = engine.snapshot(s.id).pid!;
    await engine.kill(s.id, "user alice");
    const decided = log.ofType("permission_decided", s.id).map((e) => e.record);
    expect(decided).toMatchObject([{ requestId: req.request.id, outcome: "cancelled" }]);
    expect(processExists(pid)).toBe(false);
    expect(engine.snapshot(s.id)).toMatchObject({ status: "killed", pendingRequests: [] });
  });
});

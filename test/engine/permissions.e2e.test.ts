// Permission requests through the real Claude Code CLI (default and plan modes) against the offline
// model: allow once, allow for the session, deny with a note, timeout, policy rules, Claude's
// questions and plans, late answers, and a kill while a request is pending; deny rules enforced by
// the PreToolUse hook where Claude Code would never ask (bypassPermissions, read-only commands).
import path from "node:path";
import { readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { createPolicy, parseRule, type SessionEvent } from "../../src/engine/index.ts";
import { isWaiting } from "../support/events.ts";
import { useEngineFixture } from "../support/engine-fixture.ts";
import { processExists } from "../support/sandbox.ts";

type Owner = { agent: string };
const owner: Owner = { agent: "main" };

const f = useEngineFixture<Owner>({});

type Req = Extract<SessionEvent<Owner>, { type: "permission_request" }>;
const isRequest = (id: string) => (e: SessionEvent<Owner>): e is Req => e.type === "permission_request" && e.session.id === id;

/** The text of the tool_result Claude Code sent back for the n-th tool call (1-based request index). */
function toolResultText(requestIndex: number): string {
  return JSON.stringify(f.model.requests[requestIndex]?.toolResults ?? []);
}

describe("permission requests through the real CLI", () => {
  it("asks for a Bash call, shows waiting (permission), and runs it once allowed", async () => {
    f.make();
    // Read-only commands (echo, ls) run without asking; a command that changes files asks.
    f.model.script({ type: "tool_use", name: "Bash", input: { command: "touch perm-ok.txt", description: "make a file" } }, { type: "text", text: "ran it" });
    const s = f.engine.launch({ prompt: "make the file", permissionMode: "default", owner });
    const req = await f.log.waitFor(isRequest(s.id), 60_000, "permission request");
    expect(req.request).toMatchObject({ kind: "tool", tool: "Bash", summary: "Bash — touch perm-ok.txt" });
    expect(req.request.id).toMatch(/^r[a-z2-9]{4}$/);
    expect(f.engine.get(s.id)).toMatchObject({ status: "waiting", waitingFor: "permission" });
    expect(f.engine.findRequest(req.request.id).state).toBe("pending");

    const record = f.engine.answerRequest(req.request.id, { kind: "allow", scope: "once" }, "user alice");
    expect(record).toMatchObject({ outcome: "allowed", by: "user alice", tool: "Bash" });
    await f.log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(await readFile(path.join(f.box.workdir, "perm-ok.txt"), "utf8")).toBe("");
    expect(f.engine.get(s.id).waitingFor).toBe("input");
    // The decision is in the output log and answering again says how it ended.
    expect(f.engine.output(s.id)!.entries.some((e) => e.kind === "permission" && e.text.includes("allowed once by user alice"))).toBe(true);
    expect(() => f.engine.answerRequest(req.request.id, { kind: "deny" }, "user bob")).toThrow(/already decided .* allowed once by user alice/);
    expect(() => f.engine.answerRequest("rzzzz", { kind: "deny" }, "x")).toThrow(/No permission request "rzzzz"/);
  });

  it("allows for the session: a like call later is not asked again", async () => {
    f.make();
    f.model.script(
      { type: "tool_use", name: "Bash", input: { command: "npm test -- --first-run", description: "first" } },
      { type: "tool_use", name: "Bash", input: { command: "npm test -- --second-run", description: "second" } },
      { type: "text", text: "both ran" },
    );
    const s = f.engine.launch({ prompt: "run two", permissionMode: "default", owner });
    const req = await f.log.waitFor(isRequest(s.id), 60_000, "first request");
    expect(req.request.sessionScope).toBe("Bash(npm test *)");
    f.engine.answerRequest(req.request.id, { kind: "allow", scope: "session" }, "user alice");
    await f.log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(f.log.ofType("permission_request", s.id)).toHaveLength(1);
    expect(toolResultText(2)).toContain("package.json"); // npm ran (and found no package.json)
  });

  it("denies with a note that Claude receives, and the turn carries on", async () => {
    f.make();
    const target = path.join(f.box.workdir, "secret.txt");
    f.model.script({ type: "tool_use", name: "Write", input: { file_path: target, content: "x" } }, { type: "text", text: "ok, not writing" });
    const s = f.engine.launch({ prompt: "write it", permissionMode: "default", owner });
    const req = await f.log.waitFor(isRequest(s.id), 60_000, "request");
    expect(req.request.detail).toBe("+ x");
    f.engine.answerRequest(req.request.id, { kind: "deny", note: "use notes.md instead" }, "user alice");
    await f.log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(toolResultText(1)).toContain("use notes.md instead");
    await expect(readFile(target, "utf8")).rejects.toThrow();
  });

  it("denies a request nobody answers in time (fail closed) and tells Claude why", async () => {
    f.make({ permissionTimeoutMs: 1500 });
    f.model.script({ type: "tool_use", name: "Bash", input: { command: "touch late.txt", description: "late" } }, { type: "text", text: "understood" });
    const s = f.engine.launch({ prompt: "run late", permissionMode: "default", owner });
    const req = await f.log.waitFor(isRequest(s.id), 60_000, "request");
    const decided = await f.log.waitFor((e) => e.type === "permission_decided" && e.record.requestId === req.request.id, 30_000, "expiry");
    expect(decided.type === "permission_decided" && decided.record).toMatchObject({ outcome: "expired", by: "timeout" });
    await f.log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(toolResultText(1)).toContain("Nobody answered this request");
    expect(() => f.engine.answerRequest(req.request.id, { kind: "allow", scope: "once" }, "user alice")).toThrow(/expired at .*nobody answered in time/);
  });

  it("applies the policy before anyone is asked: allow and deny rules, each recorded", async () => {
    const policy = createPolicy({ allow: [parseRule("Bash(touch *)")], deny: [parseRule("Bash(rm *)")], ask: [] });
    f.make({ permissionPolicy: policy });
    f.model.script(
      { type: "tool_use", name: "Bash", input: { command: "touch allowed-by-policy.txt", description: "touch" } },
      { type: "tool_use", name: "Bash", input: { command: "rm -rf build", description: "clean" } },
      { type: "text", text: "done" },
    );
    const s = f.engine.launch({ prompt: "go", permissionMode: "default", owner });
    await f.log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(f.log.ofType("permission_request", s.id)).toHaveLength(0);
    const outcomes = f.log.ofType("permission_decided", s.id).map((e) => [e.record.outcome, e.record.by]);
    expect(outcomes).toEqual([
      ["policy_allowed", "policy Bash(touch *)"],
      ["policy_denied", "policy Bash(rm *)"],
    ]);
    expect(await readFile(path.join(f.box.workdir, "allowed-by-policy.txt"), "utf8")).toBe("");
    expect(toolResultText(2)).toContain("Denied by the operator's policy (Bash(rm *))");
  });

  it("relays Claude's question with its options and returns the chosen answer", async () => {
    f.make();
    f.model.script(
      {
        type: "tool_use",
        name: "AskUserQuestion",
        input: { questions: [{ question: "Which database?", header: "DB", multiSelect: false, options: [{ label: "SQLite", description: "a file" }, { label: "Postgres", description: "a server" }] }] },
      },
      { type: "text", text: "going with it" },
    );
    const s = f.engine.launch({ prompt: "set up storage", permissionMode: "default", owner });
    const req = await f.log.waitFor(isRequest(s.id), 60_000, "question");
    expect(req.request.kind).toBe("question");
    expect(req.request.questions?.[0]?.options.map((o) => o.label)).toEqual(["SQLite", "Postgres"]);
    expect(() => f.engine.answerRequest(req.request.id, { kind: "allow", scope: "once" }, "x")).toThrow(/is a question/);
    f.engine.answerRequest(req.request.id, { kind: "answer", answers: ["2"] }, "user alice");
    await f.log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(toolResultText(1)).toContain('\\"Which database?\\"=\\"Postgres\\"');
  });

  it("relays a plan in plan mode: revising with a note sends the note back to Claude", async () => {
    f.make();
    f.model.script(
      { type: "tool_use", name: "ExitPlanMode", input: {}, text: "1. Add a test\n2. Fix the bug" },
      { type: "text", text: "revising" },
    );
    const s = f.engine.launch({ prompt: "plan the fix", permissionMode: "plan", owner });
    const req = await f.log.waitFor(isRequest(s.id), 60_000, "plan");
    expect(req.request).toMatchObject({ kind: "plan", detail: "1. Add a test\n2. Fix the bug" });
    f.engine.answerRequest(req.request.id, { kind: "deny", note: "write the test first, then stop" }, "user alice");
    await f.log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(toolResultText(1)).toContain("write the test first, then stop");
  });

  it("withdraws a pending request when the session is killed, and the process is gone", async () => {
    f.make();
    f.model.script({ type: "tool_use", name: "Bash", input: { command: "touch never.txt", description: "never" } });
    const s = f.engine.launch({ prompt: "go", permissionMode: "default", owner });
    const req = await f.log.waitFor(isRequest(s.id), 60_000, "request");
    const pid = f.engine.get(s.id).pid!;
    await f.engine.kill(s.id, "user alice");
    const decided = f.log.ofType("permission_decided", s.id).map((e) => e.record);
    expect(decided).toMatchObject([{ requestId: req.request.id, outcome: "cancelled" }]);
    expect(processExists(pid)).toBe(false);
    expect(f.engine.get(s.id)).toMatchObject({ status: "killed", pendingRequests: [] });
  });

  it("a deny rule blocks a Bash call in bypassPermissions (the hook), the block is audited and Claude is told", async () => {
    const policy = createPolicy({ allow: [], deny: [parseRule("Bash(rm *)")], ask: [] });
    f.make({ permissionPolicy: policy, allowRootBypass: true });
    const victim = path.join(f.box.workdir, "victim.txt");
    await writeFile(victim, "keep me");
    f.model.script(
      { type: "tool_use", name: "Bash", input: { command: "echo cleaning && rm -f victim.txt", description: "clean" } },
      { type: "tool_use", name: "Bash", input: { command: "touch after-deny.txt", description: "carry on" } },
      { type: "text", text: "done" },
    );
    const s = f.engine.launch({ prompt: "clean up", permissionMode: "bypassPermissions", owner });
    await f.log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(await readFile(victim, "utf8")).toBe("keep me");
    const decided = f.log.ofType("permission_decided", s.id).map((e) => e.record);
    expect(decided).toMatchObject([{ outcome: "policy_denied", by: "policy Bash(rm *)", tool: "Bash", summary: "Bash — echo cleaning && rm -f victim.txt" }]);
    expect(toolResultText(1)).toContain("Denied by the operator's policy (Bash(rm *))");
    // Bypass still runs what no deny rule matches, unasked.
    expect(await readFile(path.join(f.box.workdir, "after-deny.txt"), "utf8")).toBe("");
    expect(f.log.ofType("permission_request", s.id)).toHaveLength(0);
  });

  it("a deny rule blocks a read-only command Claude Code would run without asking", async () => {
    const policy = createPolicy({ allow: [], deny: [parseRule("Bash(ls:*)")], ask: [] });
    f.make({ permissionPolicy: policy });
    f.model.script({ type: "tool_use", name: "Bash", input: { command: "ls -la", description: "look" } }, { type: "text", text: "ok" });
    const s = f.engine.launch({ prompt: "look around", permissionMode: "default", owner });
    await f.log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(f.log.ofType("permission_decided", s.id).map((e) => [e.record.outcome, e.record.by])).toEqual([["policy_denied", "policy Bash(ls:*)"]]);
    expect(f.log.ofType("permission_request", s.id)).toHaveLength(0);
    expect(toolResultText(1)).toContain("Denied by the operator's policy (Bash(ls:*))");
  });

  it("shows a long command as head and tail, keeps it whole in the output, and allows it once only over 4 KiB", async () => {
    f.make();
    const command = `touch long.txt # ${"a".repeat(3000)} ${"b".repeat(2000)} THE-END`;
    f.model.script({ type: "tool_use", name: "Bash", input: { command, description: "long" } }, { type: "text", text: "ran it" });
    const s = f.engine.launch({ prompt: "run the long one", permissionMode: "default", owner });
    const req = await f.log.waitFor(isRequest(s.id), 60_000, "request");
    expect(req.request.detail).toMatch(/^touch long\.txt # a+\n… \d+ characters not shown \(the whole command is in the session's output\) …\nb+ THE-END$/);
    expect(req.request.fullText).toBe(command);
    expect(req.request.sessionScope).toBeUndefined();
    expect(f.engine.output(s.id)!.entries.some((e) => e.kind === "permission" && e.text.endsWith(command))).toBe(true);
    expect(() => f.engine.answerRequest(req.request.id, { kind: "allow", scope: "session" }, "user alice")).toThrow(/over 4 KiB: it can be allowed once only/);
    f.engine.answerRequest(req.request.id, { kind: "allow", scope: "once" }, "user alice");
    await f.log.waitFor(isWaiting(s.id), 60_000, "turn end");
    expect(await readFile(path.join(f.box.workdir, "long.txt"), "utf8")).toBe("");
  });
});

// The backend conformance suite: one set of behaviours every AgentBackend must show through the
// engine (launch → result, follow-up, interrupt, kill, resume, fork, permission allow/deny, API
// error, process exit). Run against the Claude Code CLI on the offline model
// (test/engine/backend-conformance.e2e.test.ts) and the in-memory backend
// (src/engine/backend-conformance.test.ts); a new backend adds one file that calls it.
import { describe, expect, it } from "vitest";
import type { EngineOptions, SessionEngine, SessionEvent, SessionSnapshot } from "../../src/engine/index.ts";
import { isEnded, isWaiting, type EventLog } from "./events.ts";
import { processExists } from "./sandbox.ts";

export type Owner = { agent: string };
const owner: Owner = { agent: "main" };

/** What the agent does at one model call, in the backend's own terms once the harness maps it. */
export type AgentStep =
  /** Answer with this text: the turn ends with it as its result. */
  | { type: "text"; text: string }
  /** Run a shell command that changes files (asked for in permission mode "default"); the next step follows. */
  | { type: "bash"; command: string }
  /** A long answer (about ten seconds), for an interrupt or a kill mid-turn. */
  | { type: "slow" }
  /** The API fails with this status and message. */
  | { type: "api_error"; status: number; message: string };

export interface BackendHarness {
  /** The kind snapshots must carry. */
  readonly kind: string;
  /** This test's engine over the backend under test (a fresh workdir by default). */
  make(options?: EngineOptions<Owner>): SessionEngine<Owner>;
  readonly log: EventLog<Owner>;
  /** The agent's next model calls, in order (shared by all sessions of the test). */
  script(...steps: AgentStep[]): void;
  /** Everything the model was shown at its latest call (the conversation's history), as text. */
  seen(): string;
  /** Resolves once the model has been called n times in this test. */
  calls(n: number): Promise<void>;
  /** Ends the session's agent process from outside, as a crash would. */
  crash(session: SessionSnapshot<Owner>): void;
  /** How long one step may take here (the real CLI needs seconds, memory milliseconds). */
  readonly timeoutMs: number;
}

type Req = Extract<SessionEvent<Owner>, { type: "permission_request" }>;
const isRequest = (id: string) => (e: SessionEvent<Owner>): e is Req => e.type === "permission_request" && e.session.id === id;

/** Registers the suite in the calling file; `harness` is read inside tests only. */
export function backendConformance(name: string, harness: BackendHarness): void {
  const h = harness;
  const ended = (id: string) => h.log.waitFor(isEnded<Owner>(id), h.timeoutMs, "the session's end");
  const waiting = (id: string, what: string) => h.log.next((e) => isWaiting<Owner>(id)(e), h.timeoutMs, what);

  describe(`backend conformance: ${name}`, () => {
    it("launch → result: one turn completes with its text, cost and the backend's ref in the snapshot", async () => {
      const engine = h.make();
      h.script({ type: "text", text: "the answer is 42" });
      const s = engine.launch({ prompt: "what is the answer?", multiTurnDisabled: true, owner });
      expect(s.status).toBe("starting");
      const end = await ended(s.id);
      expect(end).toMatchObject({ status: "completed", reason: { kind: "done" } });
      expect(end.session.lastResult).toBe("the answer is 42");
      expect(engine.output(s.id)?.entries.at(-1)).toMatchObject({ kind: "result", text: "the answer is 42" });
      expect(end.session.claudeSessionId).toBeTruthy();
      expect(end.session.backend).toEqual({ kind: h.kind, ref: end.session.claudeSessionId });
      expect(end.session.costUsd).toBeGreaterThan(0);
      expect(h.log.ofType("ended", s.id)).toHaveLength(1);
    });

    it("follow-up: a second turn on the same conversation sees the first", async () => {
      const engine = h.make();
      h.script({ type: "text", text: "one" }, { type: "text", text: "two" });
      const s = engine.launch({ prompt: "remember KIWI", owner });
      await h.log.waitFor(isWaiting<Owner>(s.id), h.timeoutMs, "the first turn's end");
      const second = waiting(s.id, "the second turn's end");
      await engine.respond(s.id, "and now?");
      await second;
      const snap = engine.get(s.id);
      expect(snap).toMatchObject({ status: "waiting", waitingFor: "input", turns: 2, lastResult: "two" });
      expect(h.seen()).toContain("remember KIWI");
      expect(h.seen()).toContain("and now?");
      expect(new Set(h.log.ofType("claude_session", s.id).map((e) => e.claudeSessionId)).size).toBe(1);
    });

    it("interrupt: the turn stops, the session waits, and carries on with the next message", async () => {
      const engine = h.make();
      h.script({ type: "slow" }, { type: "text", text: "after the interrupt" });
      const s = engine.launch({ prompt: "write a long essay", owner });
      await h.calls(1);
      const stopped = waiting(s.id, "waiting after the interrupt");
      await engine.interrupt(s.id);
      const w = await stopped;
      expect(w.type === "waiting" && w.interrupted).toBe(true);
      const again = waiting(s.id, "waiting after the follow-up");
      await engine.respond(s.id, "continue please");
      await again;
      expect(engine.get(s.id).lastResult).toBe("after the interrupt");
      expect(h.seen()).toContain("continue please");
    });

    it("kill: ends the session killed, exactly once, with its process gone", async () => {
      const engine = h.make();
      h.script({ type: "slow" });
      const s = engine.launch({ prompt: "long work", owner });
      await h.calls(1);
      const pid = engine.get(s.id).pid;
      const killed = await engine.kill(s.id, "test");
      expect(killed).toMatchObject({ status: "killed", reason: { kind: "killed", by: "test" } });
      await engine.settled(s.id);
      if (pid !== undefined) expect(processExists(pid)).toBe(false);
      await expect(engine.kill(s.id, "test")).rejects.toMatchObject({ code: "ALREADY_FINISHED" });
      expect(h.log.ofType("ended", s.id)).toHaveLength(1);
    });

    it("resume: the same conversation ref, with the earlier history", async () => {
      const engine = h.make();
      h.script({ type: "text", text: "noted" }, { type: "text", text: "it was PAPAYA" });
      const first = engine.launch({ prompt: "the codeword is PAPAYA", name: "codeword", multiTurnDisabled: true, owner });
      const ref = (await ended(first.id)).session.claudeSessionId;
      const resumed = engine.launch({ prompt: "what was the codeword?", resume: "codeword", multiTurnDisabled: true, owner });
      expect(resumed.resumedFrom).toEqual({ sessionId: first.id, claudeSessionId: ref, fork: false });
      const end = await ended(resumed.id);
      expect(end.status).toBe("completed");
      expect(end.session.backend.ref).toBe(ref);
      expect(h.seen()).toContain("the codeword is PAPAYA");
    });

    it("fork: a new conversation ref that starts from the earlier history", async () => {
      const engine = h.make();
      h.script({ type: "text", text: "noted" }, { type: "text", text: "forked" });
      const first = engine.launch({ prompt: "the codeword is MANGO", multiTurnDisabled: true, owner });
      const ref = (await ended(first.id)).session.claudeSessionId;
      const forked = engine.launch({ prompt: "try another way", resume: first.id, fork: true, multiTurnDisabled: true, owner });
      const end = await ended(forked.id);
      expect(end.status).toBe("completed");
      expect(end.session.backend.ref).toBeTruthy();
      expect(end.session.backend.ref).not.toBe(ref);
      expect(h.seen()).toContain("the codeword is MANGO");
    });

    it("permission request, allowed: the session waits for permission, then the turn goes on", async () => {
      const engine = h.make();
      h.script({ type: "bash", command: "touch allowed.txt" }, { type: "text", text: "ran it" });
      const s = engine.launch({ prompt: "make the file", permissionMode: "default", owner });
      const req = await h.log.waitFor(isRequest(s.id), h.timeoutMs, "the permission request");
      expect(req.request).toMatchObject({ kind: "tool", tool: "Bash", summary: "Bash — touch allowed.txt" });
      expect(engine.get(s.id)).toMatchObject({ status: "waiting", waitingFor: "permission" });
      const turnEnd = waiting(s.id, "the turn's end");
      engine.answerRequest(req.request.id, { kind: "allow", scope: "once" }, "user alice");
      await turnEnd;
      expect(engine.get(s.id)).toMatchObject({ waitingFor: "input", lastResult: "ran it", pendingRequests: [] });
      expect(engine.output(s.id)?.entries.some((e) => e.kind === "permission" && e.text.includes("allowed once by user alice"))).toBe(true);
    });

    it("permission request, denied: the agent is told why and the turn goes on", async () => {
      const engine = h.make();
      h.script({ type: "bash", command: "touch denied.txt" }, { type: "text", text: "understood" });
      const s = engine.launch({ prompt: "make the file", permissionMode: "default", owner });
      const req = await h.log.waitFor(isRequest(s.id), h.timeoutMs, "the permission request");
      const turnEnd = waiting(s.id, "the turn's end");
      const record = engine.answerRequest(req.request.id, { kind: "deny", note: "not in this repo" }, "user alice");
      expect(record).toMatchObject({ outcome: "denied", by: "user alice", note: "not in this repo" });
      await turnEnd;
      expect(engine.get(s.id).lastResult).toBe("understood");
      expect(h.seen()).toContain("The user denied this: not in this repo");
    });

    it("API error: the session fails with the API's message", async () => {
      const engine = h.make();
      h.script({ type: "api_error", status: 500, message: "scripted failure zebra" });
      const s = engine.launch({ prompt: "anything", owner });
      const end = await ended(s.id);
      expect(end.status).toBe("failed");
      expect(end.reason.kind).toBe("api_error");
      if (end.reason.kind === "api_error") expect(end.reason.message).toContain("scripted failure zebra");
      expect(h.log.ofType("ended", s.id)).toHaveLength(1);
    });

    it("process exit: a process that dies mid-turn fails the session, exactly once", async () => {
      const engine = h.make();
      h.script({ type: "slow" });
      const s = engine.launch({ prompt: "long work", owner });
      await h.calls(1);
      h.crash(engine.get(s.id));
      const end = await ended(s.id);
      expect(end.status).toBe("failed");
      expect(end.reason.kind).toBe("error");
      await engine.settled(s.id);
      expect(h.log.ofType("ended", s.id)).toHaveLength(1);
    });
  });
}

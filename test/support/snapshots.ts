// A complete session snapshot for tests and benchmarks that need one without running a session:
// a finished, successful session; override what the test is about.
import type { SessionSnapshot } from "../../src/engine/index.ts";

export function sampleSnapshot<TOwner>(owner: TOwner, over: Partial<SessionSnapshot<TOwner>> = {}): SessionSnapshot<TOwner> {
  return {
    id: "aaaa2222",
    name: "sample-session",
    status: "completed",
    reason: { kind: "done" },
    prompt: "do it",
    workdir: "/work",
    model: undefined,
    permissionMode: "bypassPermissions",
    maxBudgetUsd: 5,
    multiTurn: true,
    claudeSessionId: undefined,
    resumedFrom: undefined,
    owner,
    pid: undefined,
    costUsd: 0.01,
    turns: 1,
    createdAt: 1000,
    endedAt: 2000,
    durationMs: 1000,
    lastSeq: 3,
    lastResult: "ok",
    waitingFor: undefined,
    pendingRequests: [],
    ...over,
    // As the store reads it: the backend's ref is the Claude session id unless the test says otherwise.
    backend: over.backend ?? { kind: "claude-code", ref: over.claudeSessionId },
  };
}

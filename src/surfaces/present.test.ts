// The RPC payload presenters: the community plugin's fields with their types and meaning, ours beside them.
import { describe, expect, it } from "vitest";
import type { StatsSnapshot } from "../engine/index.ts";
import type { Snapshot } from "../ops/operations.ts";
import { killPayload, launchPayload, listPayload, minutesSeconds, outputPayload, respondPayload, sessionJson, statsPayload } from "./present.ts";

const STARTED = Date.UTC(2026, 10, 24, 9, 12, 3);

function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  return {
    id: "k3m9x2ab",
    name: "fix-flaky-test",
    status: "waiting",
    reason: undefined,
    prompt: 'fix the "flaky" test',
    workdir: "/home/me/src/api",
    model: "sonnet",
    permissionMode: "bypassPermissions",
    maxBudgetUsd: 2,
    multiTurn: true,
    claudeSessionId: "0b3c1f9e-2a4d-4c5e-8f60-718293a4b5c6",
    backend: { kind: "claude-code", ref: "0b3c1f9e-2a4d-4c5e-8f60-718293a4b5c6" },
    resumedFrom: undefined,
    owner: { agentId: "main", route: undefined, sessionKey: undefined, origin: "tool" },
    pid: 4242,
    costUsd: 0.42,
    turns: 1,
    createdAt: STARTED,
    endedAt: undefined,
    durationMs: 125_400,
    lastSeq: 3,
    lastResult: "The test passes now.",
    waitingFor: "input",
    pendingRequests: [],
    ...over,
  };
}

const ended = snapshot({ status: "completed", reason: { kind: "done" }, endedAt: STARTED + 518_000, durationMs: 518_000, waitingFor: undefined });
const noForeground = () => false;

describe("sessionJson", () => {
  it("has status (and the older state), epoch-ms startedAt, foreground and a one-line display; completedAt only once ended", () => {
    const live = sessionJson(snapshot(), true);
    expect(live).toMatchObject({ id: "k3m9x2ab", name: "fix-flaky-test", status: "waiting", state: "waiting", startedAt: STARTED, foreground: true, multiTurn: true, model: "sonnet" });
    expect(live.completedAt).toBeUndefined();
    expect(JSON.parse(JSON.stringify(live))).not.toHaveProperty("completedAt");
    expect(live.display).toBe("fix-flaky-test [k3m9x2ab] waiting · /home/me/src/api · $0.42 · 2m 5s");
    const done = sessionJson(ended, false);
    expect(done).toMatchObject({ status: "completed", completedAt: STARTED + 518_000, endedAt: new Date(STARTED + 518_000).toISOString(), foreground: false });
  });
});

describe("RPC payloads", () => {
  it("launch and respond carry id, name, status (and workdir, model) beside the session", () => {
    const launched = launchPayload({ session: snapshot({ status: "starting", waitingFor: undefined }) }, noForeground);
    expect(launched).toMatchObject({ id: "k3m9x2ab", name: "fix-flaky-test", status: "starting", workdir: "/home/me/src/api", model: "sonnet", session: { id: "k3m9x2ab" } });
    expect(launched.display).toContain("launched");
    expect(respondPayload({ session: snapshot({ status: "running" }), interrupted: true, autoResponds: 0 }, noForeground)).toMatchObject({ id: "k3m9x2ab", status: "running", interrupted: true });
  });

  it("kill says 'Session <name> [<id>] terminated', or 'Session already <status>' for an ended one", () => {
    const killed = snapshot({ status: "killed", reason: { kind: "killed", by: "operator (RPC)" }, endedAt: STARTED + 1000 });
    expect(killPayload({ session: killed, alreadyEnded: false }, noForeground)).toMatchObject({ id: "k3m9x2ab", name: "fix-flaky-test", status: "killed", message: "Session fix-flaky-test [k3m9x2ab] terminated", session: { status: "killed" } });
    const again = killPayload({ session: ended, alreadyEnded: true }, noForeground);
    expect(again).toMatchObject({ status: "completed", message: "Session already completed" });
    expect(again.display).toMatch(/had already ended \(completed: done\)/);
  });

  it("output has one rendered line per entry, lineCount, result and an XmYs duration", () => {
    const entries = [
      { seq: 2, at: STARTED, kind: "tool_use" as const, text: "Bash — npm test", tool: "Bash" },
      { seq: 3, at: STARTED, kind: "result" as const, text: "The test passes now." },
    ];
    const out = outputPayload({ session: snapshot(), entries, earlier: 1, more: 0, source: "memory", inMemory: true }, () => true);
    expect(out).toMatchObject({
      id: "k3m9x2ab",
      status: "waiting",
      costUsd: 0.42,
      durationMs: 125_400,
      duration: "2m5s",
      lines: ["🔧 Bash — npm test", "✔ The test passes now."],
      lineCount: 2,
      result: "The test passes now.",
      earlier: 1,
      session: { foreground: true },
    });
    expect((out.entries as Array<{ seq: number }>).map((e) => e.seq)).toEqual([2, 3]);
  });

  it("sessions has count (this page) beside total and offset", () => {
    const list = listPayload({ sessions: [snapshot(), ended], total: 7, offset: 2 }, (id) => id === "k3m9x2ab");
    expect(list).toMatchObject({ count: 2, total: 7, offset: 2 });
    expect((list.sessions as Array<{ foreground: boolean }>).map((s) => s.foreground)).toEqual([true, true]);
  });

  it("stats are flat (totalCostUsd, costPerDay, sessionsByStatus with running, totalLaunched, averageDurationMs, mostExpensive) beside ours", () => {
    const stats: StatsSnapshot = {
      launched: 5,
      live: 2,
      byStatus: { completed: 1, failed: 1, killed: 1, interrupted: 0 },
      totalCostUsd: 1.5,
      costByDay: { "2026-11-24": 1.5 },
      costByDayModel: { "2026-11-24": { sonnet: 1.5 } },
      averageDurationMs: 60_000,
      mostExpensive: { id: "k3m9x2ab", name: "fix-flaky-test", costUsd: 1 },
    };
    expect(statsPayload(stats)).toMatchObject({
      totalCostUsd: 1.5,
      costPerDay: { "2026-11-24": 1.5 },
      sessionsByStatus: { completed: 1, failed: 1, killed: 1, running: 2, interrupted: 0 },
      totalLaunched: 5,
      averageDurationMs: 60_000,
      mostExpensive: { id: "k3m9x2ab", costUsd: 1 },
      stats,
    });
    expect(statsPayload({ ...stats, averageDurationMs: undefined, mostExpensive: undefined })).toMatchObject({ averageDurationMs: 0, mostExpensive: null });
  });

  it("minutesSeconds writes whole minutes and seconds", () => {
    expect([0, 999, 5_000, 65_000, 3_725_000].map(minutesSeconds)).toEqual(["0m0s", "0m0s", "0m5s", "1m5s", "62m5s"]);
  });
});

// The stats' cost split by day and by model: ended sessions on the day they ended, live ones today,
// each session once, and stats saved before the split existed still load.
import { describe, expect, it } from "vitest";
import { sampleSnapshot } from "../../test/support/snapshots.ts";
import { emptyStatsState, StatsRecorder } from "./stats.ts";

const DAY1 = Date.UTC(2026, 10, 23, 12);
const DAY2 = Date.UTC(2026, 10, 24, 9);

describe("StatsRecorder cost per day and per model", () => {
  it("counts each ended session under its end day and its model, `default` when it had none", () => {
    const stats = new StatsRecorder();
    stats.recordEnd(sampleSnapshot(undefined, { id: "a", model: "sonnet", costUsd: 0.5, endedAt: DAY1 }), "completed", { kind: "done" });
    stats.recordEnd(sampleSnapshot(undefined, { id: "b", model: "opus", costUsd: 2, endedAt: DAY1 }), "failed", { kind: "budget", limitUsd: 2 });
    stats.recordEnd(sampleSnapshot(undefined, { id: "c", model: "sonnet", costUsd: 0.25, endedAt: DAY2 }), "completed", { kind: "done" });
    stats.recordEnd(sampleSnapshot(undefined, { id: "d", model: undefined, costUsd: 0.1, endedAt: DAY2 }), "killed", { kind: "killed", by: "operator" });
    // The same session again is not counted twice.
    stats.recordEnd(sampleSnapshot(undefined, { id: "a", model: "sonnet", costUsd: 0.5, endedAt: DAY1 }), "completed", { kind: "done" });
    const snap = stats.snapshot([], DAY2);
    expect(snap.costByDayModel).toEqual({ "2026-11-23": { sonnet: 0.5, opus: 2 }, "2026-11-24": { sonnet: 0.25, default: 0.1 } });
    expect(snap.costByDay).toEqual({ "2026-11-23": 2.5, "2026-11-24": 0.35 });
  });

  it("adds live sessions' cost so far to today's split, without keeping it", () => {
    const stats = new StatsRecorder();
    stats.recordEnd(sampleSnapshot(undefined, { id: "a", model: "sonnet", costUsd: 1, endedAt: DAY2 }), "completed", { kind: "done" });
    const live = [sampleSnapshot(undefined, { id: "l", status: "running", model: "sonnet", costUsd: 0.5, endedAt: undefined })];
    expect(stats.snapshot(live, DAY2).costByDayModel).toEqual({ "2026-11-24": { sonnet: 1.5 } });
    expect(stats.snapshot([], DAY2).costByDayModel).toEqual({ "2026-11-24": { sonnet: 1 } });
    expect(stats.exportState().costByDayModel).toEqual({ "2026-11-24": { sonnet: 1 } });
  });

  it("carries on from stats saved before the split by model existed", () => {
    const old = emptyStatsState();
    delete old.costByDayModel;
    old.costByDay = { "2026-11-23": 3 };
    const stats = new StatsRecorder(old);
    expect(stats.snapshot([], DAY2).costByDayModel).toEqual({});
    stats.recordEnd(sampleSnapshot(undefined, { id: "n", model: "haiku", costUsd: 0.2, endedAt: DAY2 }), "completed", { kind: "done" });
    const snap = stats.snapshot([], DAY2);
    expect(snap.costByDayModel).toEqual({ "2026-11-24": { haiku: 0.2 } });
    expect(snap.costByDay).toEqual({ "2026-11-23": 3, "2026-11-24": 0.2 });
  });
});

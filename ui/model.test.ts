// The page's readers and helpers: old and new payload shapes read alike, labels, diffs, costs.
import { describe, expect, it } from "vitest";
import {
  asDiff,
  costSeries,
  finishable,
  matches,
  modelTotals,
  offersWorktree,
  orderSessions,
  readEvent,
  readOptions,
  readOutput,
  readSession,
  readSessionList,
  readStats,
  shortPath,
  shortPaths,
  statusLabel,
  transcriptNote,
  withKnownWorktree,
} from "./model.ts";

const base = { id: "a1b2c3d4", name: "fix-tests", workdir: "/src/api", turns: 2, costUsd: 0.25, durationMs: 61_000, lastSeq: 4 };

describe("readSession", () => {
  it("reads today's payload (state, ISO times) and the flat one (status, epoch ms) to the same session", () => {
    const old = readSession({ ...base, state: "completed", createdAt: "2026-12-01T10:00:00.000Z", endedAt: "2026-12-01T10:01:01.000Z", reason: "done" });
    const flat = readSession({ ...base, status: "completed", startedAt: Date.parse("2026-12-01T10:00:00.000Z"), completedAt: Date.parse("2026-12-01T10:01:01.000Z"), reason: "done" });
    expect(old).toEqual(flat);
    expect(old?.startedAt).toBe(Date.parse("2026-12-01T10:00:00.000Z"));
  });

  it("rejects what is not a session and defaults what is missing", () => {
    expect(readSession(null)).toBeUndefined();
    expect(readSession({ name: "no id" })).toBeUndefined();
    const s = readSession({ id: "x" });
    expect(s).toMatchObject({ id: "x", name: "x", status: "unknown", costUsd: 0, pending: [] });
  });

  it("reads pending requests with their questions and skips malformed ones", () => {
    const s = readSession({
      ...base,
      status: "waiting",
      waitingFor: "permission",
      pending: [{ id: "r1", kind: "question", tool: "AskUserQuestion", summary: "Which?", questions: [{ question: "Which?", header: "Pick", options: [{ label: "A", description: "" }, { nope: 1 }], multiSelect: false }] }, { kind: "tool" }],
    });
    expect(s?.pending).toHaveLength(1);
    expect(s?.pending[0]?.questions[0]?.options.map((o) => o.label)).toEqual(["A"]);
    expect(s && statusLabel(s)).toBe("waiting for permission");
  });
});

describe("worktrees", () => {
  const worktree = { path: "/state/wt/api/x", branch: "claude/fix-tests-a1b2c3", baseBranch: "main", status: "active", ahead: 2, behind: 0, dirty: false };

  it("reads a session's worktree, and offers the finish actions until it is merged or discarded", () => {
    const s = readSession({ ...base, status: "waiting", worktree });
    expect(s?.worktree).toEqual({ branch: "claude/fix-tests-a1b2c3", status: "active", ahead: 2, dirty: false });
    expect(s?.branch).toBe("claude/fix-tests-a1b2c3");
    if (!s) throw new Error("no session");
    for (const status of ["active", "kept", "pr"]) expect(finishable({ ...s, worktree: { ...worktree, status, ahead: undefined, dirty: undefined } })).toBe(true);
    for (const status of ["merged", "discarded"]) expect(finishable({ ...s, worktree: { ...worktree, status, ahead: undefined, dirty: undefined } })).toBe(false);
    expect(finishable({ ...s, worktree: undefined })).toBe(false);
    expect(readSession({ ...base, worktree: { status: "active" } })?.worktree).toBeUndefined();
    expect(readSession({ ...base, worktree: null })?.worktree).toBeUndefined();
  });

  it("keeps the known worktree when a pushed event's session carries none, and takes a newer one", () => {
    const listed = readSession({ ...base, status: "waiting", worktree });
    const pushed = readSession({ ...base, status: "running" });
    if (!listed || !pushed) throw new Error("no session");
    const merged = withKnownWorktree(pushed, listed);
    expect(merged.status).toBe("running");
    expect(merged.worktree?.branch).toBe("claude/fix-tests-a1b2c3");
    expect(merged.branch).toBe("claude/fix-tests-a1b2c3");
    const finished = readSession({ ...base, status: "completed", worktree: { ...worktree, status: "merged" } });
    if (!finished) throw new Error("no session");
    expect(withKnownWorktree(finished, listed).worktree?.status).toBe("merged");
    expect(withKnownWorktree(pushed, undefined).worktree).toBeUndefined();
  });
});

describe("statusLabel", () => {
  it("says what a session waits for, its queue position, and how it ended", () => {
    const s = (extra: Record<string, unknown>) => readSession({ ...base, ...extra })!;
    expect(statusLabel(s({ status: "waiting", waitingFor: "input" }))).toBe("waiting for input");
    expect(statusLabel(s({ status: "queued", queuePosition: 2 }))).toBe("queued (#2)");
    expect(statusLabel(s({ status: "killed", reason: "killed by operator (RPC)" }))).toBe("killed (killed by operator (RPC))");
    expect(statusLabel(s({ status: "running" }))).toBe("running");
  });
});

describe("lists and events", () => {
  it("orders live sessions first, then the newest", () => {
    const list = readSessionList({
      sessions: [
        { ...base, id: "old", status: "completed", startedAt: 1 },
        { ...base, id: "new", status: "failed", startedAt: 3 },
        { ...base, id: "live", status: "running", startedAt: 2 },
      ],
      total: 9,
    });
    expect(list.total).toBe(9);
    expect(orderSessions(list.sessions).map((s) => s.id)).toEqual(["live", "new", "old"]);
  });

  it("filters by status, agent and name", () => {
    const s = readSession({ ...base, status: "waiting", waitingFor: "permission", agentId: "main" })!;
    expect(matches(s, { status: "waiting-permission", agent: "", search: "" })).toBe(true);
    expect(matches(s, { status: "running", agent: "", search: "" })).toBe(false);
    expect(matches(s, { status: "all", agent: "other", search: "" })).toBe(false);
    expect(matches(s, { status: "live", agent: "main", search: "FIX" })).toBe(true);
    expect(matches(s, { status: "all", agent: "", search: "deploy" })).toBe(false);
  });

  it("reads output entries and pushed events", () => {
    const out = readOutput({ session: { ...base, state: "running" }, entries: [{ seq: 1, kind: "text", text: "hi", at: "2026-12-01T10:00:00.000Z" }, { seq: "bad" }] });
    expect(out.entries).toEqual([{ seq: 1, kind: "text", text: "hi", at: Date.parse("2026-12-01T10:00:00.000Z"), tool: undefined }]);
    const ev = readEvent({ type: "output", session: { ...base, status: "running" }, entry: { seq: 2, kind: "tool_use", text: "Bash — ls", at: 5, tool: "Bash" } });
    expect(ev?.entry?.tool).toBe("Bash");
    expect(readEvent({ type: "output" })).toBeUndefined();
  });
});

describe("diffs and costs", () => {
  it("shows a unified diff as one and plain text as text", () => {
    const d = asDiff("@@ -1 +1 @@\n-old line\n+new line\n same");
    expect(d?.map((l) => l.kind)).toEqual(["hunk", "del", "add", "ctx"]);
    expect(asDiff("npm test -- --watch")).toBeUndefined();
    expect(asDiff("A plain sentence.\nAnother one.")).toBeUndefined();
  });

  it("puts each day's cost on a 30-day axis ending today, and sums cost per model", () => {
    const now = Date.parse("2026-12-03T12:00:00.000Z");
    const series = costSeries(
      {
        costByDay: { "2026-12-03": 0.5, "2026-12-01": 0.25, "2026-10-01": 9 },
        // 12-01 was recorded before the split by model: its cost has no model.
        costByDayModel: { "2026-12-03": { opus: 0.375, sonnet: 0.125 }, "2026-10-01": { haiku: 9 } },
      },
      now,
    );
    expect(series).toHaveLength(30);
    expect(series[29]).toEqual({ day: "2026-12-03", costUsd: 0.5, models: [{ model: "opus", costUsd: 0.375 }, { model: "sonnet", costUsd: 0.125 }] });
    expect(series[27]).toEqual({ day: "2026-12-01", costUsd: 0.25, models: [] });
    expect(series.reduce((a, p) => a + p.costUsd, 0)).toBe(0.75);
    // Outside the 30 days nothing counts; a model's days with cost are counted.
    expect(modelTotals(series)).toEqual([
      { model: "opus", costUsd: 0.375, days: 1 },
      { model: "sonnet", costUsd: 0.125, days: 1 },
    ]);
    const two = costSeries({ costByDay: {}, costByDayModel: { "2026-12-02": { opus: 1 }, "2026-12-03": { opus: 0.5 } } }, now);
    // A day whose split exceeds the total (a live session) shows the split.
    expect(two[29]?.costUsd).toBe(0.5);
    expect(modelTotals(two)).toEqual([{ model: "opus", costUsd: 1.5, days: 2 }]);
  });

  it("reads stats nested or flat", () => {
    const nested = readStats({ stats: { launched: 3, live: 1, totalCostUsd: 1.5, byStatus: { completed: 2 }, costByDay: { "2026-12-03": 1.5 } } });
    const flat = readStats({ launched: 3, live: 1, totalCostUsd: 1.5, completed: 2, costByDay: { "2026-12-03": 1.5 } });
    expect(nested).toEqual(flat);
    expect(nested.byStatus.completed).toBe(2);
  });
});

describe("paths, the launch options and the transcript's origin", () => {
  it("shows paths under the gateway's home as ~/…, and leaves the rest alone", () => {
    expect(shortPath("/home/dev/src/api", "/home/dev")).toBe("~/src/api");
    expect(shortPath("/home/dev", "/home/dev/")).toBe("~");
    expect(shortPath("/home/developer/x", "/home/dev")).toBe("/home/developer/x");
    expect(shortPath("/srv/x", undefined)).toBe("/srv/x");
    expect(shortPath("/srv/x", "/")).toBe("/srv/x");
  });

  it("shortens every home path inside a text, and only whole home prefixes", () => {
    expect(shortPaths("Bash(ls *), access to /home/dev/src/api and /home/dev/tmp", "/home/dev")).toBe("Bash(ls *), access to ~/src/api and ~/tmp");
    expect(shortPaths("access to /home/developer/x", "/home/dev")).toBe("access to /home/developer/x");
    expect(shortPaths("access to /home/dev/x", undefined)).toBe("access to /home/dev/x");
  });

  it("offers the worktree option for a listed workdir in a repository, or any typed path", () => {
    expect(offersWorktree("/src/api", "", ["/src/api"])).toBe(true);
    expect(offersWorktree("/src/notes", "", ["/src/api"])).toBe(false);
    expect(offersWorktree("", "", [])).toBe(false);
    expect(offersWorktree("/src/notes", " /elsewhere ", [])).toBe(true);
  });

  it("reads the options, with defaults for what older gateways leave out", () => {
    expect(readOptions({ workdirs: ["/a", 3, ""], repositories: ["/a"], home: "/home/dev", defaultWorktree: true, defaultBudgetUsd: 2 })).toEqual({
      workdirs: ["/a"],
      repositories: ["/a"],
      home: "/home/dev",
      defaultModel: undefined,
      permissionModes: ["default", "plan", "acceptEdits", "bypassPermissions"],
      defaultPermissionMode: undefined,
      defaultBudgetUsd: 2,
      defaultWorktree: true,
    });
    expect(readOptions(null)).toMatchObject({ workdirs: [], repositories: [], defaultWorktree: false });
  });

  it("says where an opened transcript came from when not from memory", () => {
    expect(transcriptNote("memory", 0)).toBeUndefined();
    expect(transcriptNote("memory", 3)).toBe("The first 3 entries were not kept.");
    expect(transcriptNote("transcript", 0)).toMatch(/^From the stored transcript/);
    expect(transcriptNote("transcript", 1)).toMatch(/The first 1 entry was not kept\.$/);
    expect(transcriptNote("result", 0)).toMatch(/last result/);
  });

  it("reads an output page's paging fields", () => {
    const out = readOutput({ entries: [{ seq: 5, kind: "text", text: "x" }], earlier: 4, more: 10, source: "transcript" });
    expect(out).toMatchObject({ earlier: 4, more: 10, source: "transcript" });
    expect(readOutput({})).toMatchObject({ earlier: 0, more: 0, source: undefined });
  });
});

// Rendering of worktree results for all three surfaces: a session's worktree as JSON and in a list
// line, the launch reply's worktree lines, and the finish result's text and JSON.
import type { LaunchResult } from "../ops/operations.ts";
import type { FinishResult } from "../ops/worktree-ops.ts";
import type { WorktreeRecord } from "../worktrees/index.ts";
/** The JSON shape of a session's worktree (camelCase, epoch-ms times); null for a session without one. */
export interface WorktreeJson {
  path: string;
  branch: string;
  baseBranch: string;
  baseCommit: string;
  baseSource: "remote" | "local";
  /** Open: active (in use) or kept or pr; gone: merged or discarded. */
  status: string;
  /** How it was finished, once it was: merge, pr, keep, discard. */
  finished: "merge" | "pr" | "keep" | "discard" | null;
  ahead: number | null;
  behind: number | null;
  dirty: boolean | null;
  /** When ahead/behind/dirty were last measured (after each turn and finish). */
  checkedAt: number | null;
  prUrl: string | null;
  snapshotRef: string | null;
  mergeCommit: string | null;
  createdAt: number;
  finishedAt: number | null;
}

const FINISHED_BY: Record<WorktreeRecord["state"], WorktreeJson["finished"]> = { active: null, kept: "keep", pr: "pr", merged: "merge", discarded: "discard" };

export function worktreeJson(r: WorktreeRecord | undefined): WorktreeJson | null {
  if (!r) return null;
  const open = r.state !== "merged" && r.state !== "discarded";
  return {
    path: r.path,
    branch: r.branch,
    baseBranch: r.baseBranch,
    baseCommit: r.baseCommit,
    baseSource: r.baseSource,
    status: r.state,
    finished: FINISHED_BY[r.state],
    ahead: open ? (r.status?.ahead ?? null) : null,
    behind: open ? (r.status?.behind ?? null) : null,
    dirty: open ? (r.status?.dirty ?? null) : null,
    checkedAt: r.status?.at ?? null,
    prUrl: r.prUrl ?? null,
    snapshotRef: r.snapshotRef ?? null,
    mergeCommit: r.mergeCommit ?? null,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt ?? null,
  };
}

/** A listed session's worktree in one line's tail. */
export function worktreeSuffix(r: WorktreeRecord | undefined): string {
  if (!r) return "";
  const st = r.status;
  const counts = st && r.state !== "merged" && r.state !== "discarded" ? ` +${st.ahead}/-${st.behind}${st.dirty ? " dirty" : ""}${st.missing ? " (folder missing)" : ""}` : "";
  const how = r.state === "active" ? "" : ` · ${r.state}${r.prUrl ? ` ${r.prUrl}` : ""}${r.snapshotRef ? ` (${r.snapshotRef})` : ""}`;
  return ` · worktree ${r.branch} from ${r.baseBranch}@${r.baseCommit.slice(0, 8)}${counts}${how}`;
}

export function worktreeLaunchText(r: LaunchResult): string {
  const w = r.worktree;
  if (!w) return "";
  const lines = [`Worktree ${w.record.path} on branch ${w.record.branch}, based on ${w.record.baseBranch} at ${w.record.baseCommit.slice(0, 8)} (${w.fetch}).`];
  if (w.branchTaken) lines.push(`The branch ${w.branchTaken} already existed (not the plugin's); it was left alone.`);
  if (w.detachedHead) lines.push(`Your checkout ${w.record.repoRoot} has a detached HEAD; the session starts from ${w.record.baseBranch}.`);
  if (w.userChanges > 0) lines.push(`⚠️ Your uncommitted changes in ${w.record.repoRoot} (${w.userChanges} ${w.userChanges === 1 ? "file" : "files"}) are not in the session's worktree.`);
  lines.push(`When it is done: /claude_finish ${r.session.name} merge | pr | keep | discard.`);
  return `\n${lines.join("\n")}`;
}

export function finishText(r: FinishResult): string {
  const o = r.outcome;
  const w = o.record;
  const who = `${r.session.name} [${r.session.id}]`;
  const leftovers = o.leftoverCommit ? ` (its uncommitted changes were committed as ${o.leftoverCommit.slice(0, 8)})` : "";
  switch (o.action) {
    case "merge":
      return o.mergeCommit
        ? `✅ Merged ${w.branch} of ${who} into ${w.baseBranch} in ${o.mergedIn} as ${o.mergeCommit.slice(0, 8)}${leftovers}. The worktree and its branch were removed.`
        : `✅ ${who}: ${o.mergedIn}${leftovers}. The worktree and its branch were removed.`;
    case "pr":
      return `🔀 ${o.prReused ? "Updated the open pull request" : "Opened a pull request"} for ${w.branch} of ${who}: ${o.prUrl}${leftovers}. The worktree stays at ${w.path}; finish with merge or discard later.`;
    case "keep":
      return `📌 Kept the worktree of ${who}: ${w.path} on ${w.branch}. It stays across restarts; resume the session to continue there, or finish it later with merge, pr or discard.`;
    case "discard":
      return o.snapshotRef
        ? `🗑️ Discarded the worktree of ${who}. Its unmerged work is kept in ${o.snapshotRef}; restore it with: ${o.restoreCommand}`
        : `🗑️ Discarded the worktree of ${who}: everything in it was already in ${w.baseBranch}. The worktree and its branch were removed.`;
    default: {
      const never: never = o.action;
      return String(never);
    }
  }
}

/** The finish result as JSON for tool details and RPC payloads. */
export function finishJson(r: FinishResult): Record<string, unknown> {
  const o = r.outcome;
  return {
    action: o.action,
    worktree: worktreeJson(o.record),
    leftoverCommit: o.leftoverCommit ?? null,
    mergeCommit: o.mergeCommit ?? null,
    mergedIn: o.mergedIn ?? null,
    prUrl: o.prUrl ?? null,
    prReused: o.prReused,
    snapshotRef: o.snapshotRef ?? null,
    restoreCommand: o.restoreCommand ?? null,
    removed: o.removed,
  };
}

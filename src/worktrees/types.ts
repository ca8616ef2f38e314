// The worktree layer's vocabulary: what it records about each worktree it created, the port that
// keeps those records across restarts, and what launch and finish report.

/** active: in use; kept / pr: finished but still there; merged / discarded: gone (final). */
export type WorktreeState = "active" | "kept" | "pr" | "merged" | "discarded";
export const FINISH_ACTIONS = ["merge", "pr", "keep", "discard"] as const;
export type FinishAction = (typeof FINISH_ACTIONS)[number];

export function isFinal(state: WorktreeState): boolean {
  return state === "merged" || state === "discarded";
}

/** Last known state of a worktree's branch against its base (refreshed after each turn and finish). */
export interface WorktreeStatus {
  ahead: number;
  behind: number;
  dirty: boolean;
  /** The folder was deleted by hand. */
  missing: boolean;
  at: number;
}

/** One worktree the plugin created (it never touches one it did not create). */
export interface WorktreeRecord {
  /** Short id, also the branch's suffix. */
  id: string;
  /** The session that launched into it (resumes and forks run in it too). */
  sessionId: string | undefined;
  sessionName: string;
  /** The launch prompt (bounded), for the message of the commit of leftovers. */
  prompt: string;
  /** The user's checkout the launch pointed into (its top level). */
  repoRoot: string;
  /** The repository's shared git directory: one merge queue per value. */
  commonDir: string;
  /** The worktree folder. */
  path: string;
  /** The launch workdir relative to repoRoot ("" at the top). */
  subdir: string;
  branch: string;
  baseBranch: string;
  baseCommit: string;
  baseSource: "remote" | "local";
  remote: string | undefined;
  state: WorktreeState;
  createdAt: number;
  finishedAt: number | undefined;
  prUrl: string | undefined;
  snapshotRef: string | undefined;
  mergeCommit: string | undefined;
  status: WorktreeStatus | undefined;
}

/** Where records are kept (the plugin's store); a port so this layer needs no database. */
export interface WorktreeRecords {
  all(): WorktreeRecord[];
  save(record: WorktreeRecord): void;
  delete(id: string): void;
}

/** What the launch reply says about the worktree it prepared. */
export interface WorktreeLaunchInfo {
  record: WorktreeRecord;
  /** Where the session runs: the worktree, or the same subfolder in it. */
  workdir: string;
  /** "fetched origin/main", "no remote", "fetch from origin failed (…): based on the local main". */
  fetch: string;
  /** Files with uncommitted changes in the user's checkout (they are not in the worktree). */
  userChanges: number;
  /** The user's checkout has a detached HEAD (the base is the default branch anyway). */
  detachedHead: boolean;
  /** A branch name that was already taken by someone else, so another was chosen. */
  branchTaken: string | undefined;
}

export interface FinishOutcome {
  action: FinishAction;
  record: WorktreeRecord;
  /** The commit of what the session left uncommitted, if there was any. */
  leftoverCommit: string | undefined;
  /** merge: the merge commit, or undefined when the branch had nothing to merge. */
  mergeCommit: string | undefined;
  /** merge: where it landed ("the checkout at …" or "without a checkout"). */
  mergedIn: string | undefined;
  /** pr: its URL and whether an open PR for the branch was reused. */
  prUrl: string | undefined;
  prReused: boolean;
  /** discard: the ref holding unmerged work, and the command that restores it. */
  snapshotRef: string | undefined;
  restoreCommand: string | undefined;
  /** Whether the worktree folder and branch are gone. */
  removed: boolean;
}

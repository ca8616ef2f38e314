// The worktree layer's public surface: everything outside src/worktrees imports from here.
export { WorktreeManager, type RepoInfo, type WorktreeManagerOptions } from "./manager.ts";
export { isInWorkTree, WorktreeError, type WorktreeErrorCode } from "./git.ts";
export {
  FINISH_ACTIONS,
  isFinal,
  type FinishAction,
  type FinishOutcome,
  type WorktreeLaunchInfo,
  type WorktreeRecord,
  type WorktreeRecords,
  type WorktreeState,
  type WorktreeStatus,
} from "./types.ts";

// The operations' side of session worktrees: preparing one before a launch, the finish operation's
// rules (whose session, not while it runs, which action), and worktree errors as SessionErrors.
import { agentEnvFor, worktreeByDefault, type PluginConfig } from "../config.ts";
import { invalid, isLive, nameFromPrompt, SessionError, type ErrorCode, type Logger, type SessionEngine, type SessionSnapshot } from "../engine/index.ts";
import { isFinal, WorktreeError, type FinishOutcome, type WorktreeLaunchInfo, type WorktreeManager, type WorktreeRecord } from "../worktrees/index.ts";
import type { FinishInput, LaunchInput } from "./inputs.ts";
import type { Owner } from "./types.ts";

type Snapshot = SessionSnapshot<Owner>;

export interface FinishResult {
  /** The session as it is after the finish (ended, when merge or discard removed its worktree). */
  session: Snapshot;
  outcome: FinishOutcome;
}

/** The worktree error codes in the operations' vocabulary. */
function codeFor(code: WorktreeError["code"]): ErrorCode {
  switch (code) {
    case "NOT_A_REPO":
    case "BARE_REPO":
    case "NO_DEFAULT_BRANCH":
    case "NO_REMOTE":
      return "INVALID_ARGUMENT";
    case "CONFLICT":
    case "DIRTY_CHECKOUT":
    case "PUSH_FAILED":
      return "CONFLICT";
    case "ALREADY_FINISHED":
      return "ALREADY_FINISHED";
    case "NOT_FOUND":
      return "NOT_FOUND";
    case "NO_GIT":
    case "NO_GH":
    case "GIT_FAILED":
    case "GIT_TOO_OLD":
      return "UNAVAILABLE";
    default: {
      const never: never = code;
      return never;
    }
  }
}

/** Runs a worktree step; its WorktreeError comes out as a SessionError with the same sentence. */
export async function asSessionError<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof WorktreeError) throw new SessionError(codeFor(err.code), err.message, err.data ? { ...err.data } : undefined);
    throw err;
  }
}

/** What the launch needs from a worktree: where to run and which environment (that of the user's workdir). */
export interface PreparedWorktree {
  info: WorktreeLaunchInfo;
  env: Record<string, string>;
}

/**
 * Prepares the worktree a launch asked for (or its workdir's default asks for); undefined when the
 * launch runs in place. A resume or fork runs where the original ran, so it never gets a new one.
 */
export async function prepareWorktree(
  deps: { config: PluginConfig; worktrees: WorktreeManager | undefined; checkWorkdir: (dir: string) => void; findOriginal: (ref: string) => Snapshot | undefined },
  input: LaunchInput,
): Promise<PreparedWorktree | undefined> {
  if (input.resumeSessionId !== undefined) {
    const original = deps.findOriginal(input.resumeSessionId);
    const record = original && deps.worktrees?.find(original.id, original.workdir);
    if (record && isFinal(record.state)) {
      throw new SessionError(
        "ALREADY_FINISHED",
        `Session "${original!.name}" ran in a worktree that was ${record.state}${record.snapshotRef ? ` (its work is in ${record.snapshotRef})` : ""}; it cannot be resumed there. Launch a new session instead.`,
      );
    }
    if (input.worktree === true && !record) {
      throw invalid("launch: a resumed session runs where the original ran; worktree: true applies to new sessions only (leave it out)");
    }
    return undefined;
  }
  const workdir = input.workdir ?? deps.config.defaultWorkdir;
  const wanted = input.worktree ?? (workdir !== undefined && worktreeByDefault(deps.config, workdir));
  if (!wanted) return undefined;
  if (workdir === undefined) throw invalid("launch: a worktree needs a workdir inside a git repository; give workdir (or configure defaultWorkdir)");
  if (!deps.worktrees) throw new SessionError("UNAVAILABLE", "launch: worktrees are not available in this gateway (the plugin's store is not open)");
  // The user's workdir is what the allow-list speaks of; the worktree itself lives under the plugin's folder.
  deps.checkWorkdir(workdir);
  const manager = deps.worktrees;
  const info = await asSessionError(() => manager.create({ workdir, name: input.name ?? nameFromPrompt(input.prompt), prompt: input.prompt }));
  return { info, env: agentEnvFor(deps.config, workdir) };
}

/** The finish operation on a session the caller may see. */
export async function finishSession(
  deps: { engine: SessionEngine<Owner>; worktrees: WorktreeManager | undefined; logger?: Logger },
  target: Snapshot,
  input: FinishInput,
  by: string,
): Promise<FinishResult> {
  const manager = deps.worktrees;
  const record = manager?.find(target.id, target.workdir);
  if (!manager || !record) {
    throw invalid(
      `Session "${target.name}" (${target.id}) does not run in a worktree (it works in ${target.workdir} directly); finish applies to sessions launched with worktree: true.`,
    );
  }
  const inIt = sessionsIn(deps.engine, manager, record);
  const busy = inIt.find((s) => s.status !== "waiting" || s.waitingFor === "permission");
  if (busy) {
    throw new SessionError(
      "CONFLICT",
      `Session "${busy.name}" (${busy.id}) is ${busy.waitingFor === "permission" ? "waiting for a permission answer" : busy.status} in that worktree: stop or wait for it first (claude_kill ${busy.name}, or let its turn end), then finish again.`,
    );
  }
  const outcome = await asSessionError(() => manager.finish(record.id, input.action));
  // Merge and discard removed the folder: a session waiting there for input has nowhere left to run.
  if (outcome.removed) {
    for (const s of inIt) if (deps.engine.find(s.id)?.status === "waiting") await deps.engine.kill(s.id, `${by} (worktree ${outcome.record.state})`);
  } else {
    await manager.refresh(record.id).catch((err: unknown) => deps.logger?.warn(`worktree ${record.id}: status refresh failed: ${String(err)}`));
  }
  const session = deps.engine.find(target.id) ?? target;
  return { session, outcome: { ...outcome, record: manager.find(target.id, target.workdir) ?? outcome.record } };
}

/** Live sessions whose workdir is in the worktree (its creator, resumes, forks). */
function sessionsIn(engine: SessionEngine<Owner>, manager: WorktreeManager, record: WorktreeRecord): Snapshot[] {
  return engine.liveSessions().filter((s) => isLive(s.status) && manager.find(s.id, s.workdir)?.id === record.id);
}

/** The worktree of each listed session that has one (as of its last turn end). */
export function worktreesOf(manager: WorktreeManager | undefined, sessions: readonly Snapshot[]): Record<string, WorktreeRecord> {
  const out: Record<string, WorktreeRecord> = {};
  if (!manager) return out;
  for (const s of sessions) {
    const r = manager.find(s.id, s.workdir);
    if (r) out[s.id] = r;
  }
  return out;
}

/** Keeps each worktree's ahead/behind/dirty current: refreshed when a turn of a session in it ends. */
export function trackWorktreeStatus(engine: SessionEngine<Owner>, manager: WorktreeManager, logger: Logger): () => void {
  return engine.subscribe((event) => {
    if (event.type !== "waiting" && event.type !== "ended") return;
    const r = manager.find(event.session.id, event.session.workdir);
    if (!r || isFinal(r.state)) return;
    manager.refresh(r.id).catch((err: unknown) => logger.warn(`worktree ${r.id} of session ${event.session.id}: status refresh failed: ${err instanceof Error ? err.message : String(err)}`));
  });
}

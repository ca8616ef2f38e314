// A small runner for the git (and gh) command line: bounded time, errors that name the command
// and quote its stderr, and a clear message when the program is not installed.
import { execFile } from "node:child_process";

/** Why a worktree operation failed, with a stable code the operations layer maps to its own. */
export type WorktreeErrorCode =
  | "NO_GIT"
  | "NOT_A_REPO"
  | "BARE_REPO"
  | "NO_DEFAULT_BRANCH"
  | "GIT_FAILED"
  | "CONFLICT"
  | "DIRTY_CHECKOUT"
  | "NO_REMOTE"
  | "NO_GH"
  | "PUSH_FAILED"
  | "ALREADY_FINISHED"
  | "NOT_FOUND"
  | "GIT_TOO_OLD";

export class WorktreeError extends Error {
  readonly code: WorktreeErrorCode;
  /** Structured facts, e.g. the conflicting files. */
  readonly data: Readonly<Record<string, unknown>> | undefined;
  constructor(code: WorktreeErrorCode, message: string, data?: Record<string, unknown>) {
    super(message);
    this.name = "WorktreeError";
    this.code = code;
    this.data = data;
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** The exit code; 0 on success. */
  code: number;
}

export interface RunOptions {
  cwd: string;
  /** Killed after this long (default 60 s; a fetch gets less). */
  timeoutMs?: number;
  env?: Readonly<Record<string, string | undefined>>;
  /** A non-zero exit is returned rather than thrown (for commands whose exit code is an answer). */
  allowFailure?: boolean;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_BUFFER = 64 * 1024 * 1024;

/** Runs `program args…` without a shell; throws WorktreeError naming the command on failure. */
export function run(program: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      {
        cwd: opts.cwd,
        timeout: timeoutMs,
        maxBuffer: MAX_BUFFER,
        encoding: "utf8",
        // Never wait for a person: no editor, no credential prompt, no pager.
        env: { ...(opts.env ?? process.env), GIT_TERMINAL_PROMPT: "0", GIT_EDITOR: "true", GIT_PAGER: "cat", GH_PROMPT_DISABLED: "1", LC_ALL: "C" },
      },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr, code: 0 });
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number; signal?: string };
        const shown = `${program} ${args.join(" ")}`;
        if (e.code === "ENOENT") {
          const code = program === "gh" ? "NO_GH" : "NO_GIT";
          const hint = program === "gh" ? "install the GitHub CLI (Debian: apt install gh) and log in with gh auth login" : "install git (Debian: apt install git)";
          return reject(new WorktreeError(code, `${program} is not installed or not on PATH (${shown}): ${hint}`));
        }
        if (e.killed || e.signal === "SIGTERM") {
          return reject(new WorktreeError("GIT_FAILED", `${shown} did not finish within ${Math.round(timeoutMs / 1000)} s`));
        }
        const exit = typeof e.code === "number" ? e.code : 1;
        if (opts.allowFailure) return resolve({ stdout, stderr, code: exit });
        const detail = (stderr || stdout).trim().split("\n").slice(-6).join(" / ");
        reject(new WorktreeError("GIT_FAILED", `${shown} failed (exit ${exit})${detail ? `: ${detail}` : ""}`));
      },
    );
  });
}

/** git in a directory. */
export function git(cwd: string, args: readonly string[], opts: Omit<RunOptions, "cwd"> = {}): Promise<RunResult> {
  return run("git", args, { ...opts, cwd });
}

/** git's trimmed output. */
export async function gitOut(cwd: string, args: readonly string[], opts: Omit<RunOptions, "cwd"> = {}): Promise<string> {
  return (await git(cwd, args, opts)).stdout.trim();
}

/** True when the command exits 0 (e.g. `merge-base --is-ancestor`, `show-ref --verify`). */
export async function gitOk(cwd: string, args: readonly string[]): Promise<boolean> {
  return (await git(cwd, args, { allowFailure: true })).code === 0;
}

/** Whether `dir` exists and lies inside a git work tree (false for a missing dir, not an error). */
export async function isInWorkTree(dir: string): Promise<boolean> {
  try {
    return (await gitOk(dir, ["rev-parse", "--is-inside-work-tree"]));
  } catch {
    return false;
  }
}

// Where a session's Claude Code process runs: the ProcessHost seam the Agent SDK's
// `spawnClaudeCodeProcess` is handed. The local host spawns on this machine; other hosts (a paired
// node) return a process-like object with the same contract, so the session cannot tell them apart.
import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import type { SpawnOptions, SpawnedProcess } from "@anthropic-ai/claude-agent-sdk";

export type { SpawnOptions, SpawnedProcess };

/** A process a host started: the SDK's contract, plus what the session needs to account for it. */
export interface HostedProcess extends SpawnedProcess {
  /** A pid on THIS machine (recorded for orphan cleanup after a crash); undefined for remote ones. */
  readonly pid?: number | undefined;
  /** The process's stderr, for the last lines of a failure. */
  readonly stderr: Readable | null;
  /**
   * Set when the process ended because its host went away (not because Claude Code exited): the
   * session then ends interrupted, resumable, rather than failed. Names the host, e.g. "node build-box".
   */
  readonly lost?: string | undefined;
}

export interface ProcessHost {
  /** "local", or e.g. "node build-box": used in logs and in the reason of a lost session. */
  readonly label: string;
  spawn(options: SpawnOptions): HostedProcess;
}

/** Spawns Claude Code on this machine, leading a process group of its own. */
export const localProcessHost: ProcessHost = {
  label: "local",
  spawn(opts) {
    return spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["pipe", "pipe", "pipe"],
      signal: opts.signal,
      // A group of its own, so a kill reaches what the CLI started (on Windows "detached" would
      // mean a console of its own instead).
      detached: process.platform !== "win32",
    });
  },
};

// Claude Code processes a crashed gateway left behind: recognised by pid AND the start time the OS
// recorded when we spawned them (a reused pid belongs to someone else), then ended.
import { readFileSync } from "node:fs";
import type { RecordedProcess } from "./session-store.ts";

/**
 * The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined
 * where /proc is missing or the process is gone.
 */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may contain spaces: count fields after it.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface OrphanReport {
  ended: number[];
  /** Recorded pids now used by another process (or unverifiable): left alone. */
  notOurs: number[];
}

/** Ends every recorded process that is still the one we started; waits up to `graceMs` before SIGKILL. */
export async function endOrphans(recorded: readonly RecordedProcess[], graceMs = 3000): Promise<OrphanReport> {
  const ours: number[] = [];
  const notOurs: number[] = [];
  for (const p of recorded) {
    if (!alive(p.pid)) continue;
    const ticks = processStartTicks(p.pid);
    if (p.startTicks !== undefined && ticks === p.startTicks) ours.push(p.pid);
    else notOurs.push(p.pid);
  }
  for (const pid of ours) signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (ours.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of ours) if (alive(pid)) signal(pid, "SIGKILL");
  return { ended: ours, notOurs };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

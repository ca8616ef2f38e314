// Process helpers for scripts and tests that start real processes: find a process's descendants
// (the gateway runs helper workers of its own, and Claude Code under it), tell whether a pid is
// still alive (zombies count as gone), and wait for pids to disappear. Linux reads /proc; elsewhere `ps` is asked.

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

interface ProcRow {
  pid: number;
  ppid: number;
  state: string;
}

function procRows(): ProcRow[] {
  if (process.platform === "linux") {
    const rows: ProcRow[] = [];
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        // pid (comm) state ppid ...: comm may contain spaces and parentheses.
        const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        rows.push({ pid: Number(name), state: rest[0] ?? "?", ppid: Number(rest[1] ?? -1) });
      } catch {
        // the process ended while we looked
      }
    }
    return rows;
  }
  const out = execFileSync("ps", ["-A", "-o", "pid=,ppid=,stat="], { encoding: "utf8" });
  return out
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => parts.length >= 3)
    .map((parts) => ({ pid: Number(parts[0]), ppid: Number(parts[1]), state: (parts[2] ?? "?").slice(0, 1) }));
}

/** All live descendants of `pid` (children, grandchildren, ...), zombies excluded. */
export function descendantPids(pid: number): number[] {
  const rows = procRows();
  const children = new Map<number, ProcRow[]>();
  for (const row of rows) {
    const list = children.get(row.ppid) ?? [];
    list.push(row);
    children.set(row.ppid, list);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === undefined) break;
    for (const child of children.get(current) ?? []) {
      if (child.state !== "Z") out.push(child.pid);
      stack.push(child.pid);
    }
  }
  return out;
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform === "linux") {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
      return false;
    }
  }
  return true;
}

/** Waits until none of `pids` is alive; resolves with those still alive at the deadline. */
export async function waitForPidsGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter(isAlive);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await sleep(50);
  }
}

/** Resident set size of `pid` in kB (Linux), or undefined. */
export function rssKb(pid: number): number | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

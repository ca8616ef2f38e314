// Finding the processes a test started by a tag in their environment (Linux /proc), independent of
// the product's own marker, and the shell line that leaves long-running background jobs behind
// the way a dev server or a watcher started through Claude Code's Bash tool does.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

/** A fresh `NAME=value` environment entry for one test's processes. */
export function newTag(): { name: string; value: string; entry: string } {
  const name = "CCP_TEST_TAG";
  const value = randomBytes(8).toString("hex");
  return { name, value, entry: `${name}=${value}` };
}

/** Live pids (zombies left out) whose environment holds `entry`. */
export function pidsWithEnv(entry: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const state = readFileSync(`/proc/${name}/stat`, "utf8").split(") ")[1]?.[0];
      if (state !== "Z" && readFileSync(`/proc/${name}/environ`, "utf8").split("\0").includes(entry)) out.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/** Polls `read` until `ok` holds or `timeoutMs` passes; returns the last value either way. */
export async function pollUntil<T>(read: () => T, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** How many long-lived processes `backgroundJobs` leaves (a loop's short `sleep 1` comes and goes). */
export const BACKGROUND_JOBS = 4;

/**
 * A Bash command that returns at once and leaves: a setsid'd job, a nested background job
 * `(sleep &) &`, a small HTTP server on 127.0.0.1 and a watcher loop, all tagged with `entry`.
 */
export function backgroundJobs(entry: string): string {
  return [
    `export ${entry}`,
    "(setsid sleep 601 >/dev/null 2>&1 &)",
    "(sleep 602 >/dev/null 2>&1 &) &",
    `nohup node -e "require('http').createServer((q, r) => r.end('ok')).listen(0, '127.0.0.1')" >/dev/null 2>&1 &`,
    // A shell of its own (exec'd), not a subshell: /proc shows the environment a process was
    // exec'd with, and a forked subshell of the command's shell would not show the tag.
    `nohup sh -c 'while :; do sleep 1; done' >/dev/null 2>&1 &`,
    "echo started",
  ].join("; ").replace(/&;/g, "&");
}

// A machine-wide lock so that only one test gateway runs at a time, even when vitest runs test
// files in parallel worker processes (a gateway costs ~0.85 GB and most of a core while it
// starts). The lock is a file created with O_EXCL holding the owner's pid; a lock whose owner
// process is gone is stale and taken over.

import { openSync, closeSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive, sleep } from "./processes.ts";

export const GATEWAY_LOCK_PATH = join(tmpdir(), "openclaw-e2e-gateway.lock");

export interface LockHandle {
  release(): void;
}

interface LockOwner {
  pid: number;
  label: string;
  since: number;
}

const held = new Set<string>();
let exitHookInstalled = false;

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    if (typeof parsed === "object" && parsed !== null && typeof (parsed as LockOwner).pid === "number") return parsed as LockOwner;
  } catch {
    // unreadable or half-written: treated as unknown owner
  }
  return undefined;
}

/**
 * Waits (polling, bounded by `timeoutMs`) until the lock at `path` is free, then takes it.
 * Rejects with the current owner in the message when the bound passes.
 */
export async function acquireLock(label: string, timeoutMs: number, path = GATEWAY_LOCK_PATH): Promise<LockHandle> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const p of held) rmSync(p, { force: true });
    });
  }
  const deadline = Date.now() + timeoutMs;
  let unknownSince: number | undefined;
  for (;;) {
    try {
      const fd = openSync(path, "wx", 0o600);
      try {
        writeSync(fd, JSON.stringify({ pid: process.pid, label, since: Date.now() } satisfies LockOwner));
      } finally {
        closeSync(fd);
      }
      held.add(path);
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          held.delete(path);
          if (readOwner(path)?.pid === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = readOwner(path);
    if (owner?.pid === process.pid && held.has(path)) {
      throw new Error(`this process already holds ${path} (${owner.label}): clean that gateway up first, or start with exclusive:false`);
    }
    if (owner && owner.pid !== process.pid && !isAlive(owner.pid)) {
      rmSync(path, { force: true }); // stale: its process is gone
      continue;
    }
    if (!owner) {
      // Being written right now, or garbage: give it a second, then take it over.
      unknownSince ??= Date.now();
      if (Date.now() - unknownSince > 1_000) {
        rmSync(path, { force: true });
        continue;
      }
    } else {
      unknownSince = undefined;
    }
    if (Date.now() >= deadline) {
      const who = owner ? `pid ${owner.pid} (${owner.label}, since ${new Date(owner.since).toISOString()})` : "unknown";
      throw new Error(`another test gateway is running (${who}); waited ${timeoutMs} ms for ${path}`);
    }
    await sleep(250);
  }
}

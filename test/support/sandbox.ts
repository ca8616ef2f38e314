// Per-test isolation for runs of the real Claude Code CLI: throwaway HOME, CLAUDE_CONFIG_DIR,
// TMPDIR and workdir, and the environment that points Claude Code at the offline model.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface Sandbox {
  readonly root: string;
  readonly home: string;
  readonly workdir: string;
  /** The gateway-side environment a session's child environment is built from. */
  readonly env: Record<string, string>;
  /** A fresh directory under the sandbox. */
  dir(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createSandbox(modelUrl: string, extraEnv: Record<string, string> = {}): Promise<Sandbox> {
  const root = await mkdtemp(path.join(os.tmpdir(), "ccp-test-"));
  const home = path.join(root, "home");
  const configDir = path.join(home, ".claude");
  const tmp = path.join(root, "tmp");
  const workdir = path.join(root, "work");
  await Promise.all([mkdir(configDir, { recursive: true }), mkdir(tmp), mkdir(workdir)]);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    CLAUDE_CONFIG_DIR: configDir,
    TMPDIR: tmp,
    ANTHROPIC_BASE_URL: modelUrl,
    ANTHROPIC_API_KEY: "offline",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_MAX_RETRIES: "0",
    ...extraEnv,
  };
  return {
    root,
    home,
    workdir,
    env,
    async dir(name) {
      const p = path.join(root, name);
      await mkdir(p, { recursive: true });
      return p;
    },
    cleanup: () => rm(root, { recursive: true, force: true, maxRetries: 3 }),
  };
}

/** True while a process with this pid exists. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

// Test helper: runs the real Claude Code CLI (via the Agent SDK) against an offline model, sandboxed.
import { mkdtemp, mkdir, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  query,
  type Options,
  type Query,
  type SDKMessage,
  type SDKResultMessage,
  type SDKUserMessage,
} from "@anthropic-ai/claude-agent-sdk";
import { offlineClaudeEnv, type OfflineModel } from "../src/index.ts";

/** Per-test directories for HOME, CLAUDE_CONFIG_DIR, TMPDIR and the session's working directory. */
export interface Sandbox {
  root: string;
  home: string;
  configDir: string;
  tmp: string;
  workdir: string;
  dispose(): Promise<void>;
}

export async function createSandbox(): Promise<Sandbox> {
  const root = await realpath(await mkdtemp(join(tmpdir(), "offline-model-cli-")));
  const [home, configDir, tmp, workdir] = ["home", "config", "tmp", "work"].map((d) => join(root, d)) as [string, string, string, string];
  for (const dir of [home, configDir, tmp, workdir]) await mkdir(dir);
  return { root, home, configDir, tmp, workdir, dispose: () => rm(root, { recursive: true, force: true }) };
}

/** A running CLI session fed one prompt per turn: the next prompt is sent when a result arrives. */
export interface ClaudeSession {
  query: Query;
  /** Settles when the CLI exits (or the time bound closes it). */
  done: Promise<ClaudeRun>;
}

export interface ClaudeRun {
  messages: SDKMessage[];
  results: SDKResultMessage[];
  /** The error the SDK iterator threw at the end, if any (after an error result it always throws). */
  thrown: string | undefined;
  elapsedMs: number;
}

export interface StartOptions {
  model: OfflineModel;
  sandbox: Sandbox;
  prompts: string[];
  /** Extra environment variables for the CLI (e.g. CLAUDE_CODE_MAX_RETRIES). */
  env?: Record<string, string>;
  /** Variables to leave out of the CLI's environment (e.g. CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC). */
  omitEnv?: string[];
  options?: Partial<Options>;
  /** Hard bound: the query is closed and `done` rejects after this long (default 45 s). */
  timeoutMs?: number;
}

/** Starts the CLI in streaming-input mode in the sandbox, pointed at the offline model. */
export function startClaude(opts: StartOptions): ClaudeSession {
  const { sandbox } = opts;
  const waiting: Array<() => void> = [];
  let stopped = false;
  async function* prompts(): AsyncGenerator<SDKUserMessage> {
    for (const text of opts.prompts) {
      if (stopped) return;
      yield { type: "user", message: { role: "user", content: text }, parent_tool_use_id: null };
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  }
  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: sandbox.home,
    CLAUDE_CONFIG_DIR: sandbox.configDir,
    TMPDIR: sandbox.tmp,
    IS_SANDBOX: "1",
    ...offlineClaudeEnv(opts.model.url),
    ...opts.env,
  };
  for (const name of opts.omitEnv ?? []) delete env[name];
  const q = query({
    prompt: prompts(),
    options: {
      cwd: sandbox.workdir,
      env,
      settingSources: [],
      permissionMode: "bypassPermissions",
      allowDangerouslySkipPermissions: true,
      ...opts.options,
    },
  });
  const started = Date.now();
  const run: ClaudeRun = { messages: [], results: [], thrown: undefined, elapsedMs: 0 };
  const consume = (async () => {
    try {
      for await (const message of q) {
        run.messages.push(message);
        if (message.type === "result") {
          run.results.push(message);
          waiting.shift()?.();
        }
      }
    } catch (error) {
      run.thrown = error instanceof Error ? error.message : String(error);
    } finally {
      stopped = true;
      for (const wake of waiting.splice(0)) wake();
    }
    run.elapsedMs = Date.now() - started;
    return run;
  })();
  const timeoutMs = opts.timeoutMs ?? 45_000;
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      q.close();
      reject(new Error(`Claude Code did not finish within ${timeoutMs} ms (${run.results.length} results so far)`));
    }, timeoutMs);
  });
  const done = Promise.race([consume, bound]).finally(() => {
    clearTimeout(timer);
    q.close();
  });
  return { query: q, done };
}

/** Runs prompts to completion (one turn each) and returns what happened. */
export function runClaude(opts: StartOptions): Promise<ClaudeRun> {
  return startClaude(opts).done;
}

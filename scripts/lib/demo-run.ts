// `npm start` driven by another program (the UI benchmark, the screenshot script): runs the start
// script offline with its own state dir, home and port, waits for the sign-in it prints, and stops it
// and every process under it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { CREDENTIAL_VARIABLES } from "./credentials.ts";
import { freePort, REPO_ROOT } from "./gateway.ts";
import { descendantPids, isAlive, sleep, waitForPidsGone } from "./processes.ts";

export interface DemoRun {
  /** `http://127.0.0.1:PORT/#token=…`: opening it signs the browser in. */
  signInUrl: string;
  /** `http://127.0.0.1:PORT/` */
  address: string;
  token: string;
  port: number;
  /** The gateway's state dir (OPENCLAW_STATE_DIR): the plugin's store is under it. */
  gatewayStateDir: string;
  /** The plugin's default workdir. */
  workdir: string;
  output(): string;
  /** Ctrl-C as a person would, then SIGKILL for whatever is left; resolves when all are gone. */
  stop(): Promise<void>;
}

export interface DemoOptions {
  /** DEMO_STATE_DIR: config, logs, the gateway's state and the workdir go under it. */
  stateRoot: string;
  /** HOME of the gateway and of Claude Code. */
  home: string;
  /** TMPDIR for everything started. */
  tmp: string;
  timeoutMs?: number;
  /** Called while waiting, with the start script's output so far. */
  onWait?: (elapsedMs: number) => void;
}

/** Where `scripts/start.ts` puts the gateway's state under DEMO_STATE_DIR. */
export function demoGatewayStateDir(stateRoot: string): string {
  return path.join(stateRoot, "gateway");
}

/**
 * This environment minus what a user running `npm start` would not have: test runner markers
 * (OpenClaw changes behaviour under VITEST or NODE_ENV=test) and Anthropic credentials (offline).
 */
export function userEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith("VITEST") || k === "TEST" || (k === "NODE_ENV" && v === "test")) continue;
    env[k] = v;
  }
  for (const name of CREDENTIAL_VARIABLES) delete env[name];
  return env;
}

export async function startDemo(options: DemoOptions): Promise<DemoRun> {
  for (const dir of [options.stateRoot, options.home, options.tmp]) mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const env = { ...userEnvironment(), DEMO_PORT: String(port), DEMO_STATE_DIR: options.stateRoot, DEMO_OFFLINE: "1", HOME: options.home, TMPDIR: options.tmp };
  const proc: ChildProcess = spawn("sh", ["scripts/with-node.sh", "node", "scripts/start.ts"], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const chunks: string[] = [];
  proc.stdout?.on("data", (c: Buffer) => chunks.push(c.toString("utf8")));
  proc.stderr?.on("data", (c: Buffer) => chunks.push(c.toString("utf8")));
  let ended = false;
  const exited = new Promise<void>((resolve) => proc.once("exit", () => ((ended = true), resolve())));
  const seen = new Set<number>();
  const output = () => chunks.join("");
  const gather = () => {
    if (proc.pid !== undefined) for (const p of descendantPids(proc.pid)) seen.add(p);
  };
  const stop = async (): Promise<void> => {
    gather();
    if (!ended && proc.pid !== undefined) {
      proc.kill("SIGINT");
      await Promise.race([exited, sleep(60_000)]);
    }
    const left = [...seen, ...(proc.pid !== undefined ? [proc.pid] : [])].filter((p) => p > 0 && isAlive(p));
    for (const p of left) process.kill(p, "SIGKILL");
    await waitForPidsGone(left, 10_000);
  };
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 300_000);
  for (;;) {
    const match = output().match(/Sign in:\s+open (http:\/\/127\.0\.0\.1:\d+\/)#token=([0-9a-f]+)/);
    if (match) {
      const address = match[1] ?? "";
      const token = match[2] ?? "";
      gather();
      return {
        signInUrl: `${address}#token=${token}`,
        address,
        token,
        port,
        gatewayStateDir: demoGatewayStateDir(options.stateRoot),
        workdir: path.join(options.stateRoot, "workdir"),
        output,
        stop,
      };
    }
    if (ended) throw new Error(`npm start ended before printing the sign-in:\n${output()}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`npm start did not print the sign-in within ${options.timeoutMs ?? 300_000} ms:\n${output()}`);
    }
    gather();
    options.onWait?.(Date.now() - started);
    await sleep(250);
  }
}

// A real `openclaw node run` on this machine, as a second machine would run it: its own state dir,
// config (loading the built plugin through plugins.load.paths, with the node's own plugin config)
// and environment (its own Anthropic settings), paired with a test gateway through the real flow
// (node.pair.list → node.pair.approve) until the plugin's commands are invocable.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { OPENCLAW_ENTRY, QUIET_GATEWAY_ENV, resolveNodeBinary } from "../../../scripts/lib/gateway.ts";
import { stageLeanPluginPackage } from "../../../scripts/lib/plugin-package.ts";
import type { GatewayHandle, JsonObject } from "../harness/gateway.ts";
import { descendantPids, sleep, waitForPidsGone } from "../harness/processes.ts";

export const PLUGIN_ID = "openclaw-claude-code-plugin";
export const NODE_COMMANDS = ["claude-code.process.v1", "claude-code.info.v1"];

export interface NodeHostOptions {
  gw: GatewayHandle;
  displayName: string;
  /** The plugin's config on the node (nodeAllowedWorkdirs is set to the node's workdir unless given). */
  pluginConfig?: JsonObject;
  /** The node's environment for Claude Code (e.g. its own ANTHROPIC_BASE_URL and key). */
  env?: Record<string, string>;
}

export interface NodeHost {
  readonly displayName: string;
  readonly rootDir: string;
  /** A directory on the "node" that its config allows. */
  readonly workdir: string;
  readonly pid: number;
  logs(): string;
  /** Processes under the node host (Claude Code, its supervisor, tools). */
  descendants(): number[];
  /** SIGKILL the node host alone, as a crash: what it started must end by itself. */
  crash(): Promise<number[]>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** Starts the node host again (same identity: it reconnects already paired). */
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startNodeHost(options: NodeHostOptions): Promise<NodeHost> {
  const nodeBin = resolveNodeBinary();
  const rootDir = mkdtempSync(path.join(tmpdir(), "openclaw-e2e-node-"));
  const stateDir = path.join(rootDir, "state");
  const home = path.join(rootDir, "home");
  const tmp = path.join(rootDir, "tmp");
  const workdir = path.join(rootDir, "work");
  for (const d of [stateDir, home, tmp, workdir, path.join(home, ".claude")]) mkdirSync(d, { recursive: true });
  const configPath = path.join(rootDir, "openclaw.json");
  const plugin = stageLeanPluginPackage(path.join(rootDir, PLUGIN_ID));
  const config = {
    update: { checkOnStart: false },
    logging: { file: path.join(rootDir, "node.log") },
    plugins: {
      load: { paths: [plugin.dir] },
      entries: { [PLUGIN_ID]: { enabled: true, config: { nodeAllowedWorkdirs: [workdir], ...plugin.pluginConfig, ...options.pluginConfig } } },
    },
  };
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  const env: Record<string, string> = {
    PATH: [path.join(nodeBin, ".."), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    HOME: home,
    TMPDIR: tmp,
    LANG: "C.UTF-8",
    TZ: "UTC",
    NO_COLOR: "1",
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: configPath,
    OPENCLAW_GATEWAY_TOKEN: options.gw.token,
    CLAUDE_CONFIG_DIR: path.join(home, ".claude"),
    ...QUIET_GATEWAY_ENV,
    ...options.env,
  };
  const output: string[] = [];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const spawnNode = (): void => {
    const proc = spawn(nodeBin, [OPENCLAW_ENTRY, "node", "run", "--host", "127.0.0.1", "--port", String(options.gw.port), "--display-name", options.displayName], {
      cwd: rootDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    const push = (c: Buffer): void => {
      output.push(...c.toString("utf8").split("\n").filter(Boolean));
      if (output.length > 2000) output.splice(0, output.length - 2000);
    };
    proc.stdout?.on("data", push);
    proc.stderr?.on("data", push);
    exited = new Promise((resolve) => proc.once("exit", () => resolve()));
  };
  spawnNode();

  const pid = (): number => child?.pid ?? 0;
  const host: NodeHost = {
    displayName: options.displayName,
    rootDir,
    workdir,
    get pid() {
      return pid();
    },
    logs: () => output.slice(-200).join("\n"),
    descendants: () => (pid() ? descendantPids(pid()) : []),
    async crash() {
      const before = pid() ? descendantPids(pid()) : [];
      if (pid()) process.kill(pid(), "SIGKILL");
      await exited;
      child = undefined;
      return before;
    },
    async stop() {
      const p = pid();
      if (!p) return;
      const under = descendantPids(p);
      process.kill(p, "SIGTERM");
      await Promise.race([exited, sleep(15_000)]);
      if (child?.exitCode === null && child.signalCode === null) process.kill(p, "SIGKILL");
      await exited;
      child = undefined;
      for (const d of await waitForPidsGone(under, 5_000)) process.kill(d, "SIGKILL");
    },
    async start() {
      if (child) throw new Error("the node host is running");
      spawnNode();
    },
    async cleanup() {
      await host.stop();
      rmSync(rootDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
  return host;
}

interface PairList {
  pending?: Array<{ requestId: string; displayName?: string }>;
}

interface NodeRow {
  name: string;
  status: string;
  problem?: string;
}

/**
 * Approves the node's pending pairing requests (the first one, and a new command surface after a
 * reconnect) until claude-code.nodes lists it ready. Returns what claude-code.nodes said.
 */
export async function pairUntilReady(gw: GatewayHandle, displayName: string, timeoutMs = 90_000): Promise<NodeRow> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const pairs = await gw.rpc<PairList>("node.pair.list", {});
    for (const req of pairs.pending ?? []) {
      if (req.displayName === undefined || req.displayName === displayName) await gw.rpc("node.pair.approve", { requestId: req.requestId });
    }
    const res = await gw.rpcRaw("claude-code.nodes", {});
    last = res;
    const nodes = res.ok ? ((res.payload as { nodes: NodeRow[] }).nodes ?? []) : [];
    const mine = nodes.find((n) => n.name === displayName);
    if (mine?.status === "ready") return mine;
    if (Date.now() > deadline) throw new Error(`node ${displayName} not ready within ${timeoutMs} ms; last claude-code.nodes: ${JSON.stringify(last)}`);
    await sleep(500);
  }
}

/** The gateway config that lets the plugin's node commands through (the operator's opt-in). */
export const NODE_COMMANDS_ALLOWED: JsonObject = { gateway: { nodes: { commands: { allow: NODE_COMMANDS } } } };

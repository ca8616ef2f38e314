// What the plugin does on a paired node: runs Claude Code for a gateway in an allowed workdir, in
// its own process group under the supervisor, relays stdin/stdout/stderr and the exit over the
// framed duplex channel, and ends the group (TERM, then KILL) whenever the channel closes. It
// also answers the read-only info command. The node's own config and environment rule here.
import { spawn, type ChildProcess } from "node:child_process";
import { statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isUnder } from "../config.ts";
import { bundledClaudeCodeVersion, resolveClaudeBinary } from "../safety/probes.ts";
import { buildChildEnv, SessionError, type Logger } from "../engine/index.ts";
import {
  decodeFrame,
  encodeFrame,
  HEARTBEAT_MS,
  parseInfoParams,
  parseProcessParams,
  PROCESS_COMMAND,
  RELAYED_SIGNALS,
  type NodeInfo,
} from "./protocol.ts";

/** The node's own settings (from the plugin config on the node host). */
export interface NodeSideConfig {
  /** Directories sessions may work in; empty: none (the node refuses every launch). */
  allowedWorkdirs: readonly string[];
  /** Sessions at once; default: the node's cores. */
  slots: number | undefined;
}

/** The framed I/O the node host hands a duplex command (OpenClawPluginNodeHostCommandIo, structurally). */
export interface FramedIo {
  frames?: {
    send(message: Uint8Array): Promise<void>;
    onMessage(listener: (message: Uint8Array) => void | Promise<void>): () => void;
  };
  signal: AbortSignal;
}

export interface NodeSideDeps {
  config: () => NodeSideConfig;
  logger: Logger;
  /** The node host's environment: credentials and Anthropic settings come from here, never from the gateway. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The Claude Code executable (default: the Agent SDK's bundled CLI installed with the plugin). */
  claudePath?: () => string;
  /** Bound on the group's exit after SIGTERM before SIGKILL. */
  killGraceMs?: number;
}

const SUPERVISOR = fileURLToPath(new URL(`./supervisor${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));
/** Unsent output beyond this pauses Claude Code's stdout until the channel drains. */
const HIGH_WATER_BYTES = 1024 * 1024;

export class NodeSide {
  private readonly deps: NodeSideDeps;
  private readonly running = new Map<number, ChildProcess>();

  constructor(deps: NodeSideDeps) {
    this.deps = deps;
  }

  get runningCount(): number {
    return this.running.size;
  }

  slots(): number {
    return this.deps.config().slots ?? Math.max(1, os.availableParallelism());
  }

  /** INFO_COMMAND: capacity, version, allowed workdirs and (asked for) one workdir's state. */
  info(paramsJSON: string | null | undefined): NodeInfo {
    const params = parseInfoParams(paramsJSON);
    const config = this.deps.config();
    const info: NodeInfo = {
      protocol: 1,
      claudeCodeVersion: claudeCodeVersion(),
      slots: this.slots(),
      cores: os.availableParallelism(),
      running: this.running.size,
      allowedWorkdirs: [...config.allowedWorkdirs],
    };
    if (params.workdir !== undefined) {
      const dir = path.resolve(params.workdir);
      info.workdir = { path: dir, exists: isDirectory(dir), allowed: this.allowed(dir) };
    }
    return info;
  }

  /** PROCESS_COMMAND: resolves with the exit ({code, signal}) once the process group is gone. */
  async process(paramsJSON: string | null | undefined, io: FramedIo | undefined): Promise<string> {
    const frames = io?.frames;
    if (!io || !frames) throw new Error(`${PROCESS_COMMAND} needs the framed duplex channel; this node host cannot provide it (update OpenClaw on the node)`);
    const params = parseProcessParams(paramsJSON);
    const workdir = path.resolve(params.workdir);
    if (!path.isAbsolute(params.workdir)) throw new SessionError("INVALID_ARGUMENT", `workdir ${params.workdir} must be an absolute path on this node`);
    if (!this.allowed(workdir)) {
      const list = this.deps.config().allowedWorkdirs;
      throw new SessionError(
        "FORBIDDEN",
        list.length === 0
          ? `this node allows no workdirs yet: set nodeAllowedWorkdirs in the plugin's config on the node (openclaw.json there), then launch again`
          : `workdir ${workdir} is outside this node's nodeAllowedWorkdirs (${list.join(", ")})`,
      );
    }
    if (!isDirectory(workdir)) throw new SessionError("INVALID_ARGUMENT", `workdir ${workdir} does not exist on this node; create it first`);
    const slots = this.slots();
    if (this.running.size >= slots) throw new SessionError("LIMIT_REACHED", `this node is full: ${this.running.size} of ${slots} slots in use`);
    if (io.signal.aborted) throw new Error("the channel closed before the process started");

    const env = buildChildEnv({ base: this.deps.env ?? process.env, overrides: params.env });
    const claude = (this.deps.claudePath ?? bundledClaudePath)();
    // The supervisor leads the new group; the node host's pid lets it notice the host's death.
    const child = spawn(process.execPath, [SUPERVISOR, String(process.pid), claude, ...params.args], {
      cwd: workdir,
      env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    const pid = child.pid;
    if (pid === undefined) {
      const failed = await new Promise<Error>((resolve) => child.once("error", resolve));
      throw new Error(`cannot start Claude Code on this node: ${failed.message}`);
    }
    this.running.set(pid, child);
    this.deps.logger.info(`${PROCESS_COMMAND}: session ${params.sessionId ?? "?"} started Claude Code (group ${pid}) in ${workdir}`);

    // Frames go out in order; the output waits while too much is unsent.
    let chain: Promise<void> = Promise.resolve();
    let unsent = 0;
    let sendFailed = false;
    const send = (message: Uint8Array): void => {
      unsent += message.byteLength;
      if (unsent > HIGH_WATER_BYTES) {
        child.stdout?.pause();
        child.stderr?.pause();
      }
      chain = chain
        .then(() => frames.send(message))
        .catch(() => {
          sendFailed = true;
        })
        .finally(() => {
          unsent -= message.byteLength;
          if (unsent <= HIGH_WATER_BYTES / 2) {
            child.stdout?.resume();
            child.stderr?.resume();
          }
        });
    };

    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      // "close": the process exited AND its stdout/stderr are drained, so no output follows the exit frame.
      child.once("close", (code, signal) => resolve({ code, signal }));
    });
    const stopGroup = (): void => {
      void this.endGroup(pid, exited);
    };

    // Listen before the first send: the channel reports ready once a listener exists.
    const unsubscribe = frames.onMessage((message) => {
      const frame = decodeFrame(message);
      switch (frame.type) {
        case "stdin":
          child.stdin?.write(frame.data);
          return;
        case "stdinEnd":
          child.stdin?.end();
          return;
        case "signal":
          if ((RELAYED_SIGNALS as readonly string[]).includes(frame.signal)) signalGroup(pid, frame.signal as NodeJS.Signals);
          return;
        default:
          throw new Error(`the gateway sent a ${frame.type} frame, which only the node sends`);
      }
    });
    io.signal.addEventListener("abort", stopGroup, { once: true });
    child.stdin?.on("error", () => undefined);
    child.stdout?.on("data", (chunk: Buffer) => send(encodeFrame({ type: "stdout", data: chunk })));
    child.stderr?.on("data", (chunk: Buffer) => send(encodeFrame({ type: "stderr", data: chunk })));
    send(encodeFrame({ type: "started", pid }));
    const heartbeat = setInterval(() => send(encodeFrame({ type: "heartbeat" })), HEARTBEAT_MS);

    try {
      const result = await exited;
      // Tool processes Claude Code left in its group go with it.
      signalGroup(pid, "SIGKILL");
      send(encodeFrame({ type: "exit", code: result.code, signal: result.signal }));
      await chain;
      if (sendFailed) this.deps.logger.warn(`${PROCESS_COMMAND}: session ${params.sessionId ?? "?"}: some output could not be sent (the channel closed)`);
      return JSON.stringify(result);
    } finally {
      clearInterval(heartbeat);
      io.signal.removeEventListener("abort", stopGroup);
      unsubscribe();
      this.running.delete(pid);
      this.deps.logger.info(`${PROCESS_COMMAND}: session ${params.sessionId ?? "?"} ended (group ${pid})`);
    }
  }

  /** Ends every process group this node runs (the node host is shutting down or lost the gateway). */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.running.entries()].map(([pid, child]) =>
        this.endGroup(pid, new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("close", () => resolve())))),
      ),
    );
  }

  private allowed(dir: string): boolean {
    return this.deps.config().allowedWorkdirs.some((prefix) => isUnder(dir, prefix));
  }

  /** SIGTERM to the group, SIGKILL when it outlives the grace. */
  private async endGroup(pid: number, exited: Promise<unknown>): Promise<void> {
    signalGroup(pid, "SIGTERM");
    const grace = this.deps.killGraceMs ?? 3000;
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), grace);
      }),
    ]);
    clearTimeout(timer);
    if (!gone) this.deps.logger.warn(`${PROCESS_COMMAND}: group ${pid} outlived SIGTERM; sending SIGKILL`);
    signalGroup(pid, "SIGKILL");
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** The Agent SDK's own CLI: the native binary of its platform package, as the SDK itself picks it. */
export function bundledClaudePath(): string {
  const found = resolveClaudeBinary();
  if ("error" in found) throw new Error(`Claude Code's executable is not installed on this node: ${found.error}`);
  return found.path;
}

let versionCache: string | undefined | null = null;

/** The Claude Code version the installed Agent SDK bundles. */
export function claudeCodeVersion(): string | undefined {
  if (versionCache === null) versionCache = bundledClaudeCodeVersion();
  return versionCache;
}

// Runs the real OpenClaw gateway (node_modules/openclaw, pinned) for end-to-end tests, isolated
// in a throwaway directory: its own state dir, config file, HOME, TMPDIR and log file, a free
// loopback port and a random token. `startGateway()` resolves once `/readyz` answers 200 and an
// operator WebSocket is connected; the handle drives the gateway (RPC, tool invocation, WebChat
// chat, the test channel) and stops it (SIGTERM, bounded, then SIGKILL) and removes everything.
//
// One gateway costs ~0.85 GB and ~8 s to start on the 2-core test machine: start one per test
// file (beforeAll) and always `cleanup()` it (afterAll).

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, isolatedGatewayConfig, OPENCLAW_ENTRY, QUIET_GATEWAY_ENV, REPO_ROOT, resolveNodeBinary } from "../../../scripts/lib/gateway.ts";
import { TEST_CHANNEL_ID } from "../fixtures/test-channel/protocol.ts";
import { acquireLock, type LockHandle } from "./lock.ts";
import { descendantPids, isAlive, rssKb, sleep, waitForPidsGone } from "./processes.ts";
import { createTestChannelClient, type TestChannelClient } from "./test-channel.ts";
import { connectGatewayWs, type CallOptions, type GatewayEvent, type GatewayWsClient, type RpcResponse } from "./ws-client.ts";

export type { GatewayEvent, RpcResponse };
export { RpcError } from "./ws-client.ts";

// The gateway's location, the pinned Node and the isolated base config are shared with `npm start`.
export { freePort, OPENCLAW_ENTRY, PINNED_NODE, REPO_ROOT } from "../../../scripts/lib/gateway.ts";
export const TEST_CHANNEL_FIXTURE_DIR = fileURLToPath(new URL("../fixtures/test-channel/", import.meta.url));
/** Provider id under `models.providers` used for `modelBaseUrl`. */
export const MOCK_PROVIDER_ID = "mock";

export type JsonObject = Record<string, unknown>;

export interface TestChannelOptions {
  /** `channels.test-channel.allowFrom` (who may run commands). Default `["*"]`. */
  allowFrom?: string[];
  /** `channels.test-channel.textChunkLimit` (default: the adapter's 1000). */
  textChunkLimit?: number;
}

export interface StartGatewayOptions {
  /** Added to `plugins.load.paths` (e.g. our plugin's directory); each gets enabled by id via `pluginConfig`. */
  pluginPaths?: string[];
  /** `plugins.entries[id].config` per plugin id; each listed plugin is also `enabled: true`. */
  pluginConfig?: Record<string, JsonObject>;
  /** Deep-merged into the config's `agents` section. */
  agents?: JsonObject;
  /** Extra environment for the gateway process (e.g. ANTHROPIC_BASE_URL); wins over the defaults. */
  env?: Record<string, string>;
  /**
   * Base URL of an OpenAI-compatible chat-completions server (e.g. the mock's `baseUrl`, ending
   * in /v1). Configured as provider "mock" (`api: "openai-completions"`) and made every agent's
   * model (`agents.defaults.model`).
   */
  modelBaseUrl?: string;
  /** Model id at `modelBaseUrl` (default "mock-model"). */
  modelId?: string;
  /** Load the test channel fixture (records outbound, injects inbound). */
  testChannel?: boolean | TestChannelOptions;
  /** Deep-merged into the generated config last (arrays replace). */
  config?: JsonObject;
  /** Bound on reaching `/readyz` 200 (default 90 s; a cold start takes ~8 s). */
  readyTimeoutMs?: number;
  /** Bound on a graceful stop before SIGKILL (default 15 s). */
  stopTimeoutMs?: number;
  /** Name used in the temp dir (default "gw"). */
  label?: string;
  /** Keep the temp dir after cleanup (also when E2E_KEEP_TMP=1), for debugging. */
  keepTempDir?: boolean;
  /**
   * Hold the machine-wide test-gateway lock from start to cleanup, so parallel test files run
   * their gateways one after another (default true).
   */
  exclusive?: boolean;
  /** Bound on waiting for that lock (default 5 min; give the calling hook a larger timeout). */
  lockTimeoutMs?: number;
}

export interface StopResult {
  /** Exit code, or null when ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  /** True when the graceful bound passed and SIGKILL was needed. */
  killed: boolean;
  /** Descendant processes still alive after the gateway ended (they were SIGKILLed). */
  leftoverPids: number[];
}

export interface ToolInvokeOptions {
  sessionKey?: string;
  agentId?: string;
  /** Extra headers, e.g. x-openclaw-message-channel / x-openclaw-message-to. */
  headers?: Record<string, string>;
  idempotencyKey?: string;
  timeoutMs?: number;
}

export interface ToolInvokeResult {
  /** HTTP status (200 ok, 400 invalid input, 404 tool not available, 500 tool threw, ...). */
  status: number;
  ok: boolean;
  /** The tool's result (`{content, details}` for plugin tools) when ok. */
  result?: unknown;
  error?: { type?: string; message?: string };
  body: unknown;
}

export interface ChatSendOptions {
  idempotencyKey?: string;
  timeoutMs?: number;
  /** Extra `chat.send` params. */
  extra?: JsonObject;
}

export interface ChatRunResult {
  runId: string;
  /** "final", "error" or "aborted". */
  state: string;
  /** Text of the final assistant message (empty when none). */
  text: string;
  /** The terminal `chat` event payload. */
  payload: unknown;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface CliOptions {
  /** Default 60 s (a CLI run costs ~5 s: it loads the plugins itself). */
  timeoutMs?: number;
  env?: Record<string, string>;
}

export interface LogsOptions {
  /** Last N lines of each source (default 200). */
  tail?: number;
}

export interface GatewayHandle {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `ws://127.0.0.1:PORT` */
  readonly wsUrl: string;
  readonly port: number;
  readonly token: string;
  /** The throwaway root: holds state/, home/, tmp/, config.json, gateway.log, ... */
  readonly rootDir: string;
  readonly stateDir: string;
  readonly configPath: string;
  readonly homeDir: string;
  readonly logFile: string;
  /** Pid of the current gateway process (changes after `restart()`); 0 when stopped. */
  readonly pid: number;
  readonly running: boolean;

  /** The config as last written. */
  config(): JsonObject;
  /** Rewrites the config file (the gateway hot-reloads most changes; see docs). */
  updateConfig(mutate: (config: JsonObject) => JsonObject | void): void;
  /** Recent gateway stdout/stderr plus the tail of its log file. */
  logs(options?: LogsOptions): string;

  /** Operator RPC over the persistent WebSocket; throws RpcError when the gateway says ok:false. */
  rpc<T = unknown>(method: string, params?: unknown, options?: CallOptions): Promise<T>;
  /** Same, resolving with the raw `{ok, payload, error}`. */
  rpcRaw(method: string, params?: unknown, options?: CallOptions): Promise<RpcResponse>;
  /** Server-pushed events received on the operator connection (bounded). */
  events(): readonly GatewayEvent[];
  lastEventIndex(): number;
  waitForEvent(
    match: string | ((event: GatewayEvent) => boolean),
    timeoutMs: number,
    options?: { afterIndex?: number },
  ): Promise<GatewayEvent>;

  /** `POST /tools/invoke` with the bearer token. */
  invokeTool(name: string, args?: JsonObject, options?: ToolInvokeOptions): Promise<ToolInvokeResult>;
  /** WebChat `chat.send` (commands such as `/claude ...` run here); returns the RPC payload. */
  chatSend(sessionKey: string, message: string, options?: ChatSendOptions): Promise<unknown>;
  /** WebChat `chat.history`; returns the RPC payload (`{messages, ...}`). */
  chatHistory(sessionKey: string, params?: JsonObject): Promise<ChatHistory>;
  /**
   * `chat.send`, then waits for that run's terminal `chat` event. Works for agent turns and for
   * chat commands (a command's reply arrives as the run's "final" message).
   */
  chatRun(sessionKey: string, message: string, options?: ChatSendOptions): Promise<ChatRunResult>;
  /** Runs `openclaw <args>` against this gateway's state, config and HOME (pinned Node). */
  cli(args: readonly string[], options?: CliOptions): Promise<CliResult>;

  /** The test channel client (undefined unless started with `testChannel`). */
  readonly testChannel: TestChannelClient | undefined;
  outbound: TestChannelClient["outbound"];
  waitForOutbound: TestChannelClient["waitForOutbound"];
  failNextSends: TestChannelClient["failNextSends"];
  hangSends: TestChannelClient["hangSends"];
  hungSends: TestChannelClient["hungSends"];
  injectInbound: TestChannelClient["injectInbound"];

  /** RSS of the gateway process in kB (Linux). */
  rssKb(): number | undefined;
  /** SIGTERM, wait (bounded), SIGKILL if needed; also reaps leftover descendants. */
  stop(): Promise<StopResult>;
  /** SIGKILL now (crash simulation); descendants are reaped too. */
  kill(): Promise<StopResult>;
  /**
   * SIGKILL the gateway process alone, as a real crash does: its children (e.g. Claude Code
   * processes) live on as orphans. Returns their pids; the test must see them ended.
   */
  crash(): Promise<number[]>;
  /** Starts the gateway again (after stop, kill or crash) with the same state, config and port. */
  start(): Promise<void>;
  /** Stops if running, then starts again with the same state, config and port. */
  restart(): Promise<void>;
  /** Stops if running and removes the temp dir. Idempotent. */
  cleanup(): Promise<void>;
}

export interface ChatHistory {
  messages?: unknown[];
  [key: string]: unknown;
}

// Gateways still running when the test process exits are killed (last-resort safety net).
const livePids = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const pid of livePids) {
      for (const child of safeDescendants(pid)) trySignal(child, "SIGKILL");
      trySignal(pid, "SIGKILL");
    }
  });
}

function safeDescendants(pid: number): number[] {
  try {
    return descendantPids(pid);
  } catch {
    return [];
  }
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  // Never 0 or negative: those address process groups.
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep merge: objects merge key by key, everything else (arrays included) replaces. */
export function deepMerge(target: JsonObject, source: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [key, value] of Object.entries(source)) {
    const existing = out[key];
    out[key] = isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
  }
  return out;
}

export interface BuildConfigInput {
  port: number;
  token: string;
  logFile: string;
  testChannel?: { recordFile: string; secret: string; options: TestChannelOptions } | undefined;
  options: StartGatewayOptions;
}

/** The gateway config the harness writes (exported so tests can see exactly what is used). */
export function buildGatewayConfig(input: BuildConfigInput): JsonObject {
  const { options } = input;
  const loadPaths = [...(input.testChannel ? [TEST_CHANNEL_FIXTURE_DIR] : []), ...(options.pluginPaths ?? [])];
  const entries: JsonObject = {};
  if (input.testChannel) entries[TEST_CHANNEL_ID] = { enabled: true };
  for (const [id, config] of Object.entries(options.pluginConfig ?? {})) entries[id] = { enabled: true, config };

  let config: JsonObject = isolatedGatewayConfig({ port: input.port, token: input.token, logFile: input.logFile, loadPaths, entries });

  if (options.modelBaseUrl) {
    const modelId = options.modelId ?? "mock-model";
    config = deepMerge(config, {
      models: {
        providers: {
          [MOCK_PROVIDER_ID]: {
            baseUrl: options.modelBaseUrl,
            apiKey: "mock-api-key",
            api: "openai-completions",
            models: [
              {
                id: modelId,
                name: "Mock model",
                reasoning: false,
                input: ["text"],
                cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
                contextWindow: 128_000,
                maxTokens: 4096,
              },
            ],
          },
        },
      },
      agents: {
        defaults: {
          model: { primary: `${MOCK_PROVIDER_ID}/${modelId}`, fallbacks: [] },
          // Wakes stay possible (a "0m" heartbeat disables plugin wakes) but no periodic run
          // happens during a test.
          heartbeat: { every: "24h" },
        },
      },
    });
  }

  if (input.testChannel) {
    const tc = input.testChannel.options;
    config = deepMerge(config, {
      channels: {
        [TEST_CHANNEL_ID]: {
          enabled: true,
          recordFile: input.testChannel.recordFile,
          injectSecret: input.testChannel.secret,
          allowFrom: tc.allowFrom ?? ["*"],
          ...(tc.textChunkLimit !== undefined ? { textChunkLimit: tc.textChunkLimit } : {}),
        },
      },
    });
  }

  if (options.agents) config = deepMerge(config, { agents: options.agents });
  if (options.config) config = deepMerge(config, options.config);
  return config;
}

const MAX_OUTPUT_LINES = 4000;

function formatLogFileLine(line: string): string {
  try {
    const entry: unknown = JSON.parse(line);
    if (!isPlainObject(entry)) return line;
    const meta = isPlainObject(entry._meta) ? entry._meta : {};
    const time = typeof entry.time === "string" ? entry.time : "";
    const level = typeof meta.logLevelName === "string" ? meta.logLevelName : "";
    let name = typeof meta.name === "string" ? meta.name : "";
    try {
      const parsedName: unknown = JSON.parse(name);
      if (isPlainObject(parsedName) && typeof parsedName.subsystem === "string") name = parsedName.subsystem;
    } catch {
      // plain name
    }
    const message = typeof entry.message === "string" ? entry.message : JSON.stringify(entry);
    return `${time} ${level} [${name}] ${message}`;
  } catch {
    return line;
  }
}

export async function startGateway(options: StartGatewayOptions = {}): Promise<GatewayHandle> {
  installExitHook();
  const nodeBin = resolveNodeBinary();
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
  const keepTempDir = options.keepTempDir === true || process.env.E2E_KEEP_TMP === "1";
  const lock: LockHandle | undefined =
    options.exclusive === false ? undefined : await acquireLock(options.label ?? "gw", options.lockTimeoutMs ?? 300_000);

  const rootDir = mkdtempSync(join(tmpdir(), `openclaw-e2e-${options.label ?? "gw"}-`));
  const stateDir = join(rootDir, "state");
  const homeDir = join(rootDir, "home");
  const tmpDir = join(rootDir, "tmp");
  const configPath = join(rootDir, "openclaw.json");
  const logFile = join(rootDir, "gateway.log");
  for (const dir of [stateDir, homeDir, tmpDir]) mkdirSync(dir, { recursive: true });

  const token = randomBytes(24).toString("hex");
  const tcOptions: TestChannelOptions | undefined =
    options.testChannel === true ? {} : options.testChannel === false ? undefined : options.testChannel;
  const testChannelSetup = tcOptions
    ? { recordFile: join(rootDir, "test-channel", "outbound.jsonl"), secret: randomBytes(16).toString("hex"), options: tcOptions }
    : undefined;

  let port = await freePort();
  let currentConfig = buildGatewayConfig({ port, token, logFile, testChannel: testChannelSetup, options });
  const writeConfig = (): void => {
    writeFileSync(configPath, `${JSON.stringify(currentConfig, null, 2)}\n`, { mode: 0o600 });
  };
  writeConfig();

  const env: Record<string, string> = {
    PATH: [join(nodeBin, ".."), join(REPO_ROOT, "node_modules", ".bin"), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    HOME: homeDir,
    TMPDIR: tmpDir,
    LANG: process.env.LANG ?? "C.UTF-8",
    TZ: "UTC",
    NO_COLOR: "1",
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: configPath,
    // No NODE_COMPILE_CACHE here: given one, OpenClaw respawns itself into a child process with
    // its own cache directory, and the pid we hold would no longer be the gateway's.
    ...QUIET_GATEWAY_ENV,
  };
  for (const name of ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR"]) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  Object.assign(env, options.env ?? {});

  const output: string[] = [];
  let child: ChildProcess | undefined;
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  // Read through a function: TypeScript cannot see the exit handler assign it across awaits.
  const readExit = (): typeof exitInfo => exitInfo;
  let exited: Promise<void> = Promise.resolve();
  let ws: GatewayWsClient | undefined;
  let cleanedUp = false;

  const pushOutput = (stream: string, chunk: Buffer): void => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.length === 0) continue;
      output.push(`${stream}| ${line}`);
    }
    if (output.length > MAX_OUTPUT_LINES) output.splice(0, output.length - MAX_OUTPUT_LINES);
  };

  function logs(logsOptions: LogsOptions = {}): string {
    const tail = logsOptions.tail ?? 200;
    let fileLines: string[] = [];
    try {
      fileLines = readFileSync(logFile, "utf8").split("\n").filter((l) => l.length > 0).slice(-tail).map(formatLogFileLine);
    } catch {
      fileLines = ["(no log file yet)"];
    }
    return [
      `--- gateway stdout/stderr (last ${tail} lines) ---`,
      ...output.slice(-tail),
      `--- ${logFile} (last ${tail} lines) ---`,
      ...fileLines,
    ].join("\n");
  }

  function spawnGateway(): void {
    exitInfo = undefined;
    const proc = spawn(nodeBin, [OPENCLAW_ENTRY, "gateway", "run", "--bind", "loopback", "--port", String(port)], {
      cwd: rootDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    if (proc.pid !== undefined) livePids.add(proc.pid);
    proc.stdout?.on("data", (c: Buffer) => pushOutput("out", c));
    proc.stderr?.on("data", (c: Buffer) => pushOutput("err", c));
    exited = new Promise<void>((resolve) => {
      proc.once("exit", (code, signal) => {
        exitInfo = { code, signal };
        if (proc.pid !== undefined) livePids.delete(proc.pid);
        resolve();
      });
    });
  }

  async function waitReady(): Promise<void> {
    const started = Date.now();
    const deadline = started + readyTimeoutMs;
    let lastStatus = "no answer";
    for (;;) {
      if (exitInfo) {
        throw new Error(
          `gateway exited before it was ready (code ${String(exitInfo.code)}, signal ${String(exitInfo.signal)})\n${logs({ tail: 80 })}`,
        );
      }
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
        lastStatus = `HTTP ${res.status}: ${(await res.text()).slice(0, 500)}`;
        if (res.status === 200) return;
      } catch (err) {
        lastStatus = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() >= deadline) {
        throw new Error(`gateway not ready within ${readyTimeoutMs} ms (last /readyz: ${lastStatus})\n${logs({ tail: 80 })}`);
      }
      await sleep(200);
    }
  }

  async function endProcess(graceful: boolean): Promise<StopResult> {
    const started = Date.now();
    if (ws) {
      const closing = ws;
      ws = undefined;
      await closing.close();
    }
    const proc = child;
    const pid = proc?.pid;
    if (!proc || pid === undefined || exitInfo) {
      return { code: exitInfo?.code ?? null, signal: exitInfo?.signal ?? null, durationMs: 0, killed: false, leftoverPids: [] };
    }
    const descendants = safeDescendants(pid);
    let killed = false;
    if (graceful) {
      trySignal(pid, "SIGTERM");
      const done = await Promise.race([exited.then(() => true), sleep(stopTimeoutMs).then(() => false)]);
      if (!done) {
        killed = true;
        trySignal(pid, "SIGKILL");
        await exited;
      }
    } else {
      killed = true;
      for (const d of descendants) trySignal(d, "SIGKILL");
      trySignal(pid, "SIGKILL");
      await exited;
    }
    // The gateway's helper workers end with it; give them a moment, then make sure.
    const leftover = await waitForPidsGone(descendants, graceful ? 3_000 : 1_000);
    for (const d of leftover) trySignal(d, "SIGKILL");
    await waitForPidsGone(leftover, 2_000);
    child = undefined;
    const final = readExit();
    return {
      code: final?.code ?? null,
      signal: final?.signal ?? null,
      durationMs: Date.now() - started,
      killed,
      leftoverPids: leftover,
    };
  }

  async function bringUp(): Promise<void> {
    // A port taken between freePort() and listen() gets one retry on a fresh port.
    for (let attempt = 1; ; attempt++) {
      spawnGateway();
      try {
        await waitReady();
        break;
      } catch (err) {
        await endProcess(false);
        const text = err instanceof Error ? err.message : String(err);
        if (attempt < 2 && /EADDRINUSE|address already in use/i.test(text)) {
          port = await freePort();
          currentConfig = deepMerge(currentConfig, { gateway: { port } });
          writeConfig();
          continue;
        }
        throw err;
      }
    }
    try {
      ws = await connectGatewayWs({ url: `ws://127.0.0.1:${port}`, token });
    } catch (err) {
      await endProcess(true);
      throw new Error(`gateway websocket connect failed: ${String(err)}\n${logs({ tail: 80 })}`);
    }
  }

  function requireWs(): GatewayWsClient {
    if (!ws) throw new Error("gateway is not running (no operator connection)");
    return ws;
  }

  async function cleanup(): Promise<void> {
    if (cleanedUp) return;
    try {
      await endProcess(true);
    } finally {
      cleanedUp = true;
      if (!keepTempDir) rmSync(rootDir, { recursive: true, force: true, maxRetries: 3 });
      lock?.release();
    }
  }

  try {
    await bringUp();
  } catch (err) {
    cleanedUp = true;
    if (!keepTempDir) rmSync(rootDir, { recursive: true, force: true, maxRetries: 3 });
    lock?.release();
    throw err;
  }

  const testChannel = testChannelSetup
    ? createTestChannelClient({ gatewayUrl: () => `http://127.0.0.1:${port}`, recordFile: testChannelSetup.recordFile, secret: testChannelSetup.secret })
    : undefined;
  const requireChannel = (): TestChannelClient => {
    if (!testChannel) throw new Error("the gateway was started without `testChannel`");
    return testChannel;
  };

  const handle: GatewayHandle = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get wsUrl() {
      return `ws://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    token,
    rootDir,
    stateDir,
    configPath,
    homeDir,
    logFile,
    get pid() {
      return child && !exitInfo ? (child.pid ?? 0) : 0;
    },
    get running() {
      return child !== undefined && exitInfo === undefined;
    },
    config: () => structuredClone(currentConfig),
    updateConfig: (mutate) => {
      const draft = structuredClone(currentConfig);
      currentConfig = mutate(draft) ?? draft;
      writeConfig();
    },
    logs,
    rpc: (method, params, callOptions) => requireWs().call(method, params, callOptions),
    rpcRaw: (method, params, callOptions) => requireWs().request(method, params, callOptions),
    events: () => ws?.events() ?? [],
    lastEventIndex: () => ws?.lastEventIndex() ?? 0,
    waitForEvent: (match, timeoutMs, waitOptions) => requireWs().waitForEvent(match, timeoutMs, waitOptions),
    invokeTool: async (name, args = {}, invokeOptions = {}) => {
      const res = await fetch(`http://127.0.0.1:${port}/tools/invoke`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...(invokeOptions.headers ?? {}) },
        body: JSON.stringify({
          tool: name,
          args,
          ...(invokeOptions.sessionKey ? { sessionKey: invokeOptions.sessionKey } : {}),
          ...(invokeOptions.agentId ? { agentId: invokeOptions.agentId } : {}),
          ...(invokeOptions.idempotencyKey ? { idempotencyKey: invokeOptions.idempotencyKey } : {}),
        }),
        signal: AbortSignal.timeout(invokeOptions.timeoutMs ?? 60_000),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON (e.g. a bare 404)
      }
      const record = isPlainObject(body) ? body : {};
      const error = isPlainObject(record.error) ? (record.error as { type?: string; message?: string }) : undefined;
      return {
        status: res.status,
        ok: res.status === 200 && record.ok === true,
        ...("result" in record ? { result: record.result } : {}),
        ...(error ? { error } : {}),
        body,
      };
    },
    chatSend: (sessionKey, message, chatOptions = {}) =>
      requireWs().call(
        "chat.send",
        { sessionKey, message, idempotencyKey: chatOptions.idempotencyKey ?? randomUUID(), ...(chatOptions.extra ?? {}) },
        chatOptions.timeoutMs !== undefined ? { timeoutMs: chatOptions.timeoutMs } : {},
      ),
    chatHistory: (sessionKey, params = {}) => requireWs().call<ChatHistory>("chat.history", { sessionKey, ...params }),
    chatRun: async (sessionKey, message, chatOptions = {}) => {
      const client = requireWs();
      const afterIndex = client.lastEventIndex();
      const timeoutMs = chatOptions.timeoutMs ?? 60_000;
      const sent = await client.call<{ runId?: string }>(
        "chat.send",
        { sessionKey, message, idempotencyKey: chatOptions.idempotencyKey ?? randomUUID(), ...(chatOptions.extra ?? {}) },
        { timeoutMs },
      );
      const runId = sent.runId;
      if (!runId) throw new Error(`chat.send returned no runId: ${JSON.stringify(sent)}`);
      const terminal = await client.waitForEvent(
        (e) => {
          if (e.event !== "chat" || !isPlainObject(e.payload)) return false;
          return e.payload.runId === runId && ["final", "error", "aborted"].includes(String(e.payload.state));
        },
        timeoutMs,
        { afterIndex },
      );
      const payload = isPlainObject(terminal.payload) ? terminal.payload : {};
      const messageValue = isPlainObject(payload.message) ? payload.message : {};
      const content = Array.isArray(messageValue.content) ? messageValue.content : [];
      const text = content
        .map((part: unknown) => (isPlainObject(part) && typeof part.text === "string" ? part.text : ""))
        .join("");
      return { runId, state: String(payload.state), text, payload: terminal.payload };
    },
    cli: (args, cliOptions = {}) =>
      new Promise<CliResult>((resolve, reject) => {
        const started = Date.now();
        const proc = spawn(nodeBin, [OPENCLAW_ENTRY, ...args], {
          cwd: rootDir,
          env: { ...env, ...(cliOptions.env ?? {}) },
          stdio: ["ignore", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        proc.stdout.on("data", (c: Buffer) => out.push(c));
        proc.stderr.on("data", (c: Buffer) => err.push(c));
        const timer = setTimeout(() => {
          if (proc.pid !== undefined) trySignal(proc.pid, "SIGKILL");
        }, cliOptions.timeoutMs ?? 60_000);
        proc.once("error", (e) => {
          clearTimeout(timer);
          reject(e);
        });
        proc.once("exit", (code, signal) => {
          clearTimeout(timer);
          resolve({
            code,
            signal,
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(err).toString("utf8"),
            durationMs: Date.now() - started,
          });
        });
      }),
    testChannel,
    outbound: () => requireChannel().outbound(),
    waitForOutbound: (predicate, timeoutMs, waitOptions) => requireChannel().waitForOutbound(predicate, timeoutMs, waitOptions),
    failNextSends: (n, failOptions) => requireChannel().failNextSends(n, failOptions),
    hangSends: (hang) => requireChannel().hangSends(hang),
    hungSends: () => requireChannel().hungSends(),
    injectInbound: (request, injectOptions) => requireChannel().injectInbound(request, injectOptions),
    rssKb: () => (child?.pid !== undefined && !exitInfo ? rssKb(child.pid) : undefined),
    stop: () => endProcess(true),
    kill: () => endProcess(false),
    crash: async () => {
      const pid = child && !exitInfo ? child.pid : undefined;
      if (pid === undefined) throw new Error("gateway is not running");
      const orphans = safeDescendants(pid);
      if (ws) {
        const closing = ws;
        ws = undefined;
        await closing.close();
      }
      trySignal(pid, "SIGKILL");
      await exited;
      child = undefined;
      return orphans;
    },
    start: async () => {
      if (cleanedUp) throw new Error("gateway handle was cleaned up");
      if (child && !exitInfo) throw new Error("gateway is already running");
      await bringUp();
    },
    restart: async () => {
      if (cleanedUp) throw new Error("gateway handle was cleaned up");
      await endProcess(true);
      await bringUp();
    },
    cleanup,
  };
  return handle;
}

export { isAlive };

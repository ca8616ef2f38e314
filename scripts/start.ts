// `npm start`: the real product on this machine. Builds the plugin, starts a local OpenClaw gateway
// on loopback with the plugin loaded, and prints the Control UI (WebChat) address and how to sign
// in. Claude Code uses your Anthropic credentials when it finds them, the built-in offline model
// otherwise. Ctrl-C stops everything. Overrides: DEMO_PORT, DEMO_STATE_DIR, DEMO_OFFLINE=1.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { offlineClaudeEnv, startOfflineModel, type OfflineModel } from "../offline-model/src/index.ts";
import { CREDENTIAL_VARIABLES, findClaudeCredentials } from "./lib/credentials.ts";
import {
  DEFAULT_GATEWAY_PORT,
  isolatedGatewayConfig,
  OPENCLAW_ENTRY,
  PLUGIN_ID,
  portIsFree,
  QUIET_GATEWAY_ENV,
  REPO_ROOT,
  resolveNodeBinary,
  waitForGatewayReady,
  type JsonObject,
} from "./lib/gateway.ts";
import { stagePluginPackage } from "./lib/plugin-package.ts";
import { descendantPids, waitForPidsGone } from "./lib/processes.ts";

/** The model id the OpenClaw agent is given offline; the offline model answers it with help. */
const OFFLINE_AGENT_MODEL = "offline-demo-agent";
const READY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 20_000;

const OFFLINE_AGENT_ANSWER = [
  "This is the offline demo: OpenClaw's own agent has no real model here, so it cannot chat.",
  "Claude Code sessions work through chat commands, for example:",
  "- /claude create a file named hello.txt containing hi",
  "- /claude_sessions, /claude_output <name>, /claude_respond <name> <message>, /claude_kill <name>, /claude_stats",
  "With an ANTHROPIC_API_KEY or a Claude Code login, restart `npm start` to run the real Claude Code.",
].join("\n");

function fail(message: string): never {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

function readPort(raw: string | undefined): number {
  if (raw === undefined || raw === "") return DEFAULT_GATEWAY_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) fail(`DEMO_PORT must be a port number from 1 to 65535, not "${raw}"`);
  return port;
}

/** Keeps the token of an earlier run, so a signed-in browser tab stays signed in after a restart. */
function previousToken(configPath: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(configPath, "utf8"));
    const token = (parsed as { gateway?: { auth?: { token?: unknown } } }).gateway?.auth?.token;
    return typeof token === "string" && token.length >= 32 ? token : undefined;
  } catch {
    return undefined;
  }
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(nothing was written)";
  }
}

const port = readPort(process.env.DEMO_PORT);
const stateRoot = path.resolve(process.env.DEMO_STATE_DIR || path.join(REPO_ROOT, ".state"));
const forceOffline = process.env.DEMO_OFFLINE === "1";
const files = {
  gatewayState: path.join(stateRoot, "gateway"),
  config: path.join(stateRoot, "openclaw.json"),
  log: path.join(stateRoot, "gateway.log"),
  console: path.join(stateRoot, "gateway-console.log"),
  workdir: path.join(stateRoot, "workdir"),
  claudeConfig: path.join(stateRoot, "claude"),
  plugin: path.join(stateRoot, "plugin", PLUGIN_ID),
};

let building: ChildProcess | undefined;
let gateway: ChildProcess | undefined;
let gatewayExit: Promise<void> = Promise.resolve();
let gatewayEnded: string | undefined;
let model: OfflineModel | undefined;
let stopping = false;

process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    // A second Ctrl-C: no more waiting.
    const pid = gateway?.pid;
    if (pid !== undefined && !gatewayEnded) for (const p of [...descendantPids(pid), pid]) trySignal(p, "SIGKILL");
    return;
  }
  stopping = true;
  console.log(`\n${signal === "SIGINT" ? "Ctrl-C" : signal}: stopping…`);
  if (building?.pid !== undefined) trySignal(building.pid, "SIGTERM");
  const leftovers = await stopGateway();
  await model?.close();
  if (leftovers.length > 0) console.log(`Ended ${leftovers.length} process(es) the gateway left behind: ${leftovers.join(", ")}`);
  console.log("Stopped. Your sessions and chats are kept in " + stateRoot);
  process.exit(0);
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  if (!Number.isInteger(pid) || pid <= 0) return; // never a process group
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM to the gateway (it ends its Claude Code sessions), SIGKILL after a bound; reaps what is left. */
async function stopGateway(): Promise<number[]> {
  const pid = gateway?.pid;
  if (pid === undefined || gatewayEnded) return [];
  const tree = descendantPids(pid);
  trySignal(pid, "SIGTERM");
  const ended = await Promise.race([gatewayExit.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
  if (!ended) {
    console.log(`The gateway did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing it.`);
    trySignal(pid, "SIGKILL");
    await gatewayExit;
  }
  const left = await waitForPidsGone(tree, 3_000);
  for (const p of left) trySignal(p, "SIGKILL");
  await waitForPidsGone(left, 2_000);
  return left;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

async function build(): Promise<void> {
  const started = Date.now();
  console.log("[1/3] Building the plugin (npm run build)…");
  const output: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    building = spawn("npm", ["run", "build", "--silent"], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    building.stdout?.on("data", (c: Buffer) => output.push(c));
    building.stderr?.on("data", (c: Buffer) => output.push(c));
    building.once("error", reject);
    building.once("exit", (c) => resolve(c));
  });
  building = undefined;
  if (stopping) return;
  if (code !== 0) fail(`the build failed (npm run build exited with ${String(code)}):\n${Buffer.concat(output).toString("utf8")}`);
  console.log(`      built in ${seconds(started)}`);
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  if (!(await portIsFree(port))) {
    fail(
      `port ${port} on 127.0.0.1 is already in use (another OpenClaw gateway, or an earlier npm start still running?). ` +
        `Stop it, or choose another port: DEMO_PORT=${port + 1} npm start`,
    );
  }
  for (const dir of [stateRoot, files.gatewayState, files.workdir]) mkdirSync(dir, { recursive: true });

  await build();
  if (stopping) return;

  const credentials = forceOffline ? undefined : findClaudeCredentials();
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...QUIET_GATEWAY_ENV,
    OPENCLAW_STATE_DIR: files.gatewayState,
    OPENCLAW_CONFIG_PATH: files.config,
    // Its console output goes to a file.
    NO_COLOR: "1",
  };
  let claudeSays: string;
  let agentModel: JsonObject = {};
  if (credentials) {
    claudeSays = `your Anthropic credentials (${credentials})`;
  } else {
    console.log("[2/3] Starting the offline model (no Anthropic credentials found)…");
    model = await startOfflineModel({ fallback: "demo" });
    const offline = model;
    // OpenClaw's own agent gets a model id of its own, so its turns get a short help text instead
    // of an error, while Claude Code's requests get the demo behaviour.
    offline.setHandler((req) => (req.model === OFFLINE_AGENT_MODEL ? { type: "text", text: OFFLINE_AGENT_ANSWER } : undefined));
    for (const name of CREDENTIAL_VARIABLES) delete env[name];
    // Claude Code keeps its own config and transcripts here, not in your ~/.claude.
    Object.assign(env, offlineClaudeEnv(offline.url), { CLAUDE_CONFIG_DIR: files.claudeConfig });
    mkdirSync(files.claudeConfig, { recursive: true });
    claudeSays = `the built-in offline model at ${offline.url} (no Anthropic credentials found${forceOffline ? ": DEMO_OFFLINE=1" : ""})`;
    agentModel = {
      models: {
        providers: {
          offline: {
            baseUrl: offline.url,
            apiKey: "offline",
            api: "anthropic-messages",
            models: [
              {
                id: OFFLINE_AGENT_MODEL,
                name: "Offline demo (chat commands only)",
                reasoning: false,
                input: ["text"],
                cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
                contextWindow: 200_000,
                maxTokens: 4096,
              },
            ],
          },
        },
      },
      agents: { defaults: { model: { primary: `offline/${OFFLINE_AGENT_MODEL}`, fallbacks: [] } } },
    };
  }

  const token = previousToken(files.config) ?? randomBytes(24).toString("hex");
  const base = isolatedGatewayConfig({
    port,
    token,
    logFile: files.log,
    // The plugin as it installs, not the repository (see scripts/lib/plugin-package.ts): its
    // runtime dependencies with the Claude Code CLI, without the SDK's peers, which the gateway
    // would copy at every start.
    loadPaths: [stagePluginPackage(files.plugin, { dependencies: "runtime" })],
    entries: {
      [PLUGIN_ID]: {
        enabled: true,
        // As root, Claude Code accepts bypassPermissions only in a sandbox it is told about.
        config: { defaultWorkdir: files.workdir, allowRootBypass: process.getuid?.() === 0 },
      },
    },
  });
  const config: JsonObject = {
    ...base,
    // The plugin's own Control UI page (native UI of a user-installed plugin is opt-in).
    gateway: { ...(base.gateway as JsonObject), controlUi: { experimental: { customPlugins: true } } },
    models: { ...(base.models as JsonObject), ...((agentModel.models as JsonObject | undefined) ?? {}) },
    ...(agentModel.agents ? { agents: agentModel.agents } : {}),
  };
  writeFileSync(files.config, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });

  const gatewayStarted = Date.now();
  console.log(`[3/3] Starting the OpenClaw gateway on 127.0.0.1:${port} (the first start takes a while)…`);
  const consoleFd = openSync(files.console, "a");
  const proc = spawn(resolveNodeBinary(), [OPENCLAW_ENTRY, "gateway", "run", "--bind", "loopback", "--port", String(port)], {
    cwd: stateRoot,
    env,
    stdio: ["ignore", consoleFd, consoleFd],
  });
  closeSync(consoleFd);
  gateway = proc;
  gatewayExit = new Promise((resolve) => {
    proc.once("exit", (code, signal) => {
      gatewayEnded = signal ? `signal ${signal}` : `exit code ${String(code)}`;
      resolve();
    });
    // Node could not run at all (no exit event follows).
    proc.once("error", (err) => {
      gatewayEnded = `it could not be started: ${err.message}`;
      resolve();
    });
  });
  void gatewayExit.then(async () => {
    if (stopping) return;
    console.error(`\nThe gateway stopped unexpectedly (${gatewayEnded}). Last lines of ${files.console}:\n${tail(files.console, 30)}`);
    await model?.close();
    process.exit(1);
  });

  let lastNote = Date.now();
  try {
    await waitForGatewayReady(port, {
      timeoutMs: READY_TIMEOUT_MS,
      exited: () => gatewayEnded,
      onWait: (elapsed) => {
        if (Date.now() - lastNote < 5_000) return;
        lastNote = Date.now();
        console.log(`      still starting… ${Math.round(elapsed / 1000)} s`);
      },
    });
  } catch (err) {
    if (stopping) return;
    console.error(`npm start: ${err instanceof Error ? err.message : String(err)}. Last lines of ${files.console}:\n${tail(files.console, 30)}`);
    stopping = true;
    await stopGateway();
    await model?.close();
    process.exit(1);
  }
  if (stopping) return;
  console.log(`      ready in ${seconds(gatewayStarted)}`);

  const address = `http://127.0.0.1:${port}/`;
  console.log(
    [
      "",
      `OpenClaw is running with the Claude Code plugin (started in ${seconds(startedAt)}).`,
      "",
      `  Control UI (WebChat): ${address}`,
      `  Claude Code page:     "Claude Code" in the Control UI's sidebar (sessions, live output, approvals, costs)`,
      `  Sign in:              open ${address}#token=${token}`,
      `                        or open ${address} and paste this into "Gateway secret": ${token}`,
      `  Claude Code uses:     ${claudeSays}`,
      `  Workdir:              ${files.workdir}`,
      `  State and logs:       ${stateRoot} (gateway.log)`,
      "",
      "First thing to try, in the chat: /claude create a file named hello.txt containing hi",
      credentials
        ? "Plain chat messages go to OpenClaw's default model, which needs that provider's key (e.g. OPENAI_API_KEY); /claude commands work without one."
        : "Plain chat messages get a short help text: offline, only the /claude… commands do real work.",
      "Stop with Ctrl-C.",
      "",
    ].join("\n"),
  );
}

await main();

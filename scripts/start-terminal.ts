// `npm run start:terminal`: the session engine alone in a terminal REPL, no gateway. Claude Code
// uses your Anthropic credentials when present, the built-in offline model otherwise. Type a task;
// follow-ups go to the same session. Commands: /new <task>, /interrupt, /kill, /output, /stats, /quit.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import readline from "node:readline";
import { offlineClaudeEnv, startOfflineModel, type OfflineModel } from "../offline-model/src/index.ts";
import { reasonText, SessionEngine, type SessionEvent } from "../src/engine/index.ts";
import { findClaudeCredentials } from "./lib/credentials.ts";

const root = path.resolve(import.meta.dirname, "..");
const workdir = path.join(root, ".state", "workdir");
await mkdir(workdir, { recursive: true });

const credentials = findClaudeCredentials();

let model: OfflineModel | undefined;
let env: Record<string, string | undefined> = { ...process.env };
if (credentials) {
  console.log(`Claude Code will use your Anthropic credentials (${credentials}).`);
} else {
  model = await startOfflineModel({ fallback: "demo" });
  env = { ...env, ...offlineClaudeEnv(model.url) };
  console.log(`No Anthropic credentials found: Claude Code talks to the built-in offline model at ${model.url}.`);
}

const engine = new SessionEngine<null>({
  baseEnv: env,
  defaultWorkdir: workdir,
  allowRootBypass: process.getuid?.() === 0,
  logger: { debug() {}, info() {}, warn: (m) => console.warn(`warn: ${m}`), error: (m) => console.error(`error: ${m}`) },
});

const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: "claude> " });
let current: string | undefined;

engine.subscribe((e: SessionEvent<null>) => {
  const tag = `[${e.session.name}]`;
  switch (e.type) {
    case "launched":
      console.log(`↩️  ${tag} launched in ${e.session.workdir}`);
      break;
    case "output":
      if (e.entry.kind === "tool_use") console.log(`🔧 ${tag} ${e.entry.text}`);
      else if (e.entry.kind === "text") console.log(`💬 ${tag} ${e.entry.text}`);
      else if (e.entry.kind === "tool_error") console.log(`⚠️  ${tag} tool error: ${e.entry.text}`);
      break;
    case "waiting":
      console.log(`🔔 ${tag} ${e.interrupted ? "turn interrupted" : "turn finished"}; waiting for your next message (cost so far $${e.session.costUsd.toFixed(4)})`);
      rl.prompt();
      break;
    case "ended":
      console.log(`${e.status === "completed" ? "✅" : e.status === "killed" ? "⛔" : "❌"} ${tag} ${e.status} (${reasonText(e.reason)}), cost $${e.session.costUsd.toFixed(4)}, ${(e.session.durationMs / 1000).toFixed(1)} s`);
      if (current === e.session.id) current = undefined;
      rl.prompt();
      break;
    case "started":
    case "claude_session":
    case "turn_started":
    case "responded":
    case "process":
    case "permission_decided":
      break;
    case "permission_request":
      // The terminal demo runs in bypass mode unless asked otherwise; say what is blocked.
      console.log(`🔐 ${tag} asks: ${e.request.summary} (this terminal demo cannot answer; use the gateway's /claude_allow)`);
      break;
    default: {
      const never: never = e;
      void never;
    }
  }
});

console.log(`Workdir: ${workdir}`);
console.log(`Type a task, e.g. "create a file named hello.txt containing Hello from Claude Code".`);
console.log("Commands: /new <task>, /interrupt, /kill, /output, /stats, /quit");
rl.prompt();

async function handle(line: string): Promise<void> {
  const text = line.trim();
  if (!text) return;
  if (text === "/quit") return shutdown();
  if (text === "/stats") return void console.log(JSON.stringify(engine.getStats(), null, 2));
  if (text === "/output") {
    if (current) for (const e of engine.output(current, { last: 30 })?.entries ?? []) console.log(`${e.seq} ${e.kind}: ${e.text}`);
    return;
  }
  if (text === "/interrupt" && current) return void (await engine.interrupt(current));
  if (text === "/kill" && current) return void (await engine.kill(current, "user"));
  const task = text.startsWith("/new ") ? text.slice(5) : text;
  if (current && !text.startsWith("/new ")) {
    await engine.respond(current, task);
  } else {
    current = engine.launch({ prompt: task, owner: null }).id;
  }
}

rl.on("line", (line) => {
  handle(line).catch((err: unknown) => {
    console.log(`error: ${err instanceof Error ? err.message : String(err)}`);
    rl.prompt();
  });
});
rl.on("close", () => void shutdown());
process.once("SIGINT", () => void shutdown());

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping sessions…");
  await engine.shutdown();
  await model?.close();
  rl.close();
  process.exit(0);
}

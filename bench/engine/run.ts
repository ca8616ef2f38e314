// Benchmark: the engine's overhead over a bare Agent SDK query() loop on the same scripted
// session, alternating in one run, plus the engine's heap per idle session. The engine runs as in
// the plugin: its sessions and every transcript entry are recorded in a real store.
// Run: npm run bench:engine  (options: --runs N, --idle N)
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { query, type SDKUserMessage } from "@anthropic-ai/claude-agent-sdk";
import { startOfflineModel, type ScriptedReply } from "../../offline-model/src/index.ts";
import { SessionEngine, silentLogger, type SessionEvent } from "../../src/engine/index.ts";
import { openStore, recordEngine } from "../../src/store/index.ts";
import { descendantPids, waitForPidsGone } from "../../scripts/lib/processes.ts";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "20" }, idle: { type: "string", default: "20" } },
});
const RUNS = Number(values.runs);
const IDLE = Number(values.idle);

const root = await mkdtemp(path.join(os.tmpdir(), "ccp-bench-"));
const workdir = path.join(root, "work");
const home = path.join(root, "home");
await mkdir(path.join(home, ".claude"), { recursive: true });
await mkdir(path.join(root, "tmp"));
await mkdir(workdir);

const model = await startOfflineModel({ fallback: "error" });
// Every conversation: one Bash tool call, then a final text.
model.setHandler((req): ScriptedReply =>
  req.toolResults.length === 0
    ? { type: "tool_use", name: "Bash", input: { command: "echo bench", description: "echo" }, text: "Running a command." }
    : { type: "text", text: "Finished the benchmark task." },
);

const env: Record<string, string> = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: home,
  CLAUDE_CONFIG_DIR: path.join(home, ".claude"),
  TMPDIR: path.join(root, "tmp"),
  ANTHROPIC_BASE_URL: model.url,
  ANTHROPIC_API_KEY: "offline",
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  DISABLE_TELEMETRY: "1",
  DISABLE_ERROR_REPORTING: "1",
  DISABLE_AUTOUPDATER: "1",
  CLAUDE_CODE_MAX_RETRIES: "0",
  IS_SANDBOX: "1",
};

interface Timing {
  firstOutputMs: number;
  resultMs: number;
}

async function bare(prompt: string): Promise<Timing> {
  const started = performance.now();
  let firstOutputMs = NaN;
  async function* input(): AsyncGenerator<SDKUserMessage> {
    yield { type: "user", message: { role: "user", content: prompt }, parent_tool_use_id: null };
  }
  const q = query({
    prompt: input(),
    options: {
      cwd: workdir,
      env,
      permissionMode: "bypassPermissions",
      allowDangerouslySkipPermissions: true,
      settingSources: [],
      systemPrompt: { type: "preset", preset: "claude_code" },
    },
  });
  for await (const m of q) {
    if (m.type === "assistant" && Number.isNaN(firstOutputMs)) firstOutputMs = performance.now() - started;
    if (m.type === "result") {
      const resultMs = performance.now() - started;
      q.close();
      return { firstOutputMs, resultMs };
    }
  }
  throw new Error("bare query ended without a result");
}

const engine = new SessionEngine<null>({ baseEnv: env, defaultWorkdir: workdir, maxSessions: Math.max(5, IDLE), idleTimeoutMs: 0 });
await mkdir(path.join(root, "state"));
const store = openStore<null>({ stateDir: path.join(root, "state"), maxPersistedSessions: 10_000, agentOf: () => undefined });
const stopRecording = recordEngine(engine, store.sessions, silentLogger, store.transcripts);

function viaEngine(prompt: string): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstOutputMs = NaN;
    let id = "";
    const off = engine.subscribe((e: SessionEvent<null>) => {
      if (e.session.id !== id) return;
      if (e.type === "output" && Number.isNaN(firstOutputMs)) firstOutputMs = performance.now() - started;
      if (e.type === "ended") {
        off();
        if (e.status === "completed") resolve({ firstOutputMs, resultMs: performance.now() - started });
        else reject(new Error(`engine session ended ${e.status}`));
      }
    });
    id = engine.launch({ prompt, multiTurnDisabled: true, owner: null }).id;
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Each run starts on a quiet machine: the previous run's Claude Code process has exited (a CLI
 * still shutting down costs the next run CPU on 2 cores, whichever path it is).
 */
async function measured(run: () => Promise<Timing>): Promise<Timing> {
  const t = await run();
  const left = await waitForPidsGone(descendantPids(process.pid), 10_000);
  if (left.length) throw new Error(`Claude Code processes still running after a run: ${left.join(", ")}`);
  return t;
}

// Warm both paths once (first CLI start is cold).
await measured(() => bare("warm up"));
await measured(() => viaEngine("warm up"));

const results = { engine: [] as Timing[], bare: [] as Timing[] };
for (let i = 0; i < RUNS; i++) {
  // Alternate which goes first so drift on a noisy machine hits both alike.
  if (i % 2 === 0) {
    results.engine.push(await measured(() => viaEngine(`run ${i}`)));
    results.bare.push(await measured(() => bare(`run ${i}`)));
  } else {
    results.bare.push(await measured(() => bare(`run ${i}`)));
    results.engine.push(await measured(() => viaEngine(`run ${i}`)));
  }
}

// The ratio is the median of each pair's ratio (engine and bare of the same round), which drift
// between rounds does not move; the medians of each side are printed for scale.
const row = (label: string, key: keyof Timing) => {
  const e = median(results.engine.map((t) => t[key]));
  const b = median(results.bare.map((t) => t[key]));
  const ratio = median(results.engine.map((t, i) => t[key] / results.bare[i]![key]));
  console.log(`${label.padEnd(22)} engine ${e.toFixed(1).padStart(8)} ms   bare ${b.toFixed(1).padStart(8)} ms   ratio engine/bare ${ratio.toFixed(3)} (median of ${RUNS} paired rounds)`);
  return ratio;
};
console.log(`engine vs bare query(), ${RUNS} alternating rounds (medians):`);
const r1 = row("time to first output", "firstOutputMs");
const r2 = row("time to result", "resultMs");

// Heap per idle session: many multi-turn sessions waiting for input.
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
};
await settle();
const heapBefore = process.memoryUsage().heapUsed;
const waiting = new Set<string>();
const allWaiting = new Promise<void>((resolve) => {
  engine.subscribe((e) => {
    if (e.type === "waiting") {
      waiting.add(e.session.id);
      if (waiting.size === IDLE) resolve();
    }
  });
});
for (let i = 0; i < IDLE; i++) engine.launch({ prompt: `idle session ${i}`, owner: null });
await allWaiting;
await settle();
const heapAfter = process.memoryUsage().heapUsed;
const perSession = (heapAfter - heapBefore) / IDLE;
console.log(`engine heap per idle session (${IDLE} waiting sessions): ${(perSession / 1024).toFixed(1)} KiB  (target ≤ 1024 KiB)`);

await engine.shutdown();
stopRecording();
const recorded = store.sessions.count();
store.close();
console.log(`transcripts on: ${recorded} sessions recorded in the store with their output entries`);
await model.close();
await rm(root, { recursive: true, force: true });
console.log(`targets: ratio ≤ 1.05 → first output ${r1 <= 1.05 ? "met" : "MISSED"}, result ${r2 <= 1.05 ? "met" : "MISSED"}; heap ${perSession <= 1024 * 1024 ? "met" : "MISSED"}`);

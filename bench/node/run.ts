// Benchmark: the same scripted session run locally and on a paired node (a real `openclaw node run`
// on this machine, over loopback), alternating in one run through one real gateway. Times are the
// engine's own (launch → first output entry, launch → result entry), read back over RPC, so the
// notification path is not in them. Prints the node/local ratios (target ≤ 1.2) and the duplex
// overhead per message relayed from the node.
// Run: npm run bench:node  (options: --runs N)
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { offlineClaudeEnv, type ScriptedReply } from "../../offline-model/src/index.ts";
import { REPO_ROOT } from "../../test/e2e/harness/gateway.ts";
import { sleep, waitForPidsGone } from "../../test/e2e/harness/processes.ts";
import { NODE_COMMANDS_ALLOWED, pairUntilReady, startNodeHost, type NodeHost } from "../../test/e2e/support/node-host.ts";
import { isClaudeProcess, startPluginGateway, type PluginGateway } from "../../test/e2e/support/plugin-gateway.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "8" } } });
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a whole number ≥ 1, got ${String(values.runs)}`);
if (!existsSync(path.join(REPO_ROOT, "dist", "plugin", "index.js"))) throw new Error("dist/ is missing: run `npm run build` first (npm run bench:node does it)");

const NODE = "bench-node";
const benchStarted = Date.now();
let p: PluginGateway | undefined;
let node: NodeHost | undefined;
process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));

async function cleanup(): Promise<void> {
  await node?.cleanup();
  await p?.close();
}

interface Timing {
  firstOutputMs: number;
  resultMs: number;
}

interface OutputPayload {
  session: { id: string; state: string; createdAt: string };
  entries: Array<{ kind: string; at: string }>;
}

try {
  const setupStarted = Date.now();
  p = await startPluginGateway({ label: "bench-node", lockTimeoutMs: 900_000, config: NODE_COMMANDS_ALLOWED, pluginConfig: { idleTimeoutMinutes: 0 } });
  const gw = p.gw;
  node = await startNodeHost({ gw, displayName: NODE, env: { ...offlineClaudeEnv(p.claude.url), CLAUDE_CODE_MAX_RETRIES: "0" } });
  await pairUntilReady(gw, NODE);
  const setupMs = Date.now() - setupStarted;
  // Every conversation: one Bash tool call, then a final text (as bench:engine).
  p.claude.setHandler((req): ScriptedReply =>
    req.toolResults.length === 0
      ? { type: "tool_use", name: "Bash", input: { command: "echo bench", description: "echo" }, text: "Running a command." }
      : { type: "text", text: "Finished the benchmark task." },
  );
  const h = node;
  const local = p.workdir;

  async function run(onNode: boolean, i: number): Promise<Timing> {
    const launched = await gw.rpc<{ session: { id: string } }>("claude-code.launch", {
      prompt: `bench run ${i}`,
      workdir: onNode ? h.workdir : local,
      multi_turn_disabled: true,
      ...(onNode ? { node: NODE } : {}),
    });
    const id = launched.session.id;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const out = await gw.rpc<OutputPayload>("claude-code.output", { session: id, full: true });
      if (!["starting", "running", "waiting"].includes(out.session.state)) {
        if (out.session.state !== "completed") throw new Error(`session ${id} ended ${out.session.state}`);
        const created = Date.parse(out.session.createdAt);
        const first = out.entries[0];
        const result = out.entries.find((e) => e.kind === "result");
        if (!first || !result) throw new Error(`session ${id} has no output/result entries`);
        // Each run starts on a quiet machine: the previous Claude Code has exited on both sides.
        const left = await waitForPidsGone([...p!.claudePids(), ...h.descendants().filter(isClaudeProcess)], 10_000);
        if (left.length) throw new Error(`processes still running after a run: ${left.join(", ")}`);
        return { firstOutputMs: Date.parse(first.at) - created, resultMs: Date.parse(result.at) - created };
      }
      if (Date.now() > deadline) throw new Error(`session ${id} did not finish within 60 s`);
      await sleep(50);
    }
  }

  // Warm both paths once (the first CLI start is cold on each side).
  await run(false, -1);
  await run(true, -2);
  const results = { node: [] as Timing[], local: [] as Timing[] };
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      results.node.push(await run(true, i));
      results.local.push(await run(false, i));
    } else {
      results.local.push(await run(false, i));
      results.node.push(await run(true, i));
    }
  }

  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  };
  const row = (label: string, key: keyof Timing): { ratio: number; delta: number } => {
    const n = median(results.node.map((t) => t[key]));
    const l = median(results.local.map((t) => t[key]));
    const ratio = median(results.node.map((t, i) => t[key] / results.local[i]![key]));
    const delta = median(results.node.map((t, i) => t[key] - results.local[i]![key]));
    console.log(`${label.padEnd(22)} node ${n.toFixed(0).padStart(6)} ms   local ${l.toFixed(0).padStart(6)} ms   ratio node/local ${ratio.toFixed(3)} (median of ${RUNS} paired rounds)`);
    return { ratio, delta };
  };
  console.log(`the same session on a paired node (loopback) vs on the gateway's machine, ${RUNS} alternating rounds:`);
  const first = row("time to first output", "firstOutputMs");
  const result = row("time to result", "resultMs");

  // Messages the gateway received from the node per session, from its log line at each exit.
  const log = readFileSync(gw.logFile, "utf8");
  const counts = [...log.matchAll(/node bench-node: Claude Code ended \(code 0[^)]*\) after (\d+) messages \((\d+) bytes\)/g)].map((m) => ({ messages: Number(m[1]), bytes: Number(m[2]) }));
  if (counts.length === 0) throw new Error("the gateway logged no node process exits; is the plugin in dist/ current?");
  const messages = median(counts.map((c) => c.messages));
  const bytes = median(counts.map((c) => c.bytes));
  console.log(`messages from the node per session: ${messages} (median, ${bytes} bytes); extra time to result on the node: ${result.delta.toFixed(0)} ms`);
  console.log(`duplex overhead per message from the node: ${(result.delta / messages).toFixed(2)} ms (extra time to result / messages)`);
  console.log(`targets: ratio ≤ 1.2 → first output ${first.ratio <= 1.2 ? "met" : "MISSED"}, result ${result.ratio <= 1.2 ? "met" : "MISSED"}`);
  console.log(`(the run took ${((Date.now() - benchStarted) / 1000).toFixed(0)} s, of which ${(setupMs / 1000).toFixed(0)} s waiting for and starting the gateway and the node)`);
} finally {
  await cleanup();
}

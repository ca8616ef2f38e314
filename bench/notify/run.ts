// Benchmark: notice latency in-process (engine event → Notifier → Delivery → the channel's own
// outbound adapter, inside a real gateway) vs the old plugin's way (one `openclaw message send`
// CLI process per notice), in one run against one gateway; then the gateway's idle memory with
// and without the plugin. Prints ratios; asserts nothing about absolute times.
// Run: npm run bench:notify  (options: --messages N, --cli N, --samples N, --settle MS)
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT, type GatewayHandle } from "../../test/e2e/harness/gateway.ts";
import { BENCH_NOTIFY_RUN, type RunResponse } from "./fixture/protocol.ts";
import { idleMemory, median, sendViaCli, startNotifyGateway, waitForPluginService, type CliSendTiming } from "./setup.ts";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "200" },
    cli: { type: "string", default: "10" },
    samples: { type: "string", default: "5" },
    settle: { type: "string", default: "5000" },
  },
});
const MESSAGES = positiveInt("messages");
const CLI_RUNS = positiveInt("cli");
const SAMPLES = positiveInt("samples");
const SETTLE_MS = positiveInt("settle");
const TARGET = "bench-chat";

function positiveInt(name: keyof typeof values): number {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, got ${String(values[name])}`);
  return n;
}

if (!existsSync(path.join(REPO_ROOT, "dist", "plugin", "index.js")) || !existsSync(path.join(REPO_ROOT, "dist", "src", "index.js"))) {
  throw new Error("dist/ is missing: run `npm run build` first (npm run bench:notify does it for you)");
}

/** Nearest-rank percentile (with few samples, p99 is the maximum). */
function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

const ms = (x: number): string => (x < 10 ? x.toFixed(3) : x < 1000 ? x.toFixed(1) : x.toFixed(0));
const mb = (kb: number): string => (kb / 1024).toFixed(1);

const benchStarted = Date.now();
let current: GatewayHandle | undefined;
/** Time spent waiting for other test gateways and starting ours: not the benchmark's own. */
let gatewayStartMs = 0;
process.once("SIGINT", () => {
  void (current?.cleanup() ?? Promise.resolve()).finally(() => process.exit(130));
});

/** Progress goes to stderr so stdout holds only the figures. */
function progress(message: string): void {
  process.stderr.write(`[bench:notify +${((Date.now() - benchStarted) / 1000).toFixed(0)} s] ${message}\n`);
}

async function withGateway<T>(withPlugin: boolean, body: (gw: GatewayHandle) => Promise<T>): Promise<T> {
  const label = withPlugin ? "with the plugin" : "without the plugin";
  progress(`starting a gateway ${label} (after any other test gateway on this machine, up to 15 min)`);
  // Other test gateways on the machine go first (one at a time): waiting for them is not the bench's time.
  const startedAt = Date.now();
  const gw = await startNotifyGateway({ withPlugin, label: withPlugin ? "bench-notify-plugin" : "bench-notify-bare", lockTimeoutMs: 900_000 });
  gatewayStartMs += Date.now() - startedAt;
  current = gw;
  try {
    progress(`gateway ${label} ready (pid ${gw.pid})`);
    // The memory comparison means something only if the plugin really is (or is not) running.
    if (withPlugin) await waitForPluginService(gw);
    else if ((await gw.rpcRaw("claude-code.stats")).ok) throw new Error("claude-code.stats answered in the gateway without the plugin");
    return await body(gw);
  } finally {
    current = undefined;
    await gw.cleanup();
  }
}

const withPlugin = await withGateway(true, async (gw) => {
  progress(`idle memory: settling ${SETTLE_MS} ms, then ${SAMPLES} samples 1 s apart`);
  const memory = await idleMemory(gw, SETTLE_MS, SAMPLES);

  progress(`in-process: ${MESSAGES} notices one after another (with and without the outbox), then ${MESSAGES} at once`);
  const sequential = await gw.rpc<RunResponse>(BENCH_NOTIFY_RUN, { count: MESSAGES, warmup: 20, to: TARGET, mode: "sequential" }, { timeoutMs: 120_000 });
  const recorded = gw.outbound().filter((r) => r.to === TARGET);
  const inOrder =
    recorded.length === MESSAGES && recorded.every((r, i) => r.ok && r.via === "outbound" && r.text === sequential.samples[i]?.text);
  if (!inOrder) throw new Error(`the test channel recorded ${recorded.length} of ${MESSAGES} in-process notices, or not in order`);

  const noOutbox = await gw.rpc<RunResponse>(
    BENCH_NOTIFY_RUN,
    { count: MESSAGES, warmup: 20, to: `${TARGET}-no-outbox`, mode: "sequential", outbox: false },
    { timeoutMs: 120_000 },
  );

  const burstTarget = `${TARGET}-burst`;
  const burst = await gw.rpc<RunResponse>(BENCH_NOTIFY_RUN, { count: MESSAGES, warmup: 0, to: burstTarget, mode: "burst" }, { timeoutMs: 120_000 });
  const burstRecorded = gw.outbound().filter((r) => r.to === burstTarget);
  const burstInOrder = burstRecorded.length === MESSAGES && burstRecorded.every((r, i) => r.ok && r.text === burst.samples[i]?.text);

  progress(`old way: ${CLI_RUNS + 1} \`openclaw message send\` runs (the first is a warm-up; each takes seconds)`);
  // The old way, same texts to the same conversation. The first CLI run warms the file cache and
  // is not counted.
  await sendViaCli(gw, TARGET, "warm-up of the CLI path");
  const cli: CliSendTiming[] = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    const sample = sequential.samples[i % sequential.samples.length];
    if (!sample) throw new Error("no in-process sample to reuse the text of");
    cli.push(await sendViaCli(gw, TARGET, sample.text));
  }
  return { memory, sequential, noOutbox, burst, burstInOrder, cli, cliRecordedBy: cli[0]?.record.pid === gw.pid ? "the gateway" : "the CLI process" };
});

const withoutPlugin = await withGateway(false, (gw) => {
  progress(`idle memory: settling ${SETTLE_MS} ms, then ${SAMPLES} samples 1 s apart`);
  return idleMemory(gw, SETTLE_MS, SAMPLES);
});

const { sequential, noOutbox, burst, cli } = withPlugin;
const inRecorded = sequential.samples.map((s) => s.recordedMs);
const inCalled = sequential.samples.map((s) => s.calledMs);
const bareRecorded = noOutbox.samples.map((s) => s.recordedMs);
const cliRecorded = cli.map((c) => c.recordedMs);
const cliExit = cli.map((c) => c.exitMs);
const ratio = median(cliRecorded) / median(inRecorded);
const ratioP99 = percentile(cliRecorded, 0.99) / percentile(inRecorded, 0.99);

console.log(`notice latency: engine event → test channel has the message (${MESSAGES} in-process, ${CLI_RUNS} CLI, one gateway)`);
console.log(`  in-process     median ${ms(median(inRecorded)).padStart(8)} ms   p99 ${ms(percentile(inRecorded, 0.99)).padStart(8)} ms   (to sendText entered: median ${ms(median(inCalled))} ms, p99 ${ms(percentile(inCalled, 0.99))} ms)`);
console.log(`  (without the SQLite outbox: median ${ms(median(bareRecorded))} ms, p99 ${ms(percentile(bareRecorded, 0.99))} ms)`);
console.log(`  CLI per notice median ${ms(median(cliRecorded)).padStart(8)} ms   p99 ${ms(percentile(cliRecorded, 0.99)).padStart(8)} ms   (to CLI exit: median ${ms(median(cliExit))} ms, p99 ${ms(percentile(cliExit, 0.99))} ms; sent by ${withPlugin.cliRecordedBy})`);
console.log(`  ratio CLI/in-process: ${ratio.toFixed(0)}× at the median, ${ratioP99.toFixed(0)}× at p99   goal ≥ 50×: ${ratio >= 50 ? "met" : "NOT met"}`);
console.log(`  in-process p99 < 50 ms: ${percentile(inRecorded, 0.99) < 50 ? "yes" : "NO"}`);
console.log(
  `  burst: ${MESSAGES} events emitted at once to one conversation, all delivered in ${ms(burst.totalMs)} ms ` +
    `(${((MESSAGES * 1000) / burst.totalMs).toFixed(0)} notices/s), ${withPlugin.burstInOrder ? "in order" : "OUT OF ORDER or missing"}`,
);

const a = withPlugin.memory;
const b = withoutPlugin;
const diff = (x: number, y: number): string => `${x - y >= 0 ? "+" : ""}${mb(x - y)}`;
console.log(`idle gateway memory, ${SETTLE_MS} ms after /readyz, median of ${SAMPLES} samples (after a GC):`);
console.log(`  with plugin     RSS ${mb(a.rssKb).padStart(7)} MB   heap used ${mb(a.heapUsedKb).padStart(6)} MB   RSS with ${a.helpers} helper processes ${mb(a.treeRssKb)} MB`);
console.log(`  without plugin  RSS ${mb(b.rssKb).padStart(7)} MB   heap used ${mb(b.heapUsedKb).padStart(6)} MB   RSS with ${b.helpers} helper processes ${mb(b.treeRssKb)} MB`);
console.log(`  plugin's share  RSS ${diff(a.rssKb, b.rssKb).padStart(7)} MB   heap used ${diff(a.heapUsedKb, b.heapUsedKb).padStart(6)} MB`);
const seconds = (x: number): string => (x / 1000).toFixed(0);
console.log(`(whole run ${seconds(Date.now() - benchStarted)} s, of which ${seconds(gatewayStartMs)} s waiting for other test gateways and starting the two)`);

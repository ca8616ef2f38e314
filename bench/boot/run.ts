// Benchmark: what carrying the plugin costs a gateway at start. Starts the same gateway (the
// notify bench's set-up: test channel and memory fixture in both) with and without our plugin,
// alternating, and times spawn → ready (`/readyz` 200 and an operator connection) and, with the
// plugin, ready → the first `claude-code.sessions` that answers ok; then the idle RSS and heap
// after a GC. Prints medians and ratios against the targets; holds the machine-wide gateway lock
// for the whole run so no other test gateway skews it.
// Run: npm run bench:boot  (options: --pairs N, --settle MS, --samples N, --install managed|full|lean)
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT, type GatewayHandle } from "../../test/e2e/harness/gateway.ts";
import { acquireLock } from "../../test/e2e/harness/lock.ts";
import { sleep } from "../../test/e2e/harness/processes.ts";
import { idleMemory, INSTALL_KINDS, INSTALL_LABELS, median, startNotifyGateway, type IdleMemory } from "../notify/setup.ts";

const { values } = parseArgs({
  options: {
    pairs: { type: "string", default: "5" },
    settle: { type: "string", default: "3000" },
    samples: { type: "string", default: "3" },
    install: { type: "string", default: "managed" },
  },
});
const INSTALL = INSTALL_KINDS.find((kind) => kind === values.install);
if (!INSTALL) throw new Error(`--install must be one of ${INSTALL_KINDS.join(", ")}, got ${String(values.install)}`);
const PAIRS = positiveInt("pairs");
const SETTLE_MS = positiveInt("settle");
const SAMPLES = positiveInt("samples");
/** The first answer must come within this bound after ready, or the run fails (the target is 1 s). */
const FIRST_RPC_BOUND_MS = 60_000;
const TARGETS = { startRatio: 1.15, heapMb: 20, firstRpcMs: 1000 };

function positiveInt(name: keyof typeof values): number {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, got ${String(values[name])}`);
  return n;
}

if (!existsSync(path.join(REPO_ROOT, "dist", "plugin", "index.js"))) {
  throw new Error("dist/ is missing: run `npm run build` first (npm run bench:boot does it for you)");
}

const benchStarted = Date.now();
let current: GatewayHandle | undefined;
process.once("SIGINT", () => {
  void (current?.cleanup() ?? Promise.resolve()).finally(() => process.exit(130));
});

function progress(message: string): void {
  process.stderr.write(`[bench:boot +${((Date.now() - benchStarted) / 1000).toFixed(0)} s] ${message}\n`);
}

interface BootRun {
  /** startGateway() called → `/readyz` 200 and the operator WebSocket connected. */
  readyMs: number;
  /** Ready → the first ok answer of `claude-code.sessions` (with the plugin only). */
  firstRpcAfterReadyMs: number | undefined;
  /** `claude-code.sessions` answers tried before the first ok one ("starting" answers). */
  notReadyAnswers: number;
  memory: IdleMemory;
}

/** Polls `claude-code.sessions` as a client would, as fast as the gateway answers. */
async function firstSessionsAnswer(gw: GatewayHandle, readyAt: number): Promise<{ ms: number; notReady: number }> {
  let notReady = 0;
  for (;;) {
    const res = await gw.rpcRaw("claude-code.sessions", {}, { timeoutMs: FIRST_RPC_BOUND_MS });
    if (res.ok) return { ms: Date.now() - readyAt, notReady };
    notReady += 1;
    if (Date.now() - readyAt > FIRST_RPC_BOUND_MS) {
      throw new Error(`claude-code.sessions did not answer within ${FIRST_RPC_BOUND_MS} ms of ready: ${res.error?.message ?? "no reason"}`);
    }
    await sleep(20);
  }
}

async function bootOnce(withPlugin: boolean, index: number): Promise<BootRun> {
  const label = withPlugin ? "bench-boot-plugin" : "bench-boot-bare";
  const startedAt = Date.now();
  const gw = await startNotifyGateway({ withPlugin, label, exclusive: false, readyTimeoutMs: 240_000, install: INSTALL });
  const readyAt = Date.now();
  current = gw;
  try {
    let first: { ms: number; notReady: number } | undefined;
    if (withPlugin) first = await firstSessionsAnswer(gw, readyAt);
    else if ((await gw.rpcRaw("claude-code.sessions")).ok) throw new Error("claude-code.sessions answered in the gateway without the plugin");
    const memory = await idleMemory(gw, SETTLE_MS, SAMPLES);
    const run = { readyMs: readyAt - startedAt, firstRpcAfterReadyMs: first?.ms, notReadyAnswers: first?.notReady ?? 0, memory };
    progress(
      `#${index} ${withPlugin ? "with   " : "without"} ready ${run.readyMs} ms` +
        (first ? `, first claude-code.sessions +${first.ms} ms (${first.notReady} "starting" answers before)` : "") +
        `, heap ${(memory.heapUsedKb / 1024).toFixed(1)} MB, RSS ${(memory.rssKb / 1024).toFixed(1)} MB`,
    );
    return run;
  } finally {
    current = undefined;
    await gw.cleanup();
  }
}

progress("waiting for the machine-wide gateway lock (other test gateways go first, up to 30 min)");
const lockWaitStarted = Date.now();
const lock = await acquireLock("bench-boot", 1_800_000);
const lockWaitMs = Date.now() - lockWaitStarted;
progress(`lock held after ${(lockWaitMs / 1000).toFixed(0)} s; ${PAIRS} pairs, alternating which goes first`);

const withRuns: BootRun[] = [];
const withoutRuns: BootRun[] = [];
const pairRatios: number[] = [];
try {
  for (let i = 0; i < PAIRS; i++) {
    // Alternate the order within each pair so a warming cache or a drifting machine favours neither side.
    const pluginFirst = i % 2 === 0;
    const a = await bootOnce(pluginFirst, 2 * i + 1);
    const b = await bootOnce(!pluginFirst, 2 * i + 2);
    const [w, wo] = pluginFirst ? [a, b] : [b, a];
    withRuns.push(w);
    withoutRuns.push(wo);
    pairRatios.push(w.readyMs / wo.readyMs);
  }
} finally {
  lock.release();
}

const s = (ms: number): string => (ms / 1000).toFixed(2);
const mb = (kb: number): string => (kb / 1024).toFixed(1);
const med = (runs: BootRun[], pick: (r: BootRun) => number): number => median(runs.map(pick));
const readyWith = med(withRuns, (r) => r.readyMs);
const readyWithout = med(withoutRuns, (r) => r.readyMs);
const firstRpc = median(withRuns.map((r) => r.firstRpcAfterReadyMs ?? Number.NaN));
const firstRpcMax = Math.max(...withRuns.map((r) => r.firstRpcAfterReadyMs ?? Number.NaN));
const startRatio = median(pairRatios);
const heapWith = med(withRuns, (r) => r.memory.heapUsedKb);
const heapWithout = med(withoutRuns, (r) => r.memory.heapUsedKb);
const rssWith = med(withRuns, (r) => r.memory.rssKb);
const rssWithout = med(withoutRuns, (r) => r.memory.rssKb);
const heapShareMb = (heapWith - heapWithout) / 1024;
const met = (ok: boolean): string => (ok ? "met" : "NOT met");
const signed = (kb: number): string => `${kb >= 0 ? "+" : ""}${mb(kb)}`;

console.log(`gateway start, ${PAIRS} pairs alternating (medians), the plugin installed ${INSTALL_LABELS[INSTALL]}:`);
console.log(`  ready (spawn → /readyz 200 + operator connection)  with ${s(readyWith)} s   without ${s(readyWithout)} s`);
console.log(`  start ratio with/without (median of the pairs' ratios) ${startRatio.toFixed(2)}   target ≤ ${TARGETS.startRatio}: ${met(startRatio <= TARGETS.startRatio)}`);
console.log(`    pairs: ${pairRatios.map((r) => r.toFixed(2)).join(" ")}`);
console.log(
  `  first claude-code.sessions answered ${firstRpc.toFixed(0)} ms after ready (max ${firstRpcMax.toFixed(0)} ms; spawn → answer ${s(readyWith + firstRpc)} s)   target ≤ ${TARGETS.firstRpcMs} ms: ${met(firstRpcMax <= TARGETS.firstRpcMs)}`,
);
console.log(`idle gateway memory ${SETTLE_MS} ms after ready, after a GC (median of runs, each the median of ${SAMPLES} samples):`);
console.log(`  with plugin     RSS ${mb(rssWith).padStart(7)} MB   heap used ${mb(heapWith).padStart(6)} MB`);
console.log(`  without plugin  RSS ${mb(rssWithout).padStart(7)} MB   heap used ${mb(heapWithout).padStart(6)} MB`);
console.log(`  plugin's share  RSS ${signed(rssWith - rssWithout).padStart(7)} MB   heap used ${signed(heapWith - heapWithout).padStart(6)} MB   target heap ≤ +${TARGETS.heapMb} MB: ${met(heapShareMb <= TARGETS.heapMb)}`);
console.log(`(whole run ${s(Date.now() - benchStarted)} s, of which ${s(lockWaitMs)} s waiting for the gateway lock)`);

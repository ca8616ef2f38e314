// What the notify benchmark and its smoke test share: a real gateway with the test channel, the
// bench fixture plugin and (optionally) our plugin, and the old plugin's way of notifying
// (one `openclaw message send` CLI process per notice), timed against the test channel's record.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stageLeanPluginPackage, stagePluginPackage } from "../../scripts/lib/plugin-package.ts";
import { REPO_ROOT, startGateway, type GatewayHandle, type JsonObject } from "../../test/e2e/harness/gateway.ts";
import { descendantPids, rssKb, sleep } from "../../test/e2e/harness/processes.ts";
import type { RecordedOutbound } from "../../test/e2e/harness/test-channel.ts";
import { TEST_CHANNEL_ID } from "../../test/e2e/fixtures/test-channel/protocol.ts";
import { BENCH_NOTIFY_MEMORY, BENCH_NOTIFY_PLUGIN_ID, type MemoryResponse } from "./fixture/protocol.ts";

export const PLUGIN_ID = "openclaw-claude-code-plugin";
export const FIXTURE_DIR = fileURLToPath(new URL("./fixture/", import.meta.url));

export interface NotifyGatewayOptions {
  /** Load our plugin (built dist/) besides the test channel and the fixture. */
  withPlugin: boolean;
  label: string;
  lockTimeoutMs?: number;
  /** False when the caller holds the machine-wide gateway lock itself (default true). */
  exclusive?: boolean;
  /** Bound on reaching `/readyz` (the harness's default when absent). */
  readyTimeoutMs?: number;
  /**
   * How our plugin is installed: "managed" (default) as `openclaw plugins install` lays out a
   * package from the registry (its npm install omits dev and peer dependencies: the runtime closure
   * with the SDK's Claude Code binary); "full" as a plain `npm install` in the plugin's directory,
   * or an install of the packed .tgz, does, the SDK's peers included; "lean" as the managed one
   * without the binary (`--omit=optional`), with claudeExecutable pointing at the repository's
   * binary.
   */
  install?: InstallKind;
}

export const INSTALL_KINDS = ["managed", "full", "lean"] as const;
export type InstallKind = (typeof INSTALL_KINDS)[number];

/** How bench output names each install. */
export const INSTALL_LABELS: Record<InstallKind, string> = {
  managed: "as openclaw plugins install lays out a registry package (npm install --omit=dev --legacy-peer-deps: with the Claude Code binary)",
  full: "in full (a plain npm install, or a .tgz install: the SDK's peers too)",
  lean: "lean (npm install --omit=dev --legacy-peer-deps --omit=optional, claudeExecutable set)",
};

/**
 * The same gateway with or without our plugin: the fixture is loaded in both, so the difference
 * between the two is our plugin alone. The gateway runs with --expose-gc so heap figures can be
 * read after a collection. The plugin is staged as a user installs it (see
 * scripts/lib/plugin-package.ts), once per gateway; the handle's cleanup removes that copy too.
 */
export async function startNotifyGateway(options: NotifyGatewayOptions): Promise<GatewayHandle> {
  const pluginConfig: Record<string, JsonObject> = { [BENCH_NOTIFY_PLUGIN_ID]: { distDir: path.join(REPO_ROOT, "dist") } };
  const stagedParent = options.withPlugin ? mkdtempSync(path.join(tmpdir(), "openclaw-bench-plugin-")) : undefined;
  const removeStaged = (): void => {
    if (stagedParent) rmSync(stagedParent, { recursive: true, force: true });
  };
  let gw: GatewayHandle;
  try {
    const pluginPaths = [FIXTURE_DIR];
    if (stagedParent) {
      const dest = path.join(stagedParent, PLUGIN_ID);
      const install = options.install ?? "managed";
      const staged =
        install === "lean"
          ? stageLeanPluginPackage(dest)
          : { dir: stagePluginPackage(dest, install === "managed" ? { dependencies: "runtime" } : {}), pluginConfig: {} };
      pluginPaths.unshift(staged.dir);
      pluginConfig[PLUGIN_ID] = staged.pluginConfig;
    }
    gw = await startGateway({
      label: options.label,
      pluginPaths,
      pluginConfig,
      testChannel: true,
      env: { NODE_OPTIONS: "--expose-gc" },
      ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
      ...(options.exclusive !== undefined ? { exclusive: options.exclusive } : {}),
      ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
    });
  } catch (err) {
    removeStaged();
    throw err;
  }
  const cleanup = gw.cleanup.bind(gw);
  return Object.assign(gw, {
    cleanup: async () => {
      try {
        await cleanup();
      } finally {
        removeStaged();
      }
    },
  });
}

/**
 * Waits until our plugin's service answers RPC: `/readyz` can turn green a few seconds before the
 * plugin's service has started, and an idle-memory figure taken earlier would miss it.
 */
export async function waitForPluginService(gw: GatewayHandle, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await gw.rpcRaw("claude-code.stats");
    if (res.ok) return;
    if (Date.now() >= deadline) {
      const pluginLog = gw
        .logs({ tail: 400 })
        .split("\n")
        .filter((line) => line.includes(PLUGIN_ID) || line.includes("[claude-code]"))
        .slice(-10);
      throw new Error(
        `the plugin's service did not answer claude-code.stats within ${timeoutMs} ms: ${res.error?.message ?? "no reason given"}` +
          (pluginLog.length > 0 ? `; the gateway logged:\n${pluginLog.join("\n")}` : ""),
      );
    }
    await sleep(250);
  }
}

export interface CliSendTiming {
  /** Spawn of the CLI to the test channel recording the message. */
  recordedMs: number;
  /** Spawn of the CLI to its exit. */
  exitMs: number;
  record: RecordedOutbound;
}

/** What the old plugin did for every notice: spawn `openclaw message send` and let it deliver. */
export async function sendViaCli(gw: GatewayHandle, to: string, text: string): Promise<CliSendTiming> {
  const before = gw.outbound().length;
  const spawnedAt = Date.now();
  const cli = await gw.cli(["message", "send", "--channel", TEST_CHANNEL_ID, "--target", to, "--message", text], { timeoutMs: 90_000 });
  if (cli.code !== 0) {
    throw new Error(`openclaw message send exited ${String(cli.code ?? cli.signal)}: ${(cli.stderr || cli.stdout).trim().slice(-800)}`);
  }
  // The CLI may exit a moment before the gateway's adapter has written the record.
  const record = await gw.waitForOutbound((r) => r.to === to && r.ok && r.text === text, 10_000, { after: before });
  return { recordedMs: record.time - spawnedAt, exitMs: cli.durationMs, record };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface IdleMemory {
  rssKb: number;
  treeRssKb: number;
  heapUsedKb: number;
  helpers: number;
}

/** After a settle time: the median of a few samples of RSS and of the heap after GC (the fixture reads them in the gateway). */
export async function idleMemory(gw: GatewayHandle, settleMs: number, samples: number): Promise<IdleMemory> {
  await sleep(settleMs);
  const rss: number[] = [];
  const tree: number[] = [];
  const heap: number[] = [];
  let helpers = 0;
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(1000);
    const m = await gw.rpc<MemoryResponse>(BENCH_NOTIFY_MEMORY);
    if (m.pid !== gw.pid) throw new Error(`the fixture runs in pid ${m.pid}, not in the gateway process ${gw.pid}: RSS would measure the wrong process`);
    if (!m.gcRan) throw new Error("the gateway did not get --expose-gc: heap figures would include garbage");
    heap.push(m.heapUsedBytes / 1024);
    // RSS is read after the GC, like the heap.
    const own = gw.rssKb();
    if (own === undefined) throw new Error("cannot read the gateway's RSS (Linux /proc needed)");
    const children = descendantPids(gw.pid);
    helpers = children.length;
    rss.push(own);
    tree.push(own + children.reduce((sum, pid) => sum + (rssKb(pid) ?? 0), 0));
  }
  return { rssKb: median(rss), treeRssKb: median(tree), heapUsedKb: median(heap), helpers };
}

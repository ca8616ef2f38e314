// What the notify benchmark and its smoke test share: a real gateway with the test channel, the
// bench fixture plugin and (optionally) our plugin, and the old plugin's way of notifying
// (one `openclaw message send` CLI process per notice), timed against the test channel's record.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { REPO_ROOT, startGateway, type GatewayHandle, type JsonObject } from "../../test/e2e/harness/gateway.ts";
import { sleep } from "../../test/e2e/harness/processes.ts";
import type { RecordedOutbound } from "../../test/e2e/harness/test-channel.ts";
import { TEST_CHANNEL_ID } from "../../test/e2e/fixtures/test-channel/protocol.ts";
import { BENCH_NOTIFY_PLUGIN_ID } from "./fixture/protocol.ts";

export const PLUGIN_ID = "openclaw-claude-code-plugin";
export const FIXTURE_DIR = fileURLToPath(new URL("./fixture/", import.meta.url));

export interface NotifyGatewayOptions {
  /** Load our plugin (built dist/) besides the test channel and the fixture. */
  withPlugin: boolean;
  label: string;
  lockTimeoutMs?: number;
}

/**
 * The same gateway with or without our plugin: the fixture is loaded in both, so the difference
 * between the two is our plugin alone. The gateway runs with --expose-gc so heap figures can be
 * read after a collection.
 */
export function startNotifyGateway(options: NotifyGatewayOptions): Promise<GatewayHandle> {
  const pluginConfig: Record<string, JsonObject> = { [BENCH_NOTIFY_PLUGIN_ID]: { distDir: path.join(REPO_ROOT, "dist") } };
  if (options.withPlugin) pluginConfig[PLUGIN_ID] = {};
  return startGateway({
    label: options.label,
    pluginPaths: options.withPlugin ? [REPO_ROOT, FIXTURE_DIR] : [FIXTURE_DIR],
    pluginConfig,
    testChannel: true,
    env: { NODE_OPTIONS: "--expose-gc" },
    ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
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

// A real gateway with our plugin loaded (built dist/), the test channel, the offline model behind
// Claude Code and a scripted OpenAI-compatible model for the OpenClaw agent.
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startOfflineModel, offlineClaudeEnv, type OfflineModel } from "../../../offline-model/src/index.ts";
import { startMockOpenAI, type MockOpenAI } from "../fixtures/mock-openai/server.ts";
import { stageLeanPluginPackage } from "../../../scripts/lib/plugin-package.ts";
import { startGateway, type GatewayHandle, type JsonObject } from "../harness/gateway.ts";
import { descendantPids } from "../harness/processes.ts";
import type { RecordedOutbound } from "../harness/test-channel.ts";

export const PLUGIN_ID = "openclaw-claude-code-plugin";

export interface PluginGateway {
  gw: GatewayHandle;
  claude: OfflineModel;
  agentModel: MockOpenAI;
  workdir: string;
  /** Messages the test channel sent to `to` after index `after`. */
  sentTo(to: string, after?: number): RecordedOutbound[];
  /** The first message to `to` (after index `after`) whose text matches. */
  waitForText(to: string, pattern: RegExp, timeoutMs?: number, after?: number): Promise<RecordedOutbound>;
  /** Claude Code processes running under the gateway. */
  claudePids(): number[];
  /**
   * Resolves once the plugin's service answers (the gateway reports ready a few seconds before
   * plugin services have started). Call it after start(), restart() or crash() + start().
   */
  waitForPlugin(timeoutMs?: number): Promise<void>;
  /** Sends a chat command from a test-channel user and returns the command's reply. */
  command(from: string, text: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export interface PluginGatewayOptions {
  pluginConfig?: JsonObject;
  chunkLimit?: number;
  agents?: JsonObject;
  label?: string;
  /** Bound on waiting for another test gateway to finish (the machine runs one at a time). */
  lockTimeoutMs?: number;
  /** Deep-merged into the gateway's config (e.g. gateway.nodes for paired nodes). */
  config?: JsonObject;
}

/**
 * A copy of the plugin as it installs (see scripts/lib/plugin-package.ts), removed by `remove()`;
 * without the Claude Code binary package, so the gateway's config sets claudeExecutable.
 */
export async function stagedPlugin(): Promise<{ dir: string; pluginConfig: { claudeExecutable: string }; remove: () => Promise<void> }> {
  const parent = await mkdtemp(path.join(tmpdir(), "openclaw-e2e-plugin-"));
  const { dir, pluginConfig } = stageLeanPluginPackage(path.join(parent, PLUGIN_ID));
  return { dir, pluginConfig, remove: () => rm(parent, { recursive: true, force: true }) };
}

export async function startPluginGateway(options: PluginGatewayOptions = {}): Promise<PluginGateway> {
  const plugin = await stagedPlugin();
  const claude = await startOfflineModel({ fallback: "demo" });
  const agentModel = await startMockOpenAI();
  let gw: GatewayHandle | undefined;
  try {
    gw = await startGateway({
      label: options.label ?? "plugin",
      ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
      pluginPaths: [plugin.dir],
      testChannel: { allowFrom: ["alice", "bob"], textChunkLimit: options.chunkLimit ?? 1000 },
      modelBaseUrl: agentModel.baseUrl,
      env: { ...offlineClaudeEnv(claude.url), CLAUDE_CODE_MAX_RETRIES: "0" },
      agents: options.agents ?? {},
      ...(options.config ? { config: options.config } : {}),
      pluginConfig: {
        [PLUGIN_ID]: { allowRootBypass: true, foregroundDebounceMs: 150, ...plugin.pluginConfig, ...options.pluginConfig },
      },
    });
  } catch (err) {
    await agentModel.close();
    await claude.close();
    await plugin.remove();
    throw err;
  }
  const g = gw;
  const workdir = path.join(g.rootDir, "work");
  await mkdir(workdir, { recursive: true });

  const sentTo = (to: string, after = 0) => g.outbound().slice(after).filter((m) => m.to === to && m.ok);
  async function waitForPlugin(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await g.rpcRaw("claude-code.stats", {});
      if (res.ok) return;
      if (Date.now() > deadline) throw new Error(`the plugin's service did not start within ${timeoutMs} ms: ${JSON.stringify(res.error)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    await waitForPlugin();
  } catch (err) {
    await g.cleanup();
    await agentModel.close();
    await claude.close();
    await plugin.remove();
    throw err;
  }
  return {
    waitForPlugin,
    gw: g,
    claude,
    agentModel,
    workdir,
    sentTo,
    waitForText: (to, pattern, timeoutMs = 30_000, after = 0) =>
      g.waitForOutbound((m) => m.to === to && m.ok && pattern.test(m.text), timeoutMs, { after }),
    claudePids: () => descendantPids(g.pid).filter((pid) => isClaudeProcess(pid)),
    async command(from, text, timeoutMs = 30_000) {
      const before = g.outbound().length;
      const res = await g.injectInbound({ from, text }, { timeoutMs });
      if (!res.ok) throw new Error(`inbound ${text} failed: ${res.error ?? "unknown"}`);
      const reply = g.outbound().slice(before).find((m) => m.to === from && m.via === "reply");
      if (!reply) throw new Error(`no reply to ${text}; outbound: ${JSON.stringify(g.outbound().slice(before))}`);
      return reply.text;
    },
    async close() {
      await g.cleanup();
      await agentModel.close();
      await claude.close();
      await plugin.remove();
    },
  };
}

export function isClaudeProcess(pid: number): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmd.includes("claude");
  } catch {
    return false;
  }
}

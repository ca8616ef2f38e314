// The real OpenClaw gateway (node_modules/openclaw under the pinned Node) run in isolation: the
// config that works on loopback with no onboarding, the environment that keeps it quiet, port
// checks and the wait for readiness. Shared by `npm start` and the e2e test harness.
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is scripts/lib/gateway.ts), with a trailing separator. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const OPENCLAW_ENTRY = path.join(REPO_ROOT, "node_modules", "openclaw", "openclaw.mjs");
export const PINNED_NODE = path.join(REPO_ROOT, ".tools", "node_modules", "node", "bin", "node");
export const PLUGIN_ID = "openclaw-claude-code-plugin";
/** OpenClaw's own default port, so the usual Control UI address works. */
export const DEFAULT_GATEWAY_PORT = 18789;

export type JsonObject = Record<string, unknown>;

/** Keeps a gateway from sending telemetry, advertising itself on the LAN or updating itself. */
export const QUIET_GATEWAY_ENV: Readonly<Record<string, string>> = {
  DO_NOT_TRACK: "1",
  OPENCLAW_DISABLE_BONJOUR: "1",
  OPENCLAW_NO_AUTO_UPDATE: "1",
};

export interface IsolatedConfigInput {
  port: number;
  token: string;
  logFile: string;
  /** `plugins.load.paths`: directories holding plugins (e.g. this repository). */
  loadPaths?: readonly string[];
  /** `plugins.entries`, by plugin id. */
  entries?: JsonObject;
}

/**
 * A gateway config that starts without onboarding: local mode on loopback with token auth, no
 * update check, no model catalog refresh, and plugin tools listed directly (tool search would hide
 * them behind `tool_call`).
 */
export function isolatedGatewayConfig(input: IsolatedConfigInput): JsonObject {
  const loadPaths = input.loadPaths ?? [];
  const entries = input.entries ?? {};
  return {
    gateway: {
      mode: "local",
      bind: "loopback",
      port: input.port,
      auth: { mode: "token", token: input.token },
    },
    update: { checkOnStart: false },
    models: { catalogRefresh: { enabled: false } },
    logging: { file: input.logFile },
    tools: { toolSearch: false },
    plugins: {
      ...(loadPaths.length > 0 ? { load: { paths: [...loadPaths] } } : {}),
      ...(Object.keys(entries).length > 0 ? { entries } : {}),
    },
  };
}

/** The pinned Node 24 OpenClaw needs (the one running us when it is Node 24 already). */
export function resolveNodeBinary(): string {
  if (existsSync(PINNED_NODE)) return PINNED_NODE;
  if (process.versions.node.startsWith("24.")) return process.execPath;
  throw new Error(`the pinned Node 24 is missing at ${PINNED_NODE}: run \`sh scripts/bootstrap.sh\` first`);
}

/** True when nothing listens on `host:port` (we could bind it ourselves). */
export function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel says is free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

export interface WaitReadyOptions {
  timeoutMs: number;
  /** A reason when the gateway process has already ended (stops the wait at once). */
  exited: () => string | undefined;
  /** Called about once a second with the time waited so far. */
  onWait?: (elapsedMs: number) => void;
}

/** Polls `/readyz` until it answers 200 (it says 503 until every channel runs). */
export async function waitForGatewayReady(port: number, options: WaitReadyOptions): Promise<void> {
  const started = Date.now();
  let last = "no answer yet";
  let lastTick = started;
  for (;;) {
    const ended = options.exited();
    if (ended) throw new Error(`the gateway stopped before it was ready (${ended})`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
      last = `HTTP ${res.status}`;
      await res.body?.cancel();
      if (res.status === 200) return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    const now = Date.now();
    if (now - started >= options.timeoutMs) {
      throw new Error(`the gateway was not ready within ${Math.round(options.timeoutMs / 1000)} s (last /readyz: ${last})`);
    }
    if (now - lastTick >= 1_000) {
      lastTick = now;
      options.onWait?.(now - started);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

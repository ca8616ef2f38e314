// The plugin's background service: builds the engine, operations and notifier on start, and on
// stop ends every session (no Claude Code process outlives the gateway) and flushes notices.
import { parseConfig, type PluginConfig } from "./config.ts";
import { SessionEngine, type Logger } from "./engine/index.ts";
import { createHostTransport } from "./host/transport.ts";
import { createHostWaker } from "./host/waker.ts";
import type { HostConfig, HostLogger, HostRuntime } from "./host/sdk.ts";
import { Delivery } from "./notify/delivery.ts";
import { Notifier } from "./notify/notifier.ts";
import { ForegroundRegistry } from "./ops/foreground.ts";
import { Operations } from "./ops/operations.ts";
import type { Owner } from "./ops/types.ts";
import type { ServicesRef } from "./surfaces/services.ts";

export const SERVICE_ID = "claude-code-sessions";

export interface ServiceDeps {
  services: ServicesRef;
  runtime: HostRuntime;
  pluginConfig: unknown;
}

export interface ServiceStartContext {
  config: HostConfig;
  stateDir: string;
  logger: HostLogger;
}

function adaptLogger(host: HostLogger): Logger {
  const prefix = "[claude-code] ";
  return {
    debug: (m) => host.debug?.(prefix + m),
    info: (m) => host.info(prefix + m),
    warn: (m) => host.warn(prefix + m),
    error: (m) => host.error(prefix + m),
  };
}

export function createService(deps: ServiceDeps) {
  let engine: SessionEngine<Owner> | undefined;
  let notifier: Notifier | undefined;

  return {
    id: SERVICE_ID,
    async start(ctx: ServiceStartContext): Promise<void> {
      const logger = adaptLogger(ctx.logger);
      let config: PluginConfig;
      try {
        config = parseConfig(deps.pluginConfig);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        logger.error(`${message}. Fix plugins.entries["openclaw-claude-code-plugin"].config; sessions are unavailable until then.`);
        deps.services.fail(message);
        return;
      }
      engine = new SessionEngine<Owner>({
        maxSessions: config.maxSessions,
        idleTimeoutMs: config.idleTimeoutMinutes * 60_000,
        defaultWorkdir: config.defaultWorkdir,
        defaultPermissionMode: config.permissionMode,
        allowRootBypass: config.allowRootBypass,
        logger,
        ...Operations.engineHooks(config),
      });
      const foreground = new ForegroundRegistry();
      const ops = new Operations({ engine, config, foreground });
      const delivery = new Delivery({ transport: createHostTransport(deps.runtime, () => ctx.config), logger });
      notifier = new Notifier({
        engine,
        config,
        delivery,
        foreground,
        logger,
        waker: createHostWaker(deps.runtime),
        autoRespondsLeft: (id) => ops.autoRespondsLeft(id),
      });
      notifier.start();
      deps.services.set({ ops, logger });
      logger.info(`ready: up to ${config.maxSessions} sessions, permission mode ${config.permissionMode}`);
    },
    async stop(): Promise<void> {
      deps.services.set(undefined);
      await engine?.shutdown();
      await Promise.race([notifier?.stop(), new Promise((r) => setTimeout(r, 5000).unref())]);
      engine = undefined;
      notifier = undefined;
    },
  };
}

// The plugin's background service: on start opens the store, recovers from a crash or restart,
// builds the engine, operations and notifier; on stop ends every session (no Claude Code process
// outlives the gateway), leaves undelivered notices in the outbox and closes the store.
import { parseConfig, type PluginConfig } from "./config.ts";
import { SessionEngine, type Logger } from "./engine/index.ts";
import { createHostSafetyEnvironment } from "./host/safety.ts";
import { createHostTransport } from "./host/transport.ts";
import { createHostWaker } from "./host/waker.ts";
import type { HostConfig, HostLogger, HostRuntime } from "./host/sdk.ts";
import { Delivery } from "./notify/delivery.ts";
import { Notifier } from "./notify/notifier.ts";
import { ForegroundRegistry } from "./ops/foreground.ts";
import { Operations } from "./ops/operations.ts";
import type { Owner } from "./ops/types.ts";
import { createPreLaunchCheck } from "./safety/prelaunch.ts";
import { openStore, recordEngine, recoverAfterRestart, type PluginStore } from "./store/index.ts";
import { startControlUiEvents, type GatewayEventEmitter } from "./surfaces/control-ui.ts";
import type { PluginServices, ServicesRef } from "./surfaces/services.ts";

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
  /** The host's push channel to signed-in Control UI clients (absent outside a gateway). */
  gatewayEvents?: GatewayEventEmitter;
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

interface Running {
  engine: SessionEngine<Owner>;
  notifier: Notifier;
  delivery: Delivery;
  store: PluginStore<Owner>;
  stopRecording: () => void;
}

export function createService(deps: ServiceDeps) {
  let running: Running | undefined;
  /** What this instance published; stop withdraws only that (the reference is shared by the process). */
  let published: PluginServices | undefined;

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
      let store: PluginStore<Owner>;
      try {
        store = openStore<Owner>({ stateDir: ctx.stateDir, maxPersistedSessions: config.maxPersistedSessions, agentOf: (o) => o.agentId });
      } catch (err) {
        const message = `the session store under ${ctx.stateDir} cannot be opened: ${err instanceof Error ? err.message : String(err)}`;
        logger.error(`${message}. Check that the state directory is writable.`);
        deps.services.fail(message);
        return;
      }
      if (store.movedAside) {
        logger.warn(
          `the session store was unreadable (${store.movedAside.reason}); it was moved to ${store.movedAside.to} and a new one started. Earlier sessions and stats are in that file.`,
        );
      }
      const recovery = await recoverAfterRestart(store.sessions, Date.now(), logger);
      const engine = new SessionEngine<Owner>({
        maxSessions: config.maxSessions,
        idleTimeoutMs: config.idleTimeoutMinutes * 60_000,
        defaultWorkdir: config.defaultWorkdir,
        defaultPermissionMode: config.permissionMode,
        allowRootBypass: config.allowRootBypass,
        logger,
        history: store.sessions,
        stats: recovery.stats,
        ...Operations.engineHooks(config),
      });
      const stopRecording = recordEngine(engine, store.sessions, logger);
      const stopUiEvents = startControlUiEvents(engine, ctx.gatewayEvents, logger);
      const foreground = new ForegroundRegistry();
      const preLaunchChecks = createPreLaunchCheck(createHostSafetyEnvironment(deps.runtime), config);
      const ops = new Operations({ engine, config, foreground, preLaunchChecks, stored: store.sessions });
      const delivery = new Delivery({ transport: createHostTransport(deps.runtime, () => ctx.config), logger, outbox: store.outbox });
      const notifier = new Notifier({
        engine,
        config,
        delivery,
        foreground,
        logger,
        waker: createHostWaker(deps.runtime),
        autoRespondsLeft: (id) => ops.autoRespondsLeft(id),
      });
      notifier.start();
      // Older undelivered notices first, then those of the sessions this start found interrupted.
      delivery.resumePending();
      for (const s of recovery.interrupted) notifier.recovered(s);
      running = { engine, notifier, delivery, store, stopRecording: () => (stopUiEvents(), stopRecording()) };
      published = { ops, logger };
      deps.services.set(published);
      logger.info(`ready: up to ${config.maxSessions} sessions, permission mode ${config.permissionMode}, ${store.sessions.count()} sessions in the store`);
    },
    async stop(): Promise<void> {
      if (published) deps.services.clear(published);
      published = undefined;
      const r = running;
      running = undefined;
      if (!r) return;
      // Live sessions end as interrupted by the restart; their notices are in the outbox before the
      // processes go, and what is not delivered within the bound goes out on the next start.
      await r.engine.shutdown();
      await Promise.race([r.notifier.stop(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      r.delivery.close();
      await r.delivery.idle();
      r.stopRecording();
      r.store.close();
    },
  };
}

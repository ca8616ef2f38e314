// The plugin's background service: on start opens the store, recovers from a crash or restart,
// builds the engine, operations and notifier; on stop ends every session (no Claude Code process
// outlives the gateway), leaves undelivered notices in the outbox and closes the store.
import path from "node:path";
import { parseConfig, type PluginConfig } from "./config.ts";
import { claudeCodeBackend, SessionEngine, type Logger } from "./engine/index.ts";
import { createNodeTransport } from "./host/nodes.ts";
import { createHostSafetyEnvironment } from "./host/safety.ts";
import { createHostTransport } from "./host/transport.ts";
import { createHostWaker } from "./host/waker.ts";
import { LiveConfig } from "./host/live-config.ts";
import type { HostConfig, HostLogger, HostRuntime, OpenClawPluginServiceContext } from "./host/sdk.ts";
import { NodeDirectory } from "./nodes/directory.ts";
import { Delivery } from "./notify/delivery.ts";
import { Notifier } from "./notify/notifier.ts";
import { ForegroundRegistry } from "./ops/foreground.ts";
import { Operations } from "./ops/operations.ts";
import type { Owner } from "./ops/types.ts";
import { createPreLaunchCheck } from "./safety/prelaunch.ts";
import { openStore, recordEngine, recoverAfterRestart, type PluginStore } from "./store/index.ts";
import { startControlUiEvents, type GatewayEventEmitter } from "./surfaces/control-ui.ts";
import type { PluginServices, ServicesRef } from "./surfaces/services.ts";
import { trackWorktreeStatus } from "./ops/worktree-ops.ts";
import { isFinal, WorktreeManager } from "./worktrees/index.ts";

/** How often old worktrees are looked for (besides at start). */
const WORKTREE_CLEANUP_EVERY_MS = 6 * 3_600_000;
/** While launches wait for a node, how often its slots are asked for (a node does not push them). */
const NODE_SLOTS_EVERY_MS = 5_000;

export const SERVICE_ID = "claude-code-sessions";
export const PLUGIN_ID = "openclaw-claude-code-plugin";

/** The plugin's raw config as the gateway holds it now (edits included). */
export function readPluginConfig(runtime: HostRuntime): unknown {
  const cfg = runtime.config.current() as { plugins?: { entries?: Record<string, { config?: unknown } | undefined> } };
  return cfg.plugins?.entries?.[PLUGIN_ID]?.config;
}

/** Keys a config edit cannot apply in place (see docs/configuration.md). */
const APPLIED_AT_NEXT_START: ReadonlySet<string> = new Set(["worktreeRoot", "prDraft", "worktreeRetentionDays", "claudeExecutable"]);

/** How often the service looks for a config edit (an operation looks at once). */
const CONFIG_WATCH_MS = 1000;

/** How long a stopping service waits for notices still being sent. */
const SHUTDOWN_FLUSH_MS = 2000;

export interface ServiceDeps {
  services: ServicesRef;
  runtime: HostRuntime;
  pluginConfig: unknown;
}

export interface ServiceStartContext extends Partial<Pick<OpenClawPluginServiceContext, "invokeNode" | "openNodeDuplex">> {
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
  stopWatchingConfig: () => void;
  stopWorktrees: () => void;
}

export function createService(deps: ServiceDeps) {
  let running: Running | undefined;
  /** The background part of start (store, recovery, orphan sweep, wiring); stop waits for it. */
  let booting: Promise<void> | undefined;
  /** What this instance published; stop withdraws only that (the reference is shared by the process). */
  let published: PluginServices | undefined;

  const service = {
    id: SERVICE_ID,
    /**
     * Returns at once: the host starts services one after another, so the store, the recovery and
     * the orphan sweep run in the background (boot); calls made meanwhile wait for them, bounded.
     */
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
      deps.services.starting();
      // setImmediate: not even the store's open runs before start returns to the host.
      const calledAt = performance.now();
      booting = new Promise((resolve) => setImmediate(resolve)).then(() => service.boot(ctx, config, logger, calledAt)).catch((err: unknown) => {
        const message = `the service could not start: ${err instanceof Error ? err.message : String(err)}`;
        logger.error(message);
        deps.services.fail(message);
      });
    },
    /** Opens the store, recovers the previous run and wires everything; then publishes the operations. */
    async boot(ctx: ServiceStartContext, config: PluginConfig, logger: Logger, calledAt: number): Promise<void> {
      const bootAt = performance.now();
      let store: PluginStore<Owner>;
      try {
        store = openStore<Owner>({
          stateDir: ctx.stateDir,
          maxPersistedSessions: config.maxPersistedSessions,
          agentOf: (o) => o.agentId,
          maxTranscriptEntries: config.maxOutputEntriesPerSession,
          onTranscriptError: (err) => logger.warn(`transcript entries could not be written (retried at the next flush): ${err instanceof Error ? err.message : String(err)}`),
        });
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
      const worktreeRoot = config.worktreeRoot ?? path.join(ctx.stateDir, "claude-code", "worktrees");
      const worktrees = new WorktreeManager({ root: worktreeRoot, records: store.worktrees, prDraft: config.prDraft });
      // Paired nodes: their sessions' processes run there, over the service's own node channels.
      const nodes = new NodeDirectory({
        transport: createNodeTransport(deps.runtime, ctx),
        liveSessions: () => engine.liveSessions(),
        slotsInUseOn: (nodeId) => engine.slotsInUseOn(nodeId),
        observer: {
          onStart: (node, proc) =>
            proc.once("exit", (code, signal) =>
              logger.info(`node ${node.name}: Claude Code ended (${proc.lost ? "node lost" : `code ${String(code)}, signal ${String(signal)}`}) after ${proc.framesIn} messages (${proc.bytesIn} bytes) from the node`),
            ),
        },
      });
      const engine: SessionEngine<Owner> = new SessionEngine<Owner>({
        maxSessions: config.maxSessions,
        maxQueued: config.maxQueuedSessions,
        queueKeyOf: (owner) => owner.agentId ?? "",
        idleTimeoutMs: config.idleTimeoutMinutes * 60_000,
        maxTurnMs: config.maxSessionMinutes * 60_000,
        defaultWorkdir: config.defaultWorkdir,
        defaultPermissionMode: config.permissionMode,
        allowRootBypass: config.allowRootBypass,
        logger,
        history: store.sessions,
        stats: recovery.stats,
        processHostFor: (node) => nodes.processHostFor(node),
        backend: claudeCodeBackend(config.claudeExecutable ? { pathToClaudeCodeExecutable: config.claudeExecutable } : {}),
        ...Operations.engineHooks(config, [worktreeRoot]),
      });
      const stopRecording = recordEngine(engine, store.sessions, logger, store.transcripts);
      const stopUiEvents = startControlUiEvents(engine, ctx.gatewayEvents, logger);
      const foreground = new ForegroundRegistry();
      const preLaunchChecks = createPreLaunchCheck(createHostSafetyEnvironment(deps.runtime), config);
      const ops = new Operations({ engine, config, foreground, preLaunchChecks, stored: store.sessions, transcripts: store.transcripts, worktrees, nodes });
      const stopWorktrees = startWorktreeUpkeep(engine, worktrees, config, logger);
      const stopNodeWatch = nodes.watch(engine, NODE_SLOTS_EVERY_MS, (err) => logger.warn(`could not ask nodes for their free slots: ${err instanceof Error ? err.message : String(err)}`));
      const delivery = new Delivery({ transport: createHostTransport(deps.runtime, () => ctx.config), logger, outbox: store.outbox });
      const notifier = new Notifier({
        engine,
        config,
        delivery,
        foreground,
        logger,
        waker: createHostWaker(deps.runtime),
        autoRespondsLeft: (id) => ops.autoRespondsLeft(id),
        dailyBudget: (agentId) => ops.dailyBudgetReached(agentId),
        worktreeOf: (s) => {
          const r = worktrees.find(s.id, s.workdir);
          return r ? { userWorkdir: path.join(r.repoRoot, r.subdir), open: !isFinal(r.state) } : undefined;
        },
      });
      notifier.start();
      engine.restoreQueued(store.sessions.queuedSessions());
      // Older undelivered notices first, then those of the sessions this start found interrupted.
      delivery.resumePending();
      for (const s of recovery.interrupted) notifier.recovered(s);
      // A config edit applies in place: the host keeps this instance (see index.ts), so live
      // sessions go on and new launches use the new values.
      const live = new LiveConfig(
        {
          read: () => readPluginConfig(deps.runtime),
          parse: (raw) => parseConfig(raw),
          onInvalid: (message) => logger.error(`config edit not applied: ${message}. The previous config stays in force.`),
        },
        readPluginConfig(deps.runtime),
        config,
      );
      live.onChange(({ next, keys }) => {
        engine.configure({
          maxSessions: next.maxSessions,
          maxQueued: next.maxQueuedSessions,
          idleTimeoutMs: next.idleTimeoutMinutes * 60_000,
          maxTurnMs: next.maxSessionMinutes * 60_000,
          defaultWorkdir: next.defaultWorkdir,
          defaultPermissionMode: next.permissionMode,
          allowRootBypass: next.allowRootBypass,
          ...Operations.engineHooks(next),
        });
        ops.setConfig(next, createPreLaunchCheck(createHostSafetyEnvironment(deps.runtime), next));
        notifier.setConfig(next);
        store.sessions.setMaxPersisted(next.maxPersistedSessions);
        store.transcripts.setMaxEntriesPerSession(next.maxOutputEntriesPerSession);
        const atNextStart = keys.filter((k) => APPLIED_AT_NEXT_START.has(k));
        logger.info(`config change applied without a restart: ${keys.join(", ")}. Running sessions keep the settings they started with; new launches use the new ones.`);
        if (atNextStart.length) logger.warn(`config change to ${atNextStart.join(", ")} takes effect at the gateway's next start (the service reads it once, when it starts).`);
      });
      const stopWatchingConfig = live.watch(CONFIG_WATCH_MS);
      running = { engine, notifier, delivery, store, stopRecording: () => (stopUiEvents(), stopRecording()), stopWatchingConfig, stopWorktrees: () => (stopNodeWatch(), stopWorktrees()) };
      published = { ops, logger };
      deps.services.set(published);
      logger.info(`ready: up to ${config.maxSessions} sessions, permission mode ${config.permissionMode}, ${store.sessions.count()} sessions in the store (boot ${Math.round(performance.now() - bootAt)} ms, ${Math.round(performance.now() - calledAt)} ms after start)`);
    },
    async stop(): Promise<void> {
      await booting;
      booting = undefined;
      if (published) deps.services.clear(published);
      published = undefined;
      const r = running;
      running = undefined;
      if (!r) return;
      // Live sessions end as interrupted by the restart; their notices are in the outbox before the
      // processes go, and what is not delivered within the bound goes out on the next start.
      await r.engine.shutdown();
      // Bounded: every notice is in the outbox already, so a slow or hung channel costs the shutdown
      // at most this, and what is not out yet goes on the next start.
      await Promise.race([r.notifier.stop(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref())]);
      r.delivery.close();
      await r.delivery.idle();
      r.stopRecording();
      r.stopWatchingConfig();
      r.stopWorktrees();
      r.store.close();
    },
  };
  return service;
}

/**
 * Keeps worktrees current (status after each turn) and cleans up old ones at start and every few
 * hours (the discard rule: unmerged work goes to a snapshot ref first; worktrees a session runs in are left).
 */
function startWorktreeUpkeep(engine: SessionEngine<Owner>, worktrees: WorktreeManager, config: PluginConfig, logger: Logger): () => void {
  const stopTracking = trackWorktreeStatus(engine, worktrees, logger);
  let stopped = false;
  let running: Promise<void> | undefined;
  const cleanup = (): void => {
    if (stopped || running || config.worktreeRetentionDays <= 0) return;
    const busy = (r: { id: string }) => engine.liveSessions().some((s) => worktrees.find(s.id, s.workdir)?.id === r.id);
    running = worktrees
      .cleanup(config.worktreeRetentionDays * 86_400_000, busy)
      .then(
        (report) => {
          for (const o of report.discarded) logger.info(`cleaned up the worktree ${o.record.path} of session ${o.record.sessionName}${o.snapshotRef ? `; its work is kept in ${o.snapshotRef}` : ""}`);
          for (const f of report.failed) logger.warn(`could not clean up the worktree ${f.record.path}: ${f.error}`);
        },
        (err: unknown) => logger.warn(`worktree clean-up failed: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => (running = undefined));
  };
  cleanup();
  const timer = setInterval(cleanup, WORKTREE_CLEANUP_EVERY_MS);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
    stopTracking();
  };
}

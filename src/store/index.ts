// The persistent store: one SQLite file under the service's state directory holding sessions,
// stats, the Claude Code pids we started and the notification outbox; plus the two jobs around it,
// recording engine events as they happen and recovering after a crash or restart.
import path from "node:path";
import { StatsRecorder, emptyStatsState, procStartTicks, reasonText, type EndReason, type Logger, type SessionEngine, type SessionSnapshot, type StatsState } from "../engine/index.ts";
import { openDatabase } from "./database.ts";
import { endOrphans, type OrphanOptions, type OrphanReport } from "./orphans.ts";
import { OutboxStore } from "./outbox-store.ts";
import { SessionStore, type RecordedProcess } from "./session-store.ts";
import { TranscriptStore } from "./transcript-store.ts";
import { WorktreeStore } from "./worktree-store.ts";

export { SessionStore, type ListQuery, type RecordedProcess } from "./session-store.ts";
export { OutboxStore, type OutboxItem } from "./outbox-store.ts";
export { TranscriptStore, type TranscriptPage } from "./transcript-store.ts";
export { WorktreeStore } from "./worktree-store.ts";

/** The store's file, relative to the service's state directory. */
export const STORE_FILE = path.join("claude-code", "store.sqlite");

export interface PluginStore<TOwner> {
  sessions: SessionStore<TOwner>;
  outbox: OutboxStore;
  transcripts: TranscriptStore;
  worktrees: WorktreeStore;
  file: string;
  /** Set when an unreadable store was moved aside at open. */
  movedAside: { to: string; reason: string } | undefined;
  close(): void;
}

export function openStore<TOwner>(options: {
  stateDir: string;
  maxPersistedSessions: number;
  agentOf: (owner: TOwner) => string | undefined;
  now?: () => number;
  /** Transcript entries kept per session (default 5000). */
  maxTranscriptEntries?: number;
  /** Told when a batch of transcript entries could not be written (it is retried). */
  onTranscriptError?: (err: unknown) => void;
}): PluginStore<TOwner> {
  const file = path.join(options.stateDir, STORE_FILE);
  const { db, movedAside } = openDatabase(file, options.now);
  const transcripts = new TranscriptStore({ db, maxEntriesPerSession: options.maxTranscriptEntries ?? 5000, onError: options.onTranscriptError });
  return {
    sessions: new SessionStore<TOwner>({ db, agentOf: options.agentOf, maxPersistedSessions: options.maxPersistedSessions }),
    outbox: new OutboxStore(db, options.now),
    transcripts,
    worktrees: new WorktreeStore(db),
    file,
    movedAside,
    close: () => {
      transcripts.close();
      if (db.isOpen) db.close();
    },
  };
}

export interface Recovery<TOwner> {
  /** Sessions that were live when the gateway stopped without ending them: now interrupted. */
  interrupted: SessionSnapshot<TOwner>[];
  /**
   * The sweep of what the dead gateway's sessions left running. It runs in the background (SIGTERM,
   * a grace, SIGKILL): the service is ready before it ends; its records go once it has.
   */
  orphans: Promise<OrphanReport>;
  /** The stats to start the engine with (the interrupted sessions counted). */
  stats: StatsState;
}

/**
 * After a crash: ends the Claude Code processes the dead gateway left behind and everything their
 * sessions started (only ours), marks the sessions that were live as interrupted by the restart,
 * and counts them in the stats once.
 */
export async function recoverAfterRestart<TOwner>(
  store: SessionStore<TOwner>,
  now: number,
  logger: Logger,
  orphanOptions: OrphanOptions = {},
): Promise<Recovery<TOwner>> {
  const recorded = store.recordedProcesses();
  const orphans = endOrphans(recorded, orphanOptions).then(
    (report) => {
      if (report.ended.length) logger.warn(`ended ${report.ended.length} Claude Code process(es) left by the previous gateway run: pids ${report.ended.join(", ")}`);
      if (report.descendants.length) {
        logger.warn(`ended ${report.descendants.length} process(es) those sessions had started (found by their markers): pids ${report.descendants.join(", ")}`);
      }
      if (report.notOurs.length) logger.info(`left pids ${report.notOurs.join(", ")} alone: they now belong to other processes`);
      forgetSwept(store, recorded, logger);
      return report;
    },
    (err: unknown) => {
      logger.error(`could not end the processes the previous gateway run left: ${err instanceof Error ? err.message : String(err)}`);
      return { ended: [], notOurs: [], descendants: [] };
    },
  );

  const stats = new StatsRecorder(store.loadStats() ?? emptyStatsState());
  const reason: EndReason = { kind: "gateway_restart" };
  const interrupted = store.transaction(() => {
    return store.liveSessions().map((live) => {
      const ended: SessionSnapshot<TOwner> = { ...live, status: "interrupted", reason, endedAt: now, durationMs: Math.max(0, now - live.createdAt), pid: undefined };
      stats.recordEnd(ended, "interrupted", reason);
      store.save(ended);
      return ended;
    });
  });
  const state = stats.exportState();
  store.saveStats(state);
  for (const s of interrupted) logger.info(`session ${s.id} (${s.name}) was live when the gateway stopped: ${s.status} (${reasonText(reason)})`);
  return { interrupted, orphans, stats: state };
}

/** The records of a sweep that ran; rows of processes started since stay (the store may be closed by now). */
function forgetSwept<TOwner>(store: SessionStore<TOwner>, swept: readonly RecordedProcess[], logger: Logger): void {
  try {
    store.transaction(() => {
      for (const r of swept) store.forgetRecorded(r);
    });
  } catch (err) {
    logger.warn(`could not clear the swept process records (the next start sweeps them again): ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Keeps the store current with the engine: every lifecycle change, the stats, the CLI pids, the transcript. */
export function recordEngine<TOwner>(engine: SessionEngine<TOwner>, store: SessionStore<TOwner>, logger: Logger, transcripts?: TranscriptStore): () => void {
  return engine.subscribe((event) => {
    try {
      switch (event.type) {
        case "output":
          // Queued and written in batches: the hot path pays an array push.
          transcripts?.append(event.session.id, event.entry);
          return;
        case "process":
          // Forgotten only once the CLI and everything it started are gone (the engine swept them).
          if (event.running) {
            store.recordProcess({ pid: event.pid, sessionId: event.session.id, startTicks: procStartTicks(event.pid), marker: event.tree.marker, startedAt: event.tree.since });
          } else store.forgetProcess(event.pid);
          return;
        case "launched":
        case "ended":
          if (event.type === "ended") transcripts?.flush();
          store.transaction(() => {
            store.save(event.session);
            store.saveStats(engine.exportStats());
          });
          return;
        case "started":
        case "claude_session":
        case "turn_started":
        case "waiting":
        case "responded":
        case "permission_request":
          store.save(event.session);
          return;
        case "permission_decided":
          store.transaction(() => {
            store.addDecision(event.record);
            store.save(event.session);
          });
          return;
        default: {
          const never: never = event;
          void never;
        }
      }
    } catch (err) {
      logger.error(`session ${event.session.id}: could not record ${event.type} in the store: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}

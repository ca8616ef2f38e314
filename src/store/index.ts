// The persistent store: one SQLite file under the service's state directory holding sessions,
// stats, the Claude Code pids we started and the notification outbox; plus the two jobs around it,
// recording engine events as they happen and recovering after a crash or restart.
import path from "node:path";
import { StatsRecorder, emptyStatsState, reasonText, type EndReason, type Logger, type SessionEngine, type SessionSnapshot, type StatsState } from "../engine/index.ts";
import { openDatabase } from "./database.ts";
import { endOrphans, processStartTicks, type OrphanReport } from "./orphans.ts";
import { OutboxStore } from "./outbox-store.ts";
import { SessionStore } from "./session-store.ts";
import { TranscriptStore } from "./transcript-store.ts";

export { SessionStore, type ListQuery, type RecordedProcess } from "./session-store.ts";
export { OutboxStore, type OutboxItem } from "./outbox-store.ts";
export { TranscriptStore, type TranscriptPage } from "./transcript-store.ts";

/** The store's file, relative to the service's state directory. */
export const STORE_FILE = path.join("claude-code", "store.sqlite");

export interface PluginStore<TOwner> {
  sessions: SessionStore<TOwner>;
  outbox: OutboxStore;
  transcripts: TranscriptStore;
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
  orphans: OrphanReport;
  /** The stats to start the engine with (the interrupted sessions counted). */
  stats: StatsState;
}

/**
 * After a crash: ends the Claude Code processes the dead gateway left behind (only ours), marks
 * the sessions that were live as interrupted by the restart, and counts them in the stats once.
 */
export async function recoverAfterRestart<TOwner>(store: SessionStore<TOwner>, now: number, logger: Logger): Promise<Recovery<TOwner>> {
  const recorded = store.recordedProcesses();
  const orphans = await endOrphans(recorded);
  if (orphans.ended.length) logger.warn(`ended ${orphans.ended.length} Claude Code process(es) left by the previous gateway run: pids ${orphans.ended.join(", ")}`);
  if (orphans.notOurs.length) logger.info(`left pids ${orphans.notOurs.join(", ")} alone: they now belong to other processes`);

  const stats = new StatsRecorder(store.loadStats() ?? emptyStatsState());
  const reason: EndReason = { kind: "gateway_restart" };
  const interrupted = store.transaction(() => {
    store.clearProcesses();
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
          if (event.running) store.recordProcess({ pid: event.pid, sessionId: event.session.id, startTicks: processStartTicks(event.pid) });
          else store.forgetProcess(event.pid);
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

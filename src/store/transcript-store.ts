// Durable transcripts: every output entry of every session, written in batches off the hot path
// (one transaction per flush), bounded per session (oldest dropped) and read back by sequence
// number after the session left memory or the gateway restarted.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { OutputEntry, OutputKind } from "../engine/index.ts";

export interface TranscriptStoreOptions {
  db: DatabaseSync;
  /** Entries kept per session; the oldest beyond it are deleted at the next flush. */
  maxEntriesPerSession: number;
  /** A flush happens this long after the first unwritten entry, or sooner when `flushAt` pile up. */
  flushDelayMs?: number;
  flushAt?: number;
  /** Told once per failed flush (the entries stay queued and the next flush retries them). */
  onError?: (err: unknown) => void;
}

export interface TranscriptPage {
  entries: OutputEntry[];
  /** Entries of this session that were dropped by the bound (they precede the first kept one). */
  dropped: number;
  /** The first and last sequence numbers kept (0 when there is none). */
  firstSeq: number;
  lastSeq: number;
  /** Entries after the page that `limit` left out. */
  more: number;
}

type EntryRow = { seq: number; at: number; kind: string; tool: string | null; text: string };

export class TranscriptStore {
  private readonly db: DatabaseSync;
  private max: number;
  private readonly delayMs: number;
  private readonly flushAt: number;
  private readonly onError: (err: unknown) => void;
  private queue: Array<{ sessionId: string; entry: OutputEntry }> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly stmt: Record<"insert" | "trim" | "range" | "after" | "tail" | "remove", StatementSync>;

  constructor(options: TranscriptStoreOptions) {
    if (!Number.isInteger(options.maxEntriesPerSession) || options.maxEntriesPerSession < 1) {
      throw new RangeError(`maxEntriesPerSession must be a positive integer, got ${options.maxEntriesPerSession}`);
    }
    this.db = options.db;
    this.max = options.maxEntriesPerSession;
    this.delayMs = options.flushDelayMs ?? 200;
    this.flushAt = options.flushAt ?? 500;
    this.onError = options.onError ?? (() => {});
    const db = this.db;
    this.stmt = {
      insert: db.prepare("INSERT OR REPLACE INTO transcript (session_id, seq, at, kind, tool, text) VALUES (?, ?, ?, ?, ?, ?)"),
      trim: db.prepare("DELETE FROM transcript WHERE session_id = ? AND seq <= ?"),
      range: db.prepare("SELECT MIN(seq) AS first, MAX(seq) AS last FROM transcript WHERE session_id = ?"),
      after: db.prepare("SELECT seq, at, kind, tool, text FROM transcript WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?"),
      tail: db.prepare("SELECT seq, at, kind, tool, text FROM transcript WHERE session_id = ? ORDER BY seq DESC LIMIT ?"),
      remove: db.prepare("DELETE FROM transcript WHERE session_id = ?"),
    };
  }

  /** A config edit: the new bound applies at the next flush. */
  setMaxEntriesPerSession(n: number): void {
    this.max = n;
  }

  /** Queues an entry; it reaches the file at the next flush (within `flushDelayMs`). */
  append(sessionId: string, entry: OutputEntry): void {
    this.queue.push({ sessionId, entry });
    if (this.queue.length >= this.flushAt) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.delayMs).unref();
  }

  /** Writes everything queued in one transaction and applies the per-session bound. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0 || !this.db.isOpen) return;
    const batch = this.queue;
    this.queue = [];
    const newest = new Map<string, number>();
    try {
      this.db.exec("BEGIN IMMEDIATE");
      try {
        for (const { sessionId, entry } of batch) {
          this.stmt.insert.run(sessionId, entry.seq, entry.at, entry.kind, entry.tool ?? null, entry.text);
          newest.set(sessionId, Math.max(newest.get(sessionId) ?? 0, entry.seq));
        }
        for (const [sessionId, last] of newest) this.stmt.trim.run(sessionId, last - this.max);
        this.db.exec("COMMIT");
      } catch (err) {
        this.db.exec("ROLLBACK");
        throw err;
      }
    } catch (err) {
      this.queue = batch.concat(this.queue);
      this.onError(err);
    }
  }

  /**
   * Entries after `since` (oldest first), at most `limit`; `limit` undefined = all of them.
   * Unflushed entries are written first so a reader always sees everything appended so far.
   */
  page(sessionId: string, query: { since?: number; limit?: number } = {}): TranscriptPage {
    this.flush();
    const since = query.since ?? 0;
    const limit = query.limit ?? Number.MAX_SAFE_INTEGER;
    const rows = this.stmt.after.all(sessionId, since, limit + 1) as EntryRow[];
    const { firstSeq, lastSeq } = this.range(sessionId);
    const entries = rows.slice(0, limit).map(toEntry);
    const afterPage = entries.length ? entries[entries.length - 1]!.seq : since;
    return { entries, dropped: Math.max(0, firstSeq - 1), firstSeq, lastSeq, more: rows.length > limit ? lastSeq - afterPage : 0 };
  }

  /** The newest `n` entries, oldest first. */
  tail(sessionId: string, n: number): TranscriptPage {
    this.flush();
    const rows = (this.stmt.tail.all(sessionId, Math.max(0, n)) as EntryRow[]).reverse();
    const { firstSeq, lastSeq } = this.range(sessionId);
    return { entries: rows.map(toEntry), dropped: Math.max(0, firstSeq - 1), firstSeq, lastSeq, more: 0 };
  }

  /** Forgets a session's transcript (the session row's deletion does this by itself). */
  remove(sessionId: string): void {
    this.flush();
    this.stmt.remove.run(sessionId);
  }

  /** Flushes and stops the timer; call before closing the database. */
  close(): void {
    this.flush();
  }

  private range(sessionId: string): { firstSeq: number; lastSeq: number } {
    const r = this.stmt.range.get(sessionId) as { first: number | null; last: number | null };
    return { firstSeq: r.first ?? 0, lastSeq: r.last ?? 0 };
  }
}

function toEntry(row: EntryRow): OutputEntry {
  const kind = row.kind as OutputKind;
  return row.tool === null ? { seq: row.seq, at: row.at, kind, text: row.text } : { seq: row.seq, at: row.at, kind, text: row.text, tool: row.tool };
}

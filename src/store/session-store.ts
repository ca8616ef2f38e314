// What must survive a restart, in one SQLite file: every session's metadata (kept current on each
// lifecycle event), the stats, and the pids of the Claude Code processes we started. It is also the
// engine's history, for resume and name de-duplication beyond the sessions held in memory.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import {
  CLAUDE_CODE_KIND,
  isLive,
  looksLikeUuid,
  type PastSession,
  type PermissionRecord,
  type SessionHistory,
  type SessionSnapshot,
  type SessionStatus,
  type StatsState,
} from "../engine/index.ts";

export interface SessionStoreOptions<TOwner> {
  db: DatabaseSync;
  /** The agent that owns a session (for per-agent listing). */
  agentOf: (owner: TOwner) => string | undefined;
  /** Finished sessions kept; the oldest beyond this are pruned. */
  maxPersistedSessions: number;
}

export interface ListQuery {
  /** Only sessions of this agent (an agent's own view); undefined = all (operators). */
  agentId: string | undefined;
  /**
   * Only sessions launched from this conversation (the owner's session key, compared without
   * case); null = those launched from none; undefined = every conversation.
   */
  conversation?: string | null;
  /** Only these statuses; undefined = all. */
  statuses: readonly SessionStatus[] | undefined;
  /** Only sessions that can be resumed (ended, with a Claude conversation). */
  resumableOnly?: boolean;
  limit: number;
  offset: number;
}

export interface RecordedProcess {
  pid: number;
  sessionId: string;
  /** The process's start time as the OS reports it, to tell it apart from a later process with a reused pid. */
  startTicks: string | undefined;
  /** The marker its session's processes inherit (none in stores written before markers existed). */
  marker: string | undefined;
  /** When it was spawned (ms since the epoch): processes older than this are not its session's. */
  startedAt: number;
}

const LIVE: readonly SessionStatus[] = ["queued", "starting", "running", "waiting"];

type Row = { data: string };

export class SessionStore<TOwner> implements SessionHistory {
  private readonly db: DatabaseSync;
  private readonly agentOf: (owner: TOwner) => string | undefined;
  private maxPersisted: number;
  private readonly stmt: Record<
    | "upsert"
    | "byId"
    | "byName"
    | "byClaude"
    | "hasName"
    | "live"
    | "queued"
    | "count"
    | "countEnded"
    | "pruneOldest"
    | "getKv"
    | "setKv"
    | "addProcess"
    | "removeProcess"
    | "removeRecorded"
    | "processes"
    | "addDecision"
    | "decisionsAll"
    | "decisionsOf",
    StatementSync
  >;
  private readonly listCache = new Map<string, StatementSync>();
  private writesSincePrune = 0;

  constructor(options: SessionStoreOptions<TOwner>) {
    this.db = options.db;
    this.agentOf = options.agentOf;
    this.maxPersisted = options.maxPersistedSessions;
    const db = this.db;
    this.stmt = {
      upsert: db.prepare(
        `INSERT INTO sessions (id, name, claude_session_id, owner_agent, status, created_at, ended_at, cost_usd, data)
         VALUES (:id, :name, :claude, :agent, :status, :created, :ended, :cost, :data)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, claude_session_id = excluded.claude_session_id,
           owner_agent = excluded.owner_agent, status = excluded.status, ended_at = excluded.ended_at,
           cost_usd = excluded.cost_usd, data = excluded.data`,
      ),
      byId: db.prepare("SELECT data FROM sessions WHERE id = ?"),
      byName: db.prepare("SELECT data FROM sessions WHERE name = ?"),
      byClaude: db.prepare("SELECT data FROM sessions WHERE claude_session_id = ? ORDER BY created_at DESC LIMIT 1"),
      hasName: db.prepare("SELECT 1 AS found FROM sessions WHERE name = ?"),
      live: db.prepare(`SELECT data FROM sessions WHERE status IN ('starting', 'running', 'waiting') ORDER BY created_at`),
      count: db.prepare("SELECT COUNT(*) AS n FROM sessions"),
      queued: db.prepare(`SELECT data FROM sessions WHERE status = 'queued' ORDER BY created_at`),
      countEnded: db.prepare(`SELECT COUNT(*) AS n FROM sessions WHERE status NOT IN ('queued', 'starting', 'running', 'waiting')`),
      pruneOldest: db.prepare(
        `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE status NOT IN ('queued', 'starting', 'running', 'waiting') ORDER BY created_at LIMIT ?)`,
      ),
      getKv: db.prepare("SELECT value FROM kv WHERE key = ?"),
      setKv: db.prepare("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
      addProcess: db.prepare("INSERT OR REPLACE INTO processes (pid, session_id, start_ticks, started_at, marker) VALUES (?, ?, ?, ?, ?)"),
      removeProcess: db.prepare("DELETE FROM processes WHERE pid = ?"),
      removeRecorded: db.prepare("DELETE FROM processes WHERE pid = ? AND started_at = ?"),
      processes: db.prepare("SELECT pid, session_id, start_ticks, started_at, marker FROM processes ORDER BY started_at"),
      addDecision: db.prepare("INSERT INTO decisions (session_id, request_id, at, data) VALUES (?, ?, ?, ?)"),
      decisionsAll: db.prepare("SELECT data FROM decisions ORDER BY id DESC LIMIT ? OFFSET ?"),
      decisionsOf: db.prepare("SELECT data FROM decisions WHERE session_id = ? ORDER BY id DESC LIMIT ? OFFSET ?"),
    };
  }

  /** Records the session as it is now (insert or update). */
  save(s: SessionSnapshot<TOwner>): void {
    const stored: SessionSnapshot<TOwner> = { ...s, pid: undefined };
    this.stmt.upsert.run({
      id: s.id,
      name: s.name,
      claude: s.claudeSessionId ?? null,
      agent: this.agentOf(s.owner) ?? null,
      status: s.status,
      created: s.createdAt,
      ended: s.endedAt ?? null,
      cost: s.costUsd,
      data: JSON.stringify(stored),
    });
    if (!isLive(s.status) && ++this.writesSincePrune >= 50) this.prune();
  }

  get(id: string): SessionSnapshot<TOwner> | undefined {
    return parse<TOwner>(this.stmt.byId.get(id));
  }

  /** A session by id, name, or Claude session UUID (the newest session on that conversation). */
  findSnapshot(ref: string): SessionSnapshot<TOwner> | undefined {
    const key = ref.trim();
    if (!key) return undefined;
    const lower = key.toLowerCase();
    return (
      parse<TOwner>(this.stmt.byId.get(key)) ??
      parse<TOwner>(this.stmt.byName.get(lower)) ??
      (looksLikeUuid(lower) ? parse<TOwner>(this.stmt.byClaude.get(lower)) : undefined)
    );
  }

  /** SessionHistory: what the engine needs to resume a session it no longer holds. */
  findByRef(ref: string): PastSession | undefined {
    const s = this.findSnapshot(ref);
    return s ? { id: s.id, name: s.name, claudeSessionId: s.claudeSessionId, workdir: s.workdir, costUsd: s.costUsd, node: s.node } : undefined;
  }

  hasName(name: string): boolean {
    return this.stmt.hasName.get(name) !== undefined;
  }

  /** Sessions recorded as running (a queued one is not): after a crash, these were running when the gateway died. */
  liveSessions(): SessionSnapshot<TOwner>[] {
    return this.stmt.live.all().flatMap((row) => parse<TOwner>(row) ?? []);
  }

  /** Launches that were waiting in the queue, oldest first: they are queued again after a restart. */
  queuedSessions(): SessionSnapshot<TOwner>[] {
    return this.stmt.queued.all().flatMap((row) => parse<TOwner>(row) ?? []);
  }

  /** A page of sessions, newest first, and how many match in all. */
  list(query: ListQuery): { sessions: SessionSnapshot<TOwner>[]; total: number } {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (query.agentId !== undefined) {
      where.push("owner_agent = ?");
      params.push(query.agentId);
    }
    // The owner is stored whole in `data`; its session key is the conversation (see ops/types.ts Owner).
    if (query.conversation === null) where.push("json_extract(data, '$.owner.sessionKey') IS NULL");
    else if (query.conversation !== undefined) {
      where.push("lower(json_extract(data, '$.owner.sessionKey')) = ?");
      params.push(query.conversation.toLowerCase());
    }
    if (query.statuses !== undefined) {
      where.push(`status IN (${query.statuses.map(() => "?").join(", ")})`);
      params.push(...query.statuses);
    }
    if (query.resumableOnly) where.push(`claude_session_id IS NOT NULL AND status NOT IN (${LIVE.map((s) => `'${s}'`).join(", ")})`);
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const total = (this.prepared(`SELECT COUNT(*) AS n FROM sessions ${clause}`).get(...params) as { n: number }).n;
    // Rows are chosen on the index alone; only the page's rows are read from the table.
    const rows = this.prepared(
      `SELECT data FROM sessions WHERE rowid IN (SELECT rowid FROM sessions ${clause} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?) ORDER BY created_at DESC, rowid DESC`,
    ).all(
      ...params,
      query.limit,
      query.offset,
    );
    return { sessions: rows.flatMap((row) => parse<TOwner>(row) ?? []), total };
  }

  /** The sessions of an agent that were live at or after `since`, with what they cost. */
  costsSince(agentId: string, since: number): Array<{ id: string; costUsd: number }> {
    return this.prepared("SELECT id, cost_usd FROM sessions WHERE owner_agent = ? AND (ended_at IS NULL OR ended_at >= ?)")
      .all(agentId, since)
      .map((row) => ({ id: String(row.id), costUsd: Number(row.cost_usd) }));
  }

  count(): number {
    return (this.stmt.count.get() as { n: number }).n;
  }

  loadStats(): StatsState | undefined {
    const row = this.stmt.getKv.get("stats") as { value: string } | undefined;
    if (!row) return undefined;
    try {
      return JSON.parse(row.value) as StatsState;
    } catch {
      return undefined;
    }
  }

  /** Saves the stats. The ids already counted are not kept: a stored session is never ended twice. */
  saveStats(state: StatsState): void {
    this.stmt.setKv.run("stats", JSON.stringify({ ...state, countedIds: [] }));
  }

  /** Appends a permission decision to the audit log. */
  addDecision(record: PermissionRecord): void {
    this.stmt.addDecision.run(record.sessionId, record.requestId, record.at, JSON.stringify(record));
  }

  /** Permission decisions, newest first: of one session, or of all. */
  decisions(query: { sessionId: string | undefined; limit: number; offset: number }): PermissionRecord[] {
    const rows =
      query.sessionId !== undefined
        ? this.stmt.decisionsOf.all(query.sessionId, query.limit, query.offset)
        : this.stmt.decisionsAll.all(query.limit, query.offset);
    return rows.map((row) => JSON.parse((row as Row).data) as PermissionRecord);
  }

  recordProcess(p: RecordedProcess): void {
    this.stmt.addProcess.run(p.pid, p.sessionId, p.startTicks ?? null, p.startedAt, p.marker ?? null);
  }

  forgetProcess(pid: number): void {
    this.stmt.removeProcess.run(pid);
  }

  /** Claude Code processes started whose session's processes were not seen to end (after a crash: possible orphans). */
  recordedProcesses(): RecordedProcess[] {
    type ProcessRow = { pid: number; session_id: string; start_ticks: string | null; started_at: number; marker: string | null };
    return (this.stmt.processes.all() as ProcessRow[]).map((r) => ({
      pid: r.pid,
      sessionId: r.session_id,
      startTicks: r.start_ticks ?? undefined,
      marker: r.marker ?? undefined,
      startedAt: r.started_at,
    }));
  }

  /** Forgets one record, not a later process recorded under the same pid. */
  forgetRecorded(p: RecordedProcess): void {
    this.stmt.removeRecorded.run(p.pid, p.startedAt);
  }

  /** Runs `fn` in one transaction (all or nothing). */
  transaction<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (err) {
      this.db.exec("ROLLBACK");
      throw err;
    }
  }

  /** A config edit: the new bound applies from the next prune on. */
  setMaxPersisted(n: number): void {
    this.maxPersisted = n;
  }

  /** Drops the oldest finished sessions beyond maxPersistedSessions. */
  prune(): number {
    this.writesSincePrune = 0;
    const excess = this.count() - this.maxPersisted;
    if (excess <= 0) return 0;
    const ended = (this.stmt.countEnded.get() as { n: number }).n;
    const n = Math.min(excess, ended);
    if (n > 0) this.stmt.pruneOldest.run(n);
    return n;
  }

  private prepared(sql: string): StatementSync {
    let s = this.listCache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.listCache.set(sql, s);
    }
    return s;
  }
}

function parse<TOwner>(row: unknown): SessionSnapshot<TOwner> | undefined {
  if (!row) return undefined;
  try {
    const s = JSON.parse((row as Row).data) as SessionSnapshot<TOwner>;
    // Sessions stored before the backend was recorded all ran Claude Code.
    return s.backend ? s : { ...s, backend: { kind: CLAUDE_CODE_KIND, ref: s.claudeSessionId } };
  } catch {
    return undefined;
  }
}

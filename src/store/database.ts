// Opens the plugin's SQLite file (Node's built-in node:sqlite): WAL journaling so a crash or a
// SIGKILL mid-write never leaves a half-written store, an ordered list of schema migrations applied
// by user_version, and an unreadable file moved aside (with its journal) so the plugin still starts.
import { existsSync, mkdirSync, renameSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";

/**
 * The schema's history, oldest first: migration N (1-based) takes a store at user_version N-1 to N.
 * Append only: a migration that has shipped is never edited, since stores in the field ran it.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the first wave's store: sessions, CLI pids, key-value (stats), the audit log, the outbox.
  `
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  claude_session_id TEXT,
  owner_agent TEXT,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  ended_at INTEGER,
  cost_usd REAL NOT NULL DEFAULT 0,
  data TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS sessions_name ON sessions(name);
CREATE INDEX IF NOT EXISTS sessions_claude ON sessions(claude_session_id, created_at);
-- Covering indexes: a page's count and row selection read the index alone, whatever the filter.
CREATE INDEX IF NOT EXISTS sessions_created ON sessions(created_at, status, owner_agent, claude_session_id);
CREATE INDEX IF NOT EXISTS sessions_owner_created ON sessions(owner_agent, created_at, status, claude_session_id);
CREATE INDEX IF NOT EXISTS sessions_status ON sessions(status);

CREATE TABLE IF NOT EXISTS processes (
  pid INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  start_ticks TEXT,
  started_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- The audit log of permission decisions: who allowed or denied what, when.
CREATE TABLE IF NOT EXISTS decisions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_session ON decisions(session_id, id);

CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  route TEXT NOT NULL,
  route_key TEXT NOT NULL,
  text TEXT NOT NULL,
  label TEXT NOT NULL,
  buttons TEXT,
  state TEXT NOT NULL DEFAULT 'pending',
  chunks_sent INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox(state, id);
`,
  // 2: durable transcripts: every output entry of a session by its sequence number, gone with the
  // session when it is pruned.
  `
CREATE TABLE transcript (
  session_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  tool TEXT,
  text TEXT NOT NULL,
  PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER transcript_follows_session AFTER DELETE ON sessions
BEGIN
  DELETE FROM transcript WHERE session_id = old.id;
END;
`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface OpenedDatabase {
  db: DatabaseSync;
  file: string;
  /** Set when an unreadable store was moved aside: where it went and why. */
  movedAside: { to: string; reason: string } | undefined;
}

/** Opens (creating if needed) the store at `file`; an unreadable file is renamed and replaced. */
export function openDatabase(file: string, now: () => number = Date.now): OpenedDatabase {
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    return { db: openAndMigrate(file), file, movedAside: undefined };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const to = `${file}.unreadable-${new Date(now()).toISOString().replace(/[:.]/g, "-")}`;
    for (const suffix of ["", "-wal", "-shm"]) {
      if (existsSync(file + suffix)) renameSync(file + suffix, to + suffix);
    }
    return { db: openAndMigrate(file), file, movedAside: { to, reason } };
  }
}

function openAndMigrate(file: string): DatabaseSync {
  const db = new DatabaseSync(file);
  try {
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 2000;");
    // Reading the schema and the first row of every table proves the file is a usable database
    // without reading all of it (a full quick_check of a store with millions of transcript entries
    // took half a second at every start); damage deeper in the file surfaces as an error at the read.
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
    for (const { name } of tables) db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}" LIMIT 1`).all();
    const version = (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
    if (version > SCHEMA_VERSION) {
      throw new Error(`the store was written by a newer plugin (schema ${version}, this plugin knows ${SCHEMA_VERSION})`);
    }
    // Each step in its own transaction with its version: a crash between steps resumes at the next.
    for (let to = version + 1; to <= SCHEMA_VERSION; to++) {
      db.exec("BEGIN");
      try {
        db.exec(MIGRATIONS[to - 1] ?? "");
        db.exec(`PRAGMA user_version = ${to}`);
        db.exec("COMMIT");
      } catch (err) {
        db.exec("ROLLBACK");
        throw new Error(`schema migration ${to} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return db;
  } catch (err) {
    try {
      db.close();
    } catch {
      // already unusable
    }
    throw err;
  }
}

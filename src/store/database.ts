// Opens the plugin's SQLite file (Node's built-in node:sqlite): WAL journaling so a crash or a
// SIGKILL mid-write never leaves a half-written store, schema migrations by user_version, and an
// unreadable file moved aside (with its journal) so the plugin still starts.
import { existsSync, mkdirSync, renameSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";

export const SCHEMA_VERSION = 1;

const SCHEMA = `
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
  started_at INTEGER NOT NULL,
  marker TEXT
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
`;

/**
 * Columns added after their table was first shipped: a store created before gets them on open
 * (nullable, so older plugins reading the same file ignore them and the schema version stays).
 */
const ADDED_COLUMNS: ReadonlyArray<{ table: string; column: string; type: string }> = [
  // The marker every process of a session inherits, for the sweep after a crash.
  { table: "processes", column: "marker", type: "TEXT" },
];

function addColumnIfMissing(db: DatabaseSync, table: string, column: string, type: string): void {
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
  if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}

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
    // Reading the schema and one page of every table proves the file is a usable database.
    const check = db.prepare("PRAGMA quick_check(1)").get() as { quick_check?: string } | undefined;
    if (check?.quick_check !== undefined && check.quick_check !== "ok") throw new Error(`integrity check failed: ${check.quick_check}`);
    const version = (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
    if (version > SCHEMA_VERSION) {
      throw new Error(`the store was written by a newer plugin (schema ${version}, this plugin knows ${SCHEMA_VERSION})`);
    }
    db.exec("BEGIN");
    db.exec(SCHEMA);
    for (const c of ADDED_COLUMNS) addColumnIfMissing(db, c.table, c.column, c.type);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
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

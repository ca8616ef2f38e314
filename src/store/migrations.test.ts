// Stores written by earlier versions open with today's code and keep every row: the schema-1 file
// in test/fixtures/store was written by the first wave's plugin (see make-v1-store.ts there).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sampleSnapshot } from "../../test/support/snapshots.ts";
import { V1_FIXTURE } from "../../test/fixtures/store/v1-fixture.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "./database.ts";
import { openStore, STORE_FILE, type PluginStore } from "./index.ts";

type Owner = { agentId: string | undefined; sessionKey?: string };
const FIXTURE = path.join(import.meta.dirname, "../../test/fixtures/store/store-v1.sqlite");
let dir: string;
let store: PluginStore<Owner> | undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "ccp-migrate-"));
  mkdirSync(path.dirname(path.join(dir, STORE_FILE)), { recursive: true });
  copyFileSync(FIXTURE, path.join(dir, STORE_FILE));
});

afterEach(() => {
  store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function userVersion(file: string): number {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
  } finally {
    db.close();
  }
}

describe("store migrations", () => {
  it("the fixture is a schema-1 store and the list of migrations only grows", () => {
    expect(userVersion(FIXTURE)).toBe(1);
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(1);
  });

  it("opens a store written by the first wave at today's version with every session, stat, pid, audit row and outbox item", () => {
    store = openStore<Owner>({ stateDir: dir, maxPersistedSessions: 1000, agentOf: (o) => o.agentId, now: () => V1_FIXTURE.now });
    expect(store.movedAside).toBeUndefined();
    expect(userVersion(store.file)).toBe(SCHEMA_VERSION);

    expect(store.sessions.count()).toBe(V1_FIXTURE.sessions.length);
    for (const s of V1_FIXTURE.sessions) {
      expect(store.sessions.get(s.snapshot.id ?? "")).toEqual(sampleSnapshot<Owner>(s.owner, s.snapshot));
    }
    // The store never kept the counted ids (a stored session is never ended twice).
    expect(store.sessions.loadStats()).toEqual({ ...V1_FIXTURE.stats, countedIds: [] });
    const recorded = store.sessions.recordedProcesses().map(({ pid, sessionId, startTicks, marker }) => ({ pid, sessionId, startTicks, marker }));
    expect(recorded).toEqual(V1_FIXTURE.processes.map((p) => ({ ...p, marker: undefined })));
    const decisions = store.sessions.decisions({ sessionId: undefined, limit: 100, offset: 0 });
    expect([...decisions].sort((a, b) => a.at - b.at)).toEqual(V1_FIXTURE.decisions);
    const pending = store.outbox.pending();
    expect(pending.map(({ key, route, routeKey, text, label, buttons }) => ({ key, route, routeKey, text, label, buttons }))).toEqual(V1_FIXTURE.outbox);
  });

  it("a second open of a migrated store changes nothing", () => {
    openStore<Owner>({ stateDir: dir, maxPersistedSessions: 1000, agentOf: (o) => o.agentId }).close();
    store = openStore<Owner>({ stateDir: dir, maxPersistedSessions: 1000, agentOf: (o) => o.agentId });
    expect(store.movedAside).toBeUndefined();
    expect(store.sessions.count()).toBe(V1_FIXTURE.sessions.length);
    expect(userVersion(store.file)).toBe(SCHEMA_VERSION);
  });
});

// The persistent store on a real SQLite file: sessions survive a reopen, lookups and paging, pruning,
// stats, crash recovery (orphan processes, interrupted sessions counted once), and an unreadable
// file moved aside.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DatabaseSync } from "node:sqlite";
import { emptyStatsState, procStartTicks, silentLogger, type SessionSnapshot } from "../engine/index.ts";
import { newSessionMarker, psTable, SESSION_MARKER_VAR, type ProcessTable } from "../engine/process-tree.ts";
import { newTag, pidsWithEnv, pollUntil } from "../../test/support/processes.ts";
import { sampleSnapshot } from "../../test/support/snapshots.ts";
import { openStore, recoverAfterRestart, STORE_FILE, type PluginStore } from "./index.ts";
import { openDatabase } from "./database.ts";

type Owner = { agentId: string | undefined };
let dir: string;
let store: PluginStore<Owner> | undefined;

function open(max = 1000): PluginStore<Owner> {
  store?.close();
  store = openStore<Owner>({ stateDir: dir, maxPersistedSessions: max, agentOf: (o) => o.agentId });
  return store;
}

function snap(id: string, over: Partial<SessionSnapshot<Owner>> = {}): SessionSnapshot<Owner> {
  return sampleSnapshot<Owner>({ agentId: "main" }, { id, name: `name-${id}`, ...over });
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "ccp-store-"));
});

afterEach(() => {
  store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe("session store", () => {
  it("lists an agent's sessions of one conversation (case aside), of none, or of all; sums an agent's costs since a time", () => {
    const s = open().sessions;
    const owned = (agentId: string, sessionKey: string | undefined) => ({ agentId, sessionKey }) as unknown as Owner;
    s.save({ ...snap("aaaa1111", { createdAt: 1, costUsd: 1, endedAt: 100 }), owner: owned("main", "agent:main:chat:a") });
    s.save({ ...snap("bbbb2222", { createdAt: 2, costUsd: 2, endedAt: 5 }), owner: owned("main", "agent:main:chat:b") });
    s.save({ ...snap("cccc3333", { createdAt: 3, costUsd: 4, endedAt: undefined, status: "running" }), owner: owned("main", undefined) });
    s.save({ ...snap("dddd4444", { createdAt: 4, costUsd: 8 }), owner: owned("beta", "agent:main:chat:a") });
    const ids = (q: { agentId?: string; conversation?: string | null }) =>
      s.list({ agentId: q.agentId, conversation: q.conversation, statuses: undefined, limit: 10, offset: 0 }).sessions.map((x) => x.id);
    expect(ids({ agentId: "main", conversation: "AGENT:MAIN:CHAT:A" })).toEqual(["aaaa1111"]);
    expect(ids({ agentId: "main", conversation: null })).toEqual(["cccc3333"]);
    expect(ids({ agentId: "main" })).toEqual(["cccc3333", "bbbb2222", "aaaa1111"]);
    expect(ids({ conversation: "agent:main:chat:a" })).toEqual(["dddd4444", "aaaa1111"]);
    // Live (no end) or ended at or after the time.
    expect(s.costsSince("main", 50).sort((x, y) => x.id.localeCompare(y.id))).toEqual([{ id: "aaaa1111", costUsd: 1 }, { id: "cccc3333", costUsd: 4 }]);
  });

  it("keeps sessions across a reopen and finds them by id, name and Claude session UUID", () => {
    const uuid = "0b3c1f9e-2a4d-4c5e-8f60-718293a4b5c6";
    open().sessions.save(snap("aaaa1111", { claudeSessionId: uuid, createdAt: 10 }));
    open().sessions.save(snap("bbbb2222", { name: "resumed", claudeSessionId: uuid, createdAt: 20 }));
    const s = open().sessions;
    expect(s.get("aaaa1111")?.name).toBe("name-aaaa1111");
    expect(s.findSnapshot("NAME-AAAA1111")?.id).toBe("aaaa1111");
    expect(s.findSnapshot(uuid.toUpperCase())?.id).toBe("bbbb2222"); // the newest on that conversation
    expect(s.findByRef("resumed")).toEqual({ id: "bbbb2222", name: "resumed", claudeSessionId: uuid, workdir: "/work", costUsd: 0.01 });
    expect(s.hasName("resumed")).toBe(true);
    expect(s.hasName("nope")).toBe(false);
    expect(s.findSnapshot("nope")).toBeUndefined();
  });

  it("pages newest first, filters by agent, status and resumability, and counts the total", () => {
    const s = open().sessions;
    for (let i = 0; i < 30; i++) {
      s.save(
        snap(`id${String(i).padStart(6, "0")}`, {
          createdAt: 1000 + i,
          owner: { agentId: i % 3 === 0 ? "ops" : "main" },
          status: i % 5 === 0 ? "waiting" : "completed",
          claudeSessionId: i % 2 === 0 ? `00000000-0000-4000-8000-${String(i).padStart(12, "0")}` : undefined,
        }),
      );
    }
    const page = s.list({ agentId: undefined, statuses: undefined, limit: 10, offset: 0 });
    expect(page.total).toBe(30);
    expect(page.sessions.map((x) => x.createdAt)).toEqual(Array.from({ length: 10 }, (_, i) => 1029 - i));
    const second = s.list({ agentId: undefined, statuses: undefined, limit: 10, offset: 25 });
    expect(second.sessions.map((x) => x.createdAt)).toEqual([1004, 1003, 1002, 1001, 1000]);
    expect(s.list({ agentId: "ops", statuses: undefined, limit: 100, offset: 0 }).total).toBe(10);
    expect(s.list({ agentId: undefined, statuses: ["waiting"], limit: 100, offset: 0 }).total).toBe(6);
    const resumable = s.list({ agentId: undefined, statuses: undefined, resumableOnly: true, limit: 100, offset: 0 });
    // Even index → has a Claude id; multiples of 5 are live (waiting): 15 even, minus 0,10,20 → 12.
    expect(resumable.total).toBe(12);
    expect(resumable.sessions.every((x) => x.claudeSessionId && x.status === "completed")).toBe(true);
  });

  it("prunes the oldest finished sessions beyond maxPersistedSessions, never a live one", () => {
    const s = open(10).sessions;
    s.save(snap("live0000", { createdAt: 1, status: "running", reason: undefined, endedAt: undefined }));
    for (let i = 0; i < 60; i++) s.save(snap(`done${String(i).padStart(4, "0")}`, { createdAt: 100 + i }));
    s.prune();
    expect(s.count()).toBe(10);
    expect(s.get("live0000")?.status).toBe("running");
    expect(s.get("done0059")).toBeDefined();
    expect(s.get("done0000")).toBeUndefined();
  });

  it("saves stats without the ids already counted", () => {
    const s = open().sessions;
    s.saveStats({ ...emptyStatsState(), launched: 3, countedIds: ["a", "b"] });
    expect(open().sessions.loadStats()).toMatchObject({ launched: 3, countedIds: [] });
  });
});

describe("recovery after a crash", () => {
  it("marks live sessions interrupted once, counts them in the stats, and ends only our orphan processes", async () => {
    const s = open().sessions;
    const orphan = spawn("sleep", ["60"], { stdio: "ignore", detached: true });
    const bystander = spawn("sleep", ["60"], { stdio: "ignore", detached: true });
    try {
      const orphanExit = new Promise((resolve) => orphan.once("exit", resolve));
      s.save(snap("live1111", { status: "running", reason: undefined, endedAt: undefined, costUsd: 0.5, createdAt: 5000 }));
      s.save(snap("done2222"));
      s.saveStats({ ...emptyStatsState(), launched: 2, byStatus: { completed: 1, failed: 0, killed: 0, interrupted: 0 }, endedCount: 1, endedCostUsd: 0.01 });
      s.recordProcess({ pid: orphan.pid!, sessionId: "live1111", startTicks: procStartTicks(orphan.pid!), marker: undefined, startedAt: Date.now() });
      // A recorded pid whose start time differs is someone else's process now: it must survive.
      s.recordProcess({ pid: bystander.pid!, sessionId: "live1111", startTicks: "1", marker: undefined, startedAt: Date.now() });

      const reopened = open().sessions;
      const recovery = await recoverAfterRestart(reopened, 9000, silentLogger);
      expect(recovery.interrupted.map((x) => [x.id, x.status, x.reason])).toEqual([["live1111", "interrupted", { kind: "gateway_restart" }]]);
      expect(await recovery.orphans).toEqual({ ended: [orphan.pid], notOurs: [bystander.pid], descendants: [] });
      await orphanExit;
      expect(() => process.kill(bystander.pid!, 0)).not.toThrow();
      expect(recovery.stats).toMatchObject({ launched: 2, endedCount: 2, byStatus: { completed: 1, interrupted: 1 } });
      expect(recovery.stats.endedCostUsd).toBeCloseTo(0.51, 10);
      expect(reopened.get("live1111")).toMatchObject({ status: "interrupted", endedAt: 9000, durationMs: 4000 });
      expect(reopened.recordedProcesses()).toEqual([]);

      // A second start finds nothing more to recover and counts nothing twice.
      const again = await recoverAfterRestart(open().sessions, 10_000, silentLogger);
      expect(again.interrupted).toEqual([]);
      expect(again.stats.endedCount).toBe(2);
    } finally {
      for (const p of [orphan, bystander]) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    }
  });
});

describe.each<[string, () => ProcessTable | undefined, boolean]>([
  ["/proc", () => undefined, true],
  ["ps, with no start ticks recorded (as without /proc)", () => psTable({ platform: "linux" }), false],
])("recovery after a crash ends what the sessions started, through %s", (_label, table, withTicks) => {
  it("ends the recorded CLI and its session's detached background jobs by marker; a look-alike without the marker is left alone", async () => {
    const s = open().sessions;
    const since = Date.now();
    const marker = newSessionMarker("live3333");
    const tag = newTag();
    // The "CLI": leads its own group, left a setsid'd job and a nested background job behind.
    const cli = spawn("sh", ["-c", "(setsid sleep 600 >/dev/null 2>&1 &); (sleep 600 >/dev/null 2>&1 &) & sleep 600"], {
      env: { ...process.env, [SESSION_MARKER_VAR]: marker, [tag.name]: tag.value },
      stdio: "ignore",
      detached: true,
    });
    const lookAlike = spawn("sleep", ["600"], { env: { ...process.env, [tag.name]: tag.value }, stdio: "ignore", detached: true });
    try {
      const pids = await pollUntil(() => pidsWithEnv(tag.entry), (p) => p.length >= 5, 5000);
      expect(pids).toContain(lookAlike.pid);
      const sessionPids = pids.filter((pid) => pid !== lookAlike.pid);
      expect(sessionPids.length).toBeGreaterThanOrEqual(4);
      s.save(snap("live3333", { status: "running", reason: undefined, endedAt: undefined }));
      s.recordProcess({ pid: cli.pid!, sessionId: "live3333", startTicks: withTicks ? procStartTicks(cli.pid!) : undefined, marker, startedAt: since });

      const t0 = Date.now();
      const reopened = open().sessions;
      const recovery = await recoverAfterRestart(reopened, Date.now(), silentLogger, { table: table(), graceMs: 2000 });
      expect(recovery.interrupted.map((x) => x.id)).toEqual(["live3333"]); // the store's part is done before the sweep
      const report = await recovery.orphans;
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(report.ended).toEqual([cli.pid]);
      expect(report.descendants.length).toBeGreaterThanOrEqual(2);
      expect(reopened.recordedProcesses()).toEqual([]);
      const left = await pollUntil(() => pidsWithEnv(tag.entry), (p) => p.length <= 1, 5000);
      expect(left).toEqual([lookAlike.pid]);
    } finally {
      for (const pid of pidsWithEnv(tag.entry)) process.kill(pid, "SIGKILL");
    }
  }, 20_000);
});

describe("opening the store", () => {
  it("opens a store written before process markers existed and records markers in it", () => {
    // The first wave's store (schema 1: no marker column), as its code wrote it.
    const file = path.join(dir, STORE_FILE);
    mkdirSync(path.dirname(file), { recursive: true });
    copyFileSync(path.join(import.meta.dirname, "../../test/fixtures/store/store-v1.sqlite"), file);
    const s = open().sessions;
    expect(store?.movedAside).toBeUndefined();
    expect(s.recordedProcesses().map(({ pid, sessionId, startTicks, marker }) => ({ pid, sessionId, startTicks, marker }))).toEqual([
      { pid: 4242, sessionId: "live0005", startTicks: "123456", marker: undefined },
    ]);
    s.recordProcess({ pid: 4343, sessionId: "new22222", startTicks: undefined, marker: "new22222.nonce", startedAt: Date.now() });
    expect(open().sessions.recordedProcesses().map((r) => r.marker)).toEqual([undefined, "new22222.nonce"]);
  });

  it("moves an unreadable file aside and starts a new one", () => {
    const file = path.join(dir, STORE_FILE);
    open().sessions.save(snap("aaaa1111"));
    store?.close();
    store = undefined;
    writeFileSync(file, "this is not a database ".repeat(200));
    const reopened = open();
    expect(reopened.movedAside?.reason).toMatch(/not a database|malformed|file is not/i);
    expect(existsSync(reopened.movedAside!.to)).toBe(true);
    expect(reopened.sessions.count()).toBe(0);
    reopened.sessions.save(snap("bbbb2222"));
    expect(open().sessions.get("bbbb2222")).toBeDefined();
    expect(readdirSync(path.dirname(file)).some((f) => f.includes(".unreadable-"))).toBe(true);
  });

  it("does not move a locked store aside: BUSY is thrown and the file keeps its sessions", () => {
    const file = path.join(dir, STORE_FILE);
    open().sessions.save(snap("aaaa1111"));
    store?.close();
    store = undefined;
    // Another process holds the write lock (as a second gateway on the same state would).
    const holder = new DatabaseSync(file);
    holder.exec("PRAGMA busy_timeout = 0; BEGIN EXCLUSIVE");
    try {
      expect(() => openDatabase(file)).toThrow(/locked|busy/i);
      expect(readdirSync(path.dirname(file)).some((f) => f.includes(".unreadable-"))).toBe(false);
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
    expect(open().sessions.get("aaaa1111")).toBeDefined();
  }, 20_000);

  it("does not move the store aside when the disk is full (SQLITE_FULL or ENOSPC): the error is thrown as it is", () => {
    const file = path.join(dir, STORE_FILE);
    open().sessions.save(snap("aaaa1111"));
    store?.close();
    store = undefined;
    const bytes = readFileSync(file);
    // No test can fill the disk for real: the driver's open fails as SQLite and Node report it.
    const full = Object.assign(new Error("database or disk is full"), { code: "ERR_SQLITE_ERROR", errcode: 13 });
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", errno: -28 });
    for (const fault of [full, enospc]) {
      expect(() => openDatabase(file, Date.now, () => {
        throw fault;
      })).toThrow(fault.message);
    }
    expect(readdirSync(path.dirname(file)).some((f) => f.includes(".unreadable-"))).toBe(false);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(open().sessions.get("aaaa1111")).toBeDefined();
  });

  it("a store written by a newer plugin is refused, not moved aside", () => {
    const file = path.join(dir, STORE_FILE);
    open().sessions.save(snap("aaaa1111"));
    store?.close();
    store = undefined;
    const db = new DatabaseSync(file);
    db.exec("PRAGMA user_version = 99");
    db.close();
    expect(() => openDatabase(file)).toThrow(/newer plugin/);
    expect(readdirSync(path.dirname(file)).some((f) => f.includes(".unreadable-"))).toBe(false);
  });
});

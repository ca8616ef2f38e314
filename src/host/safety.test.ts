// Reading an agent's heartbeat monitor scratch from a state database shaped like OpenClaw 2026.9's
// (the real one is read in test/e2e/safety.e2e.test.ts).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { readMonitorScratch, stateDatabasePath } from "./safety.ts";

const dir = mkdtempSync(path.join(tmpdir(), "safety-db-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function database(name: string): string {
  const file = stateDatabasePath(path.join(dir, name));
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new DatabaseSync(file);
  db.exec(`
    CREATE TABLE cron_jobs (store_key TEXT NOT NULL, job_id TEXT NOT NULL, declaration_key TEXT, payload_kind TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (store_key, job_id));
    CREATE TABLE cron_job_scratch (store_key TEXT NOT NULL, job_id TEXT NOT NULL, content TEXT, revision INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL, PRIMARY KEY (store_key, job_id));
    INSERT INTO cron_jobs VALUES ('/s/jobs.json', 'hb-main', 'heartbeat:main', 'heartbeat', 10);
    INSERT INTO cron_jobs VALUES ('/s/jobs.json', 'hb-ops', 'heartbeat:ops', 'heartbeat', 10);
    INSERT INTO cron_jobs VALUES ('/old/jobs.json', 'hb-main-old', 'heartbeat:main', 'heartbeat', 5);
    INSERT INTO cron_jobs VALUES ('/s/jobs.json', 'other', 'heartbeat:ci', 'agentTurn', 10);
    INSERT INTO cron_job_scratch VALUES ('/s/jobs.json', 'hb-main', '- watch Claude Code sessions', 3, 10);
    INSERT INTO cron_job_scratch VALUES ('/old/jobs.json', 'hb-main-old', 'stale', 1, 5);
  `);
  db.close();
  return file;
}

describe("readMonitorScratch", () => {
  const file = database("a");

  it("reads the newest heartbeat monitor job of the agent and its scratch", () => {
    expect(readMonitorScratch(file, "main")).toEqual({ kind: "present", jobId: "hb-main", content: "- watch Claude Code sessions" });
  });

  it("knows a monitor without scratch, and an agent without a monitor", () => {
    expect(readMonitorScratch(file, "ops")).toEqual({ kind: "present", jobId: "hb-ops", content: undefined });
    expect(readMonitorScratch(file, "ci")).toEqual({ kind: "absent" });
    expect(readMonitorScratch(path.join(dir, "missing.sqlite"), "main")).toEqual({ kind: "absent" });
  });

  it("says why when the file is not such a database", () => {
    const bogus = path.join(dir, "bogus.sqlite");
    writeFileSync(bogus, "not a database at all, just text that is long enough to have a header");
    const r = readMonitorScratch(bogus, "main");
    expect(r.kind).toBe("unreadable");
  });
});

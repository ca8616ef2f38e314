// Durable transcripts on a real SQLite file: batched writes readable at once, paging by sequence
// number, the per-session bound with the dropped count, survival across a reopen, pruning with the
// session, and a failed flush retried rather than lost.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OutputEntry } from "../engine/index.ts";
import { sampleSnapshot } from "../../test/support/snapshots.ts";
import { openStore, type PluginStore } from "./index.ts";

type Owner = { agentId: string | undefined };
let dir: string;
let store: PluginStore<Owner> | undefined;

function open(maxTranscriptEntries = 5000, maxPersistedSessions = 1000): PluginStore<Owner> {
  store?.close();
  store = openStore<Owner>({ stateDir: dir, maxPersistedSessions, agentOf: (o) => o.agentId, maxTranscriptEntries });
  return store;
}

const entry = (seq: number, over: Partial<OutputEntry> = {}): OutputEntry => ({ seq, at: 1000 + seq, kind: "text", text: `line ${seq}`, ...over });

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "ccp-transcript-"));
});

afterEach(() => {
  store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe("transcript store", () => {
  it("reads back what was appended, before and after the batch reached the file, and after a reopen", () => {
    const t = open().transcripts;
    t.append("s1", entry(1));
    t.append("s1", entry(2, { kind: "tool_use", tool: "Bash", text: "npm test" }));
    t.append("s2", entry(1, { text: "other session" }));
    expect(t.page("s1").entries).toEqual([entry(1), entry(2, { kind: "tool_use", tool: "Bash", text: "npm test" })]);
    t.append("s1", entry(3, { text: "multi\nline ```code``` 🎉" }));
    const reopened = open().transcripts;
    const page = reopened.page("s1");
    expect(page.entries.map((e) => e.text)).toEqual(["line 1", "npm test", "multi\nline ```code``` 🎉"]);
    expect(page).toMatchObject({ dropped: 0, firstSeq: 1, lastSeq: 3, more: 0 });
    expect(reopened.page("s2").entries).toEqual([entry(1, { text: "other session" })]);
    expect(reopened.page("nobody")).toEqual({ entries: [], dropped: 0, firstSeq: 0, lastSeq: 0, more: 0 });
  });

  it("pages by sequence number with since and limit, and tells how many entries follow the page", () => {
    const t = open().transcripts;
    for (let i = 1; i <= 25; i++) t.append("s", entry(i));
    const first = t.page("s", { limit: 10 });
    expect(first.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(first.more).toBe(15);
    const next = t.page("s", { since: 10, limit: 10 });
    expect(next.entries[0]?.seq).toBe(11);
    expect(next.more).toBe(5);
    const last = t.page("s", { since: 20, limit: 10 });
    expect(last.entries.map((e) => e.seq)).toEqual([21, 22, 23, 24, 25]);
    expect(last.more).toBe(0);
    expect(t.tail("s", 3).entries.map((e) => e.seq)).toEqual([23, 24, 25]);
  });

  it("keeps at most maxEntriesPerSession per session, dropping the oldest and counting them", () => {
    const t = open(10).transcripts;
    for (let i = 1; i <= 35; i++) t.append("big", entry(i));
    t.append("small", entry(1));
    const page = t.page("big");
    expect(page.entries.map((e) => e.seq)).toEqual([26, 27, 28, 29, 30, 31, 32, 33, 34, 35]);
    expect(page.dropped).toBe(25);
    expect(t.page("small").entries).toHaveLength(1);
  });

  it("goes with its session when the session is pruned under maxPersistedSessions", () => {
    const s = open(5000, 2);
    for (const id of ["old00001", "mid00002", "new00003"]) {
      s.transcripts.append(id, entry(1));
    }
    s.transcripts.flush();
    s.sessions.save(sampleSnapshot<Owner>({ agentId: "main" }, { id: "old00001", name: "old", createdAt: 1 }));
    s.sessions.save(sampleSnapshot<Owner>({ agentId: "main" }, { id: "mid00002", name: "mid", createdAt: 2 }));
    s.sessions.save(sampleSnapshot<Owner>({ agentId: "main" }, { id: "new00003", name: "new", createdAt: 3 }));
    expect(s.sessions.prune()).toBe(1);
    expect(s.transcripts.page("old00001").entries).toEqual([]);
    expect(s.transcripts.page("mid00002").entries).toHaveLength(1);
    expect(s.transcripts.page("new00003").entries).toHaveLength(1);
  });

  it("a flush that fails keeps its entries queued and the next flush writes them", () => {
    const errors: unknown[] = [];
    const s = openStore<Owner>({ stateDir: dir, maxPersistedSessions: 10, agentOf: (o) => o.agentId, onTranscriptError: (e) => errors.push(e) });
    store = s;
    // Another connection holds the write lock, so BEGIN IMMEDIATE fails once busy_timeout passes.
    s.transcripts.append("s", entry(1));
    const blocker = openStore<Owner>({ stateDir: dir, maxPersistedSessions: 10, agentOf: (o) => o.agentId });
    blocker.sessions.transaction(() => {
      s.transcripts.flush();
    });
    expect(errors).toHaveLength(1);
    blocker.close();
    expect(s.transcripts.page("s").entries).toEqual([entry(1)]);
  });
});

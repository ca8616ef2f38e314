// claude_output through the operations layer on the in-memory backend and a real store: the same
// answers from the live buffer and from the durable transcript, paging by sequence number, and
// the transcript after the session left memory and after a restart (a new engine on the same store).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../config.ts";
import { SessionEngine } from "../engine/index.ts";
import { EventLog } from "../../test/support/events.ts";
import { openStore, recordEngine, type PluginStore } from "../store/index.ts";
import { memoryBackend } from "../../test/support/memory-backend.ts";
import { sampleSnapshot } from "../../test/support/snapshots.ts";
import { ForegroundRegistry } from "./foreground.ts";
import { Operations } from "./operations.ts";
import { transcriptText } from "../surfaces/present.ts";
import type { Caller, Owner } from "./types.ts";

const operator: Caller = { kind: "operator", origin: "rpc", label: "operator (RPC)", agentId: undefined, sessionKey: undefined, route: undefined };
let dir: string;
let store: PluginStore<Owner>;
const running: Array<{ engine: SessionEngine<Owner>; stop: () => void }> = [];

function boot(options: { retentionMs?: number; bufferEntries?: number } = {}) {
  const config = parseConfig({});
  const engine = new SessionEngine<Owner>({
    backend: memoryBackend((prompt) => ({ texts: Array.from({ length: 5 }, (_, i) => `${prompt} part ${i + 1}`), result: `${prompt} done` })),
    defaultWorkdir: dir,
    history: store.sessions,
    retentionMs: options.retentionMs,
    outputLimits: { maxEntries: options.bufferEntries ?? 2000, maxBytes: 1_000_000 },
    baseEnv: {},
    isRoot: () => false,
  });
  const stop = recordEngine(engine, store.sessions, { debug() {}, info() {}, warn() {}, error() {} }, store.transcripts);
  running.push({ engine, stop });
  const ops = new Operations({ engine, config, foreground: new ForegroundRegistry(), stored: store.sessions, transcripts: store.transcripts });
  return { engine, ops };
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "ccp-output-"));
  store = openStore<Owner>({ stateDir: dir, maxPersistedSessions: 100, agentOf: (o) => o.agentId });
});

afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.engine.shutdown();
    r.stop();
  }
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function threeTurns(engine: SessionEngine<Owner>, ops: Operations) {
  const log = new EventLog(engine);
  const turnsDone = (n: number) => log.waitFor(() => log.ofType("waiting").length >= n, 5000, `${n} finished turns`);
  const { session } = await ops.launch(operator, { prompt: "one", workdir: dir });
  for (const [i, message] of ["two", "three"].entries()) {
    await turnsDone(i + 1);
    await ops.respond(operator, { session: session.id, message });
  }
  await turnsDone(3);
  log.unsubscribe();
  return session.id;
}

describe("output through the operations layer", () => {
  it("pages a live session by sequence number and says how many entries follow", async () => {
    const { engine, ops } = boot();
    const id = await threeTurns(engine, ops);
    // 3 turns × (5 texts + result) + 2 follow-ups = 20 entries.
    const all = ops.output(operator, { session: id, full: true });
    expect(all.entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const page = ops.output(operator, { session: id, since: 5, limit: 4 });
    expect(page.entries.map((e) => e.seq)).toEqual([6, 7, 8, 9]);
    expect(page).toMatchObject({ earlier: 5, more: 11, source: "memory" });
    expect(ops.output(operator, { session: id, lines: 3 }).entries.map((e) => e.text)).toEqual(["three part 4", "three part 5", "three done"]);
  });

  it("reads what the small live buffer trimmed from the durable transcript", async () => {
    const { engine, ops } = boot({ bufferEntries: 4 });
    const id = await threeTurns(engine, ops);
    const early = ops.output(operator, { session: id, since: 0, limit: 3 });
    expect(early.source).toBe("transcript");
    expect(early.entries.map((e) => e.text)).toEqual(["one part 1", "one part 2", "one part 3"]);
    expect(early.more).toBe(17);
    const full = ops.output(operator, { session: id, full: true });
    expect(full.entries).toHaveLength(20);
  });

  it("serves the whole transcript after the gateway restarted, the same as it was live", async () => {
    const first = boot();
    const id = await threeTurns(first.engine, first.ops);
    const live = first.ops.output(operator, { session: id, full: true }).entries;
    const r = running.pop()!;
    await r.engine.shutdown();
    r.stop();

    const second = boot();
    const after = second.ops.output(operator, { session: id, full: true });
    expect(after.source).toBe("transcript");
    expect(after.inMemory).toBe(false);
    expect(after.entries).toEqual(live);
    expect(second.ops.output(operator, { session: id, since: 18 }).entries.map((e) => e.seq)).toEqual([19, 20]);
  });

  it("exports the whole transcript as JSON Lines and as Markdown, from memory or after a restart alike", async () => {
    const first = boot();
    const id = await threeTurns(first.engine, first.ops);
    const jsonl = transcriptText(first.ops.transcript(operator, { session: id, format: "jsonl" }));
    const rows = jsonl.trimEnd().split("\n").map((l) => JSON.parse(l) as { seq: number; at: number; kind: string; text: string; sessionId: string });
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(rows[0]).toMatchObject({ sessionId: id, kind: "text", text: "one part 1" });
    expect(typeof rows[0]?.at).toBe("number");
    const r = running.pop()!;
    await r.engine.shutdown();
    r.stop();
    const second = boot();
    expect(transcriptText(second.ops.transcript(operator, { session: id, format: "jsonl" }))).toBe(jsonl);
    const md = transcriptText(second.ops.transcript(operator, { session: id }));
    expect(md).toContain(`[${id}]`);
    expect(md).toContain("## Transcript");
    expect(md).toContain("**Follow-up**");
    expect(md.indexOf("one part 1")).toBeLessThan(md.indexOf("three done"));
    expect(() => second.ops.transcript(operator, { session: id, format: "pdf" })).toThrow(/format/);
  });

  it("fences a prompt so that backticks inside it cannot end the block", () => {
    const md = transcriptText({
      session: { ...sampleSnapshot<Owner>({ agentId: "main", route: undefined, sessionKey: undefined, origin: "rpc" }), prompt: "run:\n```sh\nnpm test\n```" },
      format: "markdown",
      entries: [],
      dropped: 3,
    });
    expect(md).toContain("````\nrun:\n```sh\nnpm test\n```\n````");
    expect(md).toContain("3 earlier entries were dropped");
  });
});

// The launch queue and durable transcripts in a real gateway with maxSessions 2: five launches,
// three of them queued in order; a queued one killed before it starts; the next starts with a ▶️
// notice as a slot frees; the queue survives a restart; a transcript reads the same after it; a
// config edit with `openclaw config set` applies while a session streams, without ending it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startPluginGateway, type PluginGateway } from "./support/plugin-gateway.ts";

let p: PluginGateway;

beforeAll(async () => {
  p = await startPluginGateway({ label: "engine-seam", pluginConfig: { maxSessions: 2, maxQueuedSessions: 3 } });
}, 120_000);

afterAll(async () => {
  await p?.close();
}, 60_000);

// Each test starts with every slot free: whatever a failed test left live is killed.
afterEach(async () => {
  const r = await p.gw.rpc<{ sessions: SessionJson[] }>("claude-code.sessions", { limit: 100 });
  for (const s of r.sessions) if (["queued", "starting", "running", "waiting"].includes(s.state)) await p.gw.rpcRaw("claude-code.kill", { session: s.id });
}, 60_000);

interface SessionJson {
  id: string;
  name: string;
  state: string;
  reason?: string;
  queue?: { position: number; total: number };
}
interface Entry {
  seq: number;
  kind: string;
  text: string;
}

async function byName(name: string): Promise<SessionJson | undefined> {
  const r = await p.gw.rpc<{ sessions: SessionJson[] }>("claude-code.sessions", { limit: 100 });
  return r.sessions.find((s) => s.name === name);
}

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const reached = (marker: string) => p.claude.requests.some((r) => r.lastUserText?.includes(marker));

describe("launch queue and durable transcripts", () => {
  it("queues launches beyond maxSessions in order, kills one before it starts, starts the next as a slot frees, and keeps the queue across a restart; a transcript reads the same after it, paged by sequence number, and exports", async () => {
    // A finished session's transcript, read again after the restart below (one restart serves both
    // checks: each costs a gateway start).
    const afterTranscript = p.gw.outbound().length;
    await p.command("alice", `/claude --once --name transcript --workdir ${p.workdir} create a file named t.txt containing durable`);
    await p.waitForText("alice", /✅ transcript/, 60_000, afterTranscript);
    const before = await p.gw.rpc<{ entries: Entry[] }>("claude-code.output", { session: "transcript", full: true });
    expect(before.entries.length).toBeGreaterThanOrEqual(2);
    expect(before.entries.some((e) => e.kind === "tool_use")).toBe(true);

    // Every "hold-" turn streams for ~40 s, so the two slots stay taken until the test frees them.
    p.claude.setHandler((req) => (req.lastUserText?.includes("hold-") ? { type: "text", text: "step ".repeat(400), chunks: 400, chunkDelayMs: 100 } : undefined));
    try {
      const after = p.gw.outbound().length;
      const replies: string[] = [];
      for (let i = 1; i <= 5; i++) replies.push(await p.command("alice", `/claude --name q${i} --workdir ${p.workdir} hold-${i} and keep going`));
      expect(replies[0]).toMatch(/q1 \[[a-z2-9]{8}\] launched/);
      expect(replies[1]).toMatch(/q2 \[[a-z2-9]{8}\] launched/);
      expect(replies[2]).toMatch(/q3 \[[a-z2-9]{8}\] queued #1 of 1/);
      expect(replies[3]).toMatch(/q4 \[[a-z2-9]{8}\] queued #2 of 2/);
      expect(replies[4]).toMatch(/q5 \[[a-z2-9]{8}\] queued #3 of 3/);
      expect(await byName("q5")).toMatchObject({ state: "queued", queue: { position: 3, total: 3 } });
      const queued = await p.command("alice", "/claude_sessions queued");
      for (const [name, place] of [["q3", 1], ["q4", 2], ["q5", 3]] as const) expect(queued).toMatch(new RegExp(`${name} \\[[a-z2-9]{8}\\] queued #${place} of 3`));
      // One more is refused: the queue holds at most 3.
      expect(await p.command("alice", `/claude --name q6 --workdir ${p.workdir} hold-6`)).toMatch(/LIMIT_REACHED|limit is 2 and 3 launch\(es\) wait in the queue/);

      // Killed while queued: it ends killed and never reaches Claude Code.
      expect(await p.command("alice", "/claude_kill q4")).toMatch(/Killed q4/);
      expect(await byName("q4")).toMatchObject({ state: "killed" });
      expect(await byName("q5")).toMatchObject({ state: "queued", queue: { position: 2, total: 2 } });

      // A slot frees: the first in the queue starts, and its chat is told.
      await waitFor(() => reached("hold-1") && reached("hold-2"), 30_000, "the two running sessions reached the model");
      await p.command("alice", "/claude_kill q1");
      await p.waitForText("alice", /▶️ q3 \[[a-z2-9]{8}\] started/, 30_000, after);
      await waitFor(() => reached("hold-3"), 30_000, "q3 reached the model");
      expect(reached("hold-5")).toBe(false);

      // A graceful restart: the running ones are interrupted, the queued one stays queued and starts afterwards.
      const beforeRestart = p.gw.outbound().length;
      await p.gw.restart();
      await p.waitForPlugin();
      await p.waitForText("alice", /▶️ q5 \[[a-z2-9]{8}\] started/, 30_000, beforeRestart);
      await waitFor(() => reached("hold-5"), 30_000, "q5 reached the model after the restart");
      expect(await byName("q2")).toMatchObject({ state: "interrupted" });
      expect(await byName("q3")).toMatchObject({ state: "interrupted" });
      expect(reached("hold-4")).toBe(false);
      await p.command("alice", "/claude_kill q5");
    } finally {
      p.claude.setHandler(undefined);
    }

    // The transcript reads the same after the restart, paged by sequence number, and exports.
    const afterRestart = await p.gw.rpc<{ entries: Entry[] }>("claude-code.output", { session: "transcript", full: true });
    expect(afterRestart.entries).toEqual(before.entries);
    const page = await p.gw.rpc<{ entries: Entry[] }>("claude-code.output", { session: "transcript", since: 1, limit: 1 });
    expect(page.entries).toEqual([before.entries[1]]);
    expect(await p.command("alice", "/claude_output transcript")).toContain(before.entries[before.entries.length - 1]!.text.split("\n")[0]!);
    const exported = await p.gw.rpc<{ status: string; format: string; entryCount: number; text: string }>("claude-code.transcript", { id: "transcript", format: "jsonl" });
    expect(exported).toMatchObject({ status: "completed", format: "jsonl", entryCount: before.entries.length });
    expect(exported.text.trimEnd().split("\n").map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(before.entries.map((e) => e.seq));
    const md = await p.gw.rpc<{ text: string }>("claude-code.transcript", { session: "transcript" });
    expect(md.text).toContain("## Transcript");
  }, 300_000);

  it("applies a config edit made with openclaw config set while a session streams: the session goes on and the new limit holds", async () => {
    p.claude.setHandler((req) => (req.lastUserText?.includes("stream-on") ? { type: "text", text: "word ".repeat(60), chunks: 60, chunkDelayMs: 100 } : undefined));
    try {
      const after = p.gw.outbound().length;
      await p.command("alice", `/claude --name streamer --workdir ${p.workdir} stream-on please`);
      await waitFor(() => reached("stream-on"), 30_000, "the streaming turn reached the model");
      const set = await p.gw.cli(["config", "set", "plugins.entries.openclaw-claude-code-plugin.config.maxSessions", "1"]);
      expect(set.code, set.stderr).toBe(0);
      await waitFor(() => /config change applied without a restart: maxSessions/.test(p.gw.logs({ tail: 400 })), 30_000, "the plugin applied the edit");
      // The limit is 1 now: the next launch queues behind the streaming session.
      expect(await p.command("alice", `/claude --name after-edit --workdir ${p.workdir} hold-after`)).toMatch(/after-edit \[[a-z2-9]{8}\] queued #1 of 1/);
      // The streaming session was not interrupted by the edit: its turn ends normally.
      await p.waitForText("alice", /🔔 streamer \[[a-z2-9]{8}\] is waiting for input/, 60_000, after);
      expect(await byName("streamer")).toMatchObject({ state: "waiting" });
      expect(p.sentTo("alice", after).some((m) => /⏸️ streamer/.test(m.text))).toBe(false);
      expect(await p.command("alice", "/claude_kill after-edit")).toMatch(/Killed after-edit/);
      await p.command("alice", "/claude_kill streamer");
    } finally {
      p.claude.setHandler(undefined);
    }
  }, 180_000);
});

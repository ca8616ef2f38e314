// Chat commands in a real gateway: a user on the test channel drives Claude Code sessions and
// sees the notices, the live foreground stream, interrupts and kills.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPluginGateway, type PluginGateway } from "./support/plugin-gateway.ts";

let p: PluginGateway;

beforeAll(async () => {
  p = await startPluginGateway({ label: "chat", chunkLimit: 400 });
}, 120_000);

afterAll(async () => {
  await p?.close();
}, 60_000);

function wd(): string {
  return `--workdir ${p.workdir}`;
}

describe("chat commands in a real gateway", () => {
  it("/claude launches, really does the work, and reports completion with cost in the same chat", async () => {
    const after = p.gw.outbound().length;
    const reply = await p.command("alice", `/claude --once --name greet ${wd()} create a file named greet.txt containing Hello from chat`);
    expect(reply).toMatch(/↩️ Claude Code session greet \[[a-z2-9]{8}\] launched: create a file named greet.txt/);
    const done = await p.waitForText("alice", /✅ greet \[[a-z2-9]{8}\] completed/, 60_000, after);
    expect(done.text).toContain(p.workdir);
    expect(done.text).toMatch(/\$\d+\.\d{2,4}/);
    expect(readFileSync(path.join(p.workdir, "greet.txt"), "utf8")).toBe("Hello from chat");
    // Exactly one terminal notice for the session.
    expect(p.sentTo("alice", after).filter((m) => /✅|❌|⛔|💤|⏸️/.test(m.text) && m.text.includes("greet ["))).toHaveLength(1);
  }, 90_000);

  it("/claude_fg catches up, streams new output live, and /claude_bg stops the stream", async () => {
    let after = p.gw.outbound().length;
    await p.command("alice", `/claude --name watch ${wd()} run \`echo first-marker\``);
    await p.waitForText("alice", /🔔 watch .* is waiting for input/, 60_000, after);

    const fg = await p.command("alice", "/claude_fg watch");
    expect(fg).toContain("🔧 Bash — echo first-marker");
    expect(fg).toMatch(/▶ watch \[[a-z2-9]{8}\] is in the foreground here/);
    // A second fg shows nothing new: catch-up is per conversation, by sequence number.
    expect(await p.command("alice", "/claude_fg watch")).toContain("nothing new since this chat last looked");

    after = p.gw.outbound().length;
    await p.command("alice", "/claude_respond watch run `echo second-marker`");
    const live = await p.waitForText("alice", /🔧 Bash — echo second-marker/, 60_000, after);
    expect(live.via).toBe("outbound");
    await p.waitForText("alice", /🔔 watch .* is waiting for input/, 60_000, after);

    expect(await p.command("alice", "/claude_bg")).toMatch(/Moved to the background: watch/);
    after = p.gw.outbound().length;
    await p.command("alice", "/claude_respond watch run `echo third-marker`");
    await p.waitForText("alice", /🔔 watch .* is waiting for input/, 60_000, after);
    expect(p.sentTo("alice", after).some((m) => m.text.includes("🔧 Bash — echo third-marker"))).toBe(false);
    await p.command("alice", "/claude_kill watch");
  }, 120_000);

  it("/claude_respond --interrupt stops the running turn and sends the new message", async () => {
    p.claude.setHandler((req) =>
      req.lastUserText?.includes("slow-essay") ? { type: "text", text: "word ".repeat(200), chunks: 100, chunkDelayMs: 100 } : undefined,
    );
    try {
      const after = p.gw.outbound().length;
      await p.command("alice", `/claude --name essay ${wd()} write a slow-essay please`);
      await waitFor(() => p.claude.requests.some((r) => r.lastUserText?.includes("slow-essay")), 20_000);
      const reply = await p.command("alice", "/claude_respond --interrupt essay say hello instead");
      expect(reply).toMatch(/Sent to essay \[[a-z2-9]{8}\] after interrupting its turn/);
      const notice = await p.waitForText("alice", /🔔 essay .* is waiting for input/, 30_000, after);
      expect(notice.text).toContain("say hello instead");
    } finally {
      p.claude.setHandler(undefined);
    }
    await p.command("alice", "/claude_kill essay");
  }, 90_000);

  it("/claude_kill ends the session with one notice and leaves no Claude Code process", async () => {
    p.claude.setHandler((req) => (req.lastUserText?.includes("endless-task") ? { type: "text", text: "x ".repeat(300), chunks: 300, chunkDelayMs: 100 } : undefined));
    try {
      const after = p.gw.outbound().length;
      await p.command("alice", `/claude --name doomed ${wd()} start the endless-task`);
      await waitFor(() => p.claude.requests.some((r) => r.lastUserText?.includes("endless-task")), 20_000);
      expect(p.claudePids().length).toBeGreaterThan(0);
      const reply = await p.command("alice", "/claude_kill doomed");
      expect(reply).toMatch(/⛔ Killed doomed \[[a-z2-9]{8}\]/);
      const notice = await p.waitForText("alice", /⛔ doomed \[[a-z2-9]{8}\] killed by user alice/, 20_000, after);
      expect(notice).toBeDefined();
      await waitFor(() => p.claudePids().length === 0, 10_000);
      expect(await p.command("alice", "/claude_kill doomed")).toMatch(/already ended/);
      expect(p.sentTo("alice", after).filter((m) => /⛔ doomed/.test(m.text))).toHaveLength(1);
    } finally {
      p.claude.setHandler(undefined);
    }
  }, 60_000);

  it("streams long output split at the channel's limit without breaking code fences", async () => {
    const code = Array.from({ length: 40 }, (_, i) => `console.log("line ${i}");`).join("\n");
    const long = `Here is the code:\n\n\`\`\`js\n${code}\n\`\`\`\n\nDone with long-output.`;
    p.claude.setHandler((req) => (req.lastUserText?.includes("long-output") ? { type: "text", text: long } : undefined));
    try {
      let after = p.gw.outbound().length;
      await p.command("alice", `/claude --name longy ${wd()} say hello first`);
      await p.waitForText("alice", /🔔 longy/, 60_000, after);
      await p.command("alice", "/claude_fg longy");
      after = p.gw.outbound().length;
      await p.command("alice", "/claude_respond longy now produce long-output");
      await p.waitForText("alice", /Done with long-output/, 60_000, after);
      const parts = p.sentTo("alice", after).filter((m) => m.via === "outbound");
      const first = parts.findIndex((m) => m.text.includes("Here is the code"));
      const last = parts.findIndex((m) => m.text.includes("Done with long-output"));
      expect(first).toBeGreaterThanOrEqual(0);
      expect(last).toBeGreaterThan(first); // more than one message
      const stream = parts.slice(first, last + 1);
      for (const m of stream) {
        expect(m.text.length).toBeLessThanOrEqual(400);
        expect((m.text.match(/```/g) ?? []).length % 2).toBe(0); // each chunk closes the fences it opens
      }
      // Nothing was lost in the split.
      for (let i = 0; i < 40; i++) expect(stream.some((m) => m.text.includes(`console.log("line ${i}");`))).toBe(true);
      await p.command("alice", "/claude_kill longy");
    } finally {
      p.claude.setHandler(undefined);
    }
  }, 120_000);

  it("delivers a notice once when the channel fails twice", async () => {
    const after = p.gw.outbound().length;
    await p.command("alice", `/claude --once --name flaky ${wd()} say hi`);
    await p.gw.failNextSends(2);
    const done = await p.waitForText("alice", /✅ flaky/, 60_000, after);
    expect(done).toBeDefined();
    const attempts = p.gw.outbound().slice(after).filter((m) => m.to === "alice" && m.text.includes("✅ flaky"));
    expect(attempts.filter((m) => m.ok)).toHaveLength(1);
    expect(attempts.filter((m) => !m.ok)).toHaveLength(2);
  }, 90_000);

  it("ships the orchestration skill: the host lists it from the plugin", async () => {
    const res = await p.gw.cli(["skills", "list", "--json"], { timeoutMs: 90_000 });
    expect(res.code, res.stderr).toBe(0);
    const start = res.stdout.search(/[[{]/);
    const skill = findNamed(JSON.parse(res.stdout.slice(start)), "claude-code-orchestration");
    expect(skill, res.stdout.slice(0, 2000)).toBeDefined();
    expect(JSON.stringify(skill)).toContain("How to run coding work through Claude Code sessions");
  }, 120_000);

  it("answers a user who is not allowed to run commands with nothing from the plugin", async () => {
    const after = p.gw.outbound().length;
    const res = await p.gw.injectInbound({ from: "mallory", text: "/claude_sessions", commandAuthorized: false });
    expect(res.ok).toBe(true);
    expect(p.sentTo("mallory", after).some((m) => /sessions:|No sessions/.test(m.text))).toBe(false);
    expect(existsSync(p.workdir)).toBe(true);
  }, 60_000);
});

/** The first object anywhere in `value` whose name is `name`. */
function findNamed(value: unknown, name: string): Record<string, unknown> | undefined {
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = findNamed(v, name);
      if (found) return found;
    }
  } else if (typeof value === "object" && value !== null) {
    const o = value as Record<string, unknown>;
    if (o.name === name) return o;
    for (const v of Object.values(o)) {
      const found = findNamed(v, name);
      if (found) return found;
    }
  }
  return undefined;
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

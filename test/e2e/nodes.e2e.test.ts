// Sessions on a paired node, end to end on one machine: a real gateway with the plugin, and a real
// `openclaw node run` with its own state dir, config and Anthropic settings, loading the built
// plugin and paired through the real flow. Claude Code runs under the node host; its stdio crosses
// the node's duplex channel; permissions are answered from the chat; losing the node interrupts
// the session with one notice and leaves no process behind; /claude_resume continues there.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offlineClaudeEnv, type ScriptedReply } from "../../offline-model/src/index.ts";
import { isAlive, sleep, waitForPidsGone } from "./harness/processes.ts";
import { NODE_COMMANDS_ALLOWED, pairUntilReady, startNodeHost, type NodeHost } from "./support/node-host.ts";
import { startPluginGateway, type PluginGateway } from "./support/plugin-gateway.ts";

let p: PluginGateway;
let node: NodeHost;
const NODE = "e2e-node";

beforeAll(async () => {
  p = await startPluginGateway({ label: "nodes", lockTimeoutMs: 1_500_000, config: NODE_COMMANDS_ALLOWED });
  // The node's own credentials: the offline model sees which key each request carries.
  node = await startNodeHost({ gw: p.gw, displayName: NODE, pluginConfig: { nodeSlots: 1 }, env: { ...offlineClaudeEnv(p.claude.url), ANTHROPIC_API_KEY: "node-own-key", CLAUDE_CODE_MAX_RETRIES: "0" } });
  await pairUntilReady(p.gw, NODE);
}, 1_700_000);

afterAll(async () => {
  await node?.cleanup();
  await p?.close();
}, 90_000);

function scriptFor(marker: string, replies: ScriptedReply[]): void {
  let i = 0;
  p.claude.setHandler((req) => {
    if (!JSON.stringify(req.messages).includes(marker)) return undefined;
    return replies[Math.min(i++, replies.length - 1)];
  });
}

/**
 * A chat command from alice, sent again (at most twice, 2 s apart) when the host's state database
 * is briefly held by its own maintenance and refuses the inbound message.
 */
async function command(text: string, timeoutMs = 60_000): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await p.command("alice", text, timeoutMs);
    } catch (err) {
      if (attempt >= 3 || !String(err).includes("StateDatabaseCoordinatorContentionError")) throw err;
      await sleep(2_000);
    }
  }
}

function requestId(text: string): string {
  const m = /\[(r[a-z2-9]{4})\]/.exec(text);
  if (!m) throw new Error(`no request id in: ${text}`);
  return m[1]!;
}

/** Claude Code processes (and their supervisor) under the node host. */
function claudeOnNode(): number[] {
  return node.descendants().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("claude");
    } catch {
      return false;
    }
  });
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${node.logs()}`);
    await sleep(100);
  }
}

describe("Claude Code on a paired node", () => {
  it("lists the node with its slots and allowed workdir (tool, command, RPC)", async () => {
    const rpc = await p.gw.rpc<{ nodes: Array<Record<string, unknown>> }>("claude-code.nodes");
    const row = rpc.nodes.find((n) => n.name === NODE);
    expect(row).toMatchObject({ status: "ready", allowedWorkdirs: [node.workdir], sessions: [] });
    expect(typeof row?.slots).toBe("number");
    expect(typeof row?.connectedAt).toBe("number");
    expect(await command("/claude_nodes")).toMatch(new RegExp(`${NODE} \\[.+\\] · ready · \\d+ of \\d+ slots free`));
    const tool = await p.gw.invokeTool("claude_nodes", {});
    expect(tool.ok).toBe(true);
    expect(JSON.stringify(tool.result)).toContain(NODE);
  }, 60_000);

  it("runs a launch on the node: the file appears in the node's workdir, with the node's own credentials", async () => {
    const after = p.gw.outbound().length;
    const seen = p.claude.requests.length;
    const reply = await command(`/claude --name on-node --node ${NODE} --workdir ${node.workdir} create a file named from-node.txt containing Hello`);
    expect(reply).toContain(`on node ${NODE}`);
    await p.waitForText("alice", /🔔 on-node .* is waiting for input/, 90_000, after);
    expect(readFileSync(path.join(node.workdir, "from-node.txt"), "utf8")).toContain("Hello");
    const keys = new Set(p.claude.requests.slice(seen).map((r) => r.headers["x-api-key"]));
    expect(keys).toEqual(new Set(["node-own-key"]));
    const listed = await p.gw.rpc<{ sessions: Array<{ name: string; node?: { name: string }; workdir: string }> }>("claude-code.sessions");
    expect(listed.sessions.find((s) => s.name === "on-node")).toMatchObject({ node: { name: NODE }, workdir: node.workdir });
    expect(await command("/claude_sessions")).toContain(`${node.workdir} on node ${NODE}`);

    // Kill ends the node's process group: nothing of it is left under the node host.
    expect(claudeOnNode().length).toBeGreaterThan(0);
    await command("/claude_kill on-node");
    await waitFor(() => claudeOnNode().length === 0, 15_000, "Claude Code gone from the node after the kill");
  }, 150_000);

  it("asks permission from the node's session and carries on when the chat allows it", async () => {
    scriptFor("node-perm", [
      { type: "tool_use", name: "Bash", input: { command: "touch node-allowed.txt", description: "make a file" } },
      { type: "text", text: "made it on the node" },
    ]);
    const after = p.gw.outbound().length;
    await command(`/claude --name node-perm --node ${NODE} --workdir ${node.workdir} --mode default node-perm please`);
    const notice = await p.waitForText("alice", /🔐 node-perm .* asks permission .*touch node-allowed.txt/, 90_000, after);
    expect(await command(`/claude_allow ${requestId(notice.text)}`)).toMatch(/allowed once/);
    await p.waitForText("alice", /🔔 node-perm .* is waiting for input/, 60_000, after);
    expect(existsSync(path.join(node.workdir, "node-allowed.txt"))).toBe(true);
    await command("/claude_kill node-perm");
  }, 150_000);

  it("refuses an unknown node and a workdir the node does not allow, naming the node", async () => {
    expect(await command(`/claude --node no-such-node --workdir ${node.workdir} hi`)).toMatch(/No paired node "no-such-node"/);
    expect(await command(`/claude --node ${NODE} --workdir /etc hi`)).toMatch(new RegExp(`outside node ${NODE}'s nodeAllowedWorkdirs`));
    const rpc = await p.gw.rpcRaw("claude-code.launch", { prompt: "hi", node: "no-such-node", workdir: node.workdir });
    expect(rpc.ok).toBe(false);
    expect(rpc.error).toMatchObject({ code: "NOT_FOUND" });
  }, 60_000);

  it("losing the node mid-turn interrupts the session once, leaves no process; resume runs on the node again", async () => {
    scriptFor("node-stall", [{ type: "stall", ms: 60_000 }]);
    const after = p.gw.outbound().length;
    await command(`/claude --name doomed --node ${NODE} --workdir ${node.workdir} node-stall please`);
    await waitFor(() => claudeOnNode().length > 0, 60_000, "Claude Code running on the node");
    await sleep(1500);
    const orphans = await node.crash();
    expect(orphans.length).toBeGreaterThan(0);
    const notice = await p.waitForText("alice", /⏸️ doomed .* interrupted: node e2e-node lost/, 60_000, after);
    expect(notice.text).toContain("/claude_resume doomed");
    // The supervisor notices its node host is gone and ends the whole group.
    expect(await waitForPidsGone(orphans, 15_000)).toEqual([]);
    const s = await p.gw.rpc<{ sessions: Array<{ name: string; state: string; reason: string }> }>("claude-code.sessions");
    expect(s.sessions.find((x) => x.name === "doomed")).toMatchObject({ state: "interrupted", reason: `node ${NODE} lost` });

    // While the node is away, resuming says so.
    p.claude.setHandler(undefined);
    expect(await command("/claude_resume doomed carry on")).toMatch(new RegExp(`ran on node ${NODE}.*offline`));

    await node.start();
    await pairUntilReady(p.gw, NODE);
    const before = p.gw.outbound().length;
    const resumed = await command("/claude_resume doomed create a file named after-resume.txt containing Again");
    expect(resumed).toContain(`on node ${NODE}`);
    await p.waitForText("alice", /🔔 doomed-2 .* is waiting for input/, 90_000, before);
    expect(existsSync(path.join(node.workdir, "after-resume.txt"))).toBe(true);
    // Exactly one interruption notice for the lost session.
    expect(p.sentTo("alice", after).filter((m) => /⏸️ doomed \[/.test(m.text))).toHaveLength(1);
    await command("/claude_kill doomed-2");
    await waitFor(() => claudeOnNode().length === 0, 15_000, "Claude Code gone after the kill");
    for (const pid of orphans) expect(isAlive(pid)).toBe(false);
  }, 300_000);

  it("a gateway restart interrupts the node's session and the node ends its process", async () => {
    const after = p.gw.outbound().length;
    await command(`/claude --name across-restart --node ${NODE} --workdir ${node.workdir} say hello`);
    await p.waitForText("alice", /🔔 across-restart .* is waiting for input/, 90_000, after);
    const running = claudeOnNode();
    expect(running.length).toBeGreaterThan(0);
    await p.gw.restart();
    await p.waitForPlugin();
    expect(await waitForPidsGone(running, 15_000)).toEqual([]);
    const s = await p.gw.rpc<{ sessions: Array<{ name: string; state: string; reason: string }> }>("claude-code.sessions");
    expect(s.sessions.find((x) => x.name === "across-restart")).toMatchObject({ state: "interrupted", reason: "gateway restart" });
    // The node comes back by itself once the gateway is up again.
    await pairUntilReady(p.gw, NODE);
  }, 240_000);
});

describe("a launch to a full node queues, and starts when the node frees a slot", () => {
  it("queues behind the node's one slot (not behind local sessions), can be killed before it starts, and starts when the slot frees", async () => {
    type Listed = { sessions: Array<{ id: string; name: string; state: string; reason?: string; workdir: string; node?: { name: string }; queue?: { position: number; total: number; nodes?: Array<{ name: string }> } }> };
    const find = async (name: string) => (await p.gw.rpc<Listed>("claude-code.sessions")).sessions.find((s) => s.name === name);
    const after = p.gw.outbound().length;
    // The workdir is given from the node's home: the node resolves the ~ (its HOME is a sibling of its workdir).
    await command(`/claude --name q-first --node ${NODE} --workdir ~/../work say hello`);
    await p.waitForText("alice", /🔔 q-first .* is waiting for input/, 90_000, after);
    expect(await find("q-first")).toMatchObject({ state: "waiting", workdir: node.workdir, node: { name: NODE } });

    // The node's one slot is taken: the next launches there queue, with their places.
    expect(await command(`/claude --name q-second --node ${NODE} --workdir ${node.workdir} say hello again`)).toMatch(
      new RegExp(`q-second \\[\\w+\\] queued #1 of 1 \\(node ${NODE} is full; it starts when a slot frees\\)`),
    );
    expect(await command(`/claude --name q-third --node ${NODE} --workdir ${node.workdir} never runs`)).toMatch(/q-third \[\w+\] queued #2 of 2/);
    expect(await find("q-second")).toMatchObject({ state: "queued", node: { name: NODE }, queue: { position: 1, total: 2, nodes: [{ name: NODE }] } });
    expect(await command("/claude_sessions")).toMatch(new RegExp(`q-second \\[\\w+\\] queued #1 of 2 · ${node.workdir} on node ${NODE}`));

    // A local launch does not wait behind the full node.
    const local = await command(`/claude --name q-local --workdir ${p.workdir} say hello here`);
    expect(local).toMatch(/q-local \[\w+\] launched/);
    await p.waitForText("alice", /🔔 q-local .* is waiting for input/, 90_000, after);

    // Killed while queued: it ends killed and never reaches the node.
    await command("/claude_kill q-third");
    expect(await find("q-third")).toMatchObject({ state: "killed" });
    expect(claudeOnNode().length).toBeGreaterThan(0);

    // The slot frees: the queued launch starts on the node and runs its turn there.
    await command("/claude_kill q-first");
    await p.waitForText("alice", /▶️ q-second \[\w+\] started/, 60_000, after);
    await p.waitForText("alice", /🔔 q-second .* is waiting for input/, 90_000, after);
    expect(await find("q-second")).toMatchObject({ state: "waiting", node: { name: NODE }, workdir: node.workdir });
    expect(p.sentTo("alice", after).filter((m) => /▶️ q-third/.test(m.text))).toEqual([]);

    await command("/claude_kill q-second");
    await command("/claude_kill q-local");
    await waitFor(() => claudeOnNode().length === 0, 15_000, "Claude Code gone from the node after the kills");
  }, 300_000);
});

// The node path without a gateway: the frames, the gateway's RemoteProcess wired to the node side
// through an in-memory duplex channel (a stand-in CLI, `cat`, at the process boundary), process
// groups ended when the channel closes, and the directory's placement rules.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger, SessionError } from "../engine/index.ts";
import { NodeDirectory, type ListedNode, type NodeTransport, type PlacedSession } from "./directory.ts";
import { NodeSide } from "./node-side.ts";
import { decodeFrame, encodeFrame, forwardedEnv, type NodeInfo, type ProcessParams } from "./protocol.ts";
import { RemoteProcess, type DuplexChannel } from "./remote-process.ts";

const root = mkdtempSync(path.join(tmpdir(), "ccp-nodes-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Connects a gateway-side opener to a NodeSide in this process, as the host's channel would. */
function inMemoryOpener(side: NodeSide, hooks: { channels: Array<{ close(): void }> } = { channels: [] }) {
  return async (_nodeId: string, params: ProcessParams): Promise<DuplexChannel> => {
    const abort = new AbortController();
    // Like the host, messages wait for the gateway's listener.
    const early: Uint8Array[] = [];
    let toGateway: ((m: Uint8Array) => void) | undefined;
    let toNode: ((m: Uint8Array) => void) | undefined;
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const closed = side.process(JSON.stringify(params), {
      signal: abort.signal,
      frames: {
        send: async (m) => (toGateway ? toGateway(m.slice()) : void early.push(m.slice())),
        onMessage: (listener) => {
          toNode = (m) => void listener(m);
          ready();
          return () => (toNode = undefined);
        },
      },
    });
    // The host rejects `closed` when the caller aborts; a refusal before readiness rejects the open.
    await Promise.race([isReady, closed]);
    const channel: DuplexChannel = {
      send: async (m) => toNode?.(m.slice()),
      onMessage: (listener) => {
        toGateway = (m) => void listener(m);
        for (const m of early.splice(0)) toGateway(m);
        return () => (toGateway = undefined);
      },
      closed: Promise.race([closed, new Promise((_, reject) => abort.signal.addEventListener("abort", () => reject(new Error("closed by caller"))))]),
      close: () => abort.abort(),
    };
    hooks.channels.push(channel);
    return channel;
  };
}

function spawnOptions(workdir: string, args: string[] = []) {
  return { command: "claude", args, cwd: workdir, env: { ANTHROPIC_API_KEY: "gateway-secret", CLAUDE_CODE_ENTRYPOINT: "sdk-ts" }, signal: new AbortController().signal };
}

function exitOf(proc: RemoteProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
}

describe("frames", () => {
  it("round-trip every frame type", () => {
    const frames = [
      { type: "stdin", data: new TextEncoder().encode("in") },
      { type: "stdinEnd" },
      { type: "signal", signal: "SIGTERM" },
      { type: "started", pid: 42 },
      { type: "stdout", data: new TextEncoder().encode("out") },
      { type: "stderr", data: new TextEncoder().encode("err") },
      { type: "exit", code: 0, signal: null },
      { type: "heartbeat" },
    ] as const;
    for (const f of frames) expect(decodeFrame(encodeFrame(f))).toEqual(f);
    expect(() => decodeFrame(Uint8Array.of(0x7f))).toThrow(/unknown frame tag/);
  });

  it("forwards only the SDK's markers, never credentials", () => {
    expect(forwardedEnv({ ANTHROPIC_API_KEY: "k", CLAUDE_CODE_OAUTH_TOKEN: "t", CLAUDE_CODE_ENTRYPOINT: "sdk-ts", IS_SANDBOX: "1" })).toEqual({ CLAUDE_CODE_ENTRYPOINT: "sdk-ts", IS_SANDBOX: "1" });
  });
});

describe("a process on a node over the duplex channel", () => {
  const workdir = path.join(root, "work");
  const side = new NodeSide({ config: () => ({ allowedWorkdirs: [workdir], slots: 2 }), logger: silentLogger, claudePath: () => "/bin/cat", killGraceMs: 1000 });
  const node = { id: "n1", name: "box" };

  it("relays stdin to the process and its stdout back, then the exit", async () => {
    await import("node:fs/promises").then((fs) => fs.mkdir(workdir, { recursive: true }));
    const proc = new RemoteProcess(node, inMemoryOpener(side), spawnOptions(workdir));
    const chunks: Buffer[] = [];
    const errors: Buffer[] = [];
    proc.stdout.on("data", (c: Buffer) => chunks.push(c));
    proc.stderr.on("data", (c: Buffer) => errors.push(c));
    const exit = exitOf(proc);
    proc.stdin.write("hello node\n");
    proc.stdin.end();
    const result = await exit;
    expect(Buffer.concat(errors).toString()).toBe("");
    expect(result).toEqual({ code: 0, signal: null });
    expect(Buffer.concat(chunks).toString()).toBe("hello node\n");
    expect(proc.lost).toBeUndefined();
    await waitUntil(() => side.runningCount === 0);
  }, 20_000);

  it("a kill relays the signal to the node's process group", async () => {
    const proc = new RemoteProcess(node, inMemoryOpener(side), spawnOptions(workdir));
    await waitUntil(() => proc.remotePid !== undefined);
    const exit = exitOf(proc);
    proc.kill("SIGTERM");
    expect((await exit).signal).toBe("SIGTERM");
    expect(alive(proc.remotePid!)).toBe(false);
  }, 20_000);

  it("a channel that closes without an exit ends the group on the node and reads as the node lost", async () => {
    const hooks = { channels: [] as Array<{ close(): void }> };
    const proc = new RemoteProcess(node, inMemoryOpener(side, hooks), spawnOptions(workdir));
    await waitUntil(() => proc.remotePid !== undefined);
    const group = proc.remotePid!;
    const exit = exitOf(proc);
    hooks.channels[0]!.close();
    await exit;
    expect(proc.lost).toBe("node box");
    await waitUntil(() => !alive(group), 5000);
    expect(side.runningCount).toBe(0);
  }, 20_000);

  it("refuses a workdir outside the node's allow-list, and says which", async () => {
    const proc = new RemoteProcess(node, inMemoryOpener(side), spawnOptions("/etc"));
    const err: Buffer[] = [];
    proc.stderr.on("data", (c: Buffer) => err.push(c));
    expect((await exitOf(proc)).code).toBe(1);
    expect(Buffer.concat(err).toString()).toMatch(/node box: workdir \/etc is outside this node's nodeAllowedWorkdirs/);
  });

  it("a node with no allowed workdirs refuses everything", async () => {
    const closed = new NodeSide({ config: () => ({ allowedWorkdirs: [], slots: 1 }), logger: silentLogger, claudePath: () => "/bin/cat" });
    const proc = new RemoteProcess(node, inMemoryOpener(closed), spawnOptions(workdir));
    const err: Buffer[] = [];
    proc.stderr.on("data", (c: Buffer) => err.push(c));
    await exitOf(proc);
    expect(Buffer.concat(err).toString()).toMatch(/allows no workdirs yet: set nodeAllowedWorkdirs/);
  });

  it("expands a ~ workdir with the node's home, for the info command and the process", async () => {
    const homed = new NodeSide({ config: () => ({ allowedWorkdirs: [workdir], slots: 1 }), logger: silentLogger, claudePath: () => "/bin/pwd", home: () => root });
    expect(homed.info(JSON.stringify({ workdir: "~/work" })).workdir).toEqual({ path: workdir, exists: true, allowed: true });
    expect(homed.info(JSON.stringify({ workdir: "~" })).workdir).toMatchObject({ path: root, allowed: false });
    const proc = new RemoteProcess(node, inMemoryOpener(homed), spawnOptions("~/work"));
    const out: Buffer[] = [];
    proc.stdout.on("data", (c: Buffer) => out.push(c));
    expect(await exitOf(proc)).toEqual({ code: 0, signal: null });
    expect(Buffer.concat(out).toString().trim()).toBe(workdir);
    // Neither absolute nor from the home: refused, whatever the node host's own directory is.
    const relative = new RemoteProcess(node, inMemoryOpener(homed), spawnOptions("work"));
    const err: Buffer[] = [];
    relative.stderr.on("data", (c: Buffer) => err.push(c));
    expect((await exitOf(relative)).code).toBe(1);
    expect(Buffer.concat(err).toString()).toMatch(/workdir work must be an absolute path on this node \(or start with ~\/\)/);
  }, 20_000);

  it("reports its capacity and whether a workdir exists and is allowed", () => {
    const info = side.info(JSON.stringify({ workdir }));
    expect(info).toMatchObject({ protocol: 1, slots: 2, running: 0, allowedWorkdirs: [workdir], workdir: { path: workdir, exists: true, allowed: true } });
    expect(side.info(JSON.stringify({ workdir: path.join(workdir, "missing") })).workdir).toMatchObject({ exists: false, allowed: true });
  });
});

describe("where a launch goes", () => {
  const info = (slots: number, running = 0, workdir?: { exists: boolean; allowed: boolean }): NodeInfo => ({
    protocol: 1,
    claudeCodeVersion: "2.1.331",
    slots,
    cores: 2,
    running,
    allowedWorkdirs: ["/src"],
    ...(workdir ? { workdir: { path: "/src/app", ...workdir } } : {}),
  });
  const commands = ["claude-code.process.v1", "claude-code.info.v1"];
  function directory(nodes: ListedNode[], infos: Record<string, NodeInfo>, live: PlacedSession[] = []) {
    const transport: NodeTransport = {
      list: async () => nodes,
      info: async (id) => infos[id]!,
      open: async () => {
        throw new Error("not in this test");
      },
    };
    return new NodeDirectory({ transport, liveSessions: () => live });
  }
  const a: ListedNode = { nodeId: "id-a", displayName: "alpha", connected: true, commands, invocableCommands: commands };
  const b: ListedNode = { nodeId: "id-b", displayName: "beta", connected: true, commands, invocableCommands: commands };

  it("finds a node by id or name and refuses unknown and offline ones by name", async () => {
    const d = directory([a, { ...b, connected: false }], { "id-a": info(2, 0, { exists: true, allowed: true }) });
    expect((await d.place("ALPHA", "/src/app")).nodes).toEqual([{ node: { id: "id-a", name: "alpha" }, slots: 2, workdir: "/src/app" }]);
    expect((await d.place("id-a", "/src/app")).nodes[0]?.node.name).toBe("alpha");
    await expect(d.place("gamma", "/src/app")).rejects.toThrow(/No paired node "gamma". Connected nodes with the plugin: alpha/);
    await expect(d.place("beta", "/src/app")).rejects.toThrow(/Node beta is offline/);
  });

  it("places a launch on a full node too (it queues there), with the slots this gateway may use", async () => {
    const mine: PlacedSession = { id: "s1", name: "busy", status: "running", node: { id: "id-a", name: "alpha" } };
    const queued: PlacedSession = { id: "s2", name: "later", status: "queued", node: { id: "id-a", name: "alpha" } };
    // The node runs 2 of its 2 slots: ours (s1) and one for another gateway; a queued one holds none.
    const d = directory([a], { "id-a": info(2, 2, { exists: true, allowed: true }) }, [mine, queued]);
    expect((await d.place("alpha", "/src/app")).nodes).toEqual([{ node: { id: "id-a", name: "alpha" }, slots: 1, workdir: "/src/app" }]);
    const [row] = await d.list();
    expect(row).toMatchObject({ slots: 2, freeSlots: 0, sessions: [{ id: "s1" }, { id: "s2", status: "queued" }] });
    // Nothing for others, and our queued launch holds no slot: both are ours to use.
    const idle = directory([a], { "id-a": info(2, 0, { exists: true, allowed: true }) }, [queued]);
    expect((await idle.place("alpha", "/src/app")).nodes[0]?.slots).toBe(2);
  });

  it("uses the node's own resolution of a ~ workdir (its home, not the gateway's)", async () => {
    const home: NodeInfo = { ...info(1, 0), workdir: { path: "/home/builder/src/app", exists: true, allowed: true } };
    const d = directory([a], { "id-a": home });
    expect((await d.place("alpha", "~/src/app")).nodes[0]?.workdir).toBe("/home/builder/src/app");
  });

  it("reports the usable slots of a node, none while it is offline, and keeps a waiting engine current", async () => {
    const offline = { ...b, connected: false };
    const d = directory([a, offline], { "id-a": info(3, 1) }, [{ id: "s1", name: "busy", status: "waiting", node: { id: "id-a", name: "alpha" } }]);
    expect(await d.slotsFor("id-a")).toBe(3);
    expect(await d.slotsFor("id-b")).toBe(0);
    expect(await d.slotsFor("id-unknown")).toBe(0);
    const told: Array<[string, number]> = [];
    let asked = 0;
    const stop = d.watch({ queuedNodeIds: () => (asked++ === 0 ? [] : ["id-a", "id-b"]), setNodeSlots: (id, n) => void told.push([id, n]) }, 10, (err) => {
      throw err;
    });
    await waitUntil(() => told.length >= 2, 2000);
    stop();
    expect(told.slice(0, 2).sort()).toEqual([["id-a", 3], ["id-b", 0]]);
  });

  it("counts an ending session the node still runs as this gateway's, when the engine says so", async () => {
    const transport: NodeTransport = { list: async () => [a], info: async () => info(1, 1), open: async () => Promise.reject(new Error("unused")) };
    // No live session, but one that ended and whose process the node has not let go of yet.
    const d = new NodeDirectory({ transport, liveSessions: () => [], slotsInUseOn: () => 1 });
    expect(await d.slotsFor("id-a")).toBe(1);
    const blind = new NodeDirectory({ transport, liveSessions: () => [] });
    expect(await blind.slotsFor("id-a")).toBe(0);
  });

  it("auto picks the node with most free slots that has the workdir", async () => {
    const d = directory([a, b], { "id-a": info(4, 3, { exists: true, allowed: true }), "id-b": info(4, 0, { exists: false, allowed: true }) });
    expect((await d.place("auto", "/src/app")).nodes.map((o) => o.node.name)).toEqual(["alpha"]);
    const both = directory([a, b], { "id-a": info(4, 3, { exists: true, allowed: true }), "id-b": info(4, 1, { exists: true, allowed: true }) });
    expect((await both.place("auto", "/src/app")).nodes.map((o) => o.node.name)).toEqual(["beta", "alpha"]);
    // All full: it may wait for any of them (the engine queues it for whichever frees first).
    const full = directory([a, b], { "id-a": info(1, 1, { exists: true, allowed: true }), "id-b": info(2, 2, { exists: true, allowed: true }) });
    expect((await full.place("auto", "/src/app")).nodes.map((o) => [o.node.name, o.slots])).toEqual([["alpha", 0], ["beta", 0]]);
    const none = directory([a], { "id-a": info(4, 0, { exists: false, allowed: true }) });
    await expect(none.place("auto", "/src/app")).rejects.toThrow(/no connected node has the workdir \/src\/app/);
  });

  it("lists a node whose commands are not allowed with what to do", async () => {
    const d = directory([{ ...a, invocableCommands: [] }], {});
    const [row] = await d.list();
    expect(row).toMatchObject({ name: "alpha", status: "not_allowed" });
    expect(row?.problem).toMatch(/gateway\.nodes\.commands\.allow/);
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

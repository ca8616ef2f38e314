// The node path without a gateway: the frames, the gateway's RemoteProcess wired to the node side
// through an in-memory duplex channel (a stand-in CLI, `cat`, at the process boundary), process
// groups ended when the channel closes, and the directory's placement rules.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger, SessionError } from "../engine/index.ts";
import { NodeDirectory, type ListedNode, type NodeTransport } from "./directory.ts";
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
  function directory(nodes: ListedNode[], infos: Record<string, NodeInfo>, live: Array<{ id: string; name: string; status: string; node?: { id: string; name: string } }> = []) {
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
    expect((await d.place("ALPHA", "/src/app")).node).toEqual({ id: "id-a", name: "alpha" });
    expect((await d.place("id-a", "/src/app")).node.name).toBe("alpha");
    await expect(d.place("gamma", "/src/app")).rejects.toThrow(/No paired node "gamma". Connected nodes with the plugin: alpha/);
    await expect(d.place("beta", "/src/app")).rejects.toThrow(/Node beta is offline/);
  });

  it("refuses a full node with LIMIT_REACHED naming it and its sessions", async () => {
    const d = directory([a], { "id-a": info(1, 0, { exists: true, allowed: true }) }, [{ id: "s1", name: "busy", status: "running", node: { id: "id-a", name: "alpha" } }]);
    const err = await d.place("alpha", "/src/app").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionError);
    expect((err as SessionError).code).toBe("LIMIT_REACHED");
    expect((err as SessionError).message).toMatch(/Node alpha is full: 1 of 1 slots in use \(busy \(s1\)\)/);
  });

  it("auto picks the node with most free slots that has the workdir", async () => {
    const d = directory([a, b], { "id-a": info(4, 3, { exists: true, allowed: true }), "id-b": info(4, 0, { exists: false, allowed: true }) });
    expect((await d.place("auto", "/src/app")).node.name).toBe("alpha");
    const both = directory([a, b], { "id-a": info(4, 3, { exists: true, allowed: true }), "id-b": info(4, 1, { exists: true, allowed: true }) });
    expect((await both.place("auto", "/src/app")).node.name).toBe("beta");
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

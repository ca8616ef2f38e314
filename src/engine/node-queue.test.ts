// The launch queue for paired nodes, through the engine with stand-ins at the process boundary (a
// node "process" that runs until it is killed or its node goes away): a launch for a full node is
// queued with its place and starts on that node when a slot frees (a session ending, or the
// directory reporting more slots); node queues and this machine's queue never wait for each
// other; "auto" waits for whichever node frees first; a lost node takes no new sessions until it
// is seen again; kill, the queue bound and a restart behave as for local launches.
import { tmpdir } from "node:os";
import type { Options, Query, SDKUserMessage } from "@anthropic-ai/claude-agent-sdk";
import { describe, expect, it } from "vitest";
import { StandInProcess } from "../../test/support/hosted-process.ts";
import { EventLog } from "../../test/support/events.ts";
import { claudeCodeBackend } from "./backends/claude-code/index.ts";
import { SessionEngine } from "./engine.ts";
import type { ProcessHost } from "./process-host.ts";
import type { NodeOption, NodeRef, SessionSnapshot } from "./types.ts";

type Owner = { agentId: string };

/** Every node's processes, by node id. */
function hosts() {
  const spawned = new Map<string, StandInProcess[]>();
  const hostFor = (node: NodeRef): ProcessHost => ({
    label: `node ${node.name}`,
    spawn(options) {
      const p = new StandInProcess(options.cwd);
      spawned.set(node.id, [...(spawned.get(node.id) ?? []), p]);
      return p;
    },
  });
  return { spawned, hostFor, on: (id: string) => spawned.get(id) ?? [] };
}

/**
 * Like the SDK: a session on a node spawns through its host and lasts as long as that process; a
 * local one (no host to stand in for) spawns nothing and lasts until it is closed.
 */
function query(params: { prompt: AsyncIterable<SDKUserMessage>; options: Options }): Query {
  const onNode = params.options.cwd?.startsWith("/node") || params.options.cwd?.startsWith("~");
  let close: () => void = () => undefined;
  const ended = onNode
    ? new Promise<void>((resolve) => {
        const proc = params.options.spawnClaudeCodeProcess!({ command: "claude", args: [], cwd: params.options.cwd, env: {}, signal: new AbortController().signal });
        proc.once("exit", () => resolve());
        close = () => proc.kill("SIGTERM");
      })
    : new Promise<void>((resolve) => (close = resolve));
  async function* messages(): AsyncGenerator<never> {
    await ended;
    if (onNode) throw new Error("Claude Code process exited");
  }
  return Object.assign(messages(), { interrupt: async () => undefined, close: () => close() }) as unknown as Query;
}

const ALPHA: NodeRef = { id: "id-a", name: "alpha" };
const BETA: NodeRef = { id: "id-b", name: "beta" };
const local = tmpdir();

function setup(maxSessions = 1, maxQueued = 20) {
  const h = hosts();
  const e = new SessionEngine<Owner>({
    maxSessions,
    maxQueued,
    queueKeyOf: (o) => o.agentId,
    backend: claudeCodeBackend({ queryFn: query }),
    processHostFor: h.hostFor,
    exitGraceMs: 10,
    idleTimeoutMs: 0,
    isRoot: () => false,
    baseEnv: {},
  });
  const log = new EventLog(e);
  const onNode = (prompt: string, nodes: NodeOption[], agentId = "main"): SessionSnapshot<Owner> =>
    e.launch({ prompt, workdir: "/node/src", nodes, owner: { agentId }, permissionMode: "default" });
  const here = (prompt: string, agentId = "main"): SessionSnapshot<Owner> => e.launch({ prompt, workdir: local, owner: { agentId }, permissionMode: "default" });
  const started = (id: string) => log.waitFor((ev) => ev.type === "started" && ev.session.id === id, 5000, `${id} started`);
  const startedIds = () => log.events.filter((ev) => ev.type === "started").map((ev) => ev.session.id);
  return { e, log, h, onNode, here, started, startedIds };
}

const opt = (node: NodeRef, slots: number, workdir?: string): NodeOption => ({ node, slots, ...(workdir ? { workdir } : {}) });

describe("the launch queue for paired nodes", () => {
  it("queues a launch for a full node with its place, and starts it there when a session on the node ends", async () => {
    const { e, h, onNode, started } = setup();
    const first = onNode("first", [opt(ALPHA, 1)]);
    expect(first).toMatchObject({ status: "starting", node: ALPHA });
    const second = onNode("second", [opt(ALPHA, 1)]);
    const third = onNode("third", [opt(ALPHA, 1)]);
    expect(second).toMatchObject({ status: "queued", node: ALPHA, queue: { position: 1, total: 1, nodes: [ALPHA] } });
    expect(third.queue).toEqual({ position: 2, total: 2, nodes: [ALPHA] });
    expect(h.on(ALPHA.id)).toHaveLength(1);

    await e.kill(first.id, "test");
    await started(second.id);
    expect(h.on(ALPHA.id)).toHaveLength(2);
    expect(e.get(second.id)).toMatchObject({ status: "starting", node: ALPHA, queue: undefined });
    expect(e.get(third.id).queue).toEqual({ position: 1, total: 1, nodes: [ALPHA] });
    await e.shutdown();
  });

  it("waits for the node to let go of the ended process before it starts the next one there", async () => {
    const { e, h, onNode, log } = setup();
    const first = onNode("first", [opt(ALPHA, 1)]);
    const second = onNode("second", [opt(ALPHA, 1)]);
    const proc = h.on(ALPHA.id)[0]!;
    // The process outlives the session's end for a while (a slow node); nothing starts meanwhile.
    proc.kill = () => ((proc.killed = true), true);
    const killing = e.kill(first.id, "test");
    await log.waitFor((ev) => ev.type === "ended" && ev.session.id === first.id);
    await new Promise((r) => setTimeout(r, 50));
    expect(e.get(second.id).status).toBe("queued");
    // The directory counts it as ours while the node still runs it (not as another gateway's).
    expect(e.slotsInUseOn(ALPHA.id)).toBe(1);
    proc.end(null);
    await killing;
    await log.waitFor((ev) => ev.type === "started" && ev.session.id === second.id, 5000);
    await e.shutdown();
  });

  it("never makes this machine's queue and a node's queue wait for each other, and is fair between agents in each", async () => {
    const { e, onNode, here, started, startedIds } = setup(1);
    const busyHere = here("busy here");
    const busyThere = onNode("busy there", [opt(ALPHA, 1)]);
    const nodeA1 = onNode("node a1", [opt(ALPHA, 1)], "A");
    const nodeA2 = onNode("node a2", [opt(ALPHA, 1)], "A");
    const nodeB1 = onNode("node b1", [opt(ALPHA, 1)], "B");
    const hereA = here("here a", "A");
    // Places count within each queue: the local launch is first in its own.
    expect(e.get(hereA.id).queue).toEqual({ position: 1, total: 1 });
    expect(e.get(nodeB1.id).queue).toEqual({ position: 2, total: 3, nodes: [ALPHA] });

    // A local slot frees: the local launch starts, although node launches queued before it.
    await e.kill(busyHere.id, "test");
    await started(hereA.id);
    expect(startedIds()).toEqual([hereA.id]);
    // A node slot frees: the node's queue goes on, agents in turn (A, B, then A's second).
    await e.kill(busyThere.id, "test");
    await started(nodeA1.id);
    await e.kill(nodeA1.id, "test");
    await started(nodeB1.id);
    await e.kill(nodeB1.id, "test");
    await started(nodeA2.id);
    expect(startedIds()).toEqual([hereA.id, nodeA1.id, nodeB1.id, nodeA2.id]);
    await e.shutdown();
  });

  it("starts queued launches when the directory reports more slots, and a new launch does not jump the node's queue", async () => {
    const { e, onNode, started } = setup();
    onNode("busy", [opt(ALPHA, 1)]);
    const waiting = onNode("waiting", [opt(ALPHA, 1)]);
    expect(e.queuedNodeIds()).toEqual([ALPHA.id]);
    e.setNodeSlots(ALPHA.id, 2);
    await started(waiting.id);
    expect(e.queuedNodeIds()).toEqual([]);
    // A launch that brings news of a third slot: launches already queued there would go first.
    const q = onNode("third", [opt(ALPHA, 2)]);
    expect(q.status).toBe("queued");
    const newcomer = onNode("newcomer", [opt(ALPHA, 4)]);
    expect(e.get(q.id).status).toBe("starting");
    expect(newcomer.status).toBe("starting");
    expect(() => e.setNodeSlots(ALPHA.id, -1)).toThrow(/whole number/);
    await e.shutdown();
  });

  it('"auto" runs on the node with most free slots, else waits for whichever frees one first, in the workdir that node resolved', async () => {
    const { e, h, onNode, started } = setup();
    const roomy = onNode("roomy", [opt(ALPHA, 1), opt(BETA, 3, "/node/beta/src")]);
    expect(roomy).toMatchObject({ status: "starting", node: BETA, workdir: "/node/beta/src" });
    onNode("fill alpha", [opt(ALPHA, 1)]);
    onNode("fill beta", [opt(BETA, 2)]);
    const waits = onNode("waits", [opt(ALPHA, 1, "/node/alpha/src"), opt(BETA, 2, "/node/beta/src")]);
    expect(waits).toMatchObject({ status: "queued", node: undefined, queue: { position: 1, total: 1, nodes: [ALPHA, BETA] } });
    expect(e.queuedNodeIds().sort()).toEqual([ALPHA.id, BETA.id]);

    await e.kill(roomy.id, "test");
    await started(waits.id);
    expect(e.get(waits.id)).toMatchObject({ node: BETA, workdir: "/node/beta/src", queue: undefined });
    expect(h.on(BETA.id).at(-1)?.cwd).toBe("/node/beta/src");
    // It left alpha's queue too.
    expect(e.queuedNodeIds()).toEqual([]);
    await e.shutdown();
  });

  it("kills a queued node launch before it ever starts", async () => {
    const { e, h, onNode, log } = setup();
    const busy = onNode("busy", [opt(ALPHA, 1)]);
    const q = onNode("waits", [opt(ALPHA, 1)]);
    expect(await e.kill(q.id, "user 1")).toMatchObject({ status: "killed", reason: { kind: "killed", by: "user 1" } });
    await e.kill(busy.id, "test");
    await new Promise((r) => setTimeout(r, 30));
    expect(log.events.some((ev) => ev.type === "started")).toBe(false);
    expect(h.on(ALPHA.id)).toHaveLength(1);
    await e.shutdown();
  });

  it("a lost node takes no queued launch until the directory sees it again", async () => {
    const { e, h, onNode, log, started } = setup();
    const running = onNode("running", [opt(ALPHA, 1)]);
    const q = onNode("waits", [opt(ALPHA, 1)]);
    h.on(ALPHA.id)[0]!.end(null, "node alpha");
    await log.waitFor((ev) => ev.type === "ended" && ev.session.id === running.id);
    await e.settled(running.id);
    await new Promise((r) => setTimeout(r, 30));
    expect(e.get(q.id)).toMatchObject({ status: "queued", queue: { nodes: [ALPHA] } });
    expect(h.on(ALPHA.id)).toHaveLength(1);
    e.setNodeSlots(ALPHA.id, 1);
    await started(q.id);
    await e.shutdown();
  });

  it("refuses a launch for full nodes whose queues are at maxQueuedSessions, naming the nodes and their sessions", () => {
    const { e, onNode } = setup(1, 1);
    const busy = onNode("busy", [opt(ALPHA, 1)]);
    onNode("queued", [opt(ALPHA, 1)]);
    expect(() => onNode("too many", [opt(ALPHA, 1)])).toThrow(new RegExp(`Node alpha is full: 1 of 1 slots in use \\(busy \\(${busy.id}\\)\\) and its queue holds 1 launch`));
    // maxQueuedSessions 0: a full node refuses at once.
    const { e: strict, onNode: strictNode } = setup(1, 0);
    strictNode("busy", [opt(BETA, 1)]);
    expect(() => strictNode("no room", [opt(BETA, 1)])).toThrow(/Node beta is full: 1 of 1 slots in use .*raise nodeSlots/);
    void e.shutdown();
    void strict.shutdown();
  });

  it("keeps queued node launches across a restart, and starts them once their node reports a slot", async () => {
    const first = setup();
    first.onNode("busy", [opt(ALPHA, 1)]);
    const q = first.onNode("later", [opt(ALPHA, 1)]);
    const auto = first.onNode("either", [opt(ALPHA, 1), opt(BETA, 0)]);
    await first.e.shutdown();
    const stored = first.e.list().filter((s) => s.status === "queued");
    expect(stored.map((s) => s.id).sort()).toEqual([q.id, auto.id].sort());

    const second = setup();
    const restored = second.e.restoreQueued(stored);
    expect(restored.map((s) => [s.id, s.node, s.queue?.nodes])).toEqual([
      [q.id, ALPHA, [ALPHA]],
      [auto.id, undefined, [ALPHA, BETA]],
    ]);
    // The nodes' slots are unknown after the restart: nothing starts until the directory tells.
    expect(second.e.queuedNodeIds().sort()).toEqual([ALPHA.id, BETA.id]);
    expect(second.startedIds()).toEqual([]);
    second.e.setNodeSlots(BETA.id, 1);
    await second.started(auto.id);
    expect(second.e.get(auto.id).node).toEqual(BETA);
    second.e.setNodeSlots(ALPHA.id, 1);
    await second.started(q.id);
    expect(second.h.on(ALPHA.id)).toHaveLength(1);
    await second.e.shutdown();
  });

  it("keeps a ~ workdir for the node to expand, and refuses a relative one", () => {
    const { e } = setup();
    const s = e.launch({ prompt: "home", workdir: "~/src/app", nodes: [opt(ALPHA, 1)], owner: { agentId: "main" } });
    expect(s.workdir).toBe("~/src/app");
    expect(() => e.launch({ prompt: "rel", workdir: "src/app", nodes: [opt(ALPHA, 1)], owner: { agentId: "main" } })).toThrow(/absolute path on node alpha \(or start with ~\/, the node's home\)/);
    void e.shutdown();
  });
});

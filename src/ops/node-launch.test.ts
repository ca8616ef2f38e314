// A launch for a paired node through the operations, the node directory and the engine, with the
// node's transport and its process host stood in at the process boundary: a ~ workdir reaches the
// node unexpanded and the session runs where the node resolved it (the node's home), while a local
// launch's ~ is this machine's home; a launch for a full node queues with its place rather than
// being refused, and starts there when the directory reports a slot.
import { homedir } from "node:os";
import path from "node:path";
import type { Options, Query, SDKUserMessage } from "@anthropic-ai/claude-agent-sdk";
import { describe, expect, it } from "vitest";
import { StandInProcess } from "../../test/support/hosted-process.ts";
import { parseConfig } from "../config.ts";
import { claudeCodeBackend, SessionEngine, type ProcessHost } from "../engine/index.ts";
import { NodeDirectory, type ListedNode } from "../nodes/directory.ts";
import type { InfoParams, NodeInfo } from "../nodes/protocol.ts";
import { ForegroundRegistry } from "./foreground.ts";
import { expandHome, parseLaunchInput } from "./inputs.ts";
import { Operations } from "./operations.ts";
import type { Caller, Owner } from "./types.ts";

const person: Caller = { kind: "operator", origin: "command", label: "user alice on test", agentId: "main", sessionKey: undefined, route: { channel: "test", to: "alice" } };
const NODE_HOME = "/home/builder";

/** A node session spawns through its host (like the SDK); a local one just idles. Both last until closed. */
function query(params: { prompt: AsyncIterable<SDKUserMessage>; options: Options }): Query {
  if (params.options.cwd?.startsWith(NODE_HOME)) {
    params.options.spawnClaudeCodeProcess!({ command: "claude", args: [], cwd: params.options.cwd, env: {}, signal: new AbortController().signal });
  }
  let close: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (close = resolve));
  async function* messages(): AsyncGenerator<never> {
    await done;
  }
  return Object.assign(messages(), { interrupt: async () => undefined, close: () => close() }) as unknown as Query;
}

function setup() {
  const asked: InfoParams[] = [];
  const cwds: Array<string | undefined> = [];
  let slots = 1;
  const alpha: ListedNode = { nodeId: "id-a", displayName: "alpha", connected: true, commands: ["claude-code.process.v1", "claude-code.info.v1"] };
  const nodes = new NodeDirectory({
    transport: {
      list: async () => [alpha],
      // The node resolves the path itself: its ~ is its own home.
      info: async (_id, params): Promise<NodeInfo> => {
        asked.push(params);
        const dir = params.workdir?.startsWith("~") ? path.join(NODE_HOME, params.workdir.slice(1)) : params.workdir;
        return { protocol: 1, claudeCodeVersion: "2", slots, cores: 2, running: 0, allowedWorkdirs: [NODE_HOME], ...(dir ? { workdir: { path: dir, exists: true, allowed: true } } : {}) };
      },
      open: async () => {
        throw new Error("not in this test");
      },
    },
    liveSessions: () => engine.liveSessions(),
  });
  const host: ProcessHost = {
    label: "node alpha",
    spawn(options) {
      cwds.push(options.cwd);
      return new StandInProcess();
    },
  };
  const config = parseConfig({ skipSafetyChecks: true });
  const engine: SessionEngine<Owner> = new SessionEngine<Owner>({ backend: claudeCodeBackend({ queryFn: query }), isRoot: () => false, processHostFor: () => host, exitGraceMs: 10, ...Operations.engineHooks(config) });
  const ops = new Operations({ engine, config, foreground: new ForegroundRegistry(), nodes });
  return { ops, engine, nodes, asked, cwds, setSlots: (n: number) => (slots = n) };
}

describe("a ~ in a workdir is the home of the machine the session runs on", () => {
  it("is kept as given by the input parser, and expanded with this machine's home only for a local launch", () => {
    expect(parseLaunchInput({ prompt: "p", workdir: "~/src/app" }).workdir).toBe("~/src/app");
    expect(parseLaunchInput({ prompt: "p", workdir: "~" }).workdir).toBe("~");
    expect(() => parseLaunchInput({ prompt: "p", workdir: "src/app" })).toThrow(/must be an absolute path/);
    expect(() => parseLaunchInput({ prompt: "p", workdir: "~other/src" })).toThrow(/must be an absolute path/);
    expect(expandHome("~/src/app", () => "/home/gw")).toBe("/home/gw/src/app");
    expect(expandHome("~", () => "/home/gw")).toBe("/home/gw");
    expect(expandHome("/abs/~/x", () => "/home/gw")).toBe("/abs/~/x");
    expect(expandHome(undefined)).toBeUndefined();
  });

  it("reaches the node unexpanded, and the session runs (and is listed) where the node resolved it", async () => {
    const { ops, engine, asked, cwds } = setup();
    const { session } = await ops.launch(person, { prompt: "on the node", node: "alpha", workdir: "~/src/api" });
    expect(asked).toEqual([{ workdir: "~/src/api" }]);
    expect(session).toMatchObject({ status: "starting", node: { id: "id-a", name: "alpha" }, workdir: `${NODE_HOME}/src/api` });
    expect(cwds).toEqual([`${NODE_HOME}/src/api`]);
    await engine.shutdown();
  });

  it("on this machine is this machine's home", async () => {
    const { ops, engine } = setup();
    const { session } = await ops.launch(person, { prompt: "here", workdir: "~" });
    expect(session.node).toBeUndefined();
    expect(session.workdir).toBe(path.resolve(homedir()));
    await engine.shutdown();
  });
});

describe("a launch for a full node through the operations", () => {
  it("queues with its place instead of being refused, and starts when the node's session ends or the node reports a slot", async () => {
    const { ops, engine, nodes, cwds, setSlots } = setup();
    const first = (await ops.launch(person, { prompt: "first", node: "alpha", workdir: `${NODE_HOME}/a` })).session;
    const { session } = await ops.launch(person, { prompt: "second", node: "alpha", workdir: `${NODE_HOME}/b` });
    expect(session).toMatchObject({ status: "queued", node: { name: "alpha" }, queue: { position: 1, total: 1, nodes: [{ id: "id-a", name: "alpha" }] } });
    // A local launch does not wait behind the full node.
    expect((await ops.launch(person, { prompt: "here", workdir: "~" })).session.status).toBe("starting");
    await engine.kill(first.id, "test");
    await engine.settled(first.id);
    expect(engine.get(session.id).status).toBe("starting");

    const third = (await ops.launch(person, { prompt: "third", node: "alpha", workdir: `${NODE_HOME}/c` })).session;
    expect(third.status).toBe("queued");
    // The node's operator raises nodeSlots: the directory's next report starts it.
    setSlots(2);
    engine.setNodeSlots("id-a", await nodes.slotsFor("id-a"));
    expect(engine.get(third.id).status).toBe("starting");
    expect(cwds).toEqual([`${NODE_HOME}/a`, `${NODE_HOME}/b`, `${NODE_HOME}/c`]);
    await engine.shutdown();
  });
});

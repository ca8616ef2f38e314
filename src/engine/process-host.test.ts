// Sessions placed on another host through the ProcessHost seam, with a stand-in for the Agent
// SDK's query (it spawns through the session's spawnClaudeCodeProcess like the SDK, and ends when
// that process exits): the host is used, a lost host ends the session interrupted and resumable,
// a resume stays on its node, node sessions do not count against maxSessions.
import type { Options, Query, SDKUserMessage } from "@anthropic-ai/claude-agent-sdk";
import { describe, expect, it } from "vitest";
import { StandInProcess } from "../../test/support/hosted-process.ts";
import { claudeCodeBackend } from "./backends/claude-code/index.ts";
import { SessionEngine, type SessionHistory } from "./engine.ts";
import type { ProcessHost } from "./process-host.ts";
import type { SessionEvent } from "./types.ts";

/** A process that never starts anything: exits when told to. */
function fakeHost(label: string): ProcessHost & { spawned: StandInProcess[]; cwds: Array<string | undefined> } {
  const spawned: StandInProcess[] = [];
  const cwds: Array<string | undefined> = [];
  return {
    label,
    spawned,
    cwds,
    spawn(options) {
      const p = new StandInProcess();
      spawned.push(p);
      cwds.push(options.cwd);
      return p;
    },
  };
}

/** Like the SDK: spawn at once, report init, end (throwing) when the process exits. */
function fakeQuery(params: { prompt: AsyncIterable<SDKUserMessage>; options: Options }): Query {
  const proc = params.options.spawnClaudeCodeProcess!({ command: "claude", args: [], cwd: params.options.cwd, env: {}, signal: new AbortController().signal });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  async function* messages(): AsyncGenerator<never> {
    await exited;
    throw new Error("Claude Code process exited");
  }
  const gen = messages();
  return Object.assign(gen, { interrupt: async () => undefined, close: () => proc.kill("SIGTERM") }) as unknown as Query;
}

function engineWith(host: ProcessHost, history?: SessionHistory) {
  const events: SessionEvent<null>[] = [];
  const engine = new SessionEngine<null>({ backend: claudeCodeBackend({ queryFn: fakeQuery }), processHostFor: () => host, maxSessions: 1, exitGraceMs: 10, history, isRoot: () => false });
  engine.subscribe((e) => events.push(e));
  return { engine, events };
}

const NODE = { id: "node-1", name: "build-box" };

describe("sessions on another host", () => {
  it("runs the process on the node's host, in a workdir that only the node has", () => {
    const host = fakeHost("node build-box");
    const { engine } = engineWith(host);
    const s = engine.launch({ prompt: "go", workdir: "/only/on/the/node", node: NODE, owner: null });
    expect(s.node).toEqual(NODE);
    expect(host.cwds).toEqual(["/only/on/the/node"]);
    expect(s.pid).toBeUndefined();
  });

  it("ends interrupted (node lost), exactly once, when the host goes away", async () => {
    const host = fakeHost("node build-box");
    const { engine, events } = engineWith(host);
    const s = engine.launch({ prompt: "go", workdir: "/w", node: NODE, owner: null });
    host.spawned[0]!.end(null, "node build-box");
    await engine.settled(s.id);
    const ended = events.filter((e) => e.type === "ended");
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ status: "interrupted", reason: { kind: "host_lost", host: "node build-box" } });
    // No local pid was ever recorded for it.
    expect(events.filter((e) => e.type === "process")).toEqual([]);
  });

  it("a process that merely exits is a failure, not a lost node", async () => {
    const host = fakeHost("node build-box");
    const { engine, events } = engineWith(host);
    const s = engine.launch({ prompt: "go", workdir: "/w", node: NODE, owner: null });
    host.spawned[0]!.end(1);
    await engine.settled(s.id);
    expect(events.find((e) => e.type === "ended")).toMatchObject({ status: "failed" });
  });

  it("node sessions do not take the gateway's maxSessions slots", () => {
    const host = fakeHost("node build-box");
    const { engine } = engineWith(host);
    engine.launch({ prompt: "one", workdir: "/w", node: NODE, owner: null });
    engine.launch({ prompt: "two", workdir: "/w", node: NODE, owner: null });
    expect(engine.liveSessions()).toHaveLength(2);
  });

  it("a resume runs on the session's node and refuses another one", () => {
    const host = fakeHost("node build-box");
    const history = {
      findByRef: (ref: string) => (ref === "old" ? { id: "old", name: "old", claudeSessionId: "0b7f3f0e-0000-4000-8000-000000000001", workdir: "/w", costUsd: 0, node: NODE } : undefined),
      hasName: (name: string) => name === "old",
    };
    const { engine } = engineWith(host, history);
    const s = engine.launch({ prompt: "again", resume: "old", owner: null });
    expect(s.node).toEqual(NODE);
    expect(s.workdir).toBe("/w");
    expect(() => engine.launch({ prompt: "again", resume: "old", node: { id: "other", name: "gpu-box" }, owner: null })).toThrow(/runs on its original node build-box/);
  });
});

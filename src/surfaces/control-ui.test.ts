// The Control UI's push channel and launch options: what each engine event becomes for the page,
// that the payload is plain JSON, and that a failing emitter never reaches the engine.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sampleSnapshot } from "../../test/support/snapshots.ts";
import { silentLogger, type SessionEvent } from "../engine/index.ts";
import type { Owner } from "../ops/types.ts";
import { launchOptions, launchOptionsWithRepositories, startControlUiEvents, uiEventFor, UI_EVENT, type GatewayEventEmitter } from "./control-ui.ts";

const owner: Owner = { agentId: "main", route: undefined, sessionKey: undefined, origin: "rpc" };
const live = sampleSnapshot(owner, { status: "running", reason: undefined, endedAt: undefined, model: undefined });

function fakeEngine() {
  const listeners: ((e: SessionEvent<Owner>) => void)[] = [];
  return {
    subscribe(l: (e: SessionEvent<Owner>) => void) {
      listeners.push(l);
      return () => listeners.splice(listeners.indexOf(l), 1);
    },
    emit(e: SessionEvent<Owner>) {
      for (const l of [...listeners]) l(e);
    },
    get count() {
      return listeners.length;
    },
  };
}

describe("uiEventFor", () => {
  it("carries an output entry with the session's flat state, timestamps in epoch ms", () => {
    const p = uiEventFor({ type: "output", session: live, entry: { seq: 4, at: 1500, kind: "tool_use", text: "Bash — ls", tool: "Bash" } });
    expect(p).toEqual({
      type: "output",
      entry: { seq: 4, at: 1500, kind: "tool_use", text: "Bash — ls", tool: "Bash" },
      session: expect.objectContaining({ id: "aaaa2222", status: "running", startedAt: 1000, completedAt: null, model: null, agentId: "main", reason: null }),
    });
    // Plain JSON: what goes over the wire equals what was built (no undefined dropped silently).
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });

  it("reports how a session ended and what it waits for", () => {
    const ended = sampleSnapshot(owner, { status: "killed", reason: { kind: "killed", by: "operator (RPC)" }, endedAt: 2000 });
    expect(uiEventFor({ type: "ended", session: ended, status: "killed", reason: { kind: "killed", by: "operator (RPC)" } })?.session).toMatchObject({ status: "killed", reason: "killed by operator (RPC)", completedAt: 2000 });
    const request = { id: "r1", sessionId: live.id, kind: "tool" as const, tool: "Bash", summary: "Bash — rm x", detail: undefined, fullText: undefined, questions: undefined, sessionScope: "Bash(rm:*)", createdAt: 1, expiresAt: 2 };
    const waiting = { ...live, status: "waiting" as const, waitingFor: "permission" as const, pendingRequests: [request] };
    const p = uiEventFor({ type: "permission_request", session: waiting, request });
    expect(p?.session.waitingFor).toBe("permission");
    expect(p?.session.pending).toEqual([{ id: "r1", sessionId: live.id, kind: "tool", tool: "Bash", summary: "Bash — rm x", sessionScope: "Bash(rm:*)", createdAt: 1, expiresAt: 2 }]);
  });

  it("sends nothing for process starts and exits", () => {
    expect(uiEventFor({ type: "process", session: live, pid: 42, running: true, tree: { marker: "s.n", since: 0 } })).toBeUndefined();
  });
});

describe("startControlUiEvents", () => {
  it("emits each session change under one event name with read scope, and stops when told", () => {
    const engine = fakeEngine();
    const sent: { event: string; payload: unknown; scope: string }[] = [];
    const emitter: GatewayEventEmitter = { emit: (event, payload, opts) => sent.push({ event, payload, scope: opts.scope }) };
    const stop = startControlUiEvents(engine, emitter, silentLogger);
    engine.emit({ type: "turn_started", session: live });
    engine.emit({ type: "process", session: live, pid: 1, running: false, tree: { marker: "s.n", since: 0 } });
    expect(sent).toEqual([{ event: UI_EVENT, payload: expect.objectContaining({ type: "turn_started" }), scope: "operator.read" }]);
    stop();
    expect(engine.count).toBe(0);
  });

  it("logs a failing emit once and keeps the engine's listeners safe", () => {
    const engine = fakeEngine();
    const warnings: string[] = [];
    const emitter: GatewayEventEmitter = {
      emit: () => {
        throw new Error("gateway event emitter is no longer active");
      },
    };
    startControlUiEvents(engine, emitter, { ...silentLogger, warn: (m) => warnings.push(m) });
    expect(() => engine.emit({ type: "turn_started", session: live })).not.toThrow();
    engine.emit({ type: "waiting", session: live, lastText: "", interrupted: false });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("aaaa2222");
  });

  it("does nothing outside a gateway (no emitter)", () => {
    const engine = fakeEngine();
    startControlUiEvents(engine, undefined, silentLogger)();
    expect(engine.count).toBe(0);
  });
});

describe("launchOptions", () => {
  it("offers the default and the allowed workdirs once each, the modes and the configured defaults", () => {
    const o = launchOptions({ defaultWorkdir: "/srv/a", allowedWorkdirs: ["/srv/a", "/srv/b"], permissionMode: "default", defaultBudgetUsd: 2 });
    expect(o).toMatchObject({ workdirs: ["/srv/a", "/srv/b"], defaultWorkdir: "/srv/a", defaultPermissionMode: "default", defaultBudgetUsd: 2 });
    expect(o.permissionModes).toEqual(["default", "plan", "acceptEdits", "bypassPermissions"]);
  });

  it("refuses an invalid config with the config's own message", () => {
    expect(() => launchOptions({ maxSessions: "many" })).toThrow(/maxSessions/);
  });

  it("names the listed workdirs that are inside a git work tree (real git), and the gateway's home", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "occp-options-"));
    try {
      const repo = path.join(root, "repo");
      const nested = path.join(repo, "pkg");
      const plain = path.join(root, "plain");
      for (const d of [nested, plain]) mkdirSync(d, { recursive: true });
      execFileSync("git", ["init", "-q", repo]);
      const o = await launchOptionsWithRepositories({ defaultWorkdir: nested, allowedWorkdirs: [plain, path.join(root, "missing")] });
      expect(o.workdirs).toEqual([nested, plain, path.join(root, "missing")]);
      expect(o.repositories).toEqual([nested]);
      expect(o).toMatchObject({ defaultWorktree: false, home: homedir() });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

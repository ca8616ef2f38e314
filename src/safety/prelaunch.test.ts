// The pre-launch gate: all four checks over a fake host, one refusal listing every failure with its
// fix, and the operations layer calling it only for agents and only without skipSafetyChecks.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../config.ts";
import { isSessionError, SessionError, type SessionEngine } from "../engine/index.ts";
import { ForegroundRegistry } from "../ops/foreground.ts";
import { Operations } from "../ops/operations.ts";
import type { Caller, Owner } from "../ops/types.ts";
import { autonomySkillPath, type MonitorScratch } from "./checks.ts";
import type { HostConfigView } from "./host-config.ts";
import { createPreLaunchCheck, launchFindings, type SafetyEnvironment } from "./prelaunch.ts";

const env = { HOME: "/home/u" };

function fakeHost(over: { config?: HostConfigView; files?: string[]; scratch?: MonitorScratch } = {}): SafetyEnvironment & { configReads: number } {
  const files = new Set(over.files ?? []);
  const host = {
    configReads: 0,
    hostConfig: () => {
      host.configReads += 1;
      return over.config ?? { agents: { defaults: { heartbeat: { every: "30m" } } } };
    },
    workspaceDir: (agentId: string) => `/state/workspace-${agentId}`,
    fileExists: (p: string) => files.has(p),
    readScratch: (): MonitorScratch => over.scratch ?? { kind: "absent" },
  };
  return host;
}

const agent = (over: Partial<Extract<Caller, { kind: "agent" }>> = {}): Extract<Caller, { kind: "agent" }> => ({
  kind: "agent",
  agentId: "main",
  sessionKey: "agent:main:main",
  route: { channel: "telegram", to: "42" },
  workspaceDir: "/ws",
  ...over,
});

const launchInput = { prompt: "fix it", name: undefined, workdir: "/src", model: undefined, maxBudgetUsd: undefined, systemPrompt: undefined, allowedTools: undefined, resumeSessionId: undefined, forkSession: false, multiTurnDisabled: false, permissionMode: undefined };

function refusal(fn: () => unknown): SessionError {
  try {
    fn();
  } catch (err) {
    if (isSessionError(err)) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("createPreLaunchCheck", () => {
  it("lets a well set-up agent launch, reading the live host config each time", () => {
    const host = fakeHost({ files: [autonomySkillPath("/ws")] });
    const check = createPreLaunchCheck(host, parseConfig({}, env));
    expect(check(agent(), launchInput)).toBeUndefined();
    expect(check(agent(), launchInput)).toBeUndefined();
    expect(host.configReads).toBe(2);
  });

  it("refuses with every failing check, numbered, each with its fix", () => {
    const host = fakeHost({ config: { agents: { defaults: { heartbeat: { every: "0m" } } }, skills: { entries: { "claude-code-orchestration": { enabled: false } } } } });
    const err = refusal(() => createPreLaunchCheck(host, parseConfig({}, env))(agent({ route: undefined }), launchInput));
    expect(err.code).toBe("SETUP_REQUIRED");
    expect(err.message).toMatch(/^claude_launch refused: 4 setup checks failed\. Fix each, then call claude_launch again/);
    expect(err.message).toContain("skipSafetyChecks: true");
    for (const [n, id] of [[1, "autonomy-skill"], [2, "wake"], [3, "wake-instructions"], [4, "route"]] as const) expect(err.message).toContain(`\n\n${n}. [${id}] `);
    expect(err.message).toContain(`Then write their answer to ${autonomySkillPath("/ws")}`);
    expect(err.message).toContain('openclaw config set agents.entries.main.heartbeat.every "30m"');
    expect(err.data?.checks).toHaveLength(4);
  });

  it("uses the host's workspace for the agent when the tool context has none", () => {
    const host = fakeHost();
    const err = refusal(() => createPreLaunchCheck(host, parseConfig({}, env))(agent({ workspaceDir: undefined, agentId: "ops" }), launchInput));
    expect(err.message).toContain(autonomySkillPath("/state/workspace-ops"));
  });

  it("routes by the plugin's defaultWorkdir when the launch names no workdir", () => {
    const findings = launchFindings(fakeHost(), parseConfig({ defaultWorkdir: "/src/app", agentChannels: { "/src": "telegram|7" } }, env), {
      agentId: "main",
      workspaceDir: "/ws",
      conversation: undefined,
      workdir: "/src/app",
    });
    expect(findings.find((f) => f.check === "route")?.detail).toBe("notices go to telegram|7 (agentChannels)");
  });
});

describe("Operations runs the checks only for agents, and never with skipSafetyChecks", () => {
  function opsWith(raw: Record<string, unknown>): { ops: Operations; launched: () => number; checked: () => number } {
    let launched = 0;
    let checked = 0;
    const engine = {
      launch: () => {
        launched += 1;
        return { id: "abcdefgh", name: "s", status: "starting" };
      },
    } as unknown as SessionEngine<Owner>;
    const ops = new Operations({
      engine,
      config: parseConfig(raw, env),
      foreground: new ForegroundRegistry(),
      preLaunchChecks: () => {
        checked += 1;
        throw new SessionError("SETUP_REQUIRED", "not set up");
      },
    });
    return { ops, launched: () => launched, checked: () => checked };
  }
  const operator: Caller = { kind: "operator", origin: "rpc", label: "operator (RPC)", agentId: undefined, sessionKey: undefined, route: undefined };

  it("an agent is refused by a failing check", async () => {
    const t = opsWith({});
    await expect(t.ops.launch(agent(), { prompt: "x", workdir: "/src" })).rejects.toMatchObject({ code: "SETUP_REQUIRED" });
    expect([t.checked(), t.launched()]).toEqual([1, 0]);
  });

  it("skipSafetyChecks: true launches without running them", async () => {
    const t = opsWith({ skipSafetyChecks: true });
    await t.ops.launch(agent(), { prompt: "x", workdir: "/src" });
    expect([t.checked(), t.launched()]).toEqual([0, 1]);
  });

  it("operators (RPC, chat commands) are not subject to them", async () => {
    const t = opsWith({});
    await t.ops.launch(operator, { prompt: "x", workdir: "/src" });
    await t.ops.launch({ ...operator, origin: "command", label: "user 1 on telegram" }, { prompt: "x", workdir: "/src" });
    expect([t.checked(), t.launched()]).toEqual([0, 2]);
  });
});

// The config readers against hand-made configs, and against the host's own heartbeat resolver
// (OpenClaw 2026.9.6's resolveHeartbeatSummaryForAgent) so they cannot drift from it silently.
import { resolveHeartbeatSummaryForAgent } from "openclaw/plugin-sdk/infra-runtime";
import { describe, expect, it } from "vitest";
import {
  agentConfigPath,
  applyEdits,
  channelConfigured,
  configSetCommand,
  formatPath,
  heartbeatEnableEdits,
  heartbeatState,
  listAgentIds,
  parseEvery,
  skillVisibility,
  type HostConfigView,
} from "./host-config.ts";

type HostCfg = Parameters<typeof resolveHeartbeatSummaryForAgent>[0];
const hostSays = (cfg: HostConfigView, agentId: string): boolean => resolveHeartbeatSummaryForAgent(cfg as unknown as HostCfg, agentId).enabled;
const weSay = (cfg: HostConfigView, agentId: string): boolean => {
  const s = heartbeatState(cfg, agentId);
  return s.enrolled && s.intervalMs !== null;
};

const MATRIX: Array<[string, HostConfigView]> = [
  ["no config at all", {}],
  ["defaults 0m", { agents: { defaults: { heartbeat: { every: "0m" } } } }],
  ["defaults 24h", { agents: { defaults: { heartbeat: { every: "24h" } } } }],
  ["defaults with a bare number of minutes", { agents: { defaults: { heartbeat: { every: "45" } } } }],
  ["defaults unreadable", { agents: { defaults: { heartbeat: { every: "soon" } } } }],
  ["one agent has its own block", { agents: { entries: { main: {}, ops: { heartbeat: { every: "1h" } } } } }],
  ["a default-marked agent, no heartbeat config", { agents: { entries: { main: { default: true }, ops: {} } } }],
  ["two agents, no default, no heartbeat config", { agents: { entries: { main: {}, ops: {} } } }],
  ["defaults name one agent", { agents: { defaults: { heartbeat: { agentId: "ops" } }, entries: { main: {}, ops: {} } } }],
  ["per-agent 0m over defaults", { agents: { defaults: { heartbeat: { every: "30m" } }, entries: { main: { heartbeat: { every: "0m" } }, ops: {} } } }],
  ["system agent owns ambient work", { agents: { defaults: { systemAgent: { agentId: "ops" } }, entries: { main: {}, ops: {} } } }],
  ["legacy agents.list", { agents: { list: [{ id: "main" }, { id: "ops", heartbeat: { every: "2h" } }] } }],
  ["composite cadence, mixed-case id", { agents: { defaults: { heartbeat: { every: "1h30m" } }, entries: { Main: {} } } }],
  ["empty roster", { agents: { entries: {} } }],
  ["explicit ownership ignores default markers", { agents: { ownership: "explicit", entries: { main: { default: true }, ops: {} } } }],
  ["defaults block without cadence", { agents: { defaults: { heartbeat: { target: "none" } }, entries: { main: {}, ops: {} } } }],
];

describe("heartbeat enrolment matches the host's own resolver", () => {
  for (const [name, cfg] of MATRIX) {
    it(name, () => {
      for (const agentId of ["main", "ops"]) expect(weSay(cfg, agentId), `${name}: agent ${agentId}`).toBe(hostSays(cfg, agentId));
    });
  }

  it("the matrix covers enabled and disabled agents in the host's eyes", () => {
    const verdicts = MATRIX.flatMap(([, cfg]) => ["main", "ops"].map((id) => hostSays(cfg, id)));
    expect(verdicts.filter(Boolean).length).toBeGreaterThan(5);
    expect(verdicts.filter((v) => !v).length).toBeGreaterThan(5);
  });

  it("the suggested edits enable the agent and keep every other agent's heartbeat (checked by the host)", () => {
    for (const [name, cfg] of MATRIX) {
      for (const agentId of ["main", "ops"]) {
        const next = structuredClone(cfg) as Record<string, unknown>;
        applyEdits(next, heartbeatEnableEdits(cfg, agentId));
        expect(hostSays(next, agentId), `${name}: ${agentId} enabled`).toBe(true);
        for (const other of listAgentIds(cfg)) {
          if (hostSays(cfg, other)) expect(hostSays(next, other), `${name}: ${other} keeps its heartbeat`).toBe(true);
        }
      }
    }
  });
});

describe("heartbeatState", () => {
  it("says where the cadence comes from", () => {
    expect(heartbeatState({ agents: { defaults: { heartbeat: { every: "0m" } } } }, "main")).toMatchObject({ every: "0m", everyFrom: "agents.defaults.heartbeat.every", intervalMs: null, enrolled: true });
    expect(heartbeatState({ agents: { entries: { main: { heartbeat: { every: "2h" } } } } }, "main")).toMatchObject({ every: "2h", everyFrom: "agents.entries.main.heartbeat.every", intervalMs: 7_200_000 });
    expect(heartbeatState({}, "main")).toMatchObject({ every: "30m", everyFrom: "(host default)", intervalMs: 1_800_000 });
    expect(heartbeatState({ agents: { list: [{ id: "main", heartbeat: { every: "5m" } }] } }, "main").everyFrom).toBe("agents.list[0].heartbeat.every");
  });

  it("reads the agent's prompt over the defaults' and keeps activeHours", () => {
    const cfg = { agents: { defaults: { heartbeat: { prompt: "defaults", activeHours: { start: "08:00", end: "20:00" } } }, entries: { main: { heartbeat: { prompt: "mine" } }, ops: {} } } };
    expect(heartbeatState(cfg, "main")).toMatchObject({ prompt: "mine", activeHours: { start: "08:00" } });
    expect(heartbeatState(cfg, "ops").prompt).toBe("defaults");
  });
});

describe("parseEvery", () => {
  it("reads the host's duration forms", () => {
    expect(parseEvery("30m")).toBe(1_800_000);
    expect(parseEvery("45")).toBe(2_700_000);
    expect(parseEvery("1h30m")).toBe(5_400_000);
    expect(parseEvery("0m")).toBe(0);
    expect(parseEvery("90s")).toBe(90_000);
    expect(parseEvery("soon")).toBeUndefined();
    expect(parseEvery("1h 30m")).toBeUndefined();
  });
});

describe("heartbeatEnableEdits", () => {
  it("adds only the agent's own block when agents already have their own blocks", () => {
    const edits = heartbeatEnableEdits({ agents: { entries: { main: {}, ops: { heartbeat: { every: "1h" } } } } }, "main");
    expect(edits.map(configSetCommand)).toEqual(['openclaw config set agents.entries.main.heartbeat.every "30m"']);
  });

  it("gives agents that had a heartbeat through the defaults a block of their own", () => {
    const edits = heartbeatEnableEdits({ agents: { entries: { main: { default: true }, ops: {} } } }, "ops");
    expect(edits.map(configSetCommand)).toEqual([
      'openclaw config set agents.entries.ops.heartbeat.every "30m"',
      'openclaw config set agents.entries.main.heartbeat.every "30m"',
    ]);
  });

  it("creates agents.entries.main when the config has no roster", () => {
    expect(agentConfigPath({}, "main")).toEqual(["agents", "entries", "main"]);
    const draft: Record<string, unknown> = { agents: { defaults: { heartbeat: { every: "0m" } } } };
    applyEdits(draft, heartbeatEnableEdits(draft, "main"));
    expect(draft).toEqual({ agents: { defaults: { heartbeat: { every: "0m" } }, entries: { main: { heartbeat: { every: "30m" } } } } });
  });

  it("edits a legacy list entry in place", () => {
    const draft: Record<string, unknown> = { agents: { list: [{ id: "main", heartbeat: { every: "0m" } }] } };
    applyEdits(draft, heartbeatEnableEdits(draft, "main"));
    expect(draft).toEqual({ agents: { list: [{ id: "main", heartbeat: { every: "30m" } }] } });
    expect(formatPath(["agents", "list", 0, "heartbeat", "every"])).toBe("agents.list[0].heartbeat.every");
  });
});

describe("skillVisibility", () => {
  const skill = "claude-code-orchestration";
  it("is visible without allowlists or a disabled entry", () => {
    expect(skillVisibility({}, "main", skill)).toMatchObject({ visible: true, reason: "no skill allowlist applies" });
  });
  it("is hidden when disabled, or left out of the allowlist that applies", () => {
    expect(skillVisibility({ skills: { entries: { [skill]: { enabled: false } } } }, "main", skill)).toMatchObject({ visible: false, disabled: true });
    const defaults = skillVisibility({ agents: { defaults: { skills: ["github"] } } }, "main", skill);
    expect(defaults).toMatchObject({ visible: false, allowlist: ["github"], allowlistPath: ["agents", "defaults", "skills"] });
    expect(defaults.reason).toBe("agents.defaults.skills lists only [github]");
  });
  it("takes the agent's own list over the defaults", () => {
    expect(skillVisibility({ agents: { defaults: { skills: ["github"] }, entries: { main: { skills: [skill] } } } }, "main", skill).visible).toBe(true);
    expect(skillVisibility({ agents: { defaults: { skills: [skill] }, entries: { main: { skills: [] } } } }, "main", skill)).toMatchObject({ visible: false, allowlistPath: ["agents", "entries", "main", "skills"] });
  });
});

describe("channelConfigured", () => {
  it("needs a channels section that is not disabled, and the named account", () => {
    const cfg = { channels: { telegram: { accounts: { bot: {} } }, discord: { enabled: false } } };
    expect(channelConfigured(cfg, "telegram").ok).toBe(true);
    expect(channelConfigured(cfg, "telegram", "bot").ok).toBe(true);
    expect(channelConfigured(cfg, "telegram", "other").reason).toContain('has no "other"');
    expect(channelConfigured(cfg, "discord").reason).toBe("channels.discord.enabled is false");
    expect(channelConfigured(cfg, "slack").reason).toBe("no channels.slack section (configured channels: telegram, discord)");
  });
});

// Each pre-launch check, passing and failing, and the fix it gives.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../config.ts";
import {
  autonomySkillPath,
  checkAutonomySkill,
  checkConfiguredRoutes,
  checkRoute,
  checkWakeInstructions,
  checkWakes,
  isEffectivelyEmpty,
  SCRATCH_TEMPLATE,
  type MonitorScratch,
} from "./checks.ts";

const NO_SCRATCH: MonitorScratch = { kind: "present", jobId: "job-1", content: undefined };
const env = { HOME: "/home/u" };

describe("check 1: the autonomy skill", () => {
  it("passes when the file exists", () => {
    expect(checkAutonomySkill("main", "/ws", true)).toMatchObject({ status: "ok", detail: `autonomy rules found at ${path.join("/ws", "skills", "claude-code-autonomy", "SKILL.md")}` });
  });

  it("fails with the exact path, tells the agent to ask the user first, and gives a template", () => {
    const f = checkAutonomySkill("main", "/ws", false);
    expect(f.status).toBe("fail");
    expect(f.detail).toContain(autonomySkillPath("/ws"));
    expect(f.fix).toMatch(/^Ask the user how much freedom Claude Code gets/);
    expect(f.fix).toContain(`Then write their answer to ${autonomySkillPath("/ws")}`);
    expect(f.fix).toContain("name: claude-code-autonomy");
    expect(f.fix).toMatch(/Budget:/);
    expect(f.edits).toBeUndefined();
  });
});

describe("check 2: wakes reach the agent", () => {
  it("passes with a heartbeat cadence", () => {
    const [f] = checkWakes({ agents: { defaults: { heartbeat: { every: "24h" } } } }, "main", NO_SCRATCH);
    expect(f).toMatchObject({ status: "ok", detail: 'heartbeat every 24h for agent "main" (agents.defaults.heartbeat.every): wakes run a turn' });
  });

  it('fails on "0m" and gives the config command that --fix applies', () => {
    const [f] = checkWakes({ agents: { defaults: { heartbeat: { every: "0m" } } } }, "main", NO_SCRATCH);
    expect(f?.status).toBe("fail");
    expect(f?.detail).toContain('its heartbeat is off (agents.defaults.heartbeat.every is "0m")');
    expect(f?.fix).toContain('openclaw config set agents.entries.main.heartbeat.every "30m"');
    expect(f?.fix).toContain("openclaw claude-code doctor --fix");
    expect(f?.edits).toEqual([{ path: ["agents", "entries", "main", "heartbeat", "every"], value: "30m" }]);
  });

  it("fails when only other agents have heartbeat blocks, and names them", () => {
    const [f] = checkWakes({ agents: { entries: { main: {}, ops: { heartbeat: { every: "1h" } } } } }, "main", NO_SCRATCH);
    expect(f?.status).toBe("fail");
    expect(f?.detail).toContain('only agents with their own heartbeat block get heartbeats (ops), and "main" has none');
    expect(f?.edits).toEqual([{ path: ["agents", "entries", "main", "heartbeat", "every"], value: "30m" }]);
  });

  it("keeps a valid cadence from the defaults when enrolling the agent", () => {
    const [f] = checkWakes({ agents: { defaults: { heartbeat: { every: "2h" } }, entries: { main: {}, ops: { heartbeat: {} } } } }, "main", NO_SCRATCH);
    expect(f?.edits).toEqual([{ path: ["agents", "entries", "main", "heartbeat", "every"], value: "2h" }]);
  });

  it("fails when the monitor scratch is effectively empty (the host skips such heartbeats)", () => {
    const [f] = checkWakes({}, "main", { kind: "present", jobId: "abc123", content: "# Heartbeat\n\n- [ ]\n<!-- nothing -->\n" });
    expect(f?.status).toBe("fail");
    expect(f?.detail).toContain("job abc123");
    expect(f?.fix).toBe(`Ask the user to run: openclaw cron scratch abc123 --set "${SCRATCH_TEMPLATE}"`);
  });

  it("warns about activeHours but passes", () => {
    const findings = checkWakes({ agents: { defaults: { heartbeat: { activeHours: { start: "09:00", end: "17:00" } } } } }, "main", NO_SCRATCH);
    expect(findings.map((f) => f.status)).toEqual(["ok", "warn"]);
  });

  it("knows what counts as empty scratch", () => {
    expect(isEffectivelyEmpty("# Title\n\n```\n```\n* \n- [x] \n")).toBe(true);
    expect(isEffectivelyEmpty("- check Claude Code sessions")).toBe(false);
  });
});

describe("check 3: the woken agent knows what to do", () => {
  it("passes through the orchestration skill by default", () => {
    expect(checkWakeInstructions({}, "main", NO_SCRATCH)).toMatchObject({ status: "ok", detail: 'the claude-code-orchestration skill is enabled for "main" (no skill allowlist applies)' });
  });

  it("passes through a heartbeat prompt or scratch that mentions Claude Code", () => {
    const hidden = { skills: { entries: { "claude-code-orchestration": { enabled: false } } } };
    expect(checkWakeInstructions({ ...hidden, agents: { defaults: { heartbeat: { prompt: "Look after my claude code sessions" } } } }, "main", NO_SCRATCH).status).toBe("ok");
    expect(checkWakeInstructions(hidden, "main", { kind: "present", jobId: "j", content: "- answer claude_respond questions" }).status).toBe("ok");
  });

  it("fails when the skill is disabled and nothing else mentions Claude Code, with both fixes", () => {
    const f = checkWakeInstructions({ skills: { entries: { "claude-code-orchestration": { enabled: false } } } }, "main", { kind: "present", jobId: "j9", content: "- inbox" });
    expect(f.status).toBe("fail");
    expect(f.detail).toContain("skills.entries.claude-code-orchestration.enabled is false");
    expect(f.fix).toContain("openclaw config unset skills.entries.claude-code-orchestration.enabled");
    expect(f.fix).toContain(`openclaw cron scratch j9 --set "${SCRATCH_TEMPLATE}"`);
  });

  it("fails when an allowlist leaves the skill out, and extends exactly that list", () => {
    const f = checkWakeInstructions({ agents: { entries: { main: { skills: ["github"] } } } }, "main", { kind: "absent" });
    expect(f.fix).toContain(`openclaw config set agents.entries.main.skills '["github","claude-code-orchestration"]' --strict-json`);
    expect(f.fix).toContain('openclaw cron scratch <jobId> --set');
    expect(f.fix).toContain('find the job id of "Heartbeat (main)" with: openclaw cron list --all');
  });
});

describe("check 4: notices have a route", () => {
  const plain = parseConfig({}, env);
  it("passes for a launch from a conversation", () => {
    const f = checkRoute({ config: plain, hostConfig: {}, agentId: "main", conversation: { channel: "telegram", to: "42" }, workdir: "/src/app" });
    expect(f).toMatchObject({ status: "ok", detail: "notices go to telegram|42 (conversation)" });
  });

  it("passes through agentChannels (longest prefix) or fallbackChannel", () => {
    const config = parseConfig({ agentChannels: { "/src": "telegram|1", "/src/app": "discord|2" }, fallbackChannel: "telegram|9" }, env);
    expect(checkRoute({ config, hostConfig: {}, agentId: "main", conversation: undefined, workdir: "/src/app/x" }).detail).toBe("notices go to discord|2 (agentChannels)");
    expect(checkRoute({ config, hostConfig: {}, agentId: "main", conversation: undefined, workdir: "/elsewhere" }).detail).toBe("notices go to telegram|9 (fallbackChannel)");
  });

  it("fails without any, naming the configured channels in the fix", () => {
    const f = checkRoute({ config: plain, hostConfig: { channels: { telegram: {} } }, agentId: "main", conversation: undefined, workdir: "/src/app" });
    expect(f.status).toBe("fail");
    expect(f.detail).toContain("no agentChannels rule matches /src/app");
    expect(f.fix).toContain('openclaw config set plugins.entries.openclaw-claude-code-plugin.config.fallbackChannel "<channel>|<target>"');
    expect(f.fix).toContain("configured channels: telegram");
  });
});

describe("doctor: configured routes point at configured channels", () => {
  it("warns when there is no fallback and fails on an unknown channel", () => {
    expect(checkConfiguredRoutes(parseConfig({}, env), {}).map((f) => f.status)).toEqual(["warn"]);
    const findings = checkConfiguredRoutes(parseConfig({ fallbackChannel: "telegram|1", agentChannels: { "/src": "matrix|room" } }, env), { channels: { telegram: {} } });
    expect(findings.map((f) => [f.status, f.detail.split(":")[0]])).toEqual([
      ["ok", "fallbackChannel → telegram|1"],
      ["fail", 'agentChannels["/src"] sends to channel "matrix", which the gateway cannot deliver to'],
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { agentEnvFor, ConfigError, DEFAULT_CONFIG, longestPrefixMatch, parseConfig, parseRoute } from "./config.ts";

const env = { HOME: "/home/u", PROJECTS: "/srv/projects" };

describe("plugin config", () => {
  it("gives every documented default for an empty config", () => {
    expect(parseConfig(undefined, env)).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toMatchObject({ maxSessions: 5, defaultBudgetUsd: 5, idleTimeoutMinutes: 30, permissionMode: "bypassPermissions", maxAutoResponds: 10, skipSafetyChecks: false });
  });

  it("accepts the old channel strings and new objects", () => {
    expect(parseRoute("telegram|123", "x")).toEqual({ channel: "telegram", to: "123" });
    expect(parseRoute("discord|work|chan-9", "x")).toEqual({ channel: "discord", accountId: "work", to: "chan-9" });
    expect(parseRoute({ channel: "slack", to: "C1", threadId: "t" }, "x")).toEqual({ channel: "slack", to: "C1", threadId: "t" });
    expect(() => parseRoute("telegram", "fallbackChannel")).toThrow(/channel\|target/);
  });

  it("expands ${VAR} and ~ in agentChannels keys; the longest prefix wins", () => {
    const cfg = parseConfig({ agentChannels: { "${PROJECTS}": "telegram|1", "${PROJECTS}/api": "telegram|2", "~/play": "discord|3" } }, env);
    expect(longestPrefixMatch(cfg.agentChannels, "/srv/projects/api/src")?.route.to).toBe("2");
    expect(longestPrefixMatch(cfg.agentChannels, "/srv/projects/web")?.route.to).toBe("1");
    expect(longestPrefixMatch(cfg.agentChannels, "/home/u/play")?.route.to).toBe("3");
    expect(longestPrefixMatch(cfg.agentChannels, "/srv/projects-old")).toBeUndefined();
  });

  it("resolves agentEnv flat or per workdir", () => {
    expect(agentEnvFor(parseConfig({ agentEnv: { FOO: "1" } }, env), "/any")).toEqual({ FOO: "1" });
    const cfg = parseConfig({ agentEnv: { "*": { A: "all" }, "${PROJECTS}/api": { A: "api", B: "b" } } }, env);
    expect(agentEnvFor(cfg, "/srv/projects/api/x")).toEqual({ A: "api", B: "b" });
    expect(agentEnvFor(cfg, "/tmp")).toEqual({ A: "all" });
  });

  it("claudeExecutable: unset by default (the SDK's binary), ~ and ${VAR} expanded, absolute only", () => {
    expect(DEFAULT_CONFIG.claudeExecutable).toBeUndefined();
    expect(parseConfig({ claudeExecutable: "~/.local/bin/claude" }, env).claudeExecutable).toBe("/home/u/.local/bin/claude");
    expect(parseConfig({ claudeExecutable: "${PROJECTS}/bin/claude" }, env).claudeExecutable).toBe("/srv/projects/bin/claude");
    expect(() => parseConfig({ claudeExecutable: "claude" }, env)).toThrow(/claudeExecutable must be an absolute path, got "claude"/);
    expect(() => parseConfig({ claudeExecutable: 7 }, env)).toThrow(/claudeExecutable/);
  });

  it("reports every problem at once, with what to do", () => {
    let error: unknown;
    try {
      parseConfig({ maxSessions: 0, permissionMode: "yolo", fallbackChannel: "nope", defaultWorkdir: "relative/dir", agentChannels: { "${MISSING}/x": "telegram|1" }, bogus: true, skipSafetyChecks: "yes" }, env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toMatch(/maxSessions must be a whole number between 1 and 100, got 0/);
    expect(problems).toMatch(/permissionMode must be one of default, plan, acceptEdits, bypassPermissions/);
    expect(problems).toMatch(/fallbackChannel must look like "channel\|target"/);
    expect(problems).toMatch(/defaultWorkdir must be an absolute path/);
    expect(problems).toMatch(/\$\{MISSING\} is not set/);
    expect(problems).toMatch(/unknown key "bogus"/);
    expect(problems).toMatch(/skipSafetyChecks must be true or false/);
  });
});

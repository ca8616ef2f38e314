// The config's one schema: the committed manifest is generated from it, and the plugin's reading
// agrees with the host's schema check, including the edge cases (an empty route, a mixed agentEnv).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import { CONFIG_SCHEMA, manifestConfigSchema } from "./config-schema.ts";
import { agentEnvFor, ConfigError, CONFIG_KEYS, DEFAULT_CONFIG, parseConfig } from "./config.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const env = { HOME: "/home/u", PROJECTS: "/srv/projects" };

function problems(raw: unknown): string {
  try {
    parseConfig(raw, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join("\n");
    throw err;
  }
  return "";
}

describe("the config schema", () => {
  it("is what the committed manifest's configSchema says (else run scripts/gen-manifest.ts)", () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, "openclaw.plugin.json"), "utf8")) as { configSchema: unknown };
    expect(manifest.configSchema, "openclaw.plugin.json's configSchema is out of date: run `sh scripts/with-node.sh node scripts/gen-manifest.ts` and commit the result").toEqual(
      manifestConfigSchema(),
    );
  });

  it("gives the keys, in order, and the defaults", () => {
    expect(CONFIG_KEYS).toEqual(Object.keys(CONFIG_SCHEMA.properties));
    expect(CONFIG_KEYS).toContain("maxSessions");
    expect(DEFAULT_CONFIG).toMatchObject({ maxSessions: 5, maxQueuedSessions: 20, permissionMode: "bypassPermissions", maxBudgetUsd: 50, prDraft: true, agentEnv: [], worktreeByWorkdir: [] });
    expect(DEFAULT_CONFIG.dailyBudgetUsd).toBeUndefined();
  });

  it("takes its range messages from the schema", () => {
    expect(problems({ maxQueuedSessions: 1001 })).toBe("maxQueuedSessions must be a whole number between 0 and 1000, got 1001");
    expect(problems({ defaultBudgetUsd: "5" })).toBe('defaultBudgetUsd must be a number between 0.01 and 10000, got "5"');
    expect(problems({ permissionTimeoutMinutes: 0.01 })).toBe("permissionTimeoutMinutes must be a number between 0.05 and 10080, got 0.01");
  });

  it('refuses fallbackChannel "" in both layers, with what to do', () => {
    expect(Value.Check(CONFIG_SCHEMA, { fallbackChannel: "" })).toBe(false);
    expect(problems({ fallbackChannel: "" })).toBe('fallbackChannel is empty: give a route such as "telegram|123456789", or leave the key out for no fallback channel');
    expect(problems({ fallbackChannel: "  " })).toMatch(/fallbackChannel is empty/);
    expect(parseConfig({}, env).fallbackChannel).toBeUndefined();
  });

  it("accepts a mixed agentEnv in both layers: strings for every workdir, objects per workdir", () => {
    const raw = { agentEnv: { CLAUDE_CODE_MAX_OUTPUT_TOKENS: "16000", "${PROJECTS}/api": { DATABASE_URL: "postgres://localhost/api_test" }, "*": { LOG: "1" } } };
    expect(Value.Check(CONFIG_SCHEMA, raw)).toBe(true);
    const cfg = parseConfig(raw, env);
    expect(agentEnvFor(cfg, "/srv/projects/api/src")).toEqual({ CLAUDE_CODE_MAX_OUTPUT_TOKENS: "16000", LOG: "1", DATABASE_URL: "postgres://localhost/api_test" });
    expect(agentEnvFor(cfg, "/elsewhere")).toEqual({ CLAUDE_CODE_MAX_OUTPUT_TOKENS: "16000", LOG: "1" });
  });

  it("refuses the mixed agentEnv entries that cannot mean what they say", () => {
    expect(problems({ agentEnv: { A: "1", "*": { A: "2" } } })).toMatch(/agentEnv gives A twice for every workdir \(at the top and under "\*"\) with different values; keep one/);
    expect(problems({ agentEnv: { A: "1", "/srv/api": "x" } })).toMatch(/agentEnv\["\/srv\/api"\] is a string, but "\/srv\/api" is a workdir: give it an object of variables/);
    expect(problems({ agentEnv: { A: "1", "/srv/api": { B: 2 } } })).toMatch(/agentEnv\["\/srv\/api"\] must be an object of string environment variables/);
    expect(problems({ agentEnv: { A: "1", "/srv/api": { B: 2 } } })).not.toMatch(/agentEnv\["A"\]/);
  });

  it("refuses what the host's schema refuses, even where a reader would let it through", () => {
    const cases: unknown[] = [
      { fallbackChannel: { channel: "telegram", to: "1", threadId: 5 } },
      { agentChannels: { "/srv": { channel: "telegram", to: "1", extra: true } } },
      { allowedWorkdirs: [""] },
      { permissionPolicy: { allow: [""] } },
      { defaultModel: "" },
      { maxSessions: 2.5 },
      { permissionMode: "yolo" },
      { worktreeByWorkdir: { "/a": "yes" } },
    ];
    for (const raw of cases) {
      expect(Value.Check(CONFIG_SCHEMA, raw), JSON.stringify(raw)).toBe(false);
      expect(problems(raw), JSON.stringify(raw)).not.toBe("");
    }
    expect(problems({ fallbackChannel: { channel: "telegram", to: "1", threadId: 5 } })).toMatch(/^fallbackChannel .*\(see docs\/configuration\.md\)$/);
  });
});

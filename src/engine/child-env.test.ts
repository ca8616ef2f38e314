import { describe, expect, it } from "vitest";
import { buildChildEnv } from "./child-env.ts";

describe("buildChildEnv", () => {
  const base = {
    PATH: "/bin",
    HOME: "/home/u",
    ANTHROPIC_BASE_URL: "http://127.0.0.1:9",
    ANTHROPIC_API_KEY: "k",
    CLAUDE_CODE_MAX_RETRIES: "0",
    OPENCLAW_GATEWAY_TOKEN: "secret",
    AWS_REGION: "x",
    RANDOM_VAR: "y",
  };

  it("passes PATH, HOME and the Anthropic / Claude Code settings, and nothing else of the gateway's", () => {
    const env = buildChildEnv({ base });
    expect(env).toMatchObject({ PATH: "/bin", HOME: "/home/u", ANTHROPIC_BASE_URL: "http://127.0.0.1:9", ANTHROPIC_API_KEY: "k", CLAUDE_CODE_MAX_RETRIES: "0" });
    expect(env.OPENCLAW_GATEWAY_TOKEN).toBeUndefined();
    expect(env.RANDOM_VAR).toBeUndefined();
    expect(env.IS_SANDBOX).toBeUndefined();
    expect(env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).toBe("1");
  });

  it("applies overrides last and sets IS_SANDBOX only when asked", () => {
    const env = buildChildEnv({ base, overrides: { ANTHROPIC_BASE_URL: "http://proxy", FOO: "bar" }, sandbox: true });
    expect(env.ANTHROPIC_BASE_URL).toBe("http://proxy");
    expect(env.FOO).toBe("bar");
    expect(env.IS_SANDBOX).toBe("1");
  });

  it("gives a PATH even when the gateway has none", () => {
    expect(buildChildEnv({ base: {} }).PATH).toContain("/usr/bin");
  });
});

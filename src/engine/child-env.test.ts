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

  it("passes locale, temp dir and proxies; never the telemetry exporters", () => {
    const env = buildChildEnv({
      base: { ...base, LC_ALL: "C.UTF-8", LC_MESSAGES: "C", LANGUAGE: "en", TMPDIR: "/t", ALL_PROXY: "socks5://p", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector", OTEL_EXPORTER_OTLP_HEADERS: "secret" },
    });
    expect(env).toMatchObject({ LC_ALL: "C.UTF-8", LC_MESSAGES: "C", LANGUAGE: "en", TMPDIR: "/t", ALL_PROXY: "socks5://p" });
    expect(Object.keys(env).filter((k) => k.startsWith("OTEL_"))).toEqual([]);
  });

  it("passes a cloud provider's variables only when that provider is selected", () => {
    const cloud = { AWS_REGION: "eu-west-1", AWS_SECRET_ACCESS_KEY: "aws-secret", GOOGLE_APPLICATION_CREDENTIALS: "/g.json", VERTEX_REGION_CLAUDE_3_5_SONNET: "us", CLOUD_ML_REGION: "us-east5" };
    const none = buildChildEnv({ base: { ...base, ...cloud } });
    expect(Object.keys(none).filter((k) => /^(AWS_|GOOGLE_|VERTEX_|CLOUD_ML)/.test(k))).toEqual([]);

    const bedrock = buildChildEnv({ base: { ...base, ...cloud, CLAUDE_CODE_USE_BEDROCK: "1" } });
    expect(bedrock).toMatchObject({ AWS_REGION: "eu-west-1", AWS_SECRET_ACCESS_KEY: "aws-secret", CLAUDE_CODE_USE_BEDROCK: "1" });
    expect(bedrock.GOOGLE_APPLICATION_CREDENTIALS).toBeUndefined();

    const vertex = buildChildEnv({ base: { ...base, ...cloud, CLAUDE_CODE_USE_VERTEX: "true" } });
    expect(vertex).toMatchObject({ GOOGLE_APPLICATION_CREDENTIALS: "/g.json", VERTEX_REGION_CLAUDE_3_5_SONNET: "us", CLOUD_ML_REGION: "us-east5" });
    expect(vertex.AWS_REGION).toBeUndefined();

    // "0" is off; the operator's agentEnv may select a provider for a workdir.
    expect(buildChildEnv({ base: { ...base, ...cloud, CLAUDE_CODE_USE_BEDROCK: "0" } }).AWS_REGION).toBeUndefined();
    expect(buildChildEnv({ base: { ...base, ...cloud }, overrides: { CLAUDE_CODE_USE_BEDROCK: "1" } }).AWS_REGION).toBe("eu-west-1");
  });

  it("agentEnv is the operator's explicit choice: it passes whatever its names", () => {
    expect(buildChildEnv({ base, overrides: { OTEL_SERVICE_NAME: "mine" } }).OTEL_SERVICE_NAME).toBe("mine");
  });
});

// The machine probes: the real Claude Code binary the SDK ships, credential detection by name,
// and base-URL reachability against a local server and a closed port.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { detectCredentials, probeClaudeBinary, reachable, resolveClaudeBinary } from "./probes.ts";

describe("the Claude Code binary", () => {
  it("resolves the SDK's native binary for this platform and runs --version", async () => {
    const found = resolveClaudeBinary();
    expect("path" in found && existsSync(found.path)).toBe(true);
    const probe = await probeClaudeBinary();
    expect(probe).toMatchObject({ kind: "ok" });
    expect(probe.kind === "ok" ? probe.version : "").toMatch(/^\d+\.\d+\.\d+/);
  }, 30_000);

  it("runs the configured claudeExecutable instead, and names the key when it is missing or not runnable", async () => {
    const found = resolveClaudeBinary();
    const bundled = "path" in found ? found.path : "";
    expect(await probeClaudeBinary(bundled)).toMatchObject({ kind: "ok", path: bundled });
    const dir = mkdtempSync(path.join(tmpdir(), "probe-"));
    try {
      const missing = await probeClaudeBinary(path.join(dir, "claude"));
      expect(missing.kind === "missing" ? missing.reason : "").toBe(`claudeExecutable is ${path.join(dir, "claude")}, which does not exist`);
      writeFileSync(path.join(dir, "plain"), "not a program", { mode: 0o644 });
      const plain = await probeClaudeBinary(path.join(dir, "plain"));
      expect(plain.kind === "missing" ? plain.reason : "").toMatch(/claudeExecutable is .*plain, which cannot be run \(EACCES\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it("says which package is missing on a platform without one", () => {
    const found = resolveClaudeBinary("plan9", "mips");
    expect("error" in found ? found.error : "").toContain("@anthropic-ai/claude-agent-sdk-plan9-mips");
  });
});

describe("detectCredentials", () => {
  const none = (): boolean => false;
  it("names the key that is set, never its value", () => {
    const found = detectCredentials({ HOME: "/h", ANTHROPIC_API_KEY: "sk-secret" }, none);
    expect(found).toEqual({ kind: "ok", source: "ANTHROPIC_API_KEY is set" });
    expect(JSON.stringify(found)).not.toContain("sk-secret");
  });

  it("finds a Claude login under CLAUDE_CONFIG_DIR or ~/.claude", () => {
    expect(detectCredentials({ HOME: "/h" }, (p) => p === "/h/.claude/.credentials.json")).toEqual({ kind: "ok", source: "a Claude login (/h/.claude/.credentials.json)" });
    expect(detectCredentials({ HOME: "/h", CLAUDE_CONFIG_DIR: "/c" }, (p) => p === "/c/.credentials.json").kind).toBe("ok");
  });

  it("reports a base URL with whatever key goes with it, cloud providers, and nothing", () => {
    expect(detectCredentials({ HOME: "/h", ANTHROPIC_BASE_URL: "http://127.0.0.1:1", ANTHROPIC_AUTH_TOKEN: "t" }, none)).toEqual({ kind: "base-url", baseUrl: "http://127.0.0.1:1", key: "ANTHROPIC_AUTH_TOKEN is set" });
    expect(detectCredentials({ HOME: "/h", CLAUDE_CODE_USE_BEDROCK: "1" }, none).kind).toBe("ok");
    expect(detectCredentials({ HOME: "/h" }, none)).toEqual({ kind: "none" });
  });
});

describe("reachable", () => {
  it("is true for any HTTP answer and false for a closed port", async () => {
    const server = createServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      expect(await reachable(`http://127.0.0.1:${port}`)).toEqual({ ok: true, reason: "answers (HTTP 404)" });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const closed = await reachable(`http://127.0.0.1:${port}`, 2_000);
    expect(closed.ok).toBe(false);
    expect(closed.reason).toMatch(/^does not answer \(.*ECONNREFUSED/);
  });
});

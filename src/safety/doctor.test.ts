// The doctor: each machine check passing and failing, the per-agent checks over a fake host, what
// --fix writes (config only, never the autonomy skill), the report's text, and the CLI surface.
import { afterEach, describe, expect, it } from "vitest";
import { doctorReport, registerDoctorCli, type CliCommand } from "../surfaces/doctor.ts";
import { autonomySkillPath, type MonitorScratch } from "./checks.ts";
import { checkClaudeBinary, checkCredentials, checkHostVersion, checkNodeVersion, diagnose, renderDoctorText, runDoctor, type DoctorHost, type DoctorReport } from "./doctor.ts";
import { applyEdits, type ConfigEdit, type HostConfigView } from "./host-config.ts";

describe("machine checks", () => {
  it("host version: 2026.9.x is ok, anything else a warning", () => {
    expect(checkHostVersion("2026.9.6").status).toBe("ok");
    expect(checkHostVersion("2026.10.1")).toMatchObject({ status: "warn", fix: "Install the tested host version: npm install -g openclaw@2026.9.6" });
  });

  it("Node: >=24.16 <25", () => {
    expect(checkNodeVersion("24.21.0").status).toBe("ok");
    expect(checkNodeVersion("24.16.0").status).toBe("ok");
    for (const v of ["24.15.1", "22.12.0", "25.0.0", "20.19.0"]) expect(checkNodeVersion(v).status, v).toBe("fail");
  });

  it("Claude Code binary: found and running, missing, or broken", () => {
    expect(checkClaudeBinary({ kind: "ok", path: "/x/claude", version: "2.1.331 (Claude Code)" }).detail).toBe("Claude Code 2.1.331 (Claude Code) (/x/claude)");
    expect(checkClaudeBinary({ kind: "missing", reason: "no package" })).toMatchObject({ status: "fail", fix: expect.stringContaining("without --omit=optional") });
    expect(checkClaudeBinary({ kind: "missing", reason: "claudeExecutable is /x/claude, which does not exist" }).fix).toMatch(/^Point claudeExecutable at an installed Claude Code CLI/);
    expect(checkClaudeBinary({ kind: "broken", path: "/x/claude", reason: "exec format error" }).detail).toContain("does not run: exec format error");
  });

  it("credentials: a key or login, a base URL that answers with a key, or a failure that says what to set", () => {
    expect(checkCredentials({ kind: "ok", source: "ANTHROPIC_API_KEY is set" }).status).toBe("ok");
    expect(checkCredentials({ kind: "base-url", baseUrl: "http://127.0.0.1:9", reachable: true, key: "ANTHROPIC_API_KEY is set", reason: "answers (HTTP 404)" }).status).toBe("ok");
    expect(checkCredentials({ kind: "base-url", baseUrl: "http://127.0.0.1:9", reachable: false, key: "ANTHROPIC_API_KEY is set", reason: "does not answer (ECONNREFUSED)" })).toMatchObject({ status: "fail" });
    expect(checkCredentials({ kind: "base-url", baseUrl: "http://127.0.0.1:9", reachable: true, key: undefined, reason: "answers (HTTP 200)" }).fix).toContain("ANTHROPIC_API_KEY");
    expect(checkCredentials({ kind: "none" }).fix).toContain("claude login");
  });
});

interface FakeHost extends DoctorHost {
  written: ConfigEdit[][];
  config: Record<string, unknown>;
}

function fakeHost(over: { config?: Record<string, unknown>; pluginConfig?: unknown; files?: string[]; scratch?: MonitorScratch } = {}): FakeHost {
  const files = new Set(over.files ?? []);
  const host: FakeHost = {
    written: [],
    config: over.config ?? { agents: { defaults: { heartbeat: { every: "0m" } }, entries: { main: {}, ops: {} } }, channels: { telegram: {} } },
    hostVersion: "2026.9.6",
    nodeVersion: "24.21.0",
    hostConfig: () => host.config as HostConfigView,
    pluginConfig: over.pluginConfig ?? { fallbackChannel: "telegram|42" },
    env: { HOME: "/home/u" },
    workspaceDir: (agentId) => `/ws/${agentId}`,
    fileExists: (p) => files.has(p),
    readScratch: () => over.scratch ?? { kind: "absent" },
    probeClaude: async () => ({ kind: "ok", path: "/x/claude", version: "2.1.331" }),
    probeCredentials: async () => ({ kind: "ok", source: "ANTHROPIC_API_KEY is set" }),
    writeConfig: async (edits) => {
      host.written.push([...edits]);
      applyEdits(host.config, edits);
    },
  };
  return host;
}

const statusOf = (r: DoctorReport, check: string, agentId?: string): string[] =>
  r.findings.filter((f) => f.check === check && (agentId === undefined || f.agentId === agentId)).map((f) => f.status);

describe("runDoctor", () => {
  it("checks every configured agent and every route, and fails when something fails", async () => {
    const r = await runDoctor(fakeHost({ files: [autonomySkillPath("/ws/main")] }), { fix: false, ranIn: "gateway" });
    expect(r.ok).toBe(false);
    expect(statusOf(r, "autonomy-skill", "main")).toEqual(["ok"]);
    expect(statusOf(r, "autonomy-skill", "ops")).toEqual(["fail"]);
    expect(statusOf(r, "wake", "main")).toEqual(["fail"]);
    expect(statusOf(r, "wake-instructions", "ops")).toEqual(["ok"]);
    expect(statusOf(r, "route")).toEqual(["ok"]);
    expect(r.fixable).toEqual(['openclaw config set agents.entries.main.heartbeat.every "30m"', 'openclaw config set agents.entries.ops.heartbeat.every "30m"']);
    expect(r.counts.fail).toBe(3);
  });

  it("--fix writes the heartbeat edits through the host and reports them fixed, never touching the autonomy skill", async () => {
    const host = fakeHost();
    const r = await runDoctor(host, { fix: true, ranIn: "gateway" });
    expect(host.written).toHaveLength(1);
    expect(r.fixed.map((f) => f.command)).toEqual(['openclaw config set agents.entries.main.heartbeat.every "30m"', 'openclaw config set agents.entries.ops.heartbeat.every "30m"']);
    expect(statusOf(r, "wake")).toEqual(["ok", "ok"]);
    expect(statusOf(r, "autonomy-skill")).toEqual(["fail", "fail"]);
    expect(r.fixable).toEqual([]);
    // A fresh run against what was written agrees.
    expect(statusOf(await runDoctor(host, { fix: false, ranIn: "gateway" }), "wake")).toEqual(["ok", "ok"]);
  });

  it("writes nothing when there is nothing safe to fix", async () => {
    const host = fakeHost({ config: { agents: { defaults: { heartbeat: { every: "1h" } } } } });
    const r = await runDoctor(host, { fix: true, ranIn: "gateway" });
    expect(host.written).toEqual([]);
    expect(r.fixed).toEqual([]);
  });

  it("reports an invalid plugin config and skips the route checks that depend on it", () => {
    const findings = diagnose({
      hostVersion: "2026.9.6",
      nodeVersion: "24.21.0",
      hostConfig: {},
      pluginConfig: { maxSessions: 0, fallbackChannel: "nope" },
      env: {},
      agents: [],
      claude: { kind: "ok", path: "/x", version: "1" },
      credentials: { kind: "ok", source: "k" },
    });
    const config = findings.find((f) => f.check === "plugin-config");
    expect(config?.status).toBe("fail");
    expect(config?.detail).toContain("maxSessions must be a whole number between 1 and 100");
    expect(findings.some((f) => f.check === "route")).toBe(false);
  });

  it("says when skipSafetyChecks turns the launch checks off", async () => {
    const r = await runDoctor(fakeHost({ pluginConfig: { skipSafetyChecks: true, fallbackChannel: "telegram|1" } }), { fix: false, ranIn: "gateway" });
    expect(r.findings.find((f) => f.check === "plugin-config" && f.status === "warn")?.detail).toMatch(/^skipSafetyChecks is true/);
  });
});

describe("renderDoctorText", () => {
  it("marks each finding, shows fixes under failures, and ends with the counts and the --fix hint", async () => {
    const text = renderDoctorText(await runDoctor(fakeHost(), { fix: false, ranIn: "gateway" }));
    expect(text).toMatch(/^Claude Code plugin doctor \(checked by the running gateway\)/);
    expect(text).toMatch(/\n✓ host +OpenClaw 2026\.9\.6\n/);
    expect(text).toMatch(/✗ wake \[main\] +wakes cannot reach agent "main"/);
    expect(text).toContain("    fix: Ask the user to run this");
    expect(text).toContain("4 failed, 0 warnings, 8 ok.");
    expect(text).toContain("Run `openclaw claude-code doctor --fix` to apply the safe fixes:\n  openclaw config set agents.entries.main.heartbeat.every \"30m\"");
  });
});

describe("the CLI surface", () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it("falls back to this shell's checks when no gateway answers, and --fix then fails", async () => {
    const local = await runDoctor(fakeHost({ config: { agents: { defaults: { heartbeat: { every: "1h" } } }, channels: { telegram: {} } }, files: [autonomySkillPath("/ws/main")] }), { fix: false, ranIn: "cli" });
    const deps = { askGateway: async () => Promise.reject(new Error("gateway closed (1006)")), runHere: async () => local };
    const read = await doctorReport(deps, false);
    expect(read.findings[0]).toMatchObject({ check: "gateway", status: "warn" });
    expect(read.findings[0]?.detail).toContain("gateway closed (1006)");
    expect(read.ok).toBe(true);
    const fix = await doctorReport(deps, true);
    expect(fix.findings[0]).toMatchObject({ check: "gateway", status: "fail" });
    expect(fix.ok).toBe(false);
  });

  it("registers `claude-code doctor`, prints JSON with --json, and sets a failing exit code", async () => {
    const registered: { names: string[]; options: string[]; action?: (o: Record<string, unknown>) => Promise<void> } = { names: [], options: [] };
    const cmd: CliCommand = {
      command: (name) => {
        registered.names.push(name);
        return cmd;
      },
      description: () => cmd,
      option: (flags) => {
        registered.options.push(flags);
        return cmd;
      },
      action: (fn) => {
        registered.action = fn;
        return cmd;
      },
    };
    let printed = "";
    const report = await runDoctor(fakeHost(), { fix: false, ranIn: "gateway" });
    let askedFix: boolean | undefined;
    registerDoctorCli(cmd, {
      askGateway: async ({ fix }) => {
        askedFix = fix;
        return report;
      },
      runHere: async () => report,
      out: { write: (t) => (printed += t) },
    });
    expect(registered.names).toEqual(["claude-code", "doctor"]);
    expect(registered.options).toEqual(["--json", "--fix"]);
    await registered.action?.({ json: true, fix: true });
    expect(askedFix).toBe(true);
    expect(JSON.parse(printed)).toMatchObject({ ok: false, ranIn: "gateway" });
    expect(process.exitCode).toBe(1);
  });
});

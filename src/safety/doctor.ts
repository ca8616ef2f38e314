// The doctor: every check that decides whether Claude Code sessions will work in this gateway
// (host, Node, the Claude Code binary, credentials, plugin config, and per agent the four launch
// checks), each finding with its fix; `fix` applies the config edits that are safe to make unasked.
import { ConfigError, parseConfig, type PluginConfig } from "../config.ts";
import { autonomySkillPath, checkAutonomySkill, checkConfiguredRoutes, checkWakeInstructions, checkWakes, type Finding, type MonitorScratch } from "./checks.ts";
import { applyEdits, configSetCommand, formatPath, listAgentIds, type ConfigEdit, type HostConfigView } from "./host-config.ts";
import type { ClaudeProbe, CredentialsProbe } from "./probes.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** What the doctor reads from the host and the machine; the host adapter provides it. */
export interface DoctorHost {
  hostVersion: string;
  nodeVersion: string;
  hostConfig(): HostConfigView;
  /** The plugin's raw config as the host hands it over. */
  pluginConfig: unknown;
  env: Env;
  workspaceDir(agentId: string, config: HostConfigView): string;
  fileExists(path: string): boolean;
  readScratch(agentId: string): MonitorScratch;
  /** `executable`: the plugin config's claudeExecutable, when set. */
  probeClaude(executable?: string): Promise<ClaudeProbe>;
  probeCredentials(env: Env): Promise<CredentialsProbe>;
  writeConfig(edits: readonly ConfigEdit[]): Promise<void>;
}

export interface AgentFacts {
  agentId: string;
  workspaceDir: string;
  autonomySkillExists: boolean;
  scratch: MonitorScratch;
}

export interface DiagnoseInput {
  hostVersion: string;
  nodeVersion: string;
  hostConfig: HostConfigView;
  pluginConfig: unknown;
  env: Env;
  agents: AgentFacts[];
  claude: ClaudeProbe;
  credentials: CredentialsProbe;
}

export interface AppliedFix {
  command: string;
  path: string;
  value: string | string[];
}

export interface DoctorReport {
  /** Where the checks ran: in the gateway (its environment and live config) or in this CLI only. */
  ranIn: "gateway" | "cli";
  /** True when nothing failed (warnings allowed). */
  ok: boolean;
  counts: { ok: number; warn: number; fail: number };
  findings: Finding[];
  /** Config edits applied by --fix (empty without it). */
  fixed: AppliedFix[];
  /** Safe edits available to --fix, as commands (empty after --fix applied them). */
  fixable: string[];
}

const NODE_RANGE = ">=24.16 <25";

export function checkHostVersion(version: string): Finding {
  if (/^2026\.9\.\d+/.test(version)) return { check: "host", status: "ok", detail: `OpenClaw ${version}` };
  return {
    check: "host",
    status: "warn",
    detail: `OpenClaw ${version || "(unknown version)"}: this plugin is built and tested against OpenClaw 2026.9.x.`,
    fix: "Install the tested host version: npm install -g openclaw@2026.9.6",
  };
}

export function checkNodeVersion(version: string): Finding {
  const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
  if (major === 24 && (minor ?? 0) >= 16) return { check: "node", status: "ok", detail: `Node ${version}` };
  return {
    check: "node",
    status: "fail",
    detail: `Node ${version}: OpenClaw 2026.9 and this plugin need Node ${NODE_RANGE}.`,
    fix: "Install Node 24 (e.g. nvm install 24, or npm install node@24 into a tools prefix) and run the gateway with it.",
  };
}

export function checkClaudeBinary(probe: ClaudeProbe): Finding {
  switch (probe.kind) {
    case "ok":
      return { check: "claude-binary", status: "ok", detail: `Claude Code ${probe.version} (${probe.path})` };
    case "missing":
      return {
        check: "claude-binary",
        status: "fail",
        detail: `the Claude Code binary is missing: ${probe.reason}.`,
        fix: probe.reason.startsWith("claudeExecutable")
          ? "Point claudeExecutable at an installed Claude Code CLI (`command -v claude` shows one), or remove the key to run the binary installed with the plugin."
          : "Reinstall the plugin with its optional dependencies (npm install without --omit=optional), or set claudeExecutable to an installed Claude Code CLI.",
      };
    case "broken":
      return {
        check: "claude-binary",
        status: "fail",
        detail: `the Claude Code binary at ${probe.path} does not run: ${probe.reason}.`,
        fix: "Reinstall the plugin so the binary matches this system (glibc or musl, CPU architecture), then run the doctor again.",
      };
    default: {
      const never: never = probe;
      return never;
    }
  }
}

const CREDENTIALS_FIX =
  "Give the gateway's environment ANTHROPIC_API_KEY (or set it in the plugin's agentEnv), or log in once with the Claude Code CLI (claude login) as the gateway's user; without an account, point ANTHROPIC_BASE_URL at the project's offline model (npm start does this).";

export function checkCredentials(probe: CredentialsProbe): Finding {
  switch (probe.kind) {
    case "ok":
      return { check: "credentials", status: "ok", detail: `Claude Code credentials: ${probe.source}` };
    case "base-url":
      if (!probe.reachable) {
        return {
          check: "credentials",
          status: "fail",
          detail: `ANTHROPIC_BASE_URL ${probe.baseUrl} ${probe.reason}: every Claude Code request would fail.`,
          fix: "Start the server behind ANTHROPIC_BASE_URL (for the offline model: npm start), or unset ANTHROPIC_BASE_URL to use Anthropic's API.",
        };
      }
      if (!probe.key) {
        return {
          check: "credentials",
          status: "fail",
          detail: `ANTHROPIC_BASE_URL ${probe.baseUrl} ${probe.reason}, but no ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or Claude login is set, and Claude Code refuses to start without one.`,
          fix: "Set ANTHROPIC_API_KEY in the gateway's environment (any value works for the offline model).",
        };
      }
      return { check: "credentials", status: "ok", detail: `ANTHROPIC_BASE_URL ${probe.baseUrl} ${probe.reason}; ${probe.key}` };
    case "none":
      return { check: "credentials", status: "fail", detail: "Claude Code has no credentials: no ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, CLAUDE_CODE_OAUTH_TOKEN, Claude login or ANTHROPIC_BASE_URL.", fix: CREDENTIALS_FIX };
    default: {
      const never: never = probe;
      return never;
    }
  }
}

export function parsePluginConfig(raw: unknown, env: Env): { config: PluginConfig; finding: Finding } | { config: undefined; finding: Finding } {
  try {
    const config = parseConfig(raw, env);
    const finding: Finding = { check: "plugin-config", status: "ok", detail: "the plugin config is valid" };
    return { config, finding };
  } catch (err) {
    const problems = err instanceof ConfigError ? err.problems : [err instanceof Error ? err.message : String(err)];
    return {
      config: undefined,
      finding: {
        check: "plugin-config",
        status: "fail",
        detail: `the plugin config is invalid: ${problems.join("; ")}.`,
        fix: "Correct plugins.entries.openclaw-claude-code-plugin.config (openclaw config get plugins.entries.openclaw-claude-code-plugin.config shows it); the plugin offers no sessions until then.",
      },
    };
  }
}

/** The environment Claude Code would get for settings every workdir shares (agentEnv "*"). */
function sessionEnv(env: Env, config: PluginConfig | undefined): Env {
  const global = config?.agentEnv.find((r) => r.prefix === "*")?.env ?? {};
  return { ...env, ...global };
}

export function diagnose(input: DiagnoseInput): Finding[] {
  const parsed = parsePluginConfig(input.pluginConfig, input.env);
  const findings: Finding[] = [
    checkHostVersion(input.hostVersion),
    checkNodeVersion(input.nodeVersion),
    checkClaudeBinary(input.claude),
    checkCredentials(input.credentials),
    parsed.finding,
  ];
  if (parsed.config?.skipSafetyChecks) {
    findings.push({
      check: "plugin-config",
      status: "warn",
      detail: "skipSafetyChecks is true: agents' claude_launch calls are not checked; the findings below still say what breaks the loop.",
    });
  }
  for (const agent of input.agents) {
    findings.push(checkAutonomySkill(agent.agentId, agent.workspaceDir, agent.autonomySkillExists));
    findings.push(...checkWakes(input.hostConfig, agent.agentId, agent.scratch));
    findings.push(checkWakeInstructions(input.hostConfig, agent.agentId, agent.scratch));
  }
  if (parsed.config) findings.push(...checkConfiguredRoutes(parsed.config, input.hostConfig));
  return findings;
}

/** The safe edits of failing findings, one per config path (the first wins). */
export function safeEdits(findings: readonly Finding[]): ConfigEdit[] {
  const byPath = new Map<string, ConfigEdit>();
  for (const f of findings) {
    if (f.status !== "fail") continue;
    for (const edit of f.edits ?? []) {
      const key = formatPath(edit.path);
      if (!byPath.has(key)) byPath.set(key, edit);
    }
  }
  return [...byPath.values()];
}

function report(ranIn: DoctorReport["ranIn"], findings: Finding[], fixed: AppliedFix[]): DoctorReport {
  const counts = { ok: 0, warn: 0, fail: 0 };
  for (const f of findings) counts[f.status] += 1;
  return { ranIn, ok: counts.fail === 0, counts, findings, fixed, fixable: safeEdits(findings).map(configSetCommand) };
}

/** The report with one more finding in front (e.g. why the gateway could not run the checks). */
export function withFinding(r: DoctorReport, finding: Finding): DoctorReport {
  return report(r.ranIn, [finding, ...r.findings], r.fixed);
}

async function gather(host: DoctorHost, hostConfig: HostConfigView, claude: ClaudeProbe, credentials: CredentialsProbe): Promise<DiagnoseInput> {
  const agents = listAgentIds(hostConfig).map((agentId): AgentFacts => {
    const workspaceDir = host.workspaceDir(agentId, hostConfig);
    return { agentId, workspaceDir, autonomySkillExists: host.fileExists(autonomySkillPath(workspaceDir)), scratch: host.readScratch(agentId) };
  });
  return { hostVersion: host.hostVersion, nodeVersion: host.nodeVersion, hostConfig, pluginConfig: host.pluginConfig, env: host.env, agents, claude, credentials };
}

export async function runDoctor(host: DoctorHost, options: { fix: boolean; ranIn: DoctorReport["ranIn"] }): Promise<DoctorReport> {
  const hostConfig = host.hostConfig();
  const parsed = parsePluginConfig(host.pluginConfig, host.env);
  const [claude, credentials] = await Promise.all([host.probeClaude(parsed.config?.claudeExecutable), host.probeCredentials(sessionEnv(host.env, parsed.config))]);
  const findings = diagnose(await gather(host, hostConfig, claude, credentials));
  const edits = options.fix ? safeEdits(findings) : [];
  if (edits.length === 0) return report(options.ranIn, findings, []);
  await host.writeConfig(edits);
  // Judge the result on the config as written; a re-run reads it back from the host.
  const next = structuredClone(hostConfig) as Record<string, unknown>;
  applyEdits(next, edits);
  const after = diagnose(await gather(host, next, claude, credentials));
  return report(options.ranIn, after, edits.map((e) => ({ command: configSetCommand(e), path: formatPath(e.path), value: e.value })));
}

const MARK: Record<Finding["status"], string> = { ok: "✓", warn: "!", fail: "✗" };

export function renderDoctorText(r: DoctorReport): string {
  const lines: string[] = [`Claude Code plugin doctor (checked ${r.ranIn === "gateway" ? "by the running gateway" : "from this shell only"})`, ""];
  for (const f of r.findings) {
    const label = `${f.check}${f.agentId ? ` [${f.agentId}]` : ""}`;
    lines.push(`${MARK[f.status]} ${label.padEnd(28)} ${f.detail}`);
    if (f.status !== "ok" && f.fix) lines.push(...f.fix.split("\n").map((l, i) => `${" ".repeat(4)}${i === 0 ? "fix: " : "     "}${l}`));
  }
  lines.push("");
  if (r.fixed.length > 0) lines.push("Applied:", ...r.fixed.map((f) => `  ${f.command}`), "");
  lines.push(`${r.counts.fail} failed, ${r.counts.warn} warning${r.counts.warn === 1 ? "" : "s"}, ${r.counts.ok} ok.`);
  if (r.fixable.length > 0) {
    const how = r.ranIn === "gateway" ? "Run `openclaw claude-code doctor --fix` to apply the safe fixes" : "Safe fixes (run them, or start the gateway and use `openclaw claude-code doctor --fix`)";
    lines.push(`${how}:`, ...r.fixable.map((c) => `  ${c}`));
  }
  return lines.join("\n");
}

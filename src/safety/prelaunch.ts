// The pre-launch gate for agents' claude_launch: runs the four checks against the live host config
// and refuses the launch with every failing check and its fix in one message.
import type { PluginConfig, Route } from "../config.ts";
import { SessionError } from "../engine/index.ts";
import type { PreLaunchCheck } from "../ops/operations.ts";
import { autonomySkillPath, checkAutonomySkill, checkRoute, checkWakeInstructions, checkWakes, type Finding, type MonitorScratch } from "./checks.ts";
import type { HostConfigView } from "./host-config.ts";

/** What the checks read from the world; the host adapter provides it, tests fake it. */
export interface SafetyEnvironment {
  /** The gateway's current config (read at each launch: heartbeat edits apply without a restart). */
  hostConfig(): HostConfigView;
  /** The agent's workspace directory (when the tool context did not carry it). */
  workspaceDir(agentId: string, config: HostConfigView): string;
  fileExists(path: string): boolean;
  readScratch(agentId: string): MonitorScratch;
}

export interface LaunchSetup {
  agentId: string;
  workspaceDir: string | undefined;
  /** The conversation the launch came from (the tool's delivery context), if any. */
  conversation: Route | undefined;
  workdir: string | undefined;
}

/** Every check's findings for one launch, failures and passes alike. */
export function launchFindings(env: SafetyEnvironment, config: PluginConfig, setup: LaunchSetup): Finding[] {
  const hostConfig = env.hostConfig();
  const workspace = setup.workspaceDir ?? env.workspaceDir(setup.agentId, hostConfig);
  const scratch = env.readScratch(setup.agentId);
  return [
    checkAutonomySkill(setup.agentId, workspace, env.fileExists(autonomySkillPath(workspace))),
    ...checkWakes(hostConfig, setup.agentId, scratch),
    checkWakeInstructions(hostConfig, setup.agentId, scratch),
    checkRoute({ config, hostConfig, agentId: setup.agentId, conversation: setup.conversation, workdir: setup.workdir }),
  ];
}

/** The refusal an agent reads: what failed, each with its fix, numbered. */
export function refusalMessage(failures: readonly Finding[]): string {
  const head = `claude_launch refused: ${failures.length} setup check${failures.length === 1 ? "" : "s"} failed. Fix ${failures.length === 1 ? "it" : "each"}, then call claude_launch again (the user can turn these checks off with skipSafetyChecks: true in the plugin config).`;
  const items = failures.map((f, i) => {
    const fix = f.fix ? `\n   Fix: ${f.fix.split("\n").join("\n   ")}` : "";
    return `${i + 1}. [${f.check}] ${f.detail}${fix}`;
  });
  return [head, ...items].join("\n\n");
}

export function createPreLaunchCheck(env: SafetyEnvironment, config: PluginConfig): PreLaunchCheck {
  return (caller, input) => {
    const findings = launchFindings(env, config, {
      agentId: caller.agentId,
      workspaceDir: caller.workspaceDir,
      conversation: caller.route,
      workdir: input.workdir ?? (input.resumeSessionId === undefined ? config.defaultWorkdir : undefined),
    });
    const failures = findings.filter((f) => f.status === "fail");
    if (failures.length > 0) {
      throw new SessionError("SETUP_REQUIRED", refusalMessage(failures), { checks: failures.map(({ edits: _edits, ...f }) => f) });
    }
  };
}

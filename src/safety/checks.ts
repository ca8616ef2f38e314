// The four pre-launch checks (SPEC §6) as pure functions over explicit inputs: each returns a
// finding that says what is wrong and gives a fix precise enough to copy and paste.
import path from "node:path";
import type { PluginConfig, Route } from "../config.ts";
import { resolveRoute } from "../notify/routing.ts";
import {
  channelConfigured,
  configSetCommand,
  heartbeatEnableEdits,
  heartbeatState,
  normalizeAgentId,
  skillVisibility,
  type ConfigEdit,
  type HostConfigView,
} from "./host-config.ts";

export type FindingStatus = "ok" | "warn" | "fail";

export type CheckId =
  | "autonomy-skill"
  | "wake"
  | "wake-instructions"
  | "route"
  | "host"
  | "node"
  | "claude-binary"
  | "credentials"
  | "plugin-config"
  /** Whether the running gateway could run the doctor (else only this shell was checked). */
  | "gateway";

export interface Finding {
  check: CheckId;
  status: FindingStatus;
  /** The agent the finding is about, for per-agent checks. */
  agentId?: string;
  /** What is the case (ok) or what is wrong (warn, fail). */
  detail: string;
  /** How to fix it: commands or steps to copy. */
  fix?: string;
  /** Config changes that fix it and are safe to apply without asking (doctor --fix). */
  edits?: ConfigEdit[];
}

/** The heartbeat monitor's scratch for an agent, as read from the host's state. */
export type MonitorScratch =
  /** No heartbeat monitor job exists for the agent (yet). */
  | { kind: "absent" }
  /** The monitor job and its scratch text (undefined: no scratch stored). */
  | { kind: "present"; jobId: string; content: string | undefined }
  | { kind: "unreadable"; reason: string };

export const PLUGIN_CONFIG_PATH = "plugins.entries.openclaw-claude-code-plugin.config";
export const AUTONOMY_SKILL = "claude-code-autonomy";
export const ORCHESTRATION_SKILL = "claude-code-orchestration";

/** Where the agent's autonomy rules live in its workspace. */
export function autonomySkillPath(workspaceDir: string): string {
  return path.join(workspaceDir, "skills", AUTONOMY_SKILL, "SKILL.md");
}

const AUTONOMY_TEMPLATE = [
  "---",
  `name: ${AUTONOMY_SKILL}`,
  "description: What I may decide on my own for Claude Code sessions and what I must ask the user about.",
  "---",
  "# Claude Code autonomy (agreed with the user on <date>)",
  "- I may answer myself: <e.g. \"continue\", which test command to run, naming and formatting>",
  "- Always ask the user first: <e.g. deleting files or data, new dependencies, credentials, changing the scope>",
  "- Budget: <e.g. up to $2 per session; ask before going over>",
  "- Permission mode: <e.g. bypassPermissions inside ~/src, plan mode elsewhere>",
  "- When a session ends: <e.g. one message with the result and its cost>",
].join("\n");

/** Scratch text that tells a woken agent what to do (also makes an empty scratch non-empty). */
export const SCRATCH_TEMPLATE =
  "When woken about a Claude Code session: read the event, answer routine questions with claude_respond within your claude-code-autonomy rules, forward anything else to the user, and report finished sessions with their cost.";

export function checkAutonomySkill(agentId: string, workspaceDir: string, exists: boolean): Finding {
  const file = autonomySkillPath(workspaceDir);
  if (exists) return { check: "autonomy-skill", status: "ok", agentId, detail: `autonomy rules found at ${file}` };
  return {
    check: "autonomy-skill",
    status: "fail",
    agentId,
    detail: `agent "${agentId}" has no autonomy rules for Claude Code: ${file} does not exist.`,
    fix: [
      "Ask the user how much freedom Claude Code gets before launching anything: which of its questions you may answer yourself, what must always be forwarded to them, and the budget per session.",
      `Then write their answer to ${file}, for example:`,
      AUTONOMY_TEMPLATE,
    ].join("\n"),
  };
}

function scratchCommand(agentId: string, scratch: MonitorScratch): string {
  const job = scratch.kind === "present" ? scratch.jobId : "<jobId>";
  const find = scratch.kind === "present" ? "" : ` (find the job id of "Heartbeat (${agentId})" with: openclaw cron list --all)`;
  return `openclaw cron scratch ${job} --set "${SCRATCH_TEMPLATE}"${find}`;
}

/** Whether scratch holds only blank lines, headings, comments, fences or empty list items. */
export function isEffectivelyEmpty(content: string): boolean {
  const withoutComments = content.replace(/<!--[\s\S]*?-->/g, "");
  return withoutComments.split("\n").every((line) => {
    const t = line.trim();
    return !t || /^#+(\s|$)/.test(t) || /^[-*+]\s*(\[[\sXx]?\]\s*)?$/.test(t) || /^```[A-Za-z0-9_-]*$/.test(t);
  });
}

/** Check 2: the host will run a turn when the plugin wakes this agent. */
export function checkWakes(cfg: HostConfigView, agentId: string, scratch: MonitorScratch): Finding[] {
  const id = normalizeAgentId(agentId);
  const hb = heartbeatState(cfg, id);
  const edits = heartbeatEnableEdits(cfg, id, hb.intervalMs === null ? undefined : hb.every);
  const fixText = (): string =>
    [
      "Ask the user to run this (or run it yourself if you have a shell); the gateway applies it without a restart:",
      ...edits.map((e) => `  ${configSetCommand(e)}`),
      "or run: openclaw claude-code doctor --fix (applies the same change).",
    ].join("\n");
  if (!hb.enrolled) {
    const why =
      hb.enrolment.mode === "per-agent"
        ? `only agents with their own heartbeat block get heartbeats (${hb.enrolment.agents.join(", ")}), and "${id}" has none`
        : hb.enrolment.mode === "named"
          ? `agents.defaults.heartbeat.agentId gives heartbeats to "${hb.enrolment.agents[0] ?? ""}" only`
          : hb.enrolment.mode === "defaults"
            ? `"${id}" is not a configured agent`
            : `without a heartbeat config only the default agent (${hb.enrolment.agents[0] ?? "none: several agents and no default"}) gets heartbeats`;
    return [{ check: "wake", status: "fail", agentId: id, detail: `wakes cannot reach agent "${id}": ${why}, so the gateway drops the wake when a Claude Code session finishes or asks something.`, fix: fixText(), edits }];
  }
  if (hb.intervalMs === null) {
    return [{
      check: "wake",
      status: "fail",
      agentId: id,
      detail: `wakes cannot reach agent "${id}": its heartbeat is off (${hb.everyFrom} is "${hb.every}"), and the gateway drops plugin wakes for agents without a heartbeat cadence.`,
      fix: fixText(),
      edits,
    }];
  }
  if (scratch.kind === "present" && scratch.content !== undefined && isEffectivelyEmpty(scratch.content)) {
    return [{
      check: "wake",
      status: "fail",
      agentId: id,
      detail: `wakes cannot reach agent "${id}": its heartbeat monitor scratch (job ${scratch.jobId}) holds only headings, comments or empty items, and the gateway skips heartbeat turns for such a scratch, wakes included.`,
      fix: `Ask the user to run: ${scratchCommand(id, scratch)}`,
    }];
  }
  const findings: Finding[] = [{ check: "wake", status: "ok", agentId: id, detail: `heartbeat every ${hb.every} for agent "${id}" (${hb.everyFrom}): wakes run a turn` }];
  if (hb.activeHours) {
    findings.push({
      check: "wake",
      status: "warn",
      agentId: id,
      detail: `agent "${id}" has heartbeat activeHours ${JSON.stringify(hb.activeHours)}: wakes outside those hours wait for the next window.`,
      fix: "Remove heartbeat.activeHours (openclaw config unset agents.defaults.heartbeat.activeHours, or the agent's own) if sessions should reach the agent at any hour.",
    });
  }
  return findings;
}

const MENTIONS_CLAUDE_CODE = /claude[\s_-]?code|claude_(launch|respond|output|sessions)/i;

/** Check 3: a woken agent knows what to do (heartbeat prompt or scratch, or the orchestration skill). */
export function checkWakeInstructions(cfg: HostConfigView, agentId: string, scratch: MonitorScratch): Finding {
  const id = normalizeAgentId(agentId);
  const hb = heartbeatState(cfg, id);
  if (hb.prompt && MENTIONS_CLAUDE_CODE.test(hb.prompt)) {
    return { check: "wake-instructions", status: "ok", agentId: id, detail: `the heartbeat prompt of "${id}" mentions Claude Code` };
  }
  if (scratch.kind === "present" && scratch.content && MENTIONS_CLAUDE_CODE.test(scratch.content)) {
    return { check: "wake-instructions", status: "ok", agentId: id, detail: `the heartbeat monitor scratch of "${id}" (job ${scratch.jobId}) mentions Claude Code` };
  }
  const skill = skillVisibility(cfg, id, ORCHESTRATION_SKILL);
  if (skill.visible) {
    return { check: "wake-instructions", status: "ok", agentId: id, detail: `the ${ORCHESTRATION_SKILL} skill is enabled for "${id}" (${skill.reason})` };
  }
  const skillFix = [
    ...(skill.disabled ? [`openclaw config unset skills.entries.${ORCHESTRATION_SKILL}.enabled`] : []),
    ...(skill.allowlist && skill.allowlistPath && !skill.allowlist.includes(ORCHESTRATION_SKILL)
      ? [configSetCommand({ path: skill.allowlistPath, value: [...skill.allowlist, ORCHESTRATION_SKILL] })]
      : []),
  ].join(" && ");
  const unreadable = scratch.kind === "unreadable" ? ` (its monitor scratch could not be read: ${scratch.reason})` : "";
  return {
    check: "wake-instructions",
    status: "fail",
    agentId: id,
    detail: `agent "${id}" would not know what to do when woken: its heartbeat prompt and monitor scratch do not mention Claude Code${unreadable}, and the ${ORCHESTRATION_SKILL} skill is hidden from it (${skill.reason}).`,
    fix: [
      "Ask the user to do one of these:",
      `  enable the skill: ${skillFix}`,
      `  or give the heartbeat instructions: ${scratchCommand(id, scratch)}`,
    ].join("\n"),
  };
}

/** Check 4: the session's notices have somewhere to go. */
export function checkRoute(input: {
  config: PluginConfig;
  hostConfig: HostConfigView;
  agentId: string;
  conversation: Route | undefined;
  workdir: string | undefined;
}): Finding {
  const { config, agentId } = input;
  if (input.workdir === undefined && !input.conversation && !config.fallbackChannel && config.agentChannels.length > 0) {
    return { check: "route", status: "ok", agentId, detail: "the workdir is decided at launch; agentChannels may route it" };
  }
  const resolved = resolveRoute(config, { agentId, route: input.conversation, sessionKey: undefined, origin: "tool" }, input.workdir ?? "");
  if (resolved) {
    const r = resolved.route;
    return { check: "route", status: "ok", agentId, detail: `notices go to ${r.channel}|${r.accountId ? `${r.accountId}|` : ""}${r.to} (${resolved.source})` };
  }
  const channels = Object.keys((input.hostConfig.channels as Record<string, unknown> | undefined) ?? {}).filter((c) => c !== "defaults");
  return {
    check: "route",
    status: "fail",
    agentId,
    detail: `nowhere to send this session's notices: the launch did not come from a conversation, no agentChannels rule matches ${input.workdir ?? "its workdir"}, and fallbackChannel is not set.`,
    fix: [
      "Launch from the user's chat so notices go back to it, or ask the user to set a default route (the plugin restarts and running sessions stop):",
      `  openclaw config set ${PLUGIN_CONFIG_PATH}.fallbackChannel "<channel>|<target>"   (e.g. "telegram|123456789"; configured channels: ${channels.join(", ") || "none"})`,
    ].join("\n"),
  };
}

/** Doctor: fallbackChannel and agentChannels name channels that exist in the host config. */
export function checkConfiguredRoutes(config: PluginConfig, hostConfig: HostConfigView): Finding[] {
  const findings: Finding[] = [];
  const routes: Array<{ where: string; route: Route }> = [
    ...(config.fallbackChannel ? [{ where: "fallbackChannel", route: config.fallbackChannel }] : []),
    ...config.agentChannels.map((rule) => ({ where: `agentChannels["${rule.prefix}"]`, route: rule.route })),
  ];
  if (routes.length === 0) {
    findings.push({
      check: "route",
      status: "warn",
      detail: "no fallbackChannel or agentChannels: launches from a conversation notify it, but an agent launching outside one (a scheduled job, /tools/invoke) is refused.",
      fix: `openclaw config set ${PLUGIN_CONFIG_PATH}.fallbackChannel "<channel>|<target>"   (e.g. "telegram|123456789")`,
    });
  }
  for (const { where, route } of routes) {
    const ok = channelConfigured(hostConfig, route.channel, route.accountId);
    findings.push(
      ok.ok
        ? { check: "route", status: "ok", detail: `${where} → ${route.channel}|${route.to}: ${ok.reason}` }
        : {
            check: "route",
            status: "fail",
            detail: `${where} sends to channel "${route.channel}", which the gateway cannot deliver to: ${ok.reason}.`,
            fix: `Configure the channel (openclaw channels add --channel ${route.channel}) or point ${PLUGIN_CONFIG_PATH}.${where.startsWith("agentChannels") ? "agentChannels" : where} at a configured one.`,
          },
    );
  }
  return findings;
}

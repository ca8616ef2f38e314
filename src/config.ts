// The plugin's configuration: runtime validation with messages a person can act on, defaults,
// and one typed object. The manifest's JSON Schema mirrors this for the host (see CONFIG_KEYS).
import path from "node:path";
import { parseRule, PERMISSION_MODES, type PermissionMode, type PermissionRule } from "./engine/index.ts";

/** Where a notice goes: a channel and a target on it. */
export interface Route {
  channel: string;
  to: string;
  accountId?: string;
  threadId?: string;
}

export interface AgentChannelRule {
  /** An absolute workdir prefix, `${VAR}` expanded. */
  prefix: string;
  route: Route;
}

export interface AgentEnvRule {
  /** An absolute workdir prefix, or "*" for every workdir. */
  prefix: string;
  env: Record<string, string>;
}

export interface PluginConfig {
  maxSessions: number;
  /** Launches beyond maxSessions wait in a queue of at most this many. */
  maxQueuedSessions: number;
  /** Transcript entries kept in the store per session (the oldest beyond are dropped). */
  maxOutputEntriesPerSession: number;
  defaultBudgetUsd: number;
  defaultModel: string | undefined;
  defaultWorkdir: string | undefined;
  idleTimeoutMinutes: number;
  maxPersistedSessions: number;
  fallbackChannel: Route | undefined;
  permissionMode: PermissionMode;
  agentChannels: AgentChannelRule[];
  maxAutoResponds: number;
  skipSafetyChecks: boolean;
  agentEnv: AgentEnvRule[];
  allowedWorkdirs: string[];
  allowRootBypass: boolean;
  longRunningNoticeMinutes: number;
  foregroundDebounceMs: number;
  /** Rules applied to Claude Code's permission requests before anyone is asked. */
  permissionPolicy: { allow: PermissionRule[]; deny: PermissionRule[]; ask: PermissionRule[] };
  /** A permission request nobody answers within this is denied. */
  permissionTimeoutMinutes: number;
  /** Agents see the sessions of every conversation of theirs, not only the calling one's. */
  shareSessionsAcrossConversations: boolean;
  /** Wall-clock bound of one turn; a turn still running after it fails the session. 0 disables. */
  maxSessionMinutes: number;
  /** The most any launch may ask for as its budget. */
  maxBudgetUsd: number;
  /** What one agent's sessions may spend per UTC day; launches are refused beyond it. Undefined: off. */
  dailyBudgetUsd: number | undefined;
  /** Launches run in their own git worktree unless they say otherwise. */
  defaultWorktree: boolean;
  /** Per-workdir override of defaultWorktree (longest prefix wins), like agentChannels. */
  worktreeByWorkdir: WorktreeRule[];
  /** Where session worktrees are created; undefined = under the plugin's state directory. */
  worktreeRoot: string | undefined;
  /** Worktrees older than this are cleaned up by the discard rule (unmerged work kept in a ref). */
  worktreeRetentionDays: number;
  /** Pull requests from the pr finish are drafts. */
  prDraft: boolean;
  /** The paired node launches run on when they name none (a node id or name, or "auto"). */
  defaultNode: string | undefined;
  /** On a node: the directories the gateway's sessions may work in (none by default). */
  nodeAllowedWorkdirs: string[];
  /** On a node: sessions it runs at once (default: its cores). */
  nodeSlots: number | undefined;
}

export interface WorktreeRule {
  /** An absolute workdir prefix, `${VAR}` expanded. */
  prefix: string;
  worktree: boolean;
}

export const DEFAULT_CONFIG: Readonly<PluginConfig> = {
  maxSessions: 5,
  maxQueuedSessions: 20,
  maxOutputEntriesPerSession: 5000,
  defaultBudgetUsd: 5,
  defaultModel: undefined,
  defaultWorkdir: undefined,
  idleTimeoutMinutes: 30,
  maxPersistedSessions: 10_000,
  fallbackChannel: undefined,
  permissionMode: "bypassPermissions",
  agentChannels: [],
  maxAutoResponds: 10,
  skipSafetyChecks: false,
  agentEnv: [],
  allowedWorkdirs: [],
  allowRootBypass: false,
  longRunningNoticeMinutes: 10,
  foregroundDebounceMs: 800,
  permissionPolicy: { allow: [], deny: [], ask: [] },
  permissionTimeoutMinutes: 30,
  shareSessionsAcrossConversations: false,
  maxSessionMinutes: 120,
  maxBudgetUsd: 50,
  dailyBudgetUsd: undefined,
  defaultWorktree: false,
  worktreeByWorkdir: [],
  worktreeRoot: undefined,
  worktreeRetentionDays: 7,
  prDraft: true,
  defaultNode: undefined,
  nodeAllowedWorkdirs: [],
  nodeSlots: undefined,
};

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid openclaw-claude-code-plugin config: ${problems.join("; ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** The keys the plugin understands; anything else is reported as unknown. */
export const CONFIG_KEYS = [
  "maxSessions",
  "maxQueuedSessions",
  "maxOutputEntriesPerSession",
  "defaultBudgetUsd",
  "defaultModel",
  "defaultWorkdir",
  "idleTimeoutMinutes",
  "maxPersistedSessions",
  "fallbackChannel",
  "permissionMode",
  "agentChannels",
  "maxAutoResponds",
  "skipSafetyChecks",
  "agentEnv",
  "allowedWorkdirs",
  "allowRootBypass",
  "longRunningNoticeMinutes",
  "foregroundDebounceMs",
  "permissionPolicy",
  "permissionTimeoutMinutes",
  "shareSessionsAcrossConversations",
  "maxSessionMinutes",
  "maxBudgetUsd",
  "dailyBudgetUsd",
  "defaultWorktree",
  "worktreeByWorkdir",
  "worktreeRoot",
  "worktreeRetentionDays",
  "prDraft",
  "defaultNode",
  "nodeAllowedWorkdirs",
  "nodeSlots",
] as const satisfies ReadonlyArray<keyof PluginConfig>;

type Env = Readonly<Record<string, string | undefined>>;

/** Parses "channel|target", "channel|account|target" or {channel, to, accountId?, threadId?}. */
export function parseRoute(value: unknown, where: string): Route {
  if (typeof value === "string") {
    const parts = value.split("|").map((p) => p.trim());
    if (parts.length === 2 && parts[0] && parts[1]) return { channel: parts[0], to: parts[1] };
    if (parts.length === 3 && parts[0] && parts[1] && parts[2]) return { channel: parts[0], accountId: parts[1], to: parts[2] };
    throw new Error(`${where} must look like "channel|target" or "channel|account|target" (e.g. "telegram|123456789"), got "${value}"`);
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (typeof o.channel !== "string" || !o.channel || typeof o.to !== "string" || !o.to) {
      throw new Error(`${where} needs string fields "channel" and "to"`);
    }
    const route: Route = { channel: o.channel, to: o.to };
    if (typeof o.accountId === "string" && o.accountId) route.accountId = o.accountId;
    if (typeof o.threadId === "string" && o.threadId) route.threadId = o.threadId;
    return route;
  }
  throw new Error(`${where} must be a string "channel|target" or an object {channel, to}`);
}

/** Expands ${VAR} (and a leading ~) in a path from the environment; unknown variables are errors. */
export function expandPath(raw: string, env: Env, where: string): string {
  let out = raw.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) throw new Error(`${where}: environment variable \${${name}} is not set`);
    return v;
  });
  if (out === "~" || out.startsWith("~/")) {
    const home = env.HOME;
    if (!home) throw new Error(`${where}: "~" needs HOME to be set`);
    out = path.join(home, out.slice(1));
  }
  if (!path.isAbsolute(out)) throw new Error(`${where} must be an absolute path, got "${raw}"`);
  return path.resolve(out);
}

/** Validates the raw plugin config (as the host hands it over) and fills in defaults. */
export function parseConfig(raw: unknown, env: Env = process.env): PluginConfig {
  const problems: string[] = [];
  const input: Record<string, unknown> =
    raw === undefined || raw === null ? {} : typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  if (raw !== undefined && raw !== null && (typeof raw !== "object" || Array.isArray(raw))) problems.push("the config must be an object");
  const cfg: PluginConfig = { ...DEFAULT_CONFIG, agentChannels: [], agentEnv: [], allowedWorkdirs: [], permissionPolicy: { allow: [], deny: [], ask: [] }, worktreeByWorkdir: [], nodeAllowedWorkdirs: [] };

  const known = new Set<string>(CONFIG_KEYS);
  for (const key of Object.keys(input)) if (!known.has(key)) problems.push(`unknown key "${key}" (known keys: ${CONFIG_KEYS.join(", ")})`);

  const attempt = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  };
  const num = (key: keyof PluginConfig, opts: { min: number; max?: number; integer?: boolean }): void => {
    const v = input[key];
    if (v === undefined) return;
    if (typeof v !== "number" || !Number.isFinite(v) || (opts.integer && !Number.isInteger(v)) || v < opts.min || (opts.max !== undefined && v > opts.max)) {
      const range = opts.max !== undefined ? `between ${opts.min} and ${opts.max}` : `≥ ${opts.min}`;
      problems.push(`${key} must be ${opts.integer ? "a whole number" : "a number"} ${range}, got ${JSON.stringify(v)}`);
      return;
    }
    (cfg as unknown as Record<string, number>)[key] = v;
  };
  const bool = (key: "skipSafetyChecks" | "allowRootBypass" | "shareSessionsAcrossConversations" | "defaultWorktree" | "prDraft"): void => {
    const v = input[key];
    if (v === undefined) return;
    if (typeof v !== "boolean") problems.push(`${key} must be true or false, got ${JSON.stringify(v)}`);
    else cfg[key] = v;
  };

  num("maxSessions", { min: 1, max: 100, integer: true });
  num("maxQueuedSessions", { min: 0, max: 1000, integer: true });
  num("maxOutputEntriesPerSession", { min: 100, max: 1_000_000, integer: true });
  num("defaultBudgetUsd", { min: 0.01, max: 10_000 });
  num("idleTimeoutMinutes", { min: 0, max: 7 * 24 * 60 });
  num("maxPersistedSessions", { min: 10, max: 1_000_000, integer: true });
  num("maxAutoResponds", { min: 0, max: 1000, integer: true });
  num("longRunningNoticeMinutes", { min: 0, max: 24 * 60 });
  num("foregroundDebounceMs", { min: 0, max: 60_000, integer: true });
  num("permissionTimeoutMinutes", { min: 0.05, max: 7 * 24 * 60 });
  num("maxSessionMinutes", { min: 0, max: 7 * 24 * 60 });
  num("maxBudgetUsd", { min: 0.01, max: 10_000 });
  num("dailyBudgetUsd", { min: 0.01, max: 100_000 });
  num("nodeSlots", { min: 1, max: 256, integer: true });
  bool("skipSafetyChecks");
  bool("allowRootBypass");
  bool("shareSessionsAcrossConversations");
  // An old config with a large defaultBudgetUsd keeps working: the ceiling rises to meet it.
  if (input.maxBudgetUsd === undefined) cfg.maxBudgetUsd = Math.max(cfg.maxBudgetUsd, cfg.defaultBudgetUsd);
  else if (cfg.defaultBudgetUsd > cfg.maxBudgetUsd) {
    problems.push(`defaultBudgetUsd (${cfg.defaultBudgetUsd}) is above maxBudgetUsd (${cfg.maxBudgetUsd}): lower defaultBudgetUsd or raise maxBudgetUsd`);
  }
  bool("defaultWorktree");
  bool("prDraft");
  num("worktreeRetentionDays", { min: 0, max: 3650 });

  if (input.defaultModel !== undefined) {
    if (typeof input.defaultModel !== "string" || !input.defaultModel.trim()) problems.push("defaultModel must be a non-empty model name such as \"sonnet\"");
    else cfg.defaultModel = input.defaultModel.trim();
  }
  if (input.defaultWorkdir !== undefined) {
    if (typeof input.defaultWorkdir !== "string") problems.push("defaultWorkdir must be an absolute directory path");
    else attempt(() => (cfg.defaultWorkdir = expandPath(input.defaultWorkdir as string, env, "defaultWorkdir")));
  }
  if (input.permissionMode !== undefined) {
    if (typeof input.permissionMode !== "string" || !PERMISSION_MODES.includes(input.permissionMode as PermissionMode)) {
      problems.push(`permissionMode must be one of ${PERMISSION_MODES.join(", ")}, got ${JSON.stringify(input.permissionMode)}`);
    } else cfg.permissionMode = input.permissionMode as PermissionMode;
  }
  if (input.fallbackChannel !== undefined && input.fallbackChannel !== "") {
    attempt(() => (cfg.fallbackChannel = parseRoute(input.fallbackChannel, "fallbackChannel")));
  }
  if (input.agentChannels !== undefined) {
    const v = input.agentChannels;
    if (typeof v !== "object" || v === null || Array.isArray(v)) problems.push("agentChannels must map a workdir path to a channel, e.g. {\"${HOME}/src/api\": \"telegram|123\"}");
    else {
      for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
        attempt(() => cfg.agentChannels.push({ prefix: expandPath(key, env, `agentChannels key "${key}"`), route: parseRoute(value, `agentChannels["${key}"]`) }));
      }
    }
  }
  if (input.agentEnv !== undefined) attempt(() => (cfg.agentEnv = parseAgentEnv(input.agentEnv, env)));
  if (input.allowedWorkdirs !== undefined) {
    const v = input.allowedWorkdirs;
    if (!Array.isArray(v)) problems.push("allowedWorkdirs must be a list of absolute directory paths");
    else v.forEach((p, i) => attempt(() => {
      if (typeof p !== "string") throw new Error(`allowedWorkdirs[${i}] must be a path string`);
      cfg.allowedWorkdirs.push(expandPath(p, env, `allowedWorkdirs[${i}]`));
    }));
  }

  if (input.defaultNode !== undefined) {
    if (typeof input.defaultNode !== "string" || !input.defaultNode.trim()) problems.push('defaultNode must be a paired node\'s id or name, or "auto"');
    else cfg.defaultNode = input.defaultNode.trim();
  }
  if (input.nodeAllowedWorkdirs !== undefined) {
    const v = input.nodeAllowedWorkdirs;
    if (!Array.isArray(v)) problems.push("nodeAllowedWorkdirs must be a list of absolute directory paths on this node");
    else v.forEach((p, i) => attempt(() => {
      if (typeof p !== "string") throw new Error(`nodeAllowedWorkdirs[${i}] must be a path string`);
      cfg.nodeAllowedWorkdirs.push(expandPath(p, env, `nodeAllowedWorkdirs[${i}]`));
    }));
  }

  if (input.permissionPolicy !== undefined) {
    const v = input.permissionPolicy;
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      problems.push('permissionPolicy must be an object like {"allow": ["Bash(npm test*)"], "deny": ["Bash(rm *)"], "ask": []}');
    } else {
      for (const key of Object.keys(v)) if (!["allow", "deny", "ask"].includes(key)) problems.push(`permissionPolicy has an unknown list "${key}" (use allow, deny, ask)`);
      for (const list of ["allow", "deny", "ask"] as const) {
        const rules = (v as Record<string, unknown>)[list];
        if (rules === undefined) continue;
        if (!Array.isArray(rules)) {
          problems.push(`permissionPolicy.${list} must be a list of rules such as "Bash(npm test*)"`);
          continue;
        }
        rules.forEach((r, i) =>
          attempt(() => {
            if (typeof r !== "string") throw new Error(`permissionPolicy.${list}[${i}] must be a string rule such as "Bash(npm test*)"`);
            try {
              cfg.permissionPolicy[list].push(parseRule(r));
            } catch (err) {
              throw new Error(`permissionPolicy.${list}[${i}]: ${err instanceof Error ? err.message : String(err)}`);
            }
          }),
        );
      }
    }
  }

  if (input.worktreeRoot !== undefined) {
    if (typeof input.worktreeRoot !== "string") problems.push("worktreeRoot must be an absolute directory path");
    else attempt(() => (cfg.worktreeRoot = expandPath(input.worktreeRoot as string, env, "worktreeRoot")));
  }
  if (input.worktreeByWorkdir !== undefined) {
    const v = input.worktreeByWorkdir;
    if (typeof v !== "object" || v === null || Array.isArray(v)) problems.push('worktreeByWorkdir must map a workdir path to true or false, e.g. {"${HOME}/src/api": true}');
    else {
      for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
        attempt(() => {
          if (typeof value !== "boolean") throw new Error(`worktreeByWorkdir["${key}"] must be true or false, got ${JSON.stringify(value)}`);
          cfg.worktreeByWorkdir.push({ prefix: expandPath(key, env, `worktreeByWorkdir key "${key}"`), worktree: value });
        });
      }
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}

/** Either a flat {VAR: value} map for every workdir, or {workdirPrefix: {VAR: value}}. */
function parseAgentEnv(v: unknown, env: Env): AgentEnvRule[] {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("agentEnv must be an object of environment variables, or of workdir paths to such objects");
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.every(([, value]) => typeof value === "string")) {
    return [{ prefix: "*", env: Object.fromEntries(entries) as Record<string, string> }];
  }
  return entries.map(([key, value]) => {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.values(value).every((x) => typeof x === "string")) {
      throw new Error(`agentEnv["${key}"] must be an object of string environment variables`);
    }
    const prefix = key === "*" ? "*" : expandPath(key, env, `agentEnv key "${key}"`);
    return { prefix, env: { ...(value as Record<string, string>) } };
  });
}

/** True if `dir` is `prefix` or inside it. */
export function isUnder(dir: string, prefix: string): boolean {
  const rel = path.relative(prefix, dir);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** The rule whose prefix is the longest one containing `dir`. */
export function longestPrefixMatch<T extends { prefix: string }>(rules: readonly T[], dir: string): T | undefined {
  let best: T | undefined;
  for (const rule of rules) {
    if (rule.prefix !== "*" && !isUnder(dir, rule.prefix)) continue;
    if (!best || best.prefix === "*" || (rule.prefix !== "*" && rule.prefix.length > best.prefix.length)) best = rule;
  }
  return best;
}

/** The environment overrides for a workdir: the "*" rule, then the longest matching prefix over it. */
export function agentEnvFor(config: PluginConfig, workdir: string): Record<string, string> {
  const global = config.agentEnv.find((r) => r.prefix === "*")?.env ?? {};
  const specific = longestPrefixMatch(config.agentEnv.filter((r) => r.prefix !== "*"), workdir)?.env ?? {};
  return { ...global, ...specific };
}

/** Whether a launch in `workdir` gets its own worktree when it does not say: the longest matching worktreeByWorkdir prefix, else defaultWorktree. */
export function worktreeByDefault(config: PluginConfig, workdir: string): boolean {
  return longestPrefixMatch(config.worktreeByWorkdir, workdir)?.worktree ?? config.defaultWorktree;
}

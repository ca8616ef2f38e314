// The plugin's configuration: read by its one schema (config-schema.ts) with messages a person can
// act on, defaults from it, and one typed object; paths, routes and rules get their meaning here.
import path from "node:path";
import type { TSchema } from "typebox";
import { Value } from "typebox/value";
import { CONFIG_SCHEMA, type ConfigKey } from "./config-schema.ts";
import { parseRule, type PermissionMode, type PermissionRule } from "./engine/index.ts";

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
  /** The Claude Code CLI to run; undefined = the Agent SDK's own platform binary. */
  claudeExecutable: string | undefined;
}

export interface WorktreeRule {
  /** An absolute workdir prefix, `${VAR}` expanded. */
  prefix: string;
  worktree: boolean;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid openclaw-claude-code-plugin config: ${problems.join("; ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** The keys the plugin understands (the schema's, in its order); anything else is reported as unknown. */
export const CONFIG_KEYS = Object.keys(CONFIG_SCHEMA.properties) as readonly ConfigKey[];

// Every key of the schema is a field of PluginConfig and every field has a key: a compile error otherwise.
type MissingKeys = Exclude<keyof PluginConfig, ConfigKey> | Exclude<ConfigKey, keyof PluginConfig>;
const EVERY_FIELD_HAS_A_KEY: [MissingKeys] extends [never] ? true : MissingKeys = true;
void EVERY_FIELD_HAS_A_KEY;

/** maxBudgetUsd when unset (unless defaultBudgetUsd is higher): it has no schema default for that reason. */
const BUDGET_CEILING_USD = 50;

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

/** Collects one problem per failing part, so a reader can report every bad entry of a key at once. */
type Attempt = (fn: () => void) => void;

/**
 * Keys whose values mean more than their JSON shape: paths to expand, routes, rules, environments.
 * A reader turns the value into its PluginConfig form and throws (or reports through `attempt`)
 * a sentence saying what to fix. Every other key is a number, a boolean or an enum whose value is
 * used as it is once the schema accepts it.
 */
const READERS: { readonly [K in ConfigKey]?: (value: unknown, env: Env, attempt: Attempt) => PluginConfig[K] } = {
  defaultModel: (v) => nonEmpty(v, 'defaultModel must be a non-empty model name such as "sonnet"'),
  defaultWorkdir: (v, env) => absolutePath(v, env, "defaultWorkdir"),
  fallbackChannel: (v) => {
    // One answer for every layer: an empty route is a mistake to fix, not a silent "no fallback".
    if (typeof v === "string" && !v.trim()) throw new Error('fallbackChannel is empty: give a route such as "telegram|123456789", or leave the key out for no fallback channel');
    return parseRoute(v, "fallbackChannel");
  },
  agentChannels: (v, env, attempt) => {
    if (!isPlainObject(v)) throw new Error('agentChannels must map a workdir path to a channel, e.g. {"${HOME}/src/api": "telegram|123"}');
    const rules: AgentChannelRule[] = [];
    for (const [key, value] of Object.entries(v)) {
      attempt(() => rules.push({ prefix: expandPath(key, env, `agentChannels key "${key}"`), route: parseRoute(value, `agentChannels["${key}"]`) }));
    }
    return rules;
  },
  agentEnv: (v, env) => parseAgentEnv(v, env),
  allowedWorkdirs: (v, env, attempt) => pathList(v, env, attempt, "allowedWorkdirs", "allowedWorkdirs must be a list of absolute directory paths"),
  permissionPolicy: (v, _env, attempt) => parsePolicy(v, attempt),
  worktreeRoot: (v, env) => absolutePath(v, env, "worktreeRoot"),
  claudeExecutable: (v, env) => expandPath(nonEmpty(v, "claudeExecutable must be the absolute path of a Claude Code CLI"), env, "claudeExecutable"),
  worktreeByWorkdir: (v, env, attempt) => {
    if (!isPlainObject(v)) throw new Error('worktreeByWorkdir must map a workdir path to true or false, e.g. {"${HOME}/src/api": true}');
    const rules: WorktreeRule[] = [];
    for (const [key, value] of Object.entries(v)) {
      attempt(() => {
        if (typeof value !== "boolean") throw new Error(`worktreeByWorkdir["${key}"] must be true or false, got ${JSON.stringify(value)}`);
        rules.push({ prefix: expandPath(key, env, `worktreeByWorkdir key "${key}"`), worktree: value });
      });
    }
    return rules;
  },
  defaultNode: (v) => nonEmpty(v, 'defaultNode must be a paired node\'s id or name, or "auto"'),
  nodeAllowedWorkdirs: (v, env, attempt) => pathList(v, env, attempt, "nodeAllowedWorkdirs", "nodeAllowedWorkdirs must be a list of absolute directory paths on this node"),
};

/** Validates the raw plugin config (as the host hands it over) and fills in the schema's defaults. */
export function parseConfig(raw: unknown, env: Env = process.env): PluginConfig {
  const problems: string[] = [];
  if (raw !== undefined && raw !== null && !isPlainObject(raw)) problems.push("the config must be an object");
  const input: Record<string, unknown> = isPlainObject(raw) ? raw : {};
  const cfg: Partial<Record<ConfigKey, unknown>> = {};

  const known = new Set<string>(CONFIG_KEYS);
  for (const key of Object.keys(input)) if (!known.has(key)) problems.push(`unknown key "${key}" (known keys: ${CONFIG_KEYS.join(", ")})`);

  const attempt: Attempt = (fn) => {
    try {
      fn();
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  };

  for (const key of CONFIG_KEYS) {
    const schema: TSchema & { default?: unknown } = CONFIG_SCHEMA.properties[key];
    const value = input[key] !== undefined ? input[key] : structuredClone(schema.default);
    cfg[key] = undefined; // every field is present, the unset ones as undefined
    if (value === undefined) continue;
    const reader = READERS[key];
    if (!reader) {
      const problem = scalarProblem(key, schema, value);
      if (problem) problems.push(problem);
      else cfg[key] = value;
      continue;
    }
    const before = problems.length;
    attempt(() => (cfg[key] = reader(value, env, attempt)));
    // What the reader lets through must also fit the schema the host checks, so that the two
    // never disagree about a value (the reader's sentence comes first when both refuse).
    if (problems.length === before && !Value.Check(schema, value)) problems.push(schemaProblem(key, schema, value));
  }

  const config = cfg as PluginConfig;
  // An old config with a large defaultBudgetUsd keeps working: the ceiling rises to meet it.
  if (input.maxBudgetUsd === undefined) config.maxBudgetUsd = Math.max(BUDGET_CEILING_USD, config.defaultBudgetUsd);
  else if (config.defaultBudgetUsd > config.maxBudgetUsd) {
    problems.push(`defaultBudgetUsd (${config.defaultBudgetUsd}) is above maxBudgetUsd (${config.maxBudgetUsd}): lower defaultBudgetUsd or raise maxBudgetUsd`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** What an empty config means: every schema default, read as parseConfig reads a value. */
export const DEFAULT_CONFIG: Readonly<PluginConfig> = Object.freeze(parseConfig({}, {}));

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The sentence for a number, boolean or enum key the schema refuses; undefined when it fits. */
function scalarProblem(key: string, schema: TSchema, value: unknown): string | undefined {
  if (Value.Check(schema, value)) return undefined;
  const s = schema as { type?: string; minimum?: number; maximum?: number; enum?: readonly unknown[] };
  const got = JSON.stringify(value);
  if (s.type === "number" || s.type === "integer") {
    const range = s.maximum !== undefined ? `between ${s.minimum} and ${s.maximum}` : `≥ ${s.minimum}`;
    return `${key} must be ${s.type === "integer" ? "a whole number" : "a number"} ${range}, got ${got}`;
  }
  if (s.type === "boolean") return `${key} must be true or false, got ${got}`;
  if (s.enum) return `${key} must be one of ${s.enum.join(", ")}, got ${got}`;
  return schemaProblem(key, schema, value);
}

/** The schema's own first complaint, for a shape no reader describes better. */
function schemaProblem(key: string, schema: TSchema, value: unknown): string {
  const first = [...Value.Errors(schema, value)][0];
  const where = first?.instancePath ? `${key}${first.instancePath.split("/").slice(1).map((p) => `[${JSON.stringify(p)}]`).join("")}` : key;
  return `${where} ${first?.message ?? "does not fit the config schema"} (see docs/configuration.md)`;
}

function nonEmpty(v: unknown, message: string): string {
  if (typeof v !== "string" || !v.trim()) throw new Error(message);
  return v.trim();
}

function absolutePath(v: unknown, env: Env, key: string): string {
  if (typeof v !== "string") throw new Error(`${key} must be an absolute directory path`);
  return expandPath(v, env, key);
}

function pathList(v: unknown, env: Env, attempt: Attempt, key: string, message: string): string[] {
  if (!Array.isArray(v)) throw new Error(message);
  const out: string[] = [];
  v.forEach((p, i) =>
    attempt(() => {
      if (typeof p !== "string") throw new Error(`${key}[${i}] must be a path string`);
      out.push(expandPath(p, env, `${key}[${i}]`));
    }),
  );
  return out;
}

function parsePolicy(v: unknown, attempt: Attempt): PluginConfig["permissionPolicy"] {
  if (!isPlainObject(v)) throw new Error('permissionPolicy must be an object like {"allow": ["Bash(npm test*)"], "deny": ["Bash(rm *)"], "ask": []}');
  const policy: PluginConfig["permissionPolicy"] = { allow: [], deny: [], ask: [] };
  for (const key of Object.keys(v)) if (!["allow", "deny", "ask"].includes(key)) attempt(() => { throw new Error(`permissionPolicy has an unknown list "${key}" (use allow, deny, ask)`); });
  for (const list of ["allow", "deny", "ask"] as const) {
    const rules = v[list];
    if (rules === undefined) continue;
    if (!Array.isArray(rules)) {
      attempt(() => { throw new Error(`permissionPolicy.${list} must be a list of rules such as "Bash(npm test*)"`); });
      continue;
    }
    rules.forEach((r, i) =>
      attempt(() => {
        if (typeof r !== "string") throw new Error(`permissionPolicy.${list}[${i}] must be a string rule such as "Bash(npm test*)"`);
        try {
          policy[list].push(parseRule(r));
        } catch (err) {
          throw new Error(`permissionPolicy.${list}[${i}]: ${err instanceof Error ? err.message : String(err)}`);
        }
      }),
    );
  }
  return policy;
}

/**
 * `{VAR: value}` entries are variables for every workdir (as under "*"); `{prefix: {VAR: value}}`
 * entries apply under a workdir. Both may appear in one object: the schema allows either per entry,
 * so the plugin does too rather than refuse what the host accepted.
 */
function parseAgentEnv(v: unknown, env: Env): AgentEnvRule[] {
  if (!isPlainObject(v)) throw new Error("agentEnv must be an object of environment variables, or of workdir paths to such objects");
  const everywhere: Record<string, string> = {};
  const rules: AgentEnvRule[] = [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(v)) {
    if (typeof value === "string") {
      // A path key with a string value is a per-workdir entry written wrongly, not a variable named "/srv/api".
      if (key.includes("/") || key.startsWith("~")) problems.push(`agentEnv["${key}"] is a string, but "${key}" is a workdir: give it an object of variables, e.g. {"${key}": {"VAR": "value"}}`);
      else everywhere[key] = value;
    } else if (!isPlainObject(value) || !Object.values(value).every((x) => typeof x === "string")) {
      problems.push(`agentEnv["${key}"] must be an object of string environment variables (or, for a variable of every workdir, a string)`);
    } else if (key === "*") {
      Object.assign(everywhere, value);
    } else {
      try {
        rules.push({ prefix: expandPath(key, env, `agentEnv key "${key}"`), env: { ...(value as Record<string, string>) } });
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
  }
  const star = v["*"];
  if (isPlainObject(star)) {
    for (const [name, value] of Object.entries(v)) {
      if (typeof value === "string" && name in star && star[name] !== value) problems.push(`agentEnv gives ${name} twice for every workdir (at the top and under "*") with different values; keep one`);
    }
  }
  if (problems.length > 0) throw new Error(problems.join("; "));
  return Object.keys(everywhere).length > 0 || "*" in v ? [{ prefix: "*", env: everywhere }, ...rules] : rules;
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

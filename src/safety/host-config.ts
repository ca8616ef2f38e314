// Pure readers of the OpenClaw 2026.9 gateway config that the safety checks need: the agent
// roster, heartbeat enrolment and cadence, skill visibility and configured channels. They mirror
// the host's own rules (verified against the host in host-config.test.ts) without importing it.

/** The host config as plain data; the checks only read it. */
export type HostConfigView = Readonly<Record<string, unknown>>;

/** One step of a config path: a key, or an index into a legacy `agents.list`. */
export type PathSegment = string | number;

/** A config change: `openclaw config set <path> <value>` or the same through the config API. */
export interface ConfigEdit {
  path: PathSegment[];
  value: string | string[];
}

/** The host's default cadence when `heartbeat.every` is unset anywhere. */
export const HOST_DEFAULT_HEARTBEAT_EVERY = "30m";

type Rec = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Rec {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function rec(value: unknown): Rec | undefined {
  return isRecord(value) ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

/** Agent ids are case-insensitive and filesystem-safe in the host; compare them normalised. */
export function normalizeAgentId(id: string): string {
  const trimmed = id.trim().toLowerCase();
  if (/^[a-z0-9][a-z0-9_-]{0,63}$/.test(trimmed)) return trimmed;
  const cleaned = trimmed.replace(/[^a-z0-9_-]+/g, "-").replace(/^-+/, "").replace(/-+$/, "").slice(0, 64);
  return cleaned || "main";
}

interface RosterEntry {
  id: string;
  entry: Rec;
  /** Where the entry lives: `agents.entries.<key>` or the legacy `agents.list[<index>]`. */
  path: PathSegment[];
}

/** The configured agents, from `agents.entries` (or the legacy `agents.list`). */
function rosterEntries(cfg: HostConfigView): RosterEntry[] | undefined {
  const agents = rec(cfg.agents);
  if (!agents) return undefined;
  if (Object.hasOwn(agents, "entries") && agents.entries !== undefined) {
    const entries = rec(agents.entries);
    if (!entries) return [];
    return Object.entries(entries).flatMap(([key, value]) => (isRecord(value) ? [{ id: key, entry: value, path: ["agents", "entries", key] }] : []));
  }
  if (Object.hasOwn(agents, "list") && agents.list !== undefined) {
    if (!Array.isArray(agents.list)) return [];
    return agents.list.flatMap((value: unknown, index: number) => {
      const entry = rec(value);
      const id = entry ? str(entry.id) : undefined;
      return entry && id ? [{ id, entry, path: ["agents", "list", index] }] : [];
    });
  }
  return undefined;
}

/** The agent ids the host knows; a config without a roster has the implicit agent "main". */
export function listAgentIds(cfg: HostConfigView): string[] {
  const roster = rosterEntries(cfg);
  if (roster === undefined) return ["main"];
  return [...new Set(roster.map((r) => normalizeAgentId(r.id)))];
}

function findEntry(cfg: HostConfigView, agentId: string): RosterEntry | undefined {
  const id = normalizeAgentId(agentId);
  return rosterEntries(cfg)?.find((r) => normalizeAgentId(r.id) === id);
}

/** Where an agent's own settings go: its roster entry, or `agents.entries.<id>` for a new one. */
export function agentConfigPath(cfg: HostConfigView, agentId: string): PathSegment[] {
  return findEntry(cfg, agentId)?.path ?? ["agents", "entries", normalizeAgentId(agentId)];
}

function defaultsHeartbeat(cfg: HostConfigView): Rec | undefined {
  return rec(rec(rec(cfg.agents)?.defaults)?.heartbeat);
}

/** The agent that owns ambient work (heartbeats when no agent is named), as the host resolves it. */
export function ambientAgentId(cfg: HostConfigView): string | undefined {
  const agents = rec(cfg.agents);
  const defaults = rec(agents?.defaults);
  const explicit = str(defaultsHeartbeat(cfg)?.agentId) ?? str(rec(defaults?.systemAgent)?.agentId);
  if (explicit) return normalizeAgentId(explicit);
  const roster = rosterEntries(cfg);
  if (roster === undefined) return "main";
  if (agents?.ownership !== "explicit") {
    const marked = roster.filter((r) => r.entry.default === true);
    if (marked.length === 1 && marked[0]) return normalizeAgentId(marked[0].id);
  }
  return roster.length === 1 && roster[0] ? normalizeAgentId(roster[0].id) : undefined;
}

/** How the host decides which agents get heartbeats. */
export type HeartbeatEnrolment =
  /** Some `agents.entries.*` have a `heartbeat` block: only those agents. */
  | { mode: "per-agent"; agents: string[] }
  /** `agents.defaults.heartbeat.agentId` names the one agent. */
  | { mode: "named"; agents: string[] }
  /** `agents.defaults.heartbeat` exists: every configured agent. */
  | { mode: "defaults"; agents: string[] }
  /** No heartbeat config: only the ambient (sole or default) agent. */
  | { mode: "ambient"; agents: string[] };

export function heartbeatEnrolment(cfg: HostConfigView): HeartbeatEnrolment {
  const roster = rosterEntries(cfg) ?? [];
  const explicit = roster.filter((r) => Boolean(r.entry.heartbeat));
  if (explicit.length > 0) return { mode: "per-agent", agents: explicit.map((r) => normalizeAgentId(r.id)) };
  const defaults = defaultsHeartbeat(cfg);
  const named = str(defaults?.agentId);
  if (named) return { mode: "named", agents: [normalizeAgentId(named)] };
  if (defaults) return { mode: "defaults", agents: listAgentIds(cfg) };
  const ambient = ambientAgentId(cfg);
  return { mode: "ambient", agents: ambient ? [ambient] : [] };
}

/** A duration as the host reads `heartbeat.every` (bare numbers are minutes); undefined if invalid. */
export function parseEvery(raw: string): number | undefined {
  const text = raw.trim().toLowerCase();
  if (!text) return undefined;
  const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const single = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text);
  if (single) return Math.round(Number(single[1]) * (unitMs[single[2] ?? "m"] ?? 60_000));
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    if (m.index !== consumed) return undefined;
    total += Number(m[1]) * (unitMs[m[2] ?? "m"] ?? 0);
    consumed += m[0].length;
  }
  return consumed === text.length && consumed > 0 ? Math.round(total) : undefined;
}

export interface HeartbeatState {
  agentId: string;
  enrolment: HeartbeatEnrolment;
  enrolled: boolean;
  /** The effective `every` text and the config path it came from ("(host default)" when unset). */
  every: string;
  everyFrom: string;
  /** Null when the cadence is off ("0m") or unreadable: the host then refuses plugin wakes. */
  intervalMs: number | null;
  /** The heartbeat prompt the agent gets (custom or undefined for the host's default). */
  prompt: string | undefined;
  activeHours: Rec | undefined;
}

/** Dotted config path, as `openclaw config set` takes it. */
export function formatPath(path: readonly PathSegment[]): string {
  return path.reduce<string>((out, seg) => (typeof seg === "number" ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg), "");
}

export function heartbeatState(cfg: HostConfigView, agentId: string): HeartbeatState {
  const id = normalizeAgentId(agentId);
  const enrolment = heartbeatEnrolment(cfg);
  const entry = findEntry(cfg, id);
  const own = rec(entry?.entry.heartbeat);
  const defaults = defaultsHeartbeat(cfg);
  let raw: unknown = HOST_DEFAULT_HEARTBEAT_EVERY;
  let everyFrom = "(host default)";
  if (own && own.every !== undefined && entry) {
    raw = own.every;
    everyFrom = formatPath([...entry.path, "heartbeat", "every"]);
  } else if (defaults && defaults.every !== undefined) {
    raw = defaults.every;
    everyFrom = "agents.defaults.heartbeat.every";
  }
  // The host reads only strings here; anything else leaves the cadence off.
  const every = typeof raw === "string" ? raw : JSON.stringify(raw);
  const parsed = typeof raw === "string" ? parseEvery(raw) : undefined;
  return {
    agentId: id,
    enrolment,
    enrolled: enrolment.agents.includes(id),
    every,
    everyFrom,
    intervalMs: parsed !== undefined && parsed > 0 ? parsed : null,
    prompt: str(own?.prompt) ?? str(defaults?.prompt),
    activeHours: rec(own?.activeHours) ?? rec(defaults?.activeHours),
  };
}

/**
 * The edits that give `agentId` a heartbeat with `every` without taking one away from another
 * agent: a per-agent block switches the host to "only agents with a block", so agents that had a
 * heartbeat through the defaults get a block of their own too.
 */
export function heartbeatEnableEdits(cfg: HostConfigView, agentId: string, every = HOST_DEFAULT_HEARTBEAT_EVERY): ConfigEdit[] {
  const id = normalizeAgentId(agentId);
  const edits: ConfigEdit[] = [{ path: [...agentConfigPath(cfg, id), "heartbeat", "every"], value: every }];
  const enrolment = heartbeatEnrolment(cfg);
  if (enrolment.mode === "per-agent") return edits;
  for (const other of enrolment.agents) {
    if (other === id) continue;
    const state = heartbeatState(cfg, other);
    if (state.intervalMs === null) continue;
    edits.push({ path: [...agentConfigPath(cfg, other), "heartbeat", "every"], value: state.every });
  }
  return edits;
}

export interface SkillVisibility {
  visible: boolean;
  /** `skills.entries.<skill>.enabled` is false. */
  disabled: boolean;
  /** The allowlist that applies to the agent (undefined: every skill), and where it is. */
  allowlist: string[] | undefined;
  allowlistPath: PathSegment[] | undefined;
  reason: string;
}

/** Whether a skill named `skill` is offered to `agentId`: not disabled, and inside its allowlist. */
export function skillVisibility(cfg: HostConfigView, agentId: string, skill: string): SkillVisibility {
  const entryConfig = rec(rec(rec(cfg.skills)?.entries)?.[skill]);
  const entry = findEntry(cfg, agentId);
  let allowlist: string[] | undefined;
  let allowlistPath: PathSegment[] | undefined;
  const names = (list: unknown[]): string[] => list.filter((s): s is string => typeof s === "string").map((s) => s.trim());
  // An agent's own `skills` key wins over the defaults, even when it is not a list.
  const ownList = entry !== undefined && Object.hasOwn(entry.entry, "skills");
  if (ownList && Array.isArray(entry.entry.skills)) {
    allowlist = names(entry.entry.skills);
    allowlistPath = [...entry.path, "skills"];
  } else if (!ownList) {
    const defaults = rec(rec(cfg.agents)?.defaults);
    if (defaults && Array.isArray(defaults.skills)) {
      allowlist = names(defaults.skills);
      allowlistPath = ["agents", "defaults", "skills"];
    }
  }
  const disabled = entryConfig?.enabled === false;
  const excluded = allowlist !== undefined && !allowlist.includes(skill);
  const reasons = [
    ...(disabled ? [`skills.entries.${skill}.enabled is false`] : []),
    ...(excluded && allowlistPath ? [`${formatPath(allowlistPath)} lists only [${(allowlist ?? []).join(", ")}]`] : []),
  ];
  const reason = reasons.length > 0 ? reasons.join("; ") : allowlistPath ? `listed in ${formatPath(allowlistPath)}` : "no skill allowlist applies";
  return { visible: !disabled && !excluded, disabled, allowlist, allowlistPath, reason };
}

/** Whether `channels.<channel>` is configured and not disabled (and has `accountId`, when named). */
export function channelConfigured(cfg: HostConfigView, channel: string, accountId?: string): { ok: boolean; reason: string } {
  const channels = rec(cfg.channels) ?? {};
  const section = rec(channels[channel]);
  const known = Object.keys(channels).filter((k) => k !== "defaults");
  if (!section) return { ok: false, reason: `no channels.${channel} section (configured channels: ${known.join(", ") || "none"})` };
  if (section.enabled === false) return { ok: false, reason: `channels.${channel}.enabled is false` };
  const accounts = rec(section.accounts);
  if (accountId && accounts && !rec(accounts[accountId]) && accountId !== "default") {
    return { ok: false, reason: `channels.${channel}.accounts has no "${accountId}" (accounts: ${Object.keys(accounts).join(", ")})` };
  }
  return { ok: true, reason: `channels.${channel} is configured` };
}

/** Applies edits to a config object in place (the draft a config mutation hands out). */
export function applyEdits(draft: Record<string, unknown>, edits: readonly ConfigEdit[]): void {
  for (const edit of edits) {
    let node: Record<string, unknown> | unknown[] = draft;
    edit.path.forEach((seg, i) => {
      const last = i === edit.path.length - 1;
      const container = node as Record<string | number, unknown>;
      if (last) {
        container[seg] = Array.isArray(edit.value) ? [...edit.value] : edit.value;
        return;
      }
      const next = container[seg];
      if (typeof next !== "object" || next === null) container[seg] = typeof edit.path[i + 1] === "number" ? [] : {};
      node = container[seg] as Record<string, unknown> | unknown[];
    });
  }
}

/** The edit as a copy-pasteable shell command. */
export function configSetCommand(edit: ConfigEdit): string {
  const value = Array.isArray(edit.value) ? `'${JSON.stringify(edit.value)}' --strict-json` : `"${edit.value}"`;
  return `openclaw config set ${formatPath(edit.path)} ${value}`;
}

// The plugin config's one schema (TypeBox): keys, types, ranges, defaults and descriptions. The
// manifest's configSchema is generated from it (scripts/gen-manifest.ts) and parseConfig reads by it.
import { Type, type TSchema } from "typebox";
import { PERMISSION_MODES } from "./engine/types.ts";

/** "channel|target" or "channel|account|target", or {channel, to, accountId?, threadId?}. */
const ROUTE = Type.Union([
  Type.String({ pattern: "^[^|]+\\|[^|]+(\\|[^|]+)?$", description: '"channel|target" or "channel|account|target"' }),
  Type.Object(
    {
      channel: Type.String({ minLength: 1 }),
      to: Type.String({ minLength: 1 }),
      accountId: Type.Optional(Type.String()),
      threadId: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
]);

const STRING_MAP = Type.Object({}, { additionalProperties: Type.String() });
const PATH_LIST = Type.Array(Type.String({ minLength: 1 }));
const RULE_LIST = Type.Array(Type.String({ minLength: 1 }));
const WEEK_MINUTES = 7 * 24 * 60;

export const CONFIG_SCHEMA = Type.Object(
  {
    maxSessions: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 5, description: "Live Claude Code sessions at once" })),
    maxQueuedSessions: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1000, default: 20, description: "Launches that wait in the queue once maxSessions run; beyond it a launch is refused" }),
    ),
    maxOutputEntriesPerSession: Type.Optional(
      Type.Integer({ minimum: 100, maximum: 1_000_000, default: 5000, description: "Transcript entries kept in the store per session; the oldest beyond it are dropped" }),
    ),
    defaultBudgetUsd: Type.Optional(Type.Number({ minimum: 0.01, maximum: 10_000, default: 5, description: "Budget per session when the launch gives none (USD)" })),
    defaultModel: Type.Optional(Type.String({ minLength: 1, description: "Claude model when the launch gives none (default: Claude Code's own)" })),
    defaultWorkdir: Type.Optional(Type.String({ minLength: 1, description: "Absolute directory for launches that give none (${VAR} and ~ expanded)" })),
    idleTimeoutMinutes: Type.Optional(
      Type.Number({ minimum: 0, maximum: WEEK_MINUTES, default: 30, description: "A multi-turn session waiting this long is stopped as completed (idle); 0 = never" }),
    ),
    maxPersistedSessions: Type.Optional(Type.Integer({ minimum: 10, maximum: 1_000_000, default: 10_000, description: "Finished sessions kept in the history" })),
    fallbackChannel: Type.Optional(Type.Union(ROUTE.anyOf, { description: "Where notices go when neither the launching conversation nor agentChannels gives a route" })),
    permissionMode: Type.Optional(Type.Enum([...PERMISSION_MODES], { default: "bypassPermissions", description: "Claude Code permission mode when the launch gives none" })),
    agentChannels: Type.Optional(
      Type.Object({}, { additionalProperties: ROUTE, default: {}, description: "Workdir prefix → channel for notices; the longest matching prefix wins" }),
    ),
    maxAutoResponds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1000, default: 10, description: "Agent replies in a row to one session before it must ask the user" }),
    ),
    skipSafetyChecks: Type.Optional(Type.Boolean({ default: false, description: "Skip the pre-launch checks for agent launches" })),
    agentEnv: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: Type.Union([Type.String(), STRING_MAP]),
          default: {},
          description: "Extra environment for Claude Code: {VAR: value} for every workdir, and/or {workdirPrefix: {VAR: value}}",
        },
      ),
    ),
    allowedWorkdirs: Type.Optional(Type.Array(PATH_LIST.items, { default: [], description: "When set, sessions may only run inside these directories" })),
    allowRootBypass: Type.Optional(
      Type.Boolean({ default: false, description: "Allow bypassPermissions when the gateway runs as root (sets IS_SANDBOX=1 for Claude Code; only inside a sandbox)" }),
    ),
    longRunningNoticeMinutes: Type.Optional(
      Type.Number({ minimum: 0, maximum: 24 * 60, default: 10, description: "Notice when a background session is still running after this long; 0 = never" }),
    ),
    foregroundDebounceMs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 60_000, default: 800, description: "How long live output is gathered before it is sent to a foreground chat" }),
    ),
    permissionPolicy: Type.Optional(
      Type.Object(
        { allow: Type.Optional(RULE_LIST), deny: Type.Optional(RULE_LIST), ask: Type.Optional(RULE_LIST) },
        {
          additionalProperties: false,
          default: { allow: [], deny: [], ask: [] },
          description:
            'Rules applied to Claude Code\'s permission requests before anyone is asked, e.g. {"allow": ["Bash(npm test*)"], "deny": ["Bash(rm *)"]}; deny wins over ask over allow',
        },
      ),
    ),
    permissionTimeoutMinutes: Type.Optional(
      Type.Number({ minimum: 0.05, maximum: WEEK_MINUTES, default: 30, description: "A permission request nobody answers within this is denied (fail closed) and Claude is told why" }),
    ),
    shareSessionsAcrossConversations: Type.Optional(
      Type.Boolean({
        default: false,
        description: "Let an agent's tools see and control its sessions from every conversation, not only the calling one (single-user set-ups)",
      }),
    ),
    maxSessionMinutes: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: WEEK_MINUTES,
        default: 120,
        description: "Wall-clock limit of one turn; a turn still running after it fails the session with the reason; 0 = no limit",
      }),
    ),
    // No default here: when unset it follows defaultBudgetUsd upwards (see parseConfig).
    maxBudgetUsd: Type.Optional(
      Type.Number({ minimum: 0.01, maximum: 10_000, description: "The most any launch may ask for as its budget (USD); default 50, or defaultBudgetUsd when that is higher" }),
    ),
    dailyBudgetUsd: Type.Optional(
      Type.Number({
        minimum: 0.01,
        maximum: 100_000,
        description: "What one agent's sessions may spend per UTC day (USD); launches beyond it are refused; unset = no daily limit",
      }),
    ),
    defaultWorktree: Type.Optional(Type.Boolean({ default: false, description: "Launches run in their own git worktree on a new branch unless they say otherwise" })),
    worktreeByWorkdir: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: Type.Boolean(),
          default: {},
          description: "Workdir prefix → true/false: overrides defaultWorktree there; the longest matching prefix wins (${VAR} expanded)",
        },
      ),
    ),
    worktreeRoot: Type.Optional(
      Type.String({ minLength: 1, description: "Where session worktrees are created (default: under the plugin's state directory); outside your repositories" }),
    ),
    worktreeRetentionDays: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 3650,
        default: 7,
        description: "Worktrees older than this are cleaned up by the discard rule (unmerged work kept under refs/claude-code/snapshots)",
      }),
    ),
    prDraft: Type.Optional(Type.Boolean({ default: true, description: "The pr finish opens pull requests as drafts" })),
    defaultNode: Type.Optional(
      Type.String({ minLength: 1, description: 'Paired node (id or name, or "auto") that launches run on when they name none; unset: the gateway\'s machine' }),
    ),
    nodeAllowedWorkdirs: Type.Optional(
      Type.Array(PATH_LIST.items, {
        default: [],
        description: "On a node: absolute directories the gateway's sessions may work in (${VAR} and ~ expanded); empty: none",
      }),
    ),
    nodeSlots: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, description: "On a node: Claude Code sessions it runs at once (default: its cores)" })),
    claudeExecutable: Type.Optional(
      Type.String({
        minLength: 1,
        description: "The Claude Code CLI sessions run (absolute path, ${VAR} and ~ expanded); default: the binary installed with the Agent SDK",
      }),
    ),
  },
  { additionalProperties: false },
);

export type ConfigKey = keyof typeof CONFIG_SCHEMA.properties;

/** The manifest's configSchema: the schema as plain JSON (what the host validates the config against). */
export function manifestConfigSchema(): unknown {
  return JSON.parse(JSON.stringify(CONFIG_SCHEMA as TSchema));
}

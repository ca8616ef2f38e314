// The engine's public surface: everything outside src/engine imports from here.
export type {
  AgentBackend,
  BackendCapabilities,
  BackendEvent,
  Conversation,
  LaunchSpec,
  PermissionDecision,
  TokenUsage,
  ToolGate,
  TurnOutcome,
} from "./backend.ts";
export { claudeCodeBackend, CLAUDE_CODE_KIND, type ClaudeCodeBackendOptions, type QueryFunction } from "./backends/claude-code/index.ts";
export { LaunchLanes, LaunchQueue, LOCAL_LANE, type QueuePosition } from "./launch-queue.ts";
export { SessionEngine, realOrResolved, type EngineOptions, type EngineListener, type OutputPage, type OutputQuery, type PastSession, type RequestLookup, type SessionHistory } from "./engine.ts";
export { SessionError, isSessionError, invalid, type ErrorCode } from "./errors.ts";
export { systemClock, type Clock, type TimerHandle } from "./clock.ts";
export { silentLogger, type Logger } from "./logger.ts";
export { OutputBuffer, DEFAULT_OUTPUT_LIMITS, type OutputEntry, type OutputKind, type OutputLimits, type CatchUp } from "./output-buffer.ts";
export { emptyStatsState, StatsRecorder, type StatsSnapshot, type StatsState, type SessionCostSummary } from "./stats.ts";
export { nameFromPrompt, looksLikeUuid } from "./names.ts";
export { summarizeToolInput } from "./tool-summary.ts";
export { localProcessHost, type HostedProcess, type ProcessHost, type SpawnOptions, type SpawnedProcess } from "./process-host.ts";
export { buildChildEnv, passesThrough } from "./child-env.ts";
export {
  endProcesses,
  endProcessTrees,
  belongsTo,
  type ProcessInfo,
  procStartTicks,
  START_SLACK_MS,
  systemProcessTable,
  type ProcessTable,
  type ProcessTreeRef,
  type SweepReport,
  type TreeTarget,
} from "./process-tree.ts";
export {
  outcomeText,
  describeRequest,
  MAX_SESSION_RULE_COMMAND_BYTES,
  type PermissionAnswer,
  type PermissionOutcome,
  type PermissionRecord,
  type PermissionRequest,
  type Question,
  type RequestKind,
} from "./permissions.ts";
export {
  createPolicy,
  parseRule,
  type PermissionPolicy,
  type PermissionRule,
  type PolicyContext,
  type PolicyRules,
  type PolicyVerdict,
} from "./policy.ts";
export {
  isLive,
  holdsSlot,
  reasonText,
  statusForReason,
  LIVE_STATUSES,
  TERMINAL_STATUSES,
  PERMISSION_MODES,
  isMorePermissive,
  type EndReason,
  type LaunchRequest,
  type LiveStatus,
  type NodeOption,
  type NodeRef,
  type PermissionMode,
  type QueueState,
  type SessionEvent,
  type SessionEventType,
  type SessionSnapshot,
  type SessionStatus,
  type TerminalStatus,
} from "./types.ts";

// The Control UI page's backend: engine events pushed to signed-in browsers as gateway events
// (no polling), and the launch form's choices as one read RPC. The page itself is in ui/.
import { homedir } from "node:os";
import { parseConfig } from "../config.ts";
import { PERMISSION_MODES, reasonText, type OutputEntry, type SessionEvent, type SessionSnapshot } from "../engine/index.ts";
import type { Logger } from "../engine/index.ts";
import type { Owner } from "../ops/types.ts";
import { isInWorkTree } from "../worktrees/index.ts";
import { consoleLogger, toFailure } from "./errors.ts";
import type { RespondFn } from "./rpc.ts";

/** The browser subscribes to `plugin.<plugin id>.<UI_EVENT>`; the gateway prefixes the plugin id. */
export const UI_EVENT = "session";
export const UI_OPTIONS_METHOD = "claude-code.options";

/** A session as the page reads it: flat, `status`, timestamps in epoch ms. */
export interface UiSession {
  id: string;
  name: string;
  status: string;
  reason: string | null;
  waitingFor: "input" | "permission" | null;
  workdir: string;
  model: string | null;
  permissionMode: string;
  agentId: string | null;
  claudeSessionId: string | null;
  turns: number;
  costUsd: number;
  startedAt: number;
  completedAt: number | null;
  durationMs: number;
  lastSeq: number;
  pending: unknown[];
}

export interface UiEntry {
  seq: number;
  kind: string;
  text: string;
  at: number;
  tool: string | null;
}

/** What one gateway event carries: the session's latest state, and the output entry if one was added. */
export interface UiEventPayload {
  type: SessionEvent<Owner>["type"];
  session: UiSession;
  entry: UiEntry | null;
}

export function uiSession(s: SessionSnapshot<Owner>): UiSession {
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    reason: s.reason ? reasonText(s.reason) : null,
    waitingFor: s.waitingFor ?? null,
    workdir: s.workdir,
    model: s.model ?? null,
    permissionMode: s.permissionMode,
    agentId: s.owner.agentId ?? null,
    claudeSessionId: s.claudeSessionId ?? null,
    turns: s.turns,
    costUsd: s.costUsd,
    startedAt: s.createdAt,
    completedAt: s.endedAt ?? null,
    durationMs: s.durationMs,
    lastSeq: s.lastSeq,
    // Gateway event payloads must be plain JSON: no undefined inside.
    pending: JSON.parse(JSON.stringify(s.pendingRequests ?? [])) as unknown[],
  };
}

function uiEntry(e: OutputEntry): UiEntry {
  return { seq: e.seq, kind: e.kind, text: e.text, at: e.at, tool: e.tool ?? null };
}

/** The event the page gets for an engine event; `process` events change nothing it shows. */
export function uiEventFor(event: SessionEvent<Owner>): UiEventPayload | undefined {
  switch (event.type) {
    case "process":
      return undefined;
    case "output":
      return { type: event.type, session: uiSession(event.session), entry: uiEntry(event.entry) };
    case "launched":
    case "started":
    case "claude_session":
    case "turn_started":
    case "waiting":
    case "responded":
    case "ended":
    case "permission_request":
    case "permission_decided":
      return { type: event.type, session: uiSession(event.session), entry: null };
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** The host's emitter as this module needs it (the service context's `gatewayEvents`). */
export interface GatewayEventEmitter {
  emit: (event: string, payload: never, opts: { scope: "operator.read" }) => void;
}

export interface EventSource {
  subscribe: (listener: (event: SessionEvent<Owner>) => void) => () => void;
}

/**
 * Pushes every session change to connected Control UI clients with read scope. A failed emit is
 * logged once per kind of failure and never reaches the engine.
 */
export function startControlUiEvents(engine: EventSource, emitter: GatewayEventEmitter | undefined, logger: Logger): () => void {
  if (!emitter) return () => undefined;
  const reported = new Set<string>();
  return engine.subscribe((event) => {
    const payload = uiEventFor(event);
    if (!payload) return;
    try {
      emitter.emit(UI_EVENT, payload as never, { scope: "operator.read" });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (reported.has(message)) return;
      reported.add(message);
      logger.warn(`Control UI event for session ${event.session.id} not sent: ${message}`);
    }
  });
}

/** The launch form's choices: the workdirs the config allows, the default model and mode, the budget. */
export function launchOptions(pluginConfig: unknown): Record<string, unknown> {
  const config = parseConfig(pluginConfig);
  const workdirs = [...new Set([config.defaultWorkdir, ...config.allowedWorkdirs].filter((d): d is string => typeof d === "string"))];
  return {
    workdirs,
    defaultWorkdir: config.defaultWorkdir ?? null,
    defaultModel: config.defaultModel ?? null,
    permissionModes: [...PERMISSION_MODES],
    defaultPermissionMode: config.permissionMode,
    defaultBudgetUsd: config.defaultBudgetUsd,
    maxSessions: config.maxSessions,
    defaultWorktree: config.defaultWorktree,
    // The page shows paths under it as `~/…`.
    home: homedir(),
  };
}

/** The options plus `repositories`: the listed workdirs inside a git work tree (the worktree option applies there). */
export async function launchOptionsWithRepositories(pluginConfig: unknown, inRepository: (dir: string) => Promise<boolean> = isInWorkTree): Promise<Record<string, unknown>> {
  const options = launchOptions(pluginConfig);
  const workdirs = options.workdirs as string[];
  const flags = await Promise.all(workdirs.map((d) => inRepository(d)));
  return { ...options, repositories: workdirs.filter((_, i) => flags[i]) };
}

export function optionsRpc(pluginConfig: () => unknown, logger: Logger = consoleLogger) {
  return async ({ respond }: { respond: RespondFn }): Promise<void> => {
    try {
      respond(true, await launchOptionsWithRepositories(pluginConfig()));
    } catch (err) {
      respond(false, undefined, toFailure(err, logger, UI_OPTIONS_METHOD));
    }
  };
}

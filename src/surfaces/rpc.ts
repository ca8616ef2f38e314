// Gateway RPC methods claude-code.*: operator callers, structured JSON payloads with a "display"
// text, and failures as {code, message} with stable codes.
import type { Caller } from "../ops/types.ts";
import { consoleLogger, toFailure } from "./errors.ts";
import {
  auditText,
  killText,
  pendingText,
  permitText,
  launchText,
  listText,
  outputJson,
  outputText,
  respondText,
  sessionJson,
  statsText,
} from "./present.ts";
import type { PluginServices, ServicesRef } from "./services.ts";

/**
 * The host's operator scopes a method may require. Reading needs read; changing a session needs
 * write; deciding what Claude Code may do (and seeing what waits for that decision) needs
 * approvals, as the host's own exec approvals do: write alone does not satisfy it.
 */
export type RpcScope = "operator.read" | "operator.write" | "operator.approvals";

export interface RpcMethod {
  name: string;
  scope: RpcScope;
  run: (services: PluginServices, caller: Caller, params: unknown) => Promise<Record<string, unknown>>;
}

export const RPC_METHODS: readonly RpcMethod[] = [
  {
    name: "claude-code.launch",
    scope: "operator.write",
    run: async (s, caller, params) => {
      const r = await s.ops.launch(caller, params);
      return { session: sessionJson(r.session), display: launchText(r) };
    },
  },
  {
    name: "claude-code.respond",
    scope: "operator.write",
    run: async (s, caller, params) => {
      const r = await s.ops.respond(caller, params);
      return { session: sessionJson(r.session), interrupted: r.interrupted, display: respondText(r) };
    },
  },
  {
    name: "claude-code.kill",
    scope: "operator.write",
    run: async (s, caller, params) => {
      const r = await s.ops.kill(caller, params);
      return { session: sessionJson(r.session), display: killText(r.session) };
    },
  },
  {
    name: "claude-code.resume",
    scope: "operator.write",
    run: async (s, caller, params) => {
      const r = await s.ops.resume(caller, params);
      return { session: sessionJson(r.session), display: launchText(r) };
    },
  },
  {
    name: "claude-code.output",
    scope: "operator.read",
    run: async (s, caller, params) => {
      const r = s.ops.output(caller, params);
      return { session: sessionJson(r.session), entries: r.entries.map(outputJson), earlier: r.earlier, display: outputText(r) };
    },
  },
  {
    name: "claude-code.sessions",
    scope: "operator.read",
    run: async (s, caller, params) => {
      const r = s.ops.list(caller, params);
      return { sessions: r.sessions.map(sessionJson), total: r.total, offset: r.offset, display: listText(r) };
    },
  },
  {
    name: "claude-code.permit",
    scope: "operator.approvals",
    run: async (s, caller, params) => {
      const r = s.ops.permit(caller, params);
      return { decision: r.record, session: sessionJson(r.session), display: permitText(r) };
    },
  },
  {
    name: "claude-code.pending",
    scope: "operator.approvals",
    run: async (s, caller, params) => {
      const r = s.ops.pending(caller, params);
      return { requests: r.requests.map((p) => ({ ...p.request, sessionName: p.session.name })), display: pendingText(r.requests) };
    },
  },
  {
    name: "claude-code.audit",
    scope: "operator.read",
    run: async (s, caller, params) => {
      const r = s.ops.audit(caller, params);
      return { decisions: r.records, display: auditText(r.records, r.session) };
    },
  },
  {
    name: "claude-code.stats",
    scope: "operator.read",
    run: async (s, caller, params) => {
      const r = s.ops.stats(caller, params);
      return { stats: r, display: statsText(r) };
    },
  },
];

/** What the host tells a method handler about the connected client (the parts used here). */
export interface RpcClientInfo {
  connId?: string;
  authenticatedUserId?: string;
  pairedClientId?: string;
  connect?: {
    client?: { id?: string; instanceId?: string; displayName?: string };
    device?: { id?: string };
  };
}

/**
 * "operator (RPC cli, device 3f9a…)": who did it, for the audit log and "killed by …". Built from
 * the client's declared and verified identity (device, user, client id, connection), never from
 * its credentials.
 */
export function rpcCallerLabel(client: RpcClientInfo | null | undefined): string {
  const parts: string[] = [];
  const declared = client?.connect?.client;
  const clientId = clean(client?.pairedClientId ?? declared?.id);
  if (clientId) parts.push(`client ${clientId}${clean(declared?.instanceId) ? `/${clean(declared?.instanceId)}` : ""}`);
  const device = clean(client?.connect?.device?.id);
  if (device) parts.push(`device ${device.length > 16 ? `${device.slice(0, 16)}…` : device}`);
  const user = clean(client?.authenticatedUserId);
  if (user) parts.push(`user ${user}`);
  const conn = clean(client?.connId);
  if (conn) parts.push(`conn ${conn.length > 8 ? conn.slice(0, 8) : conn}`);
  return parts.length ? `operator (RPC: ${parts.join(", ")})` : "operator (RPC)";
}

/** An identity part as it may appear in a one-line label: printable, bounded. */
function clean(value: string | undefined): string | undefined {
  const v = value?.replace(/[^\w.:@\/-]/g, "").slice(0, 64);
  return v ? v : undefined;
}

export function rpcCaller(client: RpcClientInfo | null | undefined): Caller {
  return { kind: "operator", origin: "rpc", label: rpcCallerLabel(client), agentId: undefined, sessionKey: undefined, route: undefined };
}

export type RespondFn = (ok: boolean, payload?: unknown, error?: { code: string; message: string }) => void;

export async function runRpc(method: RpcMethod, services: ServicesRef, params: unknown, respond: RespondFn, client?: RpcClientInfo | null): Promise<void> {
  let live: PluginServices | undefined;
  try {
    live = services.get();
    respond(true, await method.run(live, rpcCaller(client), params ?? {}));
  } catch (err) {
    const failure = toFailure(err, live?.logger ?? consoleLogger, method.name);
    respond(false, undefined, failure);
  }
}

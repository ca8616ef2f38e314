// Gateway RPC methods claude-code.*: operator callers, structured JSON payloads (a superset of the
// community plugin's) with a "display" text, and failures as {code, message} with stable codes.
import type { Caller } from "../ops/types.ts";
import { consoleLogger, toFailure } from "./errors.ts";
import {
  auditText,
  killPayload,
  launchPayload,
  listPayload,
  outputPayload,
  pendingText,
  permitText,
  respondPayload,
  nodeJson,
  nodesText,
  sessionJson,
  statsPayload,
  transcriptText,
} from "./present.ts";
import { finishJson, finishText, worktreeJson } from "./worktree-present.ts";
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
      return launchPayload(await s.ops.launch(caller, params), (id) => s.ops.inForeground(id));
    },
  },
  {
    name: "claude-code.respond",
    scope: "operator.write",
    run: async (s, caller, params) => {
      return respondPayload(await s.ops.respond(caller, params), (id) => s.ops.inForeground(id));
    },
  },
  {
    name: "claude-code.kill",
    scope: "operator.write",
    run: async (s, caller, params) => {
      // An ended session is an answer, not an error, as RPC clients of the community plugin expect.
      return killPayload(await s.ops.kill(caller, params, { endedIsOk: true }), (id) => s.ops.inForeground(id));
    },
  },
  {
    name: "claude-code.resume",
    scope: "operator.write",
    run: async (s, caller, params) => {
      return launchPayload(await s.ops.resume(caller, params), (id) => s.ops.inForeground(id));
    },
  },
  {
    name: "claude-code.output",
    scope: "operator.read",
    run: async (s, caller, params) => {
      return outputPayload(s.ops.output(caller, params), (id) => s.ops.inForeground(id));
    },
  },
  {
    name: "claude-code.transcript",
    scope: "operator.read",
    run: async (s, caller, params) => {
      const r = s.ops.transcript(caller, params);
      const what = `${r.entries.length} transcript entries of ${r.session.name} [${r.session.id}] as ${r.format}${r.dropped ? ` (${r.dropped} earlier ones dropped by the bound)` : ""}`;
      return { id: r.session.id, name: r.session.name, status: r.session.status, format: r.format, entryCount: r.entries.length, dropped: r.dropped, text: transcriptText(r), display: what };
    },
  },
  {
    name: "claude-code.sessions",
    scope: "operator.read",
    run: async (s, caller, params) => {
      return listPayload(s.ops.list(caller, params), (id) => s.ops.inForeground(id));
    },
  },
  {
    name: "claude-code.permit",
    scope: "operator.approvals",
    run: async (s, caller, params) => {
      const r = s.ops.permit(caller, params);
      return { decision: r.record, session: sessionJson(r.session, s.ops.inForeground(r.session.id)), display: permitText(r) };
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
    name: "claude-code.nodes",
    scope: "operator.read",
    run: async (s, caller, params) => {
      const r = await s.ops.listNodes(caller, params);
      return { nodes: r.nodes.map(nodeJson), display: nodesText(r) };
    },
  },
  {
    name: "claude-code.stats",
    scope: "operator.read",
    run: async (s, caller, params) => {
      return statsPayload(s.ops.stats(caller, params));
    },
  },
  {
    name: "claude-code.finish",
    scope: "operator.write",
    run: async (s, caller, params) => {
      const r = await s.ops.finish(caller, params);
      return { session: sessionJson(r.session, s.ops.inForeground(r.session.id)), ...finishJson(r), display: finishText(r) };
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
    live = await services.ready();
    respond(true, await method.run(live, rpcCaller(client), params ?? {}));
  } catch (err) {
    const failure = toFailure(err, live?.logger ?? consoleLogger, method.name);
    respond(false, undefined, failure);
  }
}

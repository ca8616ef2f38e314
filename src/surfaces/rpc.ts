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
  nodeJson,
  nodesText,
  outputJson,
  outputText,
  respondText,
  sessionJson,
  statsText,
} from "./present.ts";
import type { PluginServices, ServicesRef } from "./services.ts";

export type RpcScope = "operator.read" | "operator.write";

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
    scope: "operator.write",
    run: async (s, caller, params) => {
      const r = s.ops.permit(caller, params);
      return { decision: r.record, session: sessionJson(r.session), display: permitText(r) };
    },
  },
  {
    name: "claude-code.pending",
    scope: "operator.read",
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
      const r = s.ops.stats(caller, params);
      return { stats: r, display: statsText(r) };
    },
  },
];

const RPC_CALLER: Caller = { kind: "operator", origin: "rpc", label: "operator (RPC)", agentId: undefined, sessionKey: undefined, route: undefined };

export type RespondFn = (ok: boolean, payload?: unknown, error?: { code: string; message: string }) => void;

export async function runRpc(method: RpcMethod, services: ServicesRef, params: unknown, respond: RespondFn): Promise<void> {
  let live: PluginServices | undefined;
  try {
    live = services.get();
    respond(true, await method.run(live, RPC_CALLER, params ?? {}));
  } catch (err) {
    const failure = toFailure(err, live?.logger ?? consoleLogger, method.name);
    respond(false, undefined, failure);
  }
}

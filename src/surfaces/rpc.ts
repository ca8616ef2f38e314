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
  sessionJson,
  statsPayload,
  transcriptText,
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
    scope: "operator.write",
    run: async (s, caller, params) => {
      const r = s.ops.permit(caller, params);
      return { decision: r.record, session: sessionJson(r.session, s.ops.inForeground(r.session.id)), display: permitText(r) };
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
    name: "claude-code.stats",
    scope: "operator.read",
    run: async (s, caller, params) => {
      return statsPayload(s.ops.stats(caller, params));
    },
  },
];

const RPC_CALLER: Caller = { kind: "operator", origin: "rpc", label: "operator (RPC)", agentId: undefined, sessionKey: undefined, route: undefined };

export type RespondFn = (ok: boolean, payload?: unknown, error?: { code: string; message: string }) => void;

export async function runRpc(method: RpcMethod, services: ServicesRef, params: unknown, respond: RespondFn): Promise<void> {
  let live: PluginServices | undefined;
  try {
    live = await services.ready();
    respond(true, await method.run(live, RPC_CALLER, params ?? {}));
  } catch (err) {
    const failure = toFailure(err, live?.logger ?? consoleLogger, method.name);
    respond(false, undefined, failure);
  }
}

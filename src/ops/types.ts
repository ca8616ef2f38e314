// Who asks for an operation and who owns a session: the ops layer's view of callers, with no host types.
import type { Route } from "../config.ts";

/** The owner recorded on every session: the agent and conversation that launched it. */
export interface Owner {
  agentId: string | undefined;
  /** The conversation notices go back to. */
  route: Route | undefined;
  /** The agent's own session (for wakes). */
  sessionKey: string | undefined;
  /** Which surface launched it: a chat command's own reply already announces the launch. */
  origin: "tool" | "command" | "rpc";
}

/**
 * An agent (through its tools) sees and controls only its own sessions. An operator (gateway RPC,
 * an authorized sender's chat command) sees all.
 */
export type Caller =
  | {
      kind: "agent";
      agentId: string;
      sessionKey: string | undefined;
      route: Route | undefined;
      /** The agent's workspace (where its skills live), when the host says. */
      workspaceDir?: string | undefined;
    }
  | {
      kind: "operator";
      origin: "command" | "rpc";
      /** Who, for "killed by …": e.g. "user 12345 on telegram", "operator (RPC)". */
      label: string;
      agentId: string | undefined;
      sessionKey: string | undefined;
      route: Route | undefined;
    };

export function callerLabel(caller: Caller): string {
  return caller.kind === "agent" ? `agent ${caller.agentId}` : caller.label;
}

export function routeKey(route: Route): string {
  return [route.channel, route.accountId ?? "", route.to, route.threadId ?? ""].join("|");
}

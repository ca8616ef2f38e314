// Waking the agent that owns a session, in-process: a system event into its session, then an
// immediate heartbeat so its turn starts now rather than at the next scheduled beat.
import type { Waker } from "../notify/notifier.ts";
import type { HostRuntime } from "./sdk.ts";

export function createHostWaker(runtime: HostRuntime): Waker {
  return {
    async wake({ agentId, sessionKey }, text) {
      const accepted = runtime.system.enqueueSystemEvent(text, { agentId, sessionKey });
      if (!accepted) throw new Error(`the host refused the system event for agent ${agentId}`);
      runtime.system.requestHeartbeat({ source: "other", intent: "immediate", reason: "claude-code", agentId, sessionKey });
    },
  };
}

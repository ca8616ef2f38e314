// WebChat (the Control UI's chat) as a notice destination. WebChat has no outbound adapter: it is
// not a channel a plugin can send to. A notice reaches it by being appended to the conversation's
// session transcript as an assistant message; the gateway then pushes it to every browser showing
// that session. A WebChat route therefore names the session key as its target.
import { randomUUID } from "node:crypto";
import type { Route } from "../config.ts";
import type { HostConfig, HostRuntime } from "./sdk.ts";

export const WEBCHAT_CHANNEL = "webchat";

/** The route of a WebChat conversation: its session key (e.g. "agent:main:main"). */
export function webchatRoute(sessionKey: string): Route {
  return { channel: WEBCHAT_CHANNEL, to: sessionKey };
}

export async function sendToWebchat(runtime: HostRuntime, route: Route, text: string, config: HostConfig): Promise<void> {
  const sessionKey = route.to;
  if (!sessionKey.startsWith("agent:")) {
    throw new Error(`a WebChat route needs a session key such as "agent:main:main" as its target, not "${sessionKey}"`);
  }
  // The transcript is addressed by the session's current id (it changes when the chat is reset).
  const sessionId = runtime.agent.session.getSessionEntry({ sessionKey })?.sessionId;
  if (!sessionId) throw new Error(`WebChat session ${sessionKey} does not exist (any more)`);
  // Imported at the first WebChat notice: like channel-outbound, its module graph is heavy to load.
  const { appendAssistantMirrorMessageByIdentity } = await import("openclaw/plugin-sdk/session-transcript-runtime");
  // A key of its own per notice: without one the host drops a text equal to the latest message.
  const result = await appendAssistantMirrorMessageByIdentity({ sessionKey, sessionId, text, idempotencyKey: `claude-code:${randomUUID()}`, config });
  if (!result.ok) throw new Error(`WebChat session ${sessionKey} did not take the message: ${result.reason}`);
}

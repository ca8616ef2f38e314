// Types for the one host transcript helper the plugin uses: OpenClaw 2026.9.6 exports
// `openclaw/plugin-sdk/session-transcript-runtime` without declarations.
declare module "openclaw/plugin-sdk/session-transcript-runtime" {
  export interface AssistantMirrorAppend {
    /** e.g. "agent:main:main"; the agent is read from it when `agentId` is absent. */
    sessionKey: string;
    agentId?: string;
    /** Refuse the append when the session was reset since (left out: the current session). */
    sessionId?: string;
    text: string;
    /** Makes the append idempotent; without one, a text equal to the latest assistant message is not appended again. */
    idempotencyKey?: string;
    config?: unknown;
  }

  export type AssistantMirrorAppendResult = { ok: true; messageId: string } | { ok: false; reason: string; code?: string };

  /**
   * Appends an assistant message to the session's transcript (no agent run) and publishes the
   * transcript update, which the gateway broadcasts to the WebChat clients watching that session.
   */
  export function appendAssistantMirrorMessageByIdentity(params: AssistantMirrorAppend): Promise<AssistantMirrorAppendResult>;
}

// Encodes a reply as the Anthropic Messages API does: an SSE event stream, or one JSON message body.
import type { NormalizedMessage, ReplyBlock, Usage } from "./script.ts";

/** What identifies one reply on the wire. */
export interface MessageIdentity {
  /** `message.id`, e.g. `msg_offline_7`. */
  messageId: string;
  /** Echoed back as `message.model` (the model the client asked for). */
  model: string;
  /** Prefix for generated tool_use ids; block i gets `${toolIdPrefix}_${i}`. */
  toolIdPrefix: string;
}

/** A content block as sent on the wire (tool calls always carry an id). */
export type WireBlock = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

/** One server-sent event in the `event: …` / `data: …` framing the Anthropic API uses. */
export function sseEvent(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** Splits `value` into at most `pieces` non-empty parts along code points (never inside a surrogate pair). */
export function splitPieces(value: string, pieces: number): string[] {
  const chars = Array.from(value);
  const count = Math.max(1, Math.min(Math.floor(pieces), chars.length));
  if (chars.length === 0) return [];
  const size = Math.ceil(chars.length / count);
  const parts: string[] = [];
  for (let i = 0; i < chars.length; i += size) parts.push(chars.slice(i, i + size).join(""));
  return parts;
}

/** Gives every tool call an id (the given one, or a generated unique one). */
export function wireBlocks(blocks: readonly ReplyBlock[], toolIdPrefix: string): WireBlock[] {
  return blocks.map((block, index) =>
    block.type === "text"
      ? { type: "text", text: block.text }
      : { type: "tool_use", id: block.id ?? `${toolIdPrefix}_${index}`, name: block.name, input: block.input },
  );
}

function usageFields(usage: Usage): Record<string, number> {
  return {
    input_tokens: usage.input_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
    output_tokens: usage.output_tokens,
  };
}

/** Default number of delta pieces per block when a reply does not say. */
export const DEFAULT_CHUNKS = 3;

/**
 * The complete event sequence of a streamed reply, each element one encoded SSE event:
 * message_start, ping, then per block content_block_start / content_block_delta… / content_block_stop,
 * then message_delta (stop_reason, output_tokens) and message_stop.
 */
export function messageStreamEvents(message: NormalizedMessage, identity: MessageIdentity): string[] {
  const pieces = message.chunks ?? DEFAULT_CHUNKS;
  const events: string[] = [];
  events.push(
    sseEvent("message_start", {
      message: {
        id: identity.messageId,
        type: "message",
        role: "assistant",
        model: identity.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usageFields(message.usage), output_tokens: Math.min(1, message.usage.output_tokens) },
      },
    }),
  );
  events.push(sseEvent("ping", {}));
  wireBlocks(message.blocks, identity.toolIdPrefix).forEach((block, index) => {
    if (block.type === "text") {
      events.push(sseEvent("content_block_start", { index, content_block: { type: "text", text: "" } }));
      for (const text of splitPieces(block.text, pieces)) {
        events.push(sseEvent("content_block_delta", { index, delta: { type: "text_delta", text } }));
      }
    } else {
      events.push(
        sseEvent("content_block_start", {
          index,
          content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
        }),
      );
      for (const partial_json of splitPieces(JSON.stringify(block.input), pieces)) {
        events.push(sseEvent("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } }));
      }
    }
    events.push(sseEvent("content_block_stop", { index }));
  });
  events.push(
    sseEvent("message_delta", {
      delta: { stop_reason: message.stopReason, stop_sequence: null },
      usage: { output_tokens: message.usage.output_tokens },
    }),
  );
  events.push(sseEvent("message_stop", {}));
  return events;
}

/** The body of a non-streaming (`stream: false`) reply. */
export function messageJsonBody(message: NormalizedMessage, identity: MessageIdentity): Record<string, unknown> {
  return {
    id: identity.messageId,
    type: "message",
    role: "assistant",
    model: identity.model,
    content: wireBlocks(message.blocks, identity.toolIdPrefix),
    stop_reason: message.stopReason,
    stop_sequence: null,
    usage: usageFields(message.usage),
  };
}

/** Anthropic's error body: `{"type":"error","error":{"type":…,"message":…}}`. */
export function errorBody(errorType: string, message: string, requestId?: string): Record<string, unknown> {
  const body: Record<string, unknown> = { type: "error", error: { type: errorType, message } };
  if (requestId !== undefined) body["request_id"] = requestId;
  return body;
}

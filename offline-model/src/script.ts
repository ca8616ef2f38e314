// Types of the replies a test (or the demo) can make the offline model send, and their defaults.

/** Token counts reported to the client; Claude Code computes cost from them. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

/** Why the model stopped, as in the Anthropic Messages API. */
export type StopReason = "end_turn" | "tool_use" | "max_tokens" | "stop_sequence" | "pause_turn" | "refusal";

/** A plain text content block of a reply. */
export interface TextBlock {
  type: "text";
  text: string;
}

/** A tool call content block of a reply; `id` defaults to a unique `toolu_offline_…` id. */
export interface ToolUseBlock {
  type: "tool_use";
  name: string;
  input: Record<string, unknown>;
  id?: string;
}

export type ReplyBlock = TextBlock | ToolUseBlock;

/** Shared streaming knobs: how many deltas a block is split into and the pause between SSE events. */
export interface StreamingOptions {
  /** Number of `text_delta` / `input_json_delta` pieces per block (default 3, fewer for short values). */
  chunks?: number;
  /** Delay between consecutive SSE events, in ms (default 0), so a test can interrupt mid-stream. */
  chunkDelayMs?: number;
  /** Token counts; missing fields get small deterministic defaults (see `defaultUsage`). */
  usage?: Partial<Usage>;
}

/** A text-only answer (stop_reason `end_turn` unless `stopReason` says otherwise). */
export interface TextReply extends StreamingOptions {
  type: "text";
  text: string;
  stopReason?: StopReason;
}

/** One tool call, optionally preceded by a text block; stop_reason `tool_use`. */
export interface ToolUseReply extends StreamingOptions {
  type: "tool_use";
  name: string;
  input: Record<string, unknown>;
  text?: string;
  id?: string;
}

/** The general form: any sequence of text and tool_use blocks (several tool calls allowed). */
export interface MessageReply extends StreamingOptions {
  type: "message";
  blocks: ReplyBlock[];
  /** Default: `tool_use` when a block is a tool call, else `end_turn`. */
  stopReason?: StopReason;
}

/** Hold the request for `ms` before sending any header, then answer with `then` (default: a short text). */
export interface StallReply {
  type: "stall";
  ms: number;
  then?: ScriptedReply;
}

/** An HTTP error with Anthropic's error JSON body and a `request-id` header. */
export interface ErrorReply {
  type: "error";
  status: number;
  message: string;
  /** Default from the status: 400 invalid_request_error, 401 authentication_error, 403 permission_error,
   * 404 not_found_error, 413 request_too_large, 429 rate_limit_error, 529 overloaded_error, else api_error. */
  errorType?: string;
  /** Sets the `retry-after` header (seconds), e.g. on a 429. */
  retryAfterSeconds?: number;
  /** Extra response headers (e.g. `x-should-retry`). */
  headers?: Record<string, string>;
}

/** Destroy the connection: before any header (default) or after `afterChunks` SSE events of a text reply. */
export interface DropReply {
  type: "drop";
  afterChunks?: number;
}

export type ScriptedReply = TextReply | ToolUseReply | MessageReply | StallReply | ErrorReply | DropReply;

/** Anthropic error type for an HTTP status, used when an ErrorReply has no `errorType`. */
export function errorTypeForStatus(status: number): string {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 529:
      return "overloaded_error";
    default:
      return "api_error";
  }
}

/** Default input tokens per request: a constant, so cost never depends on paths or prompt sizes. */
export const DEFAULT_INPUT_TOKENS = 100;

/**
 * Deterministic default usage for the blocks of a reply: output tokens are one per 4 characters of
 * text (at least 1) plus 20 per tool call, so the count never depends on temp paths inside tool inputs.
 */
export function defaultUsage(blocks: readonly ReplyBlock[], given: Partial<Usage> = {}): Usage {
  let textChars = 0;
  let toolCalls = 0;
  for (const block of blocks) {
    if (block.type === "text") textChars += Array.from(block.text).length;
    else toolCalls += 1;
  }
  const usage: Usage = {
    input_tokens: given.input_tokens ?? DEFAULT_INPUT_TOKENS,
    output_tokens: given.output_tokens ?? Math.max(1, Math.ceil(textChars / 4) + 20 * toolCalls),
  };
  if (given.cache_creation_input_tokens !== undefined) {
    usage.cache_creation_input_tokens = given.cache_creation_input_tokens;
  }
  if (given.cache_read_input_tokens !== undefined) usage.cache_read_input_tokens = given.cache_read_input_tokens;
  return usage;
}

/** The blocks and stop reason a content reply (text / tool_use / message) stands for. */
export interface NormalizedMessage {
  blocks: ReplyBlock[];
  stopReason: StopReason;
  usage: Usage;
  chunks: number | undefined;
  chunkDelayMs: number;
}

/** Turns a content reply into its blocks, stop reason and final usage. */
export function normalizeMessage(reply: TextReply | ToolUseReply | MessageReply): NormalizedMessage {
  let blocks: ReplyBlock[];
  let stopReason: StopReason;
  switch (reply.type) {
    case "text":
      blocks = [{ type: "text", text: reply.text }];
      stopReason = reply.stopReason ?? "end_turn";
      break;
    case "tool_use": {
      blocks = [];
      if (reply.text !== undefined && reply.text !== "") blocks.push({ type: "text", text: reply.text });
      const call: ToolUseBlock = { type: "tool_use", name: reply.name, input: reply.input };
      if (reply.id !== undefined) call.id = reply.id;
      blocks.push(call);
      stopReason = "tool_use";
      break;
    }
    case "message":
      blocks = [...reply.blocks];
      stopReason = reply.stopReason ?? (blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn");
      break;
  }
  return {
    blocks,
    stopReason,
    usage: defaultUsage(blocks, reply.usage),
    chunks: reply.chunks,
    chunkDelayMs: reply.chunkDelayMs ?? 0,
  };
}

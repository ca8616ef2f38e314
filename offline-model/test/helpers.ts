// Test helpers: building Messages API request bodies like Claude Code's, and reading SSE replies.
import type { ApiMessage, ContentBlock } from "../src/index.ts";

/** One parsed server-sent event. */
export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Parses an SSE body into events, checking the `event:` name matches `data.type`. */
export function parseSse(body: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const frame of body.split("\n\n")) {
    if (frame.trim() === "") continue;
    const lines = frame.split("\n");
    const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
    const data = lines.find((l) => l.startsWith("data: "))?.slice(6);
    if (event === undefined || data === undefined) throw new Error(`malformed SSE frame: ${frame}`);
    const parsed = JSON.parse(data) as Record<string, unknown>;
    if (parsed["type"] !== event) throw new Error(`event ${event} carries data.type ${String(parsed["type"])}`);
    events.push({ event, data: parsed });
  }
  return events;
}

/** The tools Claude Code offers by default (names only: enough for the offline model). */
export const CLAUDE_TOOLS = ["Agent", "Bash", "Edit", "Read", "Write"].map((name) => ({
  name,
  description: `${name} tool`,
  input_schema: { type: "object" },
}));

const REMINDER = "<system-reminder>\nAttribution for git commits…\n</system-reminder>\n";

/** Claude Code's environment section, sent as a `role: "system"` message. */
export function environmentMessage(workdir: string): ApiMessage {
  return {
    role: "system",
    content: [
      {
        type: "text",
        text: `# Environment\nYou have been invoked in the following environment: \n - Primary working directory: ${workdir}\n - Is a git repository: false\n - Platform: linux\n`,
      },
    ],
  };
}

/** A first user message as Claude Code sends it: a system reminder, then the prompt. */
export function promptMessage(prompt: string): ApiMessage {
  return { role: "user", content: [{ type: "text", text: REMINDER }, { type: "text", text: prompt }] };
}

/** An assistant message with one tool call. */
export function toolCall(id: string, name: string, input: Record<string, unknown>): ApiMessage {
  return { role: "assistant", content: [{ type: "tool_use", id, name, input }] };
}

/** A user message with one tool result. */
export function toolResult(id: string, content: string | ContentBlock[], isError = false): ApiMessage {
  const block: ContentBlock = { type: "tool_result", tool_use_id: id, content };
  if (isError) block.is_error = true;
  return { role: "user", content: [block] };
}

/** A request body shaped like Claude Code's main conversation call. */
export function conversationBody(
  messages: ApiMessage[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    model: "claude-test-model",
    max_tokens: 32000,
    stream: true,
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=test;" },
      { type: "text", text: "You are a Claude agent, built on Anthropic's Claude Agent SDK." },
    ],
    tools: CLAUDE_TOOLS,
    messages,
    ...extra,
  };
}

/** POSTs a JSON body to `/v1/messages?beta=true` (or another path). */
export function postMessages(baseUrl: string, body: unknown, path = "/v1/messages?beta=true"): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": "offline", "anthropic-version": "2023-06-01" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

/** Sends a conversation request and returns the parsed SSE events (asserting a 200 event stream). */
export async function streamEvents(baseUrl: string, body: unknown): Promise<SseEvent[]> {
  const res = await postMessages(baseUrl, body);
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${await res.text()}`);
  if (res.headers.get("content-type") !== "text/event-stream") throw new Error("not an event stream");
  return parseSse(await res.text());
}

/** Reassembles the content blocks of a streamed reply from its deltas. */
export function assembleBlocks(events: readonly SseEvent[]): Array<Record<string, unknown>> {
  const blocks: Array<Record<string, unknown>> = [];
  const json: string[] = [];
  for (const { event, data } of events) {
    const index = data["index"] as number;
    if (event === "content_block_start") {
      blocks[index] = { ...(data["content_block"] as Record<string, unknown>) };
      json[index] = "";
    } else if (event === "content_block_delta") {
      const delta = data["delta"] as Record<string, unknown>;
      const block = blocks[index];
      if (block === undefined) throw new Error("delta before start");
      if (delta["type"] === "text_delta") block["text"] = `${String(block["text"])}${String(delta["text"])}`;
      else json[index] = `${json[index] ?? ""}${String(delta["partial_json"])}`;
    } else if (event === "content_block_stop") {
      const block = blocks[index];
      if (block?.["type"] === "tool_use") block["input"] = JSON.parse(json[index] ?? "{}");
    }
  }
  return blocks;
}

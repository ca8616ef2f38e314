// Parses a received Messages API request: the prompt, tool results, offered tools and working directory.

/** A content block as Claude Code sends it (only the fields the offline model reads are typed). */
export interface ContentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
  [key: string]: unknown;
}

/** One entry of `messages` (Claude Code also sends `role: "system"` entries). */
export interface ApiMessage {
  role: string;
  content: string | ContentBlock[];
}

/** One tool result of the last user message. */
export interface ToolResultInfo {
  tool_use_id: string;
  /** The result flattened to text (text blocks joined with newlines). */
  content: string;
  is_error: boolean;
}

/**
 * What sort of model call a request is (see `classifyRequest`): the agent loop (`conversation`),
 * Claude Code's summary request for `/compact` or auto-compaction (`compaction`), or a side call
 * that is not part of the session's conversation (`auxiliary`: e.g. a title, a quota probe).
 */
export type RequestKind = "conversation" | "compaction" | "auxiliary";

/** Everything the offline model records about one `POST /v1/messages` request. */
export interface ReceivedRequest {
  /** 1-based position in the server's request log. */
  seq: number;
  method: string;
  /** Path without the query string, e.g. `/v1/messages`. */
  path: string;
  /** Path with the query string, e.g. `/v1/messages?beta=true`. */
  url: string;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Readonly<Record<string, string>>;
  /** The parsed JSON body (undefined when the body was not a JSON object). */
  body: Readonly<Record<string, unknown>> | undefined;
  model: string | undefined;
  /** `stream: true` in the body. */
  stream: boolean;
  maxTokens: number | undefined;
  /** The `system` field flattened to text (blocks joined with newlines); "" when absent. */
  system: string;
  messages: readonly ApiMessage[];
  /** Names of the tools offered in `tools`. */
  toolNames: readonly string[];
  /**
   * The user's prompt for the current turn: the last text block that is not a `<system-reminder>`
   * of the last user message that has one (so it stays the turn's prompt while tool results flow).
   */
  lastUserText: string | undefined;
  /** Tool results carried by the last user message (empty when it carries none). */
  toolResults: readonly ToolResultInfo[];
  /** The session's working directory, from the environment section Claude Code sends. */
  workdir: string | undefined;
  /** The JSON schema the reply must follow (`output_config.format` of type `json_schema`), if any. */
  outputSchema: Readonly<Record<string, unknown>> | undefined;
  /** Claude Code's session id (header `x-claude-code-session-id`, else `metadata.user_id`), to tell sessions apart. */
  sessionId: string | undefined;
  /** `conversation`, `compaction` or `auxiliary`; only `conversation` requests consume scripted replies. */
  kind: RequestKind;
  /** `Date.now()` when the request was received. */
  receivedAt: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Normalises a message's content to a list of blocks. */
export function contentBlocks(message: ApiMessage): ContentBlock[] {
  return typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
}

/** Text of a system field or a tool_result content: a string, or text blocks joined with newlines. */
export function flattenText(value: unknown): string {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return "";
  const parts: string[] = [];
  for (const item of value) {
    if (typeof item === "string") parts.push(item);
    else if (isRecord(item) && typeof item["text"] === "string") parts.push(item["text"]);
  }
  return parts.join("\n");
}

/** True for a text block Claude Code injects (`<system-reminder>…`) rather than one the user typed. */
export function isSystemReminder(text: string): boolean {
  return text.trimStart().startsWith("<system-reminder>");
}

function parseMessages(value: unknown): ApiMessage[] {
  if (!Array.isArray(value)) return [];
  const messages: ApiMessage[] = [];
  for (const item of value) {
    if (!isRecord(item) || typeof item["role"] !== "string") continue;
    const content = item["content"];
    if (typeof content === "string") messages.push({ role: item["role"], content });
    else if (Array.isArray(content)) {
      const blocks = content.filter(
        (b): b is ContentBlock => isRecord(b) && typeof b["type"] === "string",
      );
      messages.push({ role: item["role"], content: blocks });
    }
  }
  return messages;
}

/** The non-reminder text blocks of a message, in order. */
export function userTexts(message: ApiMessage): string[] {
  const texts: string[] = [];
  for (const block of contentBlocks(message)) {
    if (block.type === "text" && typeof block.text === "string" && !isSystemReminder(block.text)) {
      texts.push(block.text);
    }
  }
  return texts;
}

/** Index of the user message holding the current turn's prompt (see `ReceivedRequest.lastUserText`). */
export function promptMessageIndex(messages: readonly ApiMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message !== undefined && message.role === "user" && userTexts(message).length > 0) return i;
  }
  return -1;
}

/** The current turn's prompt (see `ReceivedRequest.lastUserText`). */
export function lastUserText(messages: readonly ApiMessage[]): string | undefined {
  const message = messages[promptMessageIndex(messages)];
  return message === undefined ? undefined : userTexts(message).at(-1);
}

/** Tool results carried by the last user message. */
export function lastToolResults(messages: readonly ApiMessage[]): ToolResultInfo[] {
  let last: ApiMessage | undefined;
  for (let i = messages.length - 1; i >= 0 && last === undefined; i--) {
    if (messages[i]?.role === "user") last = messages[i];
  }
  if (last === undefined) return [];
  return contentBlocks(last)
    .filter((b) => b.type === "tool_result")
    .map((b) => ({
      tool_use_id: typeof b.tool_use_id === "string" ? b.tool_use_id : "",
      content: flattenText(b.content),
      is_error: b.is_error === true,
    }));
}

const WORKDIR_PATTERNS: readonly RegExp[] = [
  /Primary working directory:\s*(.+)/,
  /Current working directory:\s*(.+)/,
  /(?:^|\n)\s*-?\s*Working directory:\s*(.+)/,
  /<cwd>\s*([^<\n]+?)\s*<\/cwd>/,
];

/** Finds the working directory in Claude Code's environment section (`Primary working directory: …`). */
export function findWorkdir(texts: readonly string[]): string | undefined {
  for (const pattern of WORKDIR_PATTERNS) {
    for (const text of texts) {
      const match = pattern.exec(text);
      const dir = match?.[1]?.trim();
      if (dir !== undefined && dir !== "") return dir;
    }
  }
  return undefined;
}

/** Phrases of the instruction Claude Code sends when it asks the model to compact the conversation. */
const COMPACTION_MARKERS: readonly RegExp[] = [
  /create a detailed summary of the conversation so far/i,
  /^CRITICAL: Respond with TEXT ONLY\. Do NOT call any tools\./,
];

/** True when a prompt is Claude Code's compaction instruction. */
export function isCompactionPrompt(text: string | undefined): boolean {
  return text !== undefined && COMPACTION_MARKERS.some((marker) => marker.test(text));
}

/** The facts `classifyRequest` looks at. */
export interface ClassifyInput {
  toolNames: readonly string[];
  lastUserText: string | undefined;
  workdir: string | undefined;
  maxTokens: number | undefined;
}

/**
 * Classifies a model call. `compaction`: the prompt is Claude Code's summary instruction (it is sent
 * with the usual tools and history). `auxiliary`: a tiny probe (`max_tokens` ≤ 16), or a call that
 * offers no tools and carries no environment section (a title or topic request). Everything else is
 * `conversation`, including a session started with no tools (it still has the environment section).
 */
export function classifyRequest(input: ClassifyInput): RequestKind {
  if (isCompactionPrompt(input.lastUserText)) return "compaction";
  if (input.maxTokens !== undefined && input.maxTokens <= 16) return "auxiliary";
  if (input.toolNames.length === 0 && input.workdir === undefined) return "auxiliary";
  return "conversation";
}

/** The JSON schema of a structured-output request (`output_config.format.type === "json_schema"`). */
export function findOutputSchema(body: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const config = body?.["output_config"];
  const format = isRecord(config) ? config["format"] : undefined;
  if (!isRecord(format) || format["type"] !== "json_schema") return undefined;
  const schema = format["schema"];
  return isRecord(schema) ? schema : undefined;
}

/** The session id from the `x-claude-code-session-id` header, else from the JSON in `metadata.user_id`. */
export function findSessionId(headers: Readonly<Record<string, string>>, body: Record<string, unknown> | undefined): string | undefined {
  const header = headers["x-claude-code-session-id"];
  if (header !== undefined && header !== "") return header;
  const metadata = body?.["metadata"];
  const userId = isRecord(metadata) ? metadata["user_id"] : undefined;
  if (typeof userId !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(userId);
    const id = isRecord(parsed) ? parsed["session_id"] : undefined;
    return typeof id === "string" && id !== "" ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Raw facts about an HTTP request that `parseRequest` turns into a ReceivedRequest. */
export interface RawRequest {
  seq: number;
  method: string;
  url: string;
  headers: Readonly<Record<string, string>>;
  rawBody: string;
  receivedAt: number;
}

/** Parses a raw request; never throws (a malformed body gives empty fields). */
export function parseRequest(raw: RawRequest): ReceivedRequest {
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(raw.rawBody);
    if (isRecord(parsed)) body = parsed;
  } catch {
    body = undefined;
  }
  const messages = parseMessages(body?.["messages"]);
  const system = flattenText(body?.["system"]);
  const tools = body?.["tools"];
  const toolNames = Array.isArray(tools)
    ? tools.flatMap((t) => (isRecord(t) && typeof t["name"] === "string" ? [t["name"]] : []))
    : [];
  const systemMessageTexts = messages
    .filter((m) => m.role === "system")
    .map((m) => contentBlocks(m).map((b) => (typeof b.text === "string" ? b.text : "")).join("\n"));
  const model = body?.["model"];
  const maxTokens = body?.["max_tokens"];
  const queryAt = raw.url.indexOf("?");
  const prompt = lastUserText(messages);
  const workdir = findWorkdir([system, ...systemMessageTexts]);
  const max = typeof maxTokens === "number" ? maxTokens : undefined;
  return {
    seq: raw.seq,
    method: raw.method,
    path: queryAt === -1 ? raw.url : raw.url.slice(0, queryAt),
    url: raw.url,
    headers: raw.headers,
    body,
    model: typeof model === "string" ? model : undefined,
    stream: body?.["stream"] === true,
    maxTokens: max,
    system,
    messages,
    toolNames,
    lastUserText: prompt,
    toolResults: lastToolResults(messages),
    workdir,
    outputSchema: findOutputSchema(body),
    sessionId: findSessionId(raw.headers, body),
    kind: classifyRequest({ toolNames, lastUserText: prompt, workdir, maxTokens: max }),
    receivedAt: raw.receivedAt,
  };
}

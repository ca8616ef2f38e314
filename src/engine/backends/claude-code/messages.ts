// Claude Code's messages and permission vocabulary, translated into the backend port's terms:
// SDK messages → BackendEvents, a result → a TurnOutcome, the CLI's suggestions → a session scope.
import type { PermissionUpdate, SDKMessage, SDKResultMessage } from "@anthropic-ai/claude-agent-sdk";
import type { BackendEvent, TokenUsage, TurnOutcome } from "../../backend.ts";

/** The events one SDK message stands for (none for the kinds the engine does not follow). */
export function eventsOf(message: SDKMessage, interruptRequested: boolean): BackendEvent[] {
  switch (message.type) {
    case "system":
      return message.subtype === "init" ? [{ type: "init", conversationId: message.session_id }] : [];
    case "assistant":
      return blocks(message.message.content).flatMap((block): BackendEvent[] => {
        if (block.type === "text" && typeof block.text === "string") return [{ type: "text", text: block.text }];
        if (block.type === "tool_use" && typeof block.name === "string") return [{ type: "tool_use", tool: block.name, input: block.input }];
        return [];
      });
    case "user":
      return blocks(message.message.content).flatMap((block): BackendEvent[] =>
        block.type === "tool_result" ? [{ type: "tool_result", isError: block.is_error === true, text: toolResultText(block.content) }] : [],
      );
    case "result":
      return [
        {
          type: "turn_result",
          costUsd: message.total_cost_usd,
          usage: usageOf(message),
          outcome: outcomeOf(message, interruptRequested),
          inputIds: message.user_message_uuids ?? (message.user_message_uuid ? [message.user_message_uuid] : []),
        },
      ];
    default:
      return [];
  }
}

function blocks(content: unknown): ReadonlyArray<Record<string, unknown>> {
  return Array.isArray(content) ? (content as ReadonlyArray<Record<string, unknown>>) : [];
}

function outcomeOf(result: SDKResultMessage, interruptRequested: boolean): TurnOutcome {
  if (result.subtype === "success" && !result.is_error) return { kind: "success", text: result.result };
  if (result.subtype === "error_max_budget_usd") return { kind: "budget" };
  if (result.subtype === "error_max_turns") return { kind: "max_turns" };
  // An API error: the CLI reports it as a "successful" result flagged is_error.
  if (result.subtype === "success") return { kind: "api_error", message: result.result || "the API returned an error", httpStatus: result.api_error_status ?? undefined };
  if (interruptRequested) return { kind: "interrupted" };
  return { kind: "error", message: result.errors.join("; ") || result.subtype };
}

function usageOf(result: SDKResultMessage): TokenUsage | undefined {
  const u = (result as { usage?: Partial<Record<string, unknown>> }).usage;
  if (!u) return undefined;
  const n = (v: unknown) => (typeof v === "number" ? v : 0);
  return { inputTokens: n(u.input_tokens), outputTokens: n(u.output_tokens), cacheReadTokens: n(u.cache_read_input_tokens), cacheCreationTokens: n(u.cache_creation_input_tokens) };
}

function toolResultText(content: unknown): string {
  if (typeof content === "string") return firstLine(content);
  for (const part of blocks(content)) {
    if (part.type === "text" && typeof part.text === "string") return firstLine(part.text);
  }
  return "tool error";
}

function firstLine(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/** What "allow for this session" would allow, from Claude Code's own suggestions. */
export function sessionScopeOf(suggestions: readonly PermissionUpdate[] | undefined): string | undefined {
  if (!suggestions?.length) return undefined;
  const parts = suggestions.flatMap((s) => {
    switch (s.type) {
      case "addRules":
      case "replaceRules":
        return s.behavior === "allow" ? s.rules.map((r) => (r.ruleContent ? `${r.toolName}(${r.ruleContent})` : r.toolName)) : [];
      case "setMode":
        return s.mode === "acceptEdits" ? ["every file edit"] : [`${s.mode} mode`];
      case "addDirectories":
        return s.directories.map((d) => `access to ${d}`);
      default:
        return [];
    }
  });
  return parts.length ? parts.join(", ") : undefined;
}

/** Claude Code's suggestions, kept to this session (never written to the project's settings). */
export function sessionOnly(suggestions: readonly PermissionUpdate[]): PermissionUpdate[] {
  return suggestions.map((s) => ({ ...s, destination: "session" }));
}

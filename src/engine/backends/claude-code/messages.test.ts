// How Claude Code's SDK messages become the backend port's events: the result subtypes and the
// API error the CLI flags on a "successful" result, tool results, and the session scope of an ask.
import type { PermissionUpdate, SDKMessage } from "@anthropic-ai/claude-agent-sdk";
import { describe, expect, it } from "vitest";
import { eventsOf, sessionOnly, sessionScopeOf } from "./messages.ts";

const result = (over: Record<string, unknown>): SDKMessage =>
  ({ type: "result", subtype: "success", is_error: false, result: "ok", total_cost_usd: 0.5, user_message_uuid: "u1", errors: [], ...over }) as unknown as SDKMessage;

describe("Claude Code messages as backend events", () => {
  it("maps every result to one turn_result with the right outcome", () => {
    const outcome = (over: Record<string, unknown>, interrupted = false) => {
      const [e] = eventsOf(result(over), interrupted);
      return e?.type === "turn_result" ? e.outcome : undefined;
    };
    expect(outcome({})).toEqual({ kind: "success", text: "ok" });
    expect(outcome({ is_error: true, result: "API Error: 500 boom", api_error_status: 500 })).toEqual({ kind: "api_error", message: "API Error: 500 boom", httpStatus: 500 });
    expect(outcome({ subtype: "error_max_budget_usd" })).toEqual({ kind: "budget" });
    expect(outcome({ subtype: "error_max_turns" })).toEqual({ kind: "max_turns" });
    expect(outcome({ subtype: "error_during_execution", errors: ["aborted"] }, true)).toEqual({ kind: "interrupted" });
    expect(outcome({ subtype: "error_during_execution", errors: ["it broke", "badly"] })).toEqual({ kind: "error", message: "it broke; badly" });
    expect(eventsOf(result({ user_message_uuids: ["a", "b"], usage: { input_tokens: 3, output_tokens: 4 } }), false)[0]).toMatchObject({
      costUsd: 0.5,
      inputIds: ["a", "b"],
      usage: { inputTokens: 3, outputTokens: 4, cacheReadTokens: 0, cacheCreationTokens: 0 },
    });
  });

  it("reads init, text, tool calls and the first line of a tool result", () => {
    expect(eventsOf({ type: "system", subtype: "init", session_id: "c1" } as unknown as SDKMessage, false)).toEqual([{ type: "init", conversationId: "c1" }]);
    const assistant = { type: "assistant", message: { content: [{ type: "text", text: "hi" }, { type: "tool_use", name: "Bash", input: { command: "ls" } }] } } as unknown as SDKMessage;
    expect(eventsOf(assistant, false)).toEqual([
      { type: "text", text: "hi" },
      { type: "tool_use", tool: "Bash", input: { command: "ls" } },
    ]);
    const user = { type: "user", message: { content: [{ type: "tool_result", is_error: true, content: [{ type: "text", text: "no such file\nmore" }] }] } } as unknown as SDKMessage;
    expect(eventsOf(user, false)).toEqual([{ type: "tool_result", isError: true, text: "no such file" }]);
  });

  it("names what allow-for-session allows, and keeps it to the session", () => {
    const suggestions: PermissionUpdate[] = [{ type: "addRules", behavior: "allow", rules: [{ toolName: "Bash", ruleContent: "npm test *" }], destination: "localSettings" }];
    expect(sessionScopeOf(suggestions)).toBe("Bash(npm test *)");
    expect(sessionScopeOf([])).toBeUndefined();
    expect(sessionOnly(suggestions).map((s) => s.destination)).toEqual(["session"]);
  });
});

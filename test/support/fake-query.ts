// A stand-in for the Agent SDK's query() at the process boundary, for fast unit tests (and
// bench:queue) of the engine, the operations and the surfaces: no Claude Code CLI, no model. Each
// user message is one turn: system/init, the script's assistant text blocks, then (if the script
// says so) a permission request through canUseTool, then a successful result costing what the
// script says. Real-CLI behaviour is covered by the engine and gateway end-to-end tests.
import { randomUUID } from "node:crypto";
import type { Query, SDKMessage } from "@anthropic-ai/claude-agent-sdk";
import type { QueryFunction } from "../../src/engine/session.ts";

export interface FakeTurnScript {
  /** Assistant text blocks, in order, before the result. */
  texts?: string[];
  /** The result's text (default "done: <prompt>"). */
  result?: string;
  /** A tool call to ask permission for before the turn's result. */
  ask?: { tool: string; input: Record<string, unknown> };
  /** What the turn costs (added to the session's running total). Default $0.01. */
  costUsd?: number;
  /** Never send the result: the turn stalls (a hung API). */
  stall?: boolean;
}

/**
 * `script` answers each user message; `received`, if given, collects the prompts each query (one
 * per launch, in order) was sent.
 */
export function fakeQuery(script: (prompt: string) => FakeTurnScript = () => ({}), received?: string[][]): QueryFunction {
  return ({ prompt, options }) => {
    const mine: string[] = [];
    received?.push(mine);
    const claudeSessionId = randomUUID();
    let closed = false;
    let total = 0;
    async function* turns(): AsyncGenerator<SDKMessage, void> {
      for await (const message of prompt) {
        if (closed) return;
        const text = typeof message.message.content === "string" ? message.message.content : "";
        mine.push(text);
        const turn = script(text);
        yield { type: "system", subtype: "init", session_id: claudeSessionId } as unknown as SDKMessage;
        for (const t of turn.texts ?? []) {
          yield { type: "assistant", message: { content: [{ type: "text", text: t }] }, session_id: claudeSessionId } as unknown as SDKMessage;
        }
        if (turn.ask && options.canUseTool) {
          await options.canUseTool(turn.ask.tool, turn.ask.input, { signal: new AbortController().signal, suggestions: [], toolUseID: randomUUID(), requestId: randomUUID() });
        }
        if (turn.stall) await new Promise<void>((resolve) => void closedSignal.then(resolve));
        if (closed) return;
        total += turn.costUsd ?? 0.01;
        yield {
          type: "result",
          subtype: "success",
          is_error: false,
          result: turn.result ?? `done: ${text}`,
          total_cost_usd: total,
          user_message_uuid: message.uuid,
          session_id: claudeSessionId,
        } as unknown as SDKMessage;
      }
    }
    let markClosed: () => void = () => undefined;
    const closedSignal = new Promise<void>((resolve) => {
      markClosed = resolve;
    });
    const generator = turns();
    return Object.assign(generator, {
      interrupt: async () => undefined,
      close: () => {
        closed = true;
        markClosed();
      },
    }) as unknown as Query;
  };
}

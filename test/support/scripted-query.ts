// A fast in-memory stand-in for the Agent SDK's query() in unit tests: no CLI, no model. Each user
// message pushed into the prompt stream is answered by one scripted turn (init, assistant text
// blocks, a successful result), so the engine's status machine, output and events run for real
// in milliseconds. Real-CLI behaviour is covered by the engine and gateway end-to-end tests.
import { randomUUID } from "node:crypto";
import type { Query, SDKMessage, SDKUserMessage } from "@anthropic-ai/claude-agent-sdk";
import type { QueryFunction } from "../../src/engine/index.ts";

export interface ScriptedTurn {
  /** Assistant text blocks, in order. */
  texts?: string[];
  result?: string;
  costUsd?: number;
}

export interface ScriptedQuery {
  queryFn: QueryFunction;
  /** The user messages each query received, by query (launch) index. */
  readonly received: string[][];
}

/** `turn(prompt, index)` scripts the reply to each user message; by default it echoes the prompt. */
export function scriptedQuery(turn: (prompt: string, index: number) => ScriptedTurn = (p) => ({ texts: [`working on: ${p}`], result: `done: ${p}` })): ScriptedQuery {
  const received: string[][] = [];
  const queryFn: QueryFunction = ({ prompt }) => {
    const mine: string[] = [];
    received.push(mine);
    const sessionId = randomUUID();
    let total = 0;
    let closed = false;
    async function* run(): AsyncGenerator<SDKMessage, void> {
      for await (const message of prompt as AsyncIterable<SDKUserMessage>) {
        if (closed) return;
        const content = message.message.content;
        const text = typeof content === "string" ? content : JSON.stringify(content);
        mine.push(text);
        const script = turn(text, mine.length - 1);
        yield { type: "system", subtype: "init", session_id: sessionId } as unknown as SDKMessage;
        for (const t of script.texts ?? []) {
          yield { type: "assistant", message: { content: [{ type: "text", text: t }] }, session_id: sessionId } as unknown as SDKMessage;
        }
        total += script.costUsd ?? 0.001;
        yield {
          type: "result",
          subtype: "success",
          is_error: false,
          result: script.result ?? "ok",
          total_cost_usd: total,
          user_message_uuid: message.uuid,
          session_id: sessionId,
        } as unknown as SDKMessage;
      }
    }
    const gen = run();
    const query = Object.assign(gen, {
      interrupt: async () => undefined,
      close: () => {
        closed = true;
        void gen.return(undefined);
      },
    });
    return query as unknown as Query;
  };
  return { queryFn, received };
}

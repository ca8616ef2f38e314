// The chat commands hand the operations exactly what the user typed after the flags and the ref.
import { describe, expect, it } from "vitest";
import type { Caller } from "../ops/types.ts";
import { COMMANDS } from "./commands.ts";
import type { PluginServices } from "./services.ts";

const OPERATOR: Caller = { kind: "operator", origin: "command", label: "test", agentId: undefined, sessionKey: undefined, route: undefined };
const STOP = "recorded";

/** Services whose operations record their parameters and stop there (so nothing renders or runs). */
function recording(pending: Array<{ request: { id: string; questions?: unknown[] } }> = []): { services: PluginServices; calls: Array<[string, unknown]> } {
  const calls: Array<[string, unknown]> = [];
  const ops = new Proxy(
    {},
    {
      get: (_t, name: string) => (_caller: Caller, params: unknown) => {
        if (name === "pending") return { requests: pending };
        calls.push([name, params]);
        throw new Error(STOP);
      },
    },
  ) as PluginServices["ops"];
  return { services: { ops, logger: { debug() {}, info() {}, warn() {}, error() {} } }, calls };
}

async function call(command: string, args: string, pending?: Array<{ request: { id: string; questions?: unknown[] } }>): Promise<[string, unknown]> {
  const { services, calls } = recording(pending);
  const spec = COMMANDS.find((c) => c.name === command)!;
  await expect(spec.run(services, OPERATOR, args)).rejects.toThrow(STOP);
  expect(calls).toHaveLength(1);
  return calls[0]!;
}

const PROMPT = ['Run this and report:', "```sh", `node -e "console.log('a\\tb')"`, "  echo  'two  spaces'", "```", "thanks 🙏"].join("\n");

describe("chat commands pass free text verbatim", () => {
  it("/claude: flags are read, the prompt is passed byte for byte", async () => {
    expect(await call("claude", `--name "my task" --once ${PROMPT}`)).toEqual(["launch", { name: "my task", multi_turn_disabled: true, prompt: PROMPT }]);
    expect(await call("claude", `-- --once is a flag`)).toEqual(["launch", { prompt: "--once is a flag" }]);
  });

  it("/claude_respond: the message after the ref", async () => {
    expect(await call("claude_respond", `--interrupt fix-it ${PROMPT}`)).toEqual(["respond", { interrupt: true, session: "fix-it", message: PROMPT }]);
  });

  it("/claude_resume: the prompt after the ref", async () => {
    expect(await call("claude_resume", `--fork fix-it ${PROMPT}`)).toEqual(["resume", { session: "fix-it", fork: true, prompt: PROMPT }]);
    expect(await call("claude_resume", "fix-it")).toEqual(["resume", { session: "fix-it", fork: false }]);
  });

  it("/claude_deny: the note after the id, with --stop before or after it", async () => {
    expect(await call("claude_deny", `r7k2m use "the helper";\n  not this`)).toEqual(["permit", { request: "r7k2m", decision: "deny", stop: false, note: `use "the helper";\n  not this` }]);
    expect(await call("claude_deny", `r7k2m --stop no`)).toEqual(["permit", { request: "r7k2m", decision: "deny", stop: true, note: "no" }]);
    expect(await call("claude_deny", `--stop r7k2m`)).toEqual(["permit", { request: "r7k2m", decision: "deny", stop: true }]);
  });

  it("/claude_answer: one question gets the text as typed (';' included); several split at ';'", async () => {
    expect(await call("claude_answer", `r3c8v use "Jest"; in CI too`)).toEqual(["permit", { request: "r3c8v", decision: "answer", answers: [`use "Jest"; in CI too`] }]);
    const two = [{ request: { id: "r3c8v", questions: [{}, {}] } }];
    expect(await call("claude_answer", `R3C8V Jest ; yes, in CI too`, two)).toEqual(["permit", { request: "R3C8V", decision: "answer", answers: ["Jest", "yes, in CI too"] }]);
  });
});

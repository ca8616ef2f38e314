// The backend conformance suite against the Claude Code backend: the real Claude Code CLI through
// the Agent SDK, against the offline model (the in-memory backend runs the same suite in
// src/engine/backend-conformance.test.ts).
import type { ScriptedReply } from "../../offline-model/src/script.ts";
import { backendConformance, type AgentStep, type Owner } from "../support/backend-conformance.ts";
import { useEngineFixture } from "../support/engine-fixture.ts";

const f = useEngineFixture<Owner>({ allowRootBypass: true });

/** A step as the offline model plays it. */
function reply(step: AgentStep): ScriptedReply {
  switch (step.type) {
    case "text":
      return { type: "text", text: step.text };
    case "bash":
      return { type: "tool_use", name: "Bash", input: { command: step.command, description: "run it" } };
    case "slow":
      return { type: "text", text: "slow ".repeat(100), chunks: 100, chunkDelayMs: 100 };
    case "api_error":
      return { type: "error", status: step.status, message: step.message };
    default: {
      const never: never = step;
      return never;
    }
  }
}

backendConformance("Claude Code CLI", {
  kind: "claude-code",
  timeoutMs: 60_000,
  make: (options) => f.make(options),
  get log() {
    return f.log;
  },
  script: (...steps) => f.model.script(...steps.map(reply)),
  seen: () => JSON.stringify(f.model.requests.at(-1)?.messages ?? []),
  calls: async (n) => void (await f.model.waitForRequests(n, 30_000)),
  crash: (s) => {
    if (s.pid === undefined) throw new Error(`session ${s.id} has no process to end`);
    process.kill(s.pid, "SIGKILL");
  },
});

// End-to-end tests: the real Claude Code CLI (Agent SDK) talking to the offline model.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startOfflineModel, type OfflineModel } from "../src/index.ts";
import { createSandbox, runClaude, startClaude, type Sandbox } from "./claude.ts";

let model: OfflineModel;
let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await createSandbox();
});

afterEach(async () => {
  await model?.close();
  await sandbox.dispose();
});

describe("the real Claude Code CLI against the offline model", () => {
  it("demo: creates the requested file in the workdir and reports it", async () => {
    model = await startOfflineModel();
    const run = await runClaude({
      model,
      sandbox,
      prompts: ["create a file named hello.txt containing Hello from the offline model"],
    });
    const file = join(sandbox.workdir, "hello.txt");
    expect(await readFile(file, "utf8")).toBe("Hello from the offline model");
    expect(run.results).toHaveLength(1);
    const result = run.results[0];
    expect(result?.is_error).toBe(false);
    expect(result?.subtype).toBe("success");
    expect(result?.subtype === "success" ? result.result : "").toBe(
      `Done: I created the file ${file} containing "Hello from the offline model".`,
    );
    // Two model calls: the Write, then the report after its tool result.
    expect(model.requests.map((r) => r.kind)).toEqual(["conversation", "conversation"]);
    expect(model.requests[0]?.workdir).toBe(sandbox.workdir);
    expect(model.requests[0]?.lastUserText).toBe("create a file named hello.txt containing Hello from the offline model");
    expect(model.requests[0]?.headers["x-api-key"]).toBe("offline");
    expect(model.requests[0]?.stream).toBe(true);
    expect(model.requests[0]?.toolNames).toEqual(expect.arrayContaining(["Bash", "Edit", "Read", "Write"]));
    expect(model.requests[1]?.toolResults).toEqual([
      expect.objectContaining({ tool_use_id: "toolu_offline_1_1", is_error: false }),
    ]);
    expect(model.traffic.map((t) => `${t.method} ${t.url}`)).toEqual([
      "POST /v1/messages?beta=true",
      "POST /v1/messages?beta=true",
    ]);
    const sessionId = run.results[0]?.session_id;
    expect(model.requests.map((r) => r.sessionId)).toEqual([sessionId, sessionId]);
  });

  it("without CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: /api/hello probe and a title request, neither consuming the script", async () => {
    model = await startOfflineModel({ fallback: "error" });
    model.script({ type: "text", text: "the scripted answer" });
    const run = await runClaude({ model, sandbox, prompts: ["list the files"], omitEnv: ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] });
    expect(run.results[0]?.subtype === "success" ? run.results[0].result : "").toBe("the scripted answer");
    expect(model.traffic).toContainEqual({ method: "HEAD", url: "/api/hello", status: 200 });
    const title = model.requests.find((r) => r.kind === "auxiliary");
    expect(title?.toolNames).toEqual([]);
    expect(title?.system).toContain("naming a coding session");
    expect(title?.outputSchema).toMatchObject({ properties: { title: { type: "string" } } });
    expect(title?.sessionId).toBe(run.results[0]?.session_id);
    expect(model.requests.filter((r) => r.kind === "conversation")).toHaveLength(1);
    // The CLI stored the title the offline model made up ("List the files") in the session transcript.
    const projects = join(sandbox.configDir, "projects");
    const transcripts = await Promise.all(
      (await readdir(projects, { recursive: true })).filter((f) => f.endsWith(".jsonl")).map((f) => readFile(join(projects, f), "utf8")),
    );
    expect(transcripts.join("\n")).toContain("List the files");
  });

  it("demo: reads then edits a file across a follow-up turn", async () => {
    model = await startOfflineModel();
    const run = await runClaude({
      model,
      sandbox,
      prompts: ["write alpha beta to notes.txt", "edit notes.txt: replace alpha with gamma"],
    });
    expect(run.results.map((r) => r.is_error)).toEqual([false, false]);
    expect(await readFile(join(sandbox.workdir, "notes.txt"), "utf8")).toBe("gamma beta");
    expect(model.requests.map((r) => r.toolResults.length)).toEqual([0, 1, 0, 1, 1]);
    expect(run.results[1]?.subtype === "success" ? run.results[1].result : "").toContain('replaced "alpha" with "gamma"');
  });

  it("script: a text reply round-trips and the cost follows the scripted usage deterministically", async () => {
    model = await startOfflineModel({ fallback: "error" });
    model.script(
      { type: "text", text: "First scripted answer.", usage: { input_tokens: 1000, output_tokens: 500 } },
      { type: "text", text: "Second scripted answer.", usage: { input_tokens: 2000, output_tokens: 1000 } },
    );
    const run = await runClaude({ model, sandbox, prompts: ["one", "two"] });
    const [first, second] = run.results;
    if (first?.subtype !== "success" || second?.subtype !== "success") throw new Error("expected two successful results");
    expect([first.result, second.result]).toEqual(["First scripted answer.", "Second scripted answer."]);
    expect(first.is_error).toBe(false);
    expect(first.usage.input_tokens).toBe(1000);
    expect(first.usage.output_tokens).toBe(500);
    expect(first.total_cost_usd).toBeGreaterThan(0);
    // total_cost_usd is cumulative; the second turn used exactly twice the tokens of the first.
    expect(second.total_cost_usd).toBeCloseTo(3 * first.total_cost_usd, 12);
    const modelCost = Object.values(second.modelUsage).reduce((sum, m) => sum + m.costUSD, 0);
    expect(modelCost).toBeCloseTo(second.total_cost_usd, 12);
    expect(model.queued).toBe(0);
  });

  it("script: an HTTP 500 with CLAUDE_CODE_MAX_RETRIES=0 ends the turn as an error result with our message", async () => {
    model = await startOfflineModel({ fallback: "error" });
    model.script({ type: "error", status: 500, message: "offline scripted failure 42" });
    const run = await runClaude({ model, sandbox, prompts: ["hello"], env: { CLAUDE_CODE_MAX_RETRIES: "0" }, timeoutMs: 20_000 });
    expect(run.results).toHaveLength(1);
    const result = run.results[0];
    expect(result?.is_error).toBe(true);
    expect(result?.subtype === "success" ? result.result : "").toContain("offline scripted failure 42");
    expect(result?.subtype === "success" ? result.api_error_status : undefined).toBe(500);
    expect(run.thrown).toContain("offline scripted failure 42");
    expect(model.requests).toHaveLength(1);
    expect(run.elapsedMs).toBeLessThan(15_000);
  });

  it("script: an overloaded error with x-should-retry: false is not retried, even with default retries", async () => {
    model = await startOfflineModel({ fallback: "error" });
    model.script({ type: "error", status: 529, message: "offline overloaded", headers: { "x-should-retry": "false" } });
    const run = await runClaude({ model, sandbox, prompts: ["hello"], timeoutMs: 20_000 });
    expect(run.results[0]?.is_error).toBe(true);
    expect(run.results[0]?.subtype === "success" ? run.results[0].result : "").toContain("529 offline overloaded");
    expect(model.requests).toHaveLength(1);
  });

  it("script: a slow stream can be interrupted and the session carries on", async () => {
    model = await startOfflineModel();
    model.script({ type: "text", text: "this reply streams very slowly", chunks: 20, chunkDelayMs: 500 });
    const session = startClaude({ model, sandbox, prompts: ["first", "list files"] });
    await model.waitForRequests(1, 20_000);
    await session.query.interrupt();
    const run = await session.done;
    expect(run.results.map((r) => r.subtype)).toEqual(["error_during_execution", "success"]);
    expect(run.results[1]?.subtype === "success" ? run.results[1].result : "").toContain("Done: files in");
    expect(run.elapsedMs).toBeLessThan(8_000);
  });

  it("a stream dropped mid-way is retried by the CLI without streaming, which consumes the next reply", async () => {
    model = await startOfflineModel({ fallback: "error" });
    model.script({ type: "drop", afterChunks: 4 }, { type: "text", text: "Answer after the drop." });
    const run = await runClaude({ model, sandbox, prompts: ["hello"], env: { CLAUDE_CODE_MAX_RETRIES: "0" } });
    expect(run.results[0]?.subtype === "success" ? run.results[0].result : "").toBe("Answer after the drop.");
    expect(model.requests.map((r) => r.stream)).toEqual([true, false]);
  });

  it("/compact sends a compaction request that does not consume scripted replies", async () => {
    model = await startOfflineModel({ fallback: "error" });
    model.script({ type: "text", text: "answer one" }, { type: "text", text: "answer two" });
    const run = await runClaude({ model, sandbox, prompts: ["one", "/compact", "two"] });
    expect(run.results.map((r) => r.is_error)).toEqual([false, false, false]);
    expect(run.results.map((r) => (r.subtype === "success" ? r.result : ""))).toEqual(["answer one", "", "answer two"]);
    expect(model.requests.map((r) => r.kind)).toEqual(["conversation", "compaction", "conversation"]);
    // After compaction the conversation restarts from the summary, which quotes the first prompt.
    const afterCompaction = JSON.stringify(model.requests[2]?.messages);
    expect(afterCompaction).toContain("- one");
  });
});

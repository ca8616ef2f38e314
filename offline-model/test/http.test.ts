// Unit tests of the offline model over real HTTP (fetch): framing, scripting, errors, logging, lifecycle.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startOfflineModel, type OfflineModel } from "../src/index.ts";
import {
  assembleBlocks,
  conversationBody,
  environmentMessage,
  parseSse,
  postMessages,
  promptMessage,
  streamEvents,
  toolCall,
  toolResult,
} from "./helpers.ts";

let model: OfflineModel;

beforeEach(async () => {
  model = await startOfflineModel({ fallback: "error" });
});

afterEach(async () => {
  await model.close();
});

const hello = () => conversationBody([promptMessage("hello")]);

describe("server basics", () => {
  it("listens on 127.0.0.1 with an ephemeral port", () => {
    expect(model.port).toBeGreaterThan(0);
    expect(model.url).toBe(`http://127.0.0.1:${model.port}`);
  });

  it("answers GET and HEAD on / and /api/hello with 200", async () => {
    for (const path of ["/", "/api/hello"]) {
      for (const method of ["GET", "HEAD"]) {
        const res = await fetch(`${model.url}${path}`, { method });
        expect(res.status, `${method} ${path}`).toBe(200);
        await res.arrayBuffer();
      }
    }
    expect(model.requests).toHaveLength(0);
    expect(model.traffic.map((t) => `${t.method} ${t.url} ${t.status}`)).toEqual([
      "GET / 200",
      "HEAD / 200",
      "GET /api/hello 200",
      "HEAD /api/hello 200",
    ]);
  });

  it("answers an unknown path with a 404 Anthropic error body", async () => {
    const res = await fetch(`${model.url}/v1/complete`, { method: "POST", body: "{}" });
    expect(res.status).toBe(404);
    expect(res.headers.get("request-id")).toMatch(/^req_offline_/);
    const body = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe("error");
    expect(body.error.type).toBe("not_found_error");
    expect(body.error.message).toContain("/v1/complete");
  });

  it("refuses GET on /v1/messages with 405", async () => {
    const res = await fetch(`${model.url}/v1/messages`);
    expect(res.status).toBe(405);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
  });

  it("counts tokens deterministically without logging a model call", async () => {
    const body = hello();
    const first = await postMessages(model.url, body, "/v1/messages/count_tokens?beta=true");
    const second = await postMessages(model.url, body, "/v1/messages/count_tokens?beta=true");
    const a = (await first.json()) as { input_tokens: number };
    const b = (await second.json()) as { input_tokens: number };
    expect(a.input_tokens).toBeGreaterThan(0);
    expect(b).toEqual(a);
    expect(model.requests).toHaveLength(0);
  });

  it("answers a body that is not JSON with a 400 and still logs it", async () => {
    const res = await fetch(`${model.url}/v1/messages`, { method: "POST", body: "not json" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
    expect(model.requests).toHaveLength(1);
    expect(model.requests[0]?.body).toBeUndefined();
  });
});

describe("SSE framing", () => {
  it("streams a text reply with Anthropic's event order, ids and headers", async () => {
    model.script({ type: "text", text: "Hello from the script", chunks: 4 });
    const res = await postMessages(model.url, hello());
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("request-id")).toBe("req_offline_1");
    const events = parseSse(await res.text());
    expect(events.map((e) => e.event)).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const start = events[0]?.data["message"] as Record<string, unknown>;
    expect(start["id"]).toBe("msg_offline_1");
    expect(start["model"]).toBe("claude-test-model");
    expect(start["role"]).toBe("assistant");
    expect(start["content"]).toEqual([]);
    expect(events.filter((e) => e.event === "content_block_delta").every((e) => (e.data["delta"] as { type: string }).type === "text_delta")).toBe(true);
    expect(assembleBlocks(events)).toEqual([{ type: "text", text: "Hello from the script" }]);
    const delta = events[8]?.data as { delta: { stop_reason: string }; usage: { output_tokens: number } };
    expect(delta.delta.stop_reason).toBe("end_turn");
  });

  it("streams a tool call after its text, with input_json_delta pieces and stop_reason tool_use", async () => {
    const input = { file_path: "/tmp/x/ü.txt", content: "line one\nline \"two\" 🎉" };
    model.script({ type: "tool_use", name: "Write", input, text: "Writing it.", id: "toolu_given" });
    const events = await streamEvents(model.url, hello());
    const blocks = assembleBlocks(events);
    expect(blocks).toEqual([
      { type: "text", text: "Writing it." },
      { type: "tool_use", id: "toolu_given", name: "Write", input },
    ]);
    const toolDeltas = events.filter(
      (e) => e.event === "content_block_delta" && (e.data["delta"] as { type: string }).type === "input_json_delta",
    );
    expect(toolDeltas.length).toBeGreaterThan(1);
    expect(events.every((e) => e.event !== "content_block_delta" || typeof e.data["index"] === "number")).toBe(true);
    const messageDelta = events.find((e) => e.event === "message_delta")?.data as { delta: { stop_reason: string } };
    expect(messageDelta.delta.stop_reason).toBe("tool_use");
  });

  it("streams several tool calls in one message with distinct generated ids", async () => {
    model.script({
      type: "message",
      blocks: [
        { type: "tool_use", name: "Read", input: { file_path: "/a" } },
        { type: "tool_use", name: "Read", input: { file_path: "/b" } },
      ],
    });
    const blocks = assembleBlocks(await streamEvents(model.url, hello()));
    expect(blocks.map((b) => b["name"])).toEqual(["Read", "Read"]);
    expect(blocks[0]?.["id"]).toBe("toolu_offline_1_0");
    expect(blocks[1]?.["id"]).toBe("toolu_offline_1_1");
    expect(blocks.map((b) => b["input"])).toEqual([{ file_path: "/a" }, { file_path: "/b" }]);
  });

  it("honours an explicit stopReason on a message reply", async () => {
    model.script({ type: "message", blocks: [{ type: "text", text: "cut" }], stopReason: "max_tokens" });
    const events = await streamEvents(model.url, hello());
    const delta = events.find((e) => e.event === "message_delta")?.data as { delta: { stop_reason: string } };
    expect(delta.delta.stop_reason).toBe("max_tokens");
  });

  it("spaces events by chunkDelayMs", async () => {
    model.script({ type: "text", text: "slow text", chunks: 3, chunkDelayMs: 40 });
    const started = Date.now();
    const events = await streamEvents(model.url, hello());
    // 9 events → 8 gaps of 40 ms (timers may fire a little early, never much).
    expect(events).toHaveLength(9);
    expect(Date.now() - started).toBeGreaterThanOrEqual(8 * 40 - 10);
  });

  it("answers stream:false with one JSON message body", async () => {
    model.script({ type: "tool_use", name: "Bash", input: { command: "ls" }, text: "Listing." });
    const res = await postMessages(model.url, conversationBody([promptMessage("x")], { stream: false }));
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: "msg_offline_1",
      type: "message",
      role: "assistant",
      model: "claude-test-model",
      stop_reason: "tool_use",
      content: [
        { type: "text", text: "Listing." },
        { type: "tool_use", id: "toolu_offline_1_1", name: "Bash", input: { command: "ls" } },
      ],
      usage: { input_tokens: 100, output_tokens: 2 + 20 },
    });
  });
});

describe("usage", () => {
  it("defaults to small deterministic counts: 100 in, a token per 4 text chars plus 20 per tool call", async () => {
    model.script({ type: "text", text: "x".repeat(41) }, { type: "tool_use", name: "Bash", input: { command: "a very long command ".repeat(20) } });
    for (const expected of [11, 20]) {
      const events = await streamEvents(model.url, hello());
      const start = (events[0]?.data["message"] as { usage: Record<string, number> }).usage;
      expect(start).toEqual({ input_tokens: 100, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 });
      const delta = events.find((e) => e.event === "message_delta")?.data as { usage: { output_tokens: number } };
      expect(delta.usage.output_tokens).toBe(expected);
    }
  });

  it("reports given counts, filling only what is missing", async () => {
    model.script(
      { type: "text", text: "big", usage: { input_tokens: 250_000, output_tokens: 40_000, cache_read_input_tokens: 7, cache_creation_input_tokens: 9 } },
      { type: "text", text: "abcdefgh", usage: { input_tokens: 5 } },
    );
    const big = await streamEvents(model.url, hello());
    expect((big[0]?.data["message"] as { usage: Record<string, number> }).usage).toEqual({
      input_tokens: 250_000,
      cache_creation_input_tokens: 9,
      cache_read_input_tokens: 7,
      output_tokens: 1,
    });
    expect((big.find((e) => e.event === "message_delta")?.data as { usage: { output_tokens: number } }).usage.output_tokens).toBe(40_000);
    const partial = await streamEvents(model.url, hello());
    expect((partial[0]?.data["message"] as { usage: Record<string, number> }).usage["input_tokens"]).toBe(5);
    expect((partial.find((e) => e.event === "message_delta")?.data as { usage: { output_tokens: number } }).usage.output_tokens).toBe(2);
  });
});

describe("errors, stalls and drops", () => {
  it.each([
    [400, "invalid_request_error"],
    [401, "authentication_error"],
    [403, "permission_error"],
    [429, "rate_limit_error"],
    [500, "api_error"],
    [503, "api_error"],
    [529, "overloaded_error"],
  ])("answers a scripted %i with Anthropic's error body (%s)", async (status, errorType) => {
    model.script({ type: "error", status, message: `scripted ${status}` });
    const res = await postMessages(model.url, hello());
    expect(res.status).toBe(status);
    expect(res.headers.get("request-id")).toBe("req_offline_1");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({
      type: "error",
      error: { type: errorType, message: `scripted ${status}` },
      request_id: "req_offline_1",
    });
  });

  it("sends retry-after, extra headers and an explicit errorType", async () => {
    model.script({
      type: "error",
      status: 429,
      message: "slow down",
      retryAfterSeconds: 3,
      errorType: "custom_error",
      headers: { "x-should-retry": "false" },
    });
    const res = await postMessages(model.url, hello());
    expect(res.headers.get("retry-after")).toBe("3");
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("custom_error");
  });

  it("stalls before any header, then sends the default text", async () => {
    model.script({ type: "stall", ms: 150 });
    const started = Date.now();
    const res = await postMessages(model.url, hello());
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const blocks = assembleBlocks(parseSse(await res.text()));
    expect(blocks[0]?.["text"]).toContain("held back on purpose");
  });

  it("stalls, then sends the given reply", async () => {
    model.script({ type: "stall", ms: 20, then: { type: "error", status: 529, message: "busy after a wait" } });
    const res = await postMessages(model.url, hello());
    expect(res.status).toBe(529);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe("busy after a wait");
  });

  it("drops the connection before any header", async () => {
    model.script({ type: "drop" });
    await expect(postMessages(model.url, hello())).rejects.toThrow();
    expect(model.traffic.at(-1)).toMatchObject({ seq: 1, source: "script", reply: "drop" });
  });

  it("drops the connection after some SSE events", async () => {
    model.script({ type: "drop", afterChunks: 3 });
    const res = await postMessages(model.url, hello());
    expect(res.status).toBe(200);
    const reader = res.body?.getReader();
    if (reader === undefined) throw new Error("no body");
    let received = "";
    const decoder = new TextDecoder();
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          received += decoder.decode(value);
        }
      })(),
    ).rejects.toThrow();
    const events = parseSse(received);
    expect(events.map((e) => e.event)).toEqual(["message_start", "ping", "content_block_start"]);
  });
});

describe("choosing a reply", () => {
  it("consumes scripted replies in FIFO order, then reports that the script ran out", async () => {
    model.script({ type: "text", text: "first" }, { type: "text", text: "second" });
    expect(model.queued).toBe(2);
    expect(assembleBlocks(await streamEvents(model.url, hello()))[0]?.["text"]).toBe("first");
    expect(assembleBlocks(await streamEvents(model.url, hello()))[0]?.["text"]).toBe("second");
    expect(model.queued).toBe(0);
    const res = await postMessages(model.url, hello());
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/script ran out.*#3/);
    expect(model.traffic.map((t) => t.source)).toEqual(["script", "script", "exhausted"]);
  });

  it("asks the handler first and falls through to the queue when it returns undefined", async () => {
    model.script({ type: "text", text: "from the queue" });
    const seen: number[] = [];
    model.setHandler((req) => {
      seen.push(req.seq);
      return req.lastUserText?.includes("[marker]") === true ? { type: "text", text: "from the handler" } : undefined;
    });
    const marked = conversationBody([promptMessage("do it [marker]")]);
    expect(assembleBlocks(await streamEvents(model.url, marked))[0]?.["text"]).toBe("from the handler");
    expect(model.queued).toBe(1);
    expect(assembleBlocks(await streamEvents(model.url, hello()))[0]?.["text"]).toBe("from the queue");
    model.setHandler(undefined);
    expect((await postMessages(model.url, marked)).status).toBe(500);
    expect(seen).toEqual([1, 2]);
  });

  it("turns a throwing handler into a 500 naming the error", async () => {
    model.setHandler(() => {
      throw new Error("handler bug");
    });
    const res = await postMessages(model.url, hello());
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("handler bug");
  });

  it("answers compaction and auxiliary calls itself without consuming the queue", async () => {
    model.script({ type: "text", text: "meant for the conversation" });
    const compaction = conversationBody([
      promptMessage("hello"),
      { role: "assistant", content: [{ type: "text", text: "hi" }] },
      promptMessage("CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n\nYour task is to create a detailed summary of the conversation so far, …"),
    ]);
    const summary = assembleBlocks(await streamEvents(model.url, compaction))[0]?.["text"];
    expect(summary).toMatch(/<summary>[\s\S]*- hello[\s\S]*<\/summary>/);
    const title = {
      model: "m",
      max_tokens: 512,
      stream: true,
      system: "You are naming a coding session. The title is …",
      messages: [promptMessage("<session>\nfix the flaky test in api/users.ts, please\n</session>\n\nWrite the title …")],
      output_config: { format: { type: "json_schema", schema: { type: "object", properties: { title: { type: "string" } }, required: ["title"] } } },
    };
    const answer = assembleBlocks(await streamEvents(model.url, title))[0]?.["text"];
    expect(JSON.parse(String(answer))).toEqual({ title: "Fix the flaky test in" });
    const probe = { ...hello(), max_tokens: 1 };
    expect(assembleBlocks(await streamEvents(model.url, probe))[0]?.["text"]).toBe("OK");
    expect(model.requests.map((r) => r.kind)).toEqual(["compaction", "auxiliary", "auxiliary"]);
    expect(model.traffic.map((t) => t.source)).toEqual(["auxiliary", "auxiliary", "auxiliary"]);
    expect(model.queued).toBe(1);
    expect(assembleBlocks(await streamEvents(model.url, hello()))[0]?.["text"]).toBe("meant for the conversation");
  });

  it("uses the demo as the default fallback", async () => {
    const demo = await startOfflineModel();
    try {
      const body = conversationBody([promptMessage("create a file named a.txt containing hi"), environmentMessage("/work/demo")]);
      const blocks = assembleBlocks(await streamEvents(demo.url, body));
      expect(blocks[1]).toMatchObject({ type: "tool_use", name: "Write", input: { file_path: "/work/demo/a.txt", content: "hi" } });
      expect(demo.traffic[0]?.source).toBe("demo");
    } finally {
      await demo.close();
    }
  });
});

describe("demo pacing", () => {
  it("paces demo replies when demoChunkDelayMs is set", async () => {
    const demo = await startOfflineModel({ demoChunkDelayMs: 15 });
    try {
      const started = Date.now();
      const events = await streamEvents(demo.url, conversationBody([promptMessage("hello"), environmentMessage("/w")]));
      const deltas = events.filter((e) => e.event === "content_block_delta");
      const text = String(assembleBlocks(events)[0]?.["text"]);
      expect(deltas.length).toBe(Math.ceil(text.length / 16));
      expect(Date.now() - started).toBeGreaterThanOrEqual((events.length - 1) * 15 - 10);
    } finally {
      await demo.close();
    }
  });
});

describe("request log", () => {
  it("records each request with its parsed fields", async () => {
    model.script({ type: "text", text: "ok" });
    const before = Date.now();
    const body = conversationBody([
      promptMessage("create a file"),
      environmentMessage("/home/u/project with space"),
      toolCall("toolu_a", "Write", { file_path: "/x" }),
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_a", content: "File created" },
          { type: "tool_result", tool_use_id: "toolu_b", content: [{ type: "text", text: "part 1" }, { type: "text", text: "part 2" }], is_error: true },
          { type: "text", text: "<system-reminder>\nignore me\n</system-reminder>" },
        ],
      },
    ]);
    await streamEvents(model.url, body);
    const [req] = await model.waitForRequests(1);
    expect(req).toMatchObject({
      seq: 1,
      method: "POST",
      path: "/v1/messages",
      url: "/v1/messages?beta=true",
      model: "claude-test-model",
      stream: true,
      maxTokens: 32000,
      kind: "conversation",
      lastUserText: "create a file",
      workdir: "/home/u/project with space",
      toolNames: ["Agent", "Bash", "Edit", "Read", "Write"],
      toolResults: [
        { tool_use_id: "toolu_a", content: "File created", is_error: false },
        { tool_use_id: "toolu_b", content: "part 1\npart 2", is_error: true },
      ],
    });
    expect(req?.headers["x-api-key"]).toBe("offline");
    expect(req?.system).toBe("x-anthropic-billing-header: cc_version=test;\nYou are a Claude agent, built on Anthropic's Claude Agent SDK.");
    expect(req?.messages).toHaveLength(4);
    expect(req?.body?.["max_tokens"]).toBe(32000);
    expect(req?.receivedAt).toBeGreaterThanOrEqual(before);
  });

  it("waitForRequests resolves when the n-th request arrives", async () => {
    model.script({ type: "text", text: "a" }, { type: "text", text: "b" });
    const waiting = model.waitForRequests(2, 5_000);
    await streamEvents(model.url, hello());
    await streamEvents(model.url, hello());
    const requests = await waiting;
    expect(requests.map((r) => r.seq)).toEqual([1, 2]);
  });

  it("waitForRequests rejects after its timeout with a clear message", async () => {
    await expect(model.waitForRequests(1, 50)).rejects.toThrow(
      "offline-model: expected at least 1 /v1/messages requests within 50 ms, got 0 (none)",
    );
  });
});

describe("close", () => {
  it("does not hang on a stalled request, and the client sees the connection end", async () => {
    model.script({ type: "stall", ms: 60_000 });
    const pending = postMessages(model.url, hello()).then(
      (res) => `answered ${res.status}`,
      (error: unknown) => `failed: ${String(error)}`,
    );
    const waiting = model.waitForRequests(2, 30_000).then(
      () => "resolved",
      (error: unknown) => `rejected: ${String(error)}`,
    );
    await model.waitForRequests(1);
    const started = Date.now();
    await model.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toMatch(/^failed: /);
    expect(await waiting).toBe("rejected: Error: offline-model: closed with 1 of 2 requests received");
    await expect(fetch(`${model.url}/api/hello`)).rejects.toThrow();
  });

  it("does not hang on a slow stream in progress", async () => {
    model.script({ type: "text", text: "a long slow reply", chunks: 10, chunkDelayMs: 5_000 });
    const res = await postMessages(model.url, hello());
    expect(res.status).toBe(200);
    const reading = res.text();
    const started = Date.now();
    await model.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(reading).rejects.toThrow();
  });

  it("is idempotent", async () => {
    await model.close();
    await model.close();
  });
});

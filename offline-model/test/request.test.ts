// Unit tests of request parsing: the prompt, tool results, working directory and request kind.
import { describe, expect, it } from "vitest";
import { classifyRequest, findSessionId, findWorkdir, isSystemReminder, parseRequest } from "../src/index.ts";
import { conversationBody, environmentMessage, promptMessage, toolCall, toolResult } from "./helpers.ts";

function parse(body: unknown, url = "/v1/messages?beta=true") {
  return parseRequest({ seq: 3, method: "POST", url, headers: { a: "b" }, rawBody: JSON.stringify(body), receivedAt: 42 });
}

describe("parseRequest", () => {
  it("takes the prompt from the last user message with text, skipping system reminders", () => {
    const req = parse(
      conversationBody([
        promptMessage("first"),
        { role: "assistant", content: [{ type: "text", text: "ok" }] },
        { role: "user", content: [{ type: "text", text: "second" }, { type: "text", text: "<system-reminder>x</system-reminder>" }] },
      ]),
    );
    expect(req.lastUserText).toBe("second");
  });

  it("keeps the turn's prompt while tool results flow, and reads those results", () => {
    const req = parse(conversationBody([promptMessage("do it"), toolCall("t1", "Bash", {}), toolResult("t1", "out")]));
    expect(req.lastUserText).toBe("do it");
    expect(req.toolResults).toEqual([{ tool_use_id: "t1", content: "out", is_error: false }]);
  });

  it("accepts string content and a string system prompt", () => {
    const req = parse({ model: "m", system: "Primary working directory: /a/b", messages: [{ role: "user", content: "plain" }] });
    expect(req.lastUserText).toBe("plain");
    expect(req.system).toBe("Primary working directory: /a/b");
    expect(req.workdir).toBe("/a/b");
    expect(req.toolResults).toEqual([]);
    expect(req.stream).toBe(false);
  });

  it("gives empty fields for a malformed body and never throws", () => {
    const req = parseRequest({ seq: 1, method: "POST", url: "/v1/messages", headers: {}, rawBody: "{oops", receivedAt: 0 });
    expect(req).toMatchObject({ body: undefined, messages: [], toolNames: [], lastUserText: undefined, workdir: undefined, system: "" });
    const weird = parse({ messages: [{ role: "user", content: [null, 3, { type: "text", text: "ok" }] }, "junk"], tools: [{}, { name: "X" }] });
    expect(weird.lastUserText).toBe("ok");
    expect(weird.toolNames).toEqual(["X"]);
  });

  it("splits the path from the query", () => {
    const req = parse(conversationBody([promptMessage("x")]));
    expect(req.path).toBe("/v1/messages");
    expect(req.url).toBe("/v1/messages?beta=true");
    expect(req.seq).toBe(3);
    expect(req.receivedAt).toBe(42);
  });
});

describe("findSessionId", () => {
  it("prefers the x-claude-code-session-id header, then metadata.user_id", () => {
    const metadata = { user_id: JSON.stringify({ device_id: "d", session_id: "from-metadata" }) };
    expect(findSessionId({ "x-claude-code-session-id": "from-header" }, { metadata })).toBe("from-header");
    expect(findSessionId({}, { metadata })).toBe("from-metadata");
    expect(findSessionId({}, { metadata: { user_id: "not json" } })).toBeUndefined();
    expect(findSessionId({}, undefined)).toBeUndefined();
  });
});

describe("findWorkdir", () => {
  it("reads Claude Code's environment section", () => {
    const env = environmentMessage("/tmp/x y/z").content;
    const text = typeof env === "string" ? env : (env[0]?.text ?? "");
    expect(findWorkdir([text])).toBe("/tmp/x y/z");
    expect(findWorkdir(["<env>\nWorking directory: /older/format\n</env>"])).toBe("/older/format");
    expect(findWorkdir(["nothing here"])).toBeUndefined();
  });
});

describe("classifyRequest", () => {
  it("tells the conversation from compaction and side calls", () => {
    const base = { toolNames: ["Bash"], lastUserText: "hi", workdir: "/w", maxTokens: 32000 };
    expect(classifyRequest(base)).toBe("conversation");
    expect(classifyRequest({ ...base, toolNames: [] })).toBe("conversation");
    expect(classifyRequest({ ...base, lastUserText: "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n…" })).toBe("compaction");
    expect(classifyRequest({ ...base, maxTokens: 1 })).toBe("auxiliary");
    expect(classifyRequest({ ...base, toolNames: [], workdir: undefined })).toBe("auxiliary");
  });

  it("recognises system reminders", () => {
    expect(isSystemReminder("  <system-reminder>\nx")).toBe(true);
    expect(isSystemReminder("a <system-reminder>")).toBe(false);
  });
});

// Unit tests of the demo's phrase recognition and of its next step for each conversation state.
import { describe, expect, it } from "vitest";
import {
  auxiliaryReply,
  chatAnswer,
  DEFAULT_FILE_CONTENT,
  demoReply,
  parseDemoTask,
  parseRequest,
  sampleFromSchema,
  sessionTitle,
  type ApiMessage,
  type ReceivedRequest,
  type ScriptedReply,
} from "../src/index.ts";
import { conversationBody, environmentMessage, promptMessage, toolCall, toolResult } from "./helpers.ts";

const WD = "/srv/work dir";

function request(messages: ApiMessage[], extra: Record<string, unknown> = {}): ReceivedRequest {
  return parseRequest({
    seq: 1,
    method: "POST",
    url: "/v1/messages?beta=true",
    headers: {},
    rawBody: JSON.stringify(conversationBody(messages, extra)),
    receivedAt: 0,
  });
}

/** A first turn as Claude Code sends it: prompt, then the environment section. */
function turn(prompt: string, ...rest: ApiMessage[]): ApiMessage[] {
  return [promptMessage(prompt), environmentMessage(WD), ...rest];
}

function expectToolUse(reply: ScriptedReply, name: string, input: Record<string, unknown>): void {
  expect(reply.type).toBe("tool_use");
  if (reply.type !== "tool_use") return;
  expect(reply.name).toBe(name);
  expect(reply.input).toEqual(input);
  expect(reply.text).toBeTruthy();
}

function expectText(reply: ScriptedReply): string {
  expect(reply.type).toBe("text");
  return reply.type === "text" ? reply.text : "";
}

describe("parseDemoTask", () => {
  it.each([
    ["create a file named notes.txt containing hello world", { kind: "write", file: "notes.txt", content: "hello world" }],
    ["Create a file called notes.txt with content: hi there.", { kind: "write", file: "notes.txt", content: "hi there" }],
    ['please create a new file named "my notes.md" containing "Line 1. Line 2."', { kind: "write", file: "my notes.md", content: "Line 1. Line 2." }],
    ["create the file src/a.ts with the text export {}", { kind: "write", file: "src/a.ts", content: "export {}" }],
    ["create hello.txt containing hi", { kind: "write", file: "hello.txt", content: "hi" }],
    ["create hello.txt", { kind: "write", file: "hello.txt", content: DEFAULT_FILE_CONTENT }],
    ["create a file named empty.txt", { kind: "write", file: "empty.txt", content: DEFAULT_FILE_CONTENT }],
    ["write hello world to greeting.txt", { kind: "write", file: "greeting.txt", content: "hello world" }],
    ['Write "go to bed" into the file todo.txt.', { kind: "write", file: "todo.txt", content: "go to bed" }],
    ["run `ls -la`", { kind: "bash", command: "ls -la" }],
    ["Please run the command `npm test` now", { kind: "bash", command: "npm test" }],
    ["run the command echo hi > out.txt", { kind: "bash", command: "echo hi > out.txt" }],
    ["execute: uname -a", { kind: "bash", command: "uname -a" }],
    ["edit notes.txt: replace hello with goodbye", { kind: "edit", file: "notes.txt", search: "hello", replace: "goodbye" }],
    ['edit "a b.txt": replace "x = 1" with "x = 2"', { kind: "edit", file: "a b.txt", search: "x = 1", replace: "x = 2" }],
    ["replace foo with bar in main.py", { kind: "edit", file: "main.py", search: "foo", replace: "bar" }],
    ["list files", { kind: "list" }],
    ["List all the files please", { kind: "list" }],
    ["ls", { kind: "list" }],
    ["show me the files", { kind: "list" }],
    ["what is the meaning of life?", { kind: "chat" }],
    ["create a wonderful day", { kind: "chat" }],
    ["run the tests", { kind: "chat" }],
  ])("%s", (prompt, task) => {
    expect(parseDemoTask(prompt)).toEqual(task);
  });

  it("picks the phrase that comes first when several appear", () => {
    expect(parseDemoTask("run the command echo create a file named x.txt")).toEqual({
      kind: "bash",
      command: "echo create a file named x.txt",
    });
    expect(parseDemoTask("create a file named run.sh containing run the command ls")).toEqual({
      kind: "write",
      file: "run.sh",
      content: "run the command ls",
    });
  });
});

describe("side calls", () => {
  it("makes a title from the first words of the session text", () => {
    expect(sessionTitle("<session>\nrun `npm test` in api/\n</session>\nmore")).toBe("Run npm test in api/");
    expect(sessionTitle("no session tags")).toBe("Offline demo session");
  });

  it("fills a JSON schema with a minimal valid value", () => {
    const schema = {
      type: "object",
      properties: {
        title: { type: "string" },
        count: { type: "integer" },
        ok: { type: "boolean" },
        tags: { type: "array", items: { type: "string" } },
        mode: { enum: ["a", "b"] },
        nested: { type: "object", properties: { x: { const: 7 } } },
      },
    };
    expect(sampleFromSchema(schema, { title: "T" })).toEqual({ title: "T", count: 0, ok: false, tags: [], mode: "a", nested: { x: 7 } });
  });

  it("answers a non-title side call with a short text", () => {
    const req = parseRequest({
      seq: 1,
      method: "POST",
      url: "/v1/messages",
      headers: {},
      rawBody: JSON.stringify({ model: "m", max_tokens: 100, messages: [{ role: "user", content: "summarise" }] }),
      receivedAt: 0,
    });
    expect(req.kind).toBe("auxiliary");
    expect(auxiliaryReply(req)).toEqual({ type: "text", text: "Offline demo model: this side request has no real answer offline." });
  });
});

describe("demoReply", () => {
  it("writes a new file with an absolute path under the working directory, then reports it", () => {
    const first = demoReply(request(turn("create a file named hello.txt containing Hi!")));
    expectToolUse(first, "Write", { file_path: `${WD}/hello.txt`, content: "Hi" });
    const done = demoReply(
      request(turn("create a file named hello.txt containing Hi!", toolCall("t1", "Write", {}), toolResult("t1", "File created successfully"))),
    );
    expect(expectText(done)).toBe(`Done: I created the file ${WD}/hello.txt containing "Hi".`);
  });

  it("keeps an absolute path as given, and a relative one when no working directory is known", () => {
    expectToolUse(demoReply(request(turn("create /tmp/abs.txt containing x"))), "Write", { file_path: "/tmp/abs.txt", content: "x" });
    expectToolUse(demoReply(request([promptMessage("create rel.txt containing x")])), "Write", { file_path: "rel.txt", content: "x" });
  });

  it("runs a command with Bash and quotes its output", () => {
    expectToolUse(demoReply(request(turn("run `echo hi`"))), "Bash", {
      command: "echo hi",
      description: "Run the command the user asked for",
    });
    const done = expectText(
      demoReply(request(turn("run `echo hi`", toolCall("t1", "Bash", {}), toolResult("t1", [{ type: "text", text: "hi\n" }])))),
    );
    expect(done).toBe("Done: I ran `echo hi`. Output:\n```\nhi\n```");
  });

  it("says so when a command prints nothing", () => {
    const done = expectText(demoReply(request(turn("run `true`", toolCall("t1", "Bash", {}), toolResult("t1", "")))));
    expect(done).toContain("(no output)");
  });

  it("lists files with ls", () => {
    expectToolUse(demoReply(request(turn("list files"))), "Bash", { command: "ls", description: "List files in the working directory" });
    const done = expectText(demoReply(request(turn("list files", toolCall("t1", "Bash", {}), toolResult("t1", "a.txt\nb.txt")))));
    expect(done).toBe(`Done: files in ${WD}:\n\`\`\`\na.txt\nb.txt\n\`\`\``);
  });

  it("edits in three steps: Read, then Edit, then the report", () => {
    const prompt = "edit notes.txt: replace old text with new text";
    expectToolUse(demoReply(request(turn(prompt))), "Read", { file_path: `${WD}/notes.txt` });
    const afterRead = turn(prompt, toolCall("t1", "Read", {}), toolResult("t1", "1\told text"));
    expectToolUse(demoReply(request(afterRead)), "Edit", {
      file_path: `${WD}/notes.txt`,
      old_string: "old text",
      new_string: "new text",
    });
    const afterEdit = [...afterRead, toolCall("t2", "Edit", {}), toolResult("t2", "The file has been updated successfully.")];
    expect(expectText(demoReply(request(afterEdit)))).toBe(`Done: in ${WD}/notes.txt I replaced "old text" with "new text".`);
  });

  it("stops and reports when a tool returns an error", () => {
    const prompt = "edit missing.txt: replace a with b";
    const failed = turn(prompt, toolCall("t1", "Read", {}), toolResult("t1", "<tool_use_error>File does not exist.</tool_use_error>", true));
    const text = expectText(demoReply(request(failed)));
    expect(text).toBe("The Read tool returned an error, so I stopped there: File does not exist.");
  });

  it("answers anything else with a text that quotes the prompt and lists what it can do", () => {
    const text = expectText(demoReply(request(turn("tell me a joke"))));
    expect(text).toBe(chatAnswer("tell me a joke"));
    expect(text).toContain('You said: "tell me a joke"');
    expect(text).toContain("create a file named");
    expect(text).toContain("run `");
    expect(text).toContain("edit ");
    expect(text).toContain("list files");
  });

  it("handles a follow-up prompt in the same conversation as a new task", () => {
    const firstTurn = turn(
      "create a file named a.txt containing 1",
      toolCall("t1", "Write", {}),
      toolResult("t1", "File created successfully"),
      { role: "assistant", content: [{ type: "text", text: "Done." }] },
    );
    const followUp = [...firstTurn, { role: "user", content: [{ type: "text", text: "run `cat a.txt`" }] }];
    expectToolUse(demoReply(request(followUp)), "Bash", { command: "cat a.txt", description: "Run the command the user asked for" });
    const followUpDone = [...followUp, toolCall("t2", "Bash", {}), toolResult("t2", "1")];
    expect(expectText(demoReply(request(followUpDone)))).toContain("Done: I ran `cat a.txt`");
  });

  it("summarises tool calls it did not plan (e.g. scripted earlier in the turn)", () => {
    const text = expectText(demoReply(request(turn("hello", toolCall("t1", "Glob", {}), toolResult("t1", "ok")))));
    expect(text).toBe("Done: Glob finished.");
  });

  it("does not call a tool the session does not offer", () => {
    const req = request(turn("create a file named a.txt containing x"), { tools: [] });
    expect(expectText(demoReply(req))).toContain("does not offer it");
  });
});

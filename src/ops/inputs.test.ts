// Input reading by the operations' one schema: the aliases, the lenient forms, and the sentence
// for every kind of bad value (the same ones the gateway e2e tables check on the three surfaces).
import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import { parseFgInput, parseLaunchInput, parseListInput, parseNoInput, parseOutputInput, parsePermitInput, parseRespondInput, parseResumeInput, parseSessionRef } from "./inputs.ts";
import { LAUNCH_PARAMS, OUTPUT_PARAMS, PERMIT_PARAMS, READER_KEYWORDS, toolParameters } from "./schemas.ts";

describe("session parameter aliases", () => {
  it("accepts id (the community plugin's RPC name) wherever session is taken", () => {
    expect(parseSessionRef({ id: "k3m9x2ab" }, "kill")).toEqual({ session: "k3m9x2ab" });
    expect(parseOutputInput({ id: "fix-it", lines: 5 })).toMatchObject({ session: "fix-it", lines: 5 });
    expect(parseRespondInput({ id: "fix-it", message: "go" })).toMatchObject({ session: "fix-it", message: "go" });
  });

  it("accepts two names of one parameter when they agree, and refuses them when they differ", () => {
    expect(parseSessionRef({ session: "a", id: "a" }, "kill")).toEqual({ session: "a" });
    expect(() => parseSessionRef({ session: "a", id: "b" }, "kill")).toThrow('kill: "session" and "id" are two names of one parameter and give different values ("a", "b"); give one of them');
  });
});

describe("reading by the schema", () => {
  it("fills the schema's defaults and takes the forms chat commands send", () => {
    expect(parseOutputInput({ session: "s" })).toEqual({ session: "s", lines: 50, full: false, since: undefined, limit: 200 });
    expect(parseListInput(undefined)).toEqual({ status: "all", resumable: false, limit: 50, offset: 0 });
    expect(parseResumeInput({ session: "s" })).toEqual({ session: "s", prompt: "Continue where you left off.", fork: false });
    expect(parseFgInput({ session: " s ", lines: "12" })).toEqual({ session: "s", lines: 12 });
    const launch = parseLaunchInput({ prompt: "  go  ", cwd: "/srv", budget: "2.5", multiTurnDisabled: "true", allowed_tools: "Read, Grep", name: "   " });
    expect(launch).toMatchObject({ prompt: "go", workdir: "/srv", maxBudgetUsd: 2.5, multiTurnDisabled: true, allowedTools: ["Read", "Grep"], name: undefined, worktree: undefined });
    // Answers are free text: one string is one answer, commas and all.
    expect(parsePermitInput({ request: "r1", decision: "answer", answers: "yes, both" }).answers).toEqual(["yes, both"]);
  });

  const refusals: Array<[string, () => unknown, string]> = [
    ["no prompt", () => parseLaunchInput({}), 'launch: "prompt" is required (what Claude Code should do)'],
    ["blank prompt", () => parseLaunchInput({ prompt: "  \n " }), 'launch: "prompt" is empty: give what Claude Code should do'],
    ["a number for the prompt", () => parseLaunchInput({ prompt: 42 }), 'launch: "prompt" must be a string, got number 42'],
    ["an oversized prompt", () => parseLaunchInput({ prompt: "x".repeat(100_001) }), 'launch: "prompt" is 100001 characters long; the limit is 100000'],
    ["a list for parameters", () => parseLaunchInput(["go"]), "launch: parameters must be an object, got a list"],
    ["words for the budget", () => parseLaunchInput({ prompt: "p", max_budget_usd: "lots" }), 'launch: "max_budget_usd" must be a number, got "lots"'],
    ["a zero budget", () => parseLaunchInput({ prompt: "p", max_budget_usd: 0 }), 'launch: "max_budget_usd" must be between 0.01 and 10000, got 0'],
    ["an object for the name", () => parseLaunchInput({ prompt: "p", name: { a: 1 } }), 'launch: "name" must be a string, got an object'],
    ["an unknown mode", () => parseLaunchInput({ prompt: "p", permission_mode: "yolo" }), 'launch: "permission_mode" must be one of default, plan, acceptEdits, bypassPermissions, got "yolo"'],
    [
      "an unknown parameter",
      () => parseLaunchInput({ prompt: "p", colour: "red" }),
      'launch: unknown parameter "colour"; accepted: prompt, name, workdir, model, max_budget_usd, system_prompt, allowed_tools, resume_session_id, fork_session, multi_turn_disabled, permission_mode, worktree, node',
    ],
    ["a relative workdir", () => parseLaunchInput({ prompt: "p", workdir: "./src" }), 'launch: "workdir" must be an absolute path, got "./src"; give the full path (or one starting with ~/)'],
    ["numbers in allowed_tools", () => parseLaunchInput({ prompt: "p", allowed_tools: [1] }), 'launch: "allowed_tools[0]" must be a non-empty string'],
    ["a blank tool", () => parseLaunchInput({ prompt: "p", allowed_tools: ["Read", " "] }), 'launch: "allowed_tools[1]" must be a non-empty string'],
    ["a tool rule too long", () => parseLaunchInput({ prompt: "p", allowed_tools: ["x".repeat(501)] }), 'launch: "allowed_tools[0]" is too long (limit 500)'],
    ["too many tools", () => parseLaunchInput({ prompt: "p", allowed_tools: Array.from({ length: 201 }, () => "Read") }), 'launch: "allowed_tools" has 201 items; the limit is 200'],
    ["an object for allowed_tools", () => parseLaunchInput({ prompt: "p", allowed_tools: { a: 1 } }), 'launch: "allowed_tools" must be a list of strings, got an object'],
    ["maybe for a boolean", () => parseLaunchInput({ prompt: "p", multi_turn_disabled: "maybe" }), 'launch: "multi_turn_disabled" must be true or false, got "maybe"'],
    ["fork without resume", () => parseLaunchInput({ prompt: "p", fork_session: true }), "launch: fork_session needs resume_session_id (the session to fork)"],
    ["an empty session", () => parseSessionRef({ session: "" }, "kill"), 'kill: "session" is empty: give a session id, name or Claude session UUID'],
    ["an oversized session", () => parseSessionRef({ session: "s".repeat(201) }, "kill"), 'kill: "session" is 201 characters long; the limit is 200'],
    ["zero lines", () => parseOutputInput({ session: "s", lines: 0 }), 'output: "lines" must be between 1 and 5000, got 0'],
    ["a fraction of a line", () => parseOutputInput({ session: "s", lines: 2.5 }), 'output: "lines" must be a whole number, got 2.5'],
    ["words for lines", () => parseOutputInput({ session: "s", lines: "many" }), 'output: "lines" must be a number, got "many"'],
    ["negative catch-up lines", () => parseFgInput({ session: "s", lines: "-3" }), 'fg: "lines" must be between 1 and 500, got -3'],
    ["an unknown status", () => parseListInput({ status: "zombie" }), 'sessions: "status" must be one of all, queued, running, waiting, completed, failed, killed, interrupted, got "zombie"'],
    ["a negative offset", () => parseListInput({ offset: -1 }), 'sessions: "offset" must be between 0 and 10000000, got -1'],
    ["a parameter where none is taken", () => parseNoInput({ verbose: true }, "stats"), 'stats: unknown parameter "verbose"; accepted: none'],
    ["no decision", () => parsePermitInput({ request: "r1" }), 'permit: "decision" is required: one of allow, allow_session, deny, answer'],
    ["an answer without answers", () => parsePermitInput({ request: "r1", decision: "answer" }), 'permit: a question needs "answers": one per question (an option number or label, or your own words)'],
  ];

  it.each(refusals)("refuses %s with the sentence that says what to fix", (_name, read, message) => {
    expect(read).toThrow(message);
    try {
      read();
    } catch (err) {
      expect((err as { code?: string }).code).toBe("INVALID_ARGUMENT");
      expect((err as Error).message).toBe(message);
    }
  });
});

describe("the schema the model sees", () => {
  it("is the reading schema without our keywords and bounds, with the same parameters, defaults and choices", () => {
    for (const schema of [LAUNCH_PARAMS, OUTPUT_PARAMS, PERMIT_PARAMS]) {
      const published = toolParameters(schema) as { properties: Record<string, Record<string, unknown>>; required?: string[] };
      expect(Object.keys(published.properties)).toEqual(Object.keys(schema.properties));
      expect(published.required ?? []).toEqual(schema.required ?? []);
      const text = JSON.stringify(published);
      for (const keyword of [...READER_KEYWORDS, "maxLength", "minimum", "maximum", "maxItems"]) expect(text).not.toContain(`"${keyword}"`);
    }
    const output = toolParameters(OUTPUT_PARAMS) as { properties: Record<string, Record<string, unknown>> };
    expect(output.properties.lines).toMatchObject({ type: "integer", default: 50 });
    const launch = toolParameters(LAUNCH_PARAMS) as { properties: Record<string, Record<string, unknown>> };
    expect(launch.properties.permission_mode).toMatchObject({ enum: ["default", "plan", "acceptEdits", "bypassPermissions"] });
  });

  it("lets an out-of-range value through the host's check, so the operation answers it in a sentence", () => {
    const published = toolParameters(OUTPUT_PARAMS);
    expect(Value.Check(published, { session: "s", lines: 0 })).toBe(true);
    expect(Value.Check(published, { session: 5 })).toBe(false);
  });
});

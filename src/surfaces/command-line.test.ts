// The chat command reader: flags as before, and the text after them exactly as typed.
import { describe, expect, it } from "vitest";
import { readCommandLine, splitArgs, type FlagSpec } from "./command-line.ts";

const LAUNCH: FlagSpec = { values: { "--name": "name", "--system": "system_prompt" }, booleans: { "--once": "multi_turn_disabled" } };
const USAGE = "/claude [--name N] [--once] <prompt>";

function text(args: string, spec: FlagSpec = LAUNCH): string {
  return readCommandLine(args, spec, USAGE).text;
}

describe("readCommandLine", () => {
  it("keeps double and single quotes of the prompt", () => {
    expect(text(`run node -e "console.log(1+1)" and report`)).toBe(`run node -e "console.log(1+1)" and report`);
    expect(text(`fix the "login" bug, it's 'urgent'`)).toBe(`fix the "login" bug, it's 'urgent'`);
  });

  it("keeps backslashes", () => {
    const prompt = String.raw`grep -E "a\|b" C:\temp\x and printf 'tab\there\n'`;
    expect(text(prompt)).toBe(prompt);
    expect(text(`--once ${prompt}`)).toBe(prompt);
  });

  it("keeps a multi-line prompt with a fenced block, indentation, runs of spaces and emoji", () => {
    const prompt = [
      "Fix this function 🐛:",
      "",
      "```ts",
      "function add(a: number, b: number) {",
      '    return a  -  b; // "wrong"',
      "}",
      "```",
      "  - keep the   spacing",
      "\t- and tabs",
    ].join("\n");
    const line = readCommandLine(`--name "my task" --once ${prompt}`, LAUNCH, USAGE);
    expect(line.params).toEqual({ name: "my task", multi_turn_disabled: true });
    expect(line.text).toBe(prompt);
  });

  it("reads quoted flag values, --flag=value and --flag=\"value\"", () => {
    expect(readCommandLine(`--name 'my task' go`, LAUNCH, USAGE).params).toEqual({ name: "my task" });
    expect(readCommandLine(`--name="my \\"big\\" task" go`, LAUNCH, USAGE)).toMatchObject({ params: { name: 'my "big" task' }, text: "go" });
    expect(readCommandLine(`--name=api --system "be terse" go on`, LAUNCH, USAGE)).toMatchObject({ params: { name: "api", system_prompt: "be terse" }, text: "go on" });
  });

  it("passes a prompt that starts with -- after --, with flags inside it untouched", () => {
    const line = readCommandLine(`--once -- --name is a flag; explain "--once"\n  too`, LAUNCH, USAGE);
    expect(line).toMatchObject({ params: { multi_turn_disabled: true }, text: `--name is a flag; explain "--once"\n  too`, afterDashDash: true });
    expect(text("-- -- twice")).toBe("-- twice");
  });

  it("starts the text at the first word that is not a flag, quoted or not", () => {
    expect(text(`"--name" is what I mean`)).toBe(`"--name" is what I mean`);
    expect(text(`-x is not a flag`)).toBe(`-x is not a flag`);
  });

  it("refuses a flag after the text, an unknown flag, a missing value and an unclosed quote, saying what to do", () => {
    expect(() => text("fix it --name api")).toThrow(/flags go before the text: --name came after it \(put -- before a text that contains it\)/);
    expect(() => text("--nmae api fix")).toThrow(/unknown flag --nmae \(known: --name, --system, --once\)\. Usage: \/claude/);
    expect(() => text("--name")).toThrow(/--name needs a value/);
    expect(() => text("--once=yes go")).toThrow(/--once takes no value/);
    expect(() => text(`--name "my task go`)).toThrow(/a double quote is not closed/);
  });

  it("reads leading words (a session) before the verbatim text, and flags allowed after them", () => {
    const respond = readCommandLine(`--interrupt my-task  now run "npm test"\nand tell me`, { booleans: { "--interrupt": "interrupt" } }, USAGE, { words: 1 });
    expect(respond).toMatchObject({ params: { interrupt: true }, words: ["my-task"], text: `now run "npm test"\nand tell me` });
    const stop: FlagSpec = { booleans: { "--stop": "stop" } };
    expect(readCommandLine(`r7k2m --stop use the "helper"`, stop, USAGE, { words: 1, afterWords: stop })).toMatchObject({ params: { stop: true }, words: ["r7k2m"], text: `use the "helper"` });
    expect(readCommandLine(`r7k2m`, stop, USAGE, { words: 1, afterWords: stop })).toMatchObject({ params: {}, words: ["r7k2m"], text: "" });
    expect(readCommandLine(`"my task" go`, {}, USAGE, { words: 1 })).toMatchObject({ words: ["my task"], text: "go" });
  });
});

describe("splitArgs", () => {
  it("splits at spaces and keeps quoted words together", () => {
    expect(splitArgs(`a  b 'c d' "e \\"f\\""`)).toEqual(["a", "b", "c d", 'e "f"']);
    expect(splitArgs("   ")).toEqual([]);
  });
});

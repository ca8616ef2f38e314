// The built-in deterministic "model": turns a few fixed phrases into real Claude Code tool calls.
import { isAbsolute, join } from "node:path";
import {
  contentBlocks,
  flattenText,
  isCompactionPrompt,
  promptMessageIndex,
  userTexts,
  type ApiMessage,
  type ReceivedRequest,
  type ToolResultInfo,
} from "./request.ts";
import type { ScriptedReply } from "./script.ts";

/** A task the demo recognised in a prompt. */
export type DemoTask =
  | { kind: "write"; file: string; content: string }
  | { kind: "bash"; command: string }
  | { kind: "list" }
  | { kind: "edit"; file: string; search: string; replace: string }
  | { kind: "chat" };

/** One tool call the demo plans to make. */
export interface PlannedCall {
  name: string;
  input: Record<string, unknown>;
  /** Short text streamed before the call. */
  preface: string;
}

/** A tool call already made in the current turn, with its result once it came back. */
export interface TurnStep {
  id: string;
  name: string;
  input: unknown;
  result: ToolResultInfo | undefined;
}

/** Content written by "create X" when the prompt gives none. */
export const DEFAULT_FILE_CONTENT = "Created by the offline demo model.\n";

const QUOTES: Readonly<Record<string, string>> = { '"': '"', "'": "'", "`": "`", "\u201c": "\u201d", "\u2018": "\u2019" };

/** Removes one pair of surrounding quotes; an unquoted value loses trailing sentence punctuation. */
export function unquote(value: string, stripPunctuation = true): string {
  const trimmed = value.trim();
  const first = trimmed[0];
  const close = first === undefined ? undefined : QUOTES[first];
  if (close !== undefined && trimmed.length >= 2 && trimmed.endsWith(close)) return trimmed.slice(1, -1);
  return stripPunctuation ? trimmed.replace(/[.,;!?]+$/, "") : trimmed;
}

/** Reads one value at the start of `text`: a quoted string, or a run of non-space characters. */
function readToken(text: string): { value: string; rest: string; quoted: boolean } | undefined {
  const s = text.trimStart();
  const first = s[0];
  if (first === undefined) return undefined;
  const close = QUOTES[first];
  if (close !== undefined) {
    const end = s.indexOf(close, 1);
    if (end > 0) return { value: s.slice(1, end), rest: s.slice(end + 1), quoted: true };
  }
  const match = /^\S+/.exec(s);
  if (match === null) return undefined;
  return { value: match[0].replace(/[.,;:!?]+$/, ""), rest: s.slice(match[0].length), quoted: false };
}

function looksLikeFileName(name: string): boolean {
  return /^[\w~./-]+$/.test(name) && /[./]/.test(name) && !/^\.+$/.test(name);
}

interface Found {
  at: number;
  task: DemoTask;
}

function findWrite(prompt: string): Found | undefined {
  const create = /\bcreate\s+(?:a\s+|an\s+|the\s+)?(?:new\s+)?(?:(?:text\s+)?(file)\s+)?(?:(?:named|called)\s+)?/i.exec(
    prompt,
  );
  if (create !== null) {
    const token = readToken(prompt.slice(create.index + create[0].length));
    const saidFile = create[1] !== undefined;
    if (token !== undefined && token.value !== "" && (saidFile || token.quoted || looksLikeFileName(token.value))) {
      const content =
        /^\s*,?\s*(?:containing|that\s+contains|which\s+contains|with(?:\s+the)?\s+(?:content|contents|text)|with)\s*:?\s*([\s\S]+)$/i.exec(
          token.rest,
        );
      const value = content?.[1];
      return {
        at: create.index,
        task: { kind: "write", file: token.value, content: value === undefined ? DEFAULT_FILE_CONTENT : unquote(value) },
      };
    }
  }
  const write =
    /\bwrite\s+([\s\S]+?)\s+(?:to|into)\s+(?:(?:a|the)\s+)?(?:(?:new\s+)?file\s+)?(?:(?:named|called)\s+)?(\S+?)[.!]?\s*$/i.exec(
      prompt,
    );
  if (write !== null && write[1] !== undefined && write[2] !== undefined) {
    return { at: write.index, task: { kind: "write", file: unquote(write[2]), content: unquote(write[1]) } };
  }
  return undefined;
}

function findBash(prompt: string): Found | undefined {
  const backticks = /\b(?:run|execute)\s+(?:the\s+)?(?:(?:shell|bash)\s+)?(?:command\s*:?\s*)?`([^`]+)`/i.exec(prompt);
  if (backticks?.[1] !== undefined) return { at: backticks.index, task: { kind: "bash", command: backticks[1].trim() } };
  const named = /\b(?:run|execute)\s+(?:the\s+)?(?:(?:shell|bash)\s+)?command\s*:?\s*([\s\S]+)$/i.exec(prompt);
  if (named?.[1] !== undefined) {
    return { at: named.index, task: { kind: "bash", command: unquote(named[1], false) } };
  }
  const colon = /\b(?:run|execute)\s*:\s*([\s\S]+)$/i.exec(prompt);
  if (colon?.[1] !== undefined) return { at: colon.index, task: { kind: "bash", command: unquote(colon[1], false) } };
  return undefined;
}

function findEdit(prompt: string): Found | undefined {
  const edit = /\bedit\s+/i.exec(prompt);
  if (edit !== null) {
    const file = readToken(prompt.slice(edit.index + edit[0].length));
    const rest = file === undefined ? undefined : /^\s*:?\s*,?\s*replace\s+([\s\S]+?)\s+with\s+([\s\S]+)$/i.exec(file.rest);
    if (file !== undefined && rest?.[1] !== undefined && rest[2] !== undefined) {
      return {
        at: edit.index,
        task: { kind: "edit", file: file.value, search: unquote(rest[1], false), replace: unquote(rest[2]) },
      };
    }
  }
  const replace = /\breplace\s+([\s\S]+?)\s+with\s+([\s\S]+?)\s+in\s+(\S+?)[.!]?\s*$/i.exec(prompt);
  if (replace?.[1] !== undefined && replace[2] !== undefined && replace[3] !== undefined) {
    return {
      at: replace.index,
      task: { kind: "edit", file: unquote(replace[3]), search: unquote(replace[1], false), replace: unquote(replace[2], false) },
    };
  }
  return undefined;
}

function findList(prompt: string): Found | undefined {
  const list = /\b(?:list\s+(?:all\s+|the\s+)*(?:files|directory|dir)\b|show\s+(?:me\s+)?(?:the\s+)?files\b)|^\s*ls\s*$/i.exec(prompt);
  return list === null ? undefined : { at: list.index, task: { kind: "list" } };
}

/** Recognises the demo's phrases; when several appear, the one that starts first wins. */
export function parseDemoTask(prompt: string): DemoTask {
  const found = [findEdit(prompt), findBash(prompt), findWrite(prompt), findList(prompt)]
    .filter((f): f is Found => f !== undefined)
    .sort((a, b) => a.at - b.at);
  return found[0]?.task ?? { kind: "chat" };
}

/** An absolute path for `file` under `workdir` (unchanged when already absolute or no workdir is known). */
export function resolveInWorkdir(file: string, workdir: string | undefined): string {
  if (isAbsolute(file) || workdir === undefined) return file;
  return join(workdir, file);
}

/** The tool calls that carry out a task, in order (Edit needs a Read of the same file first). */
export function planTask(task: DemoTask, workdir: string | undefined): PlannedCall[] {
  switch (task.kind) {
    case "write": {
      const file_path = resolveInWorkdir(task.file, workdir);
      return [{ name: "Write", input: { file_path, content: task.content }, preface: `I'll create ${task.file}.` }];
    }
    case "bash":
      return [
        {
          name: "Bash",
          input: { command: task.command, description: "Run the command the user asked for" },
          preface: "I'll run that command.",
        },
      ];
    case "list":
      return [
        {
          name: "Bash",
          input: { command: "ls", description: "List files in the working directory" },
          preface: "I'll list the files in the working directory.",
        },
      ];
    case "edit": {
      const file_path = resolveInWorkdir(task.file, workdir);
      return [
        { name: "Read", input: { file_path }, preface: `I'll read ${task.file} first.` },
        {
          name: "Edit",
          input: { file_path, old_string: task.search, new_string: task.replace },
          preface: `Now I'll make the replacement in ${task.file}.`,
        },
      ];
    }
    case "chat":
      return [];
  }
}

/** The tool calls made since the current turn's prompt, paired with their results. */
export function turnSteps(messages: readonly ApiMessage[]): TurnStep[] {
  const steps: TurnStep[] = [];
  const start = promptMessageIndex(messages);
  for (let i = start + 1; i < messages.length; i++) {
    const message = messages[i];
    if (message === undefined) continue;
    for (const block of contentBlocks(message)) {
      if (message.role === "assistant" && block.type === "tool_use") {
        steps.push({ id: block.id ?? "", name: block.name ?? "", input: block.input, result: undefined });
      } else if (message.role === "user" && block.type === "tool_result") {
        const step = steps.find((s) => s.id === block.tool_use_id);
        if (step !== undefined) {
          step.result = { tool_use_id: step.id, content: flattenText(block.content), is_error: block.is_error === true };
        }
      }
    }
  }
  return steps;
}

function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max).join("")}…`;
}

function firstLines(text: string, maxChars = 400): string {
  return clip(text.replace(/<\/?tool_use_error>/g, "").trim(), maxChars);
}

function fenced(output: string): string {
  const body = clip(output.trimEnd(), 2000);
  return body === "" ? "(no output)" : "```\n" + body + "\n```";
}

/** The final report of a turn once every planned call has a result. */
export function summarize(task: DemoTask, steps: readonly TurnStep[], workdir: string | undefined): string {
  const failed = steps.find((s) => s.result?.is_error === true);
  if (failed !== undefined) {
    return `The ${failed.name} tool returned an error, so I stopped there: ${firstLines(failed.result?.content ?? "")}`;
  }
  const last = steps.at(-1);
  switch (task.kind) {
    case "write":
      return `Done: I created the file ${resolveInWorkdir(task.file, workdir)} containing "${clip(task.content, 300)}".`;
    case "bash":
      return `Done: I ran \`${task.command}\`. Output:\n${fenced(last?.result?.content ?? "")}`;
    case "list":
      return `Done: files in ${workdir ?? "the working directory"}:\n${fenced(last?.result?.content ?? "")}`;
    case "edit":
      return `Done: in ${resolveInWorkdir(task.file, workdir)} I replaced "${clip(task.search, 200)}" with "${clip(task.replace, 200)}".`;
    case "chat":
      return `Done: ${steps.map((s) => s.name).join(", ")} finished.`;
  }
}

/** The demo's answer to a prompt it does not recognise: it quotes the prompt and lists what it can do. */
export function chatAnswer(prompt: string | undefined): string {
  const said = prompt === undefined ? "I received no prompt." : `You said: "${clip(prompt.trim(), 200)}".`;
  return [
    `This is the offline demo model, not a real Claude. ${said}`,
    "I only understand a few fixed requests, for example:",
    '- create a file named notes.txt containing hello (or: write hello to notes.txt)',
    "- run `ls -la` (or: run the command ls -la)",
    "- edit notes.txt: replace hello with goodbye",
    "- list files",
  ].join("\n");
}

/** The demo's reply to a conversation request: the next planned tool call, or the final text. */
export function demoReply(request: ReceivedRequest): ScriptedReply {
  const prompt = request.lastUserText;
  const task = prompt === undefined ? ({ kind: "chat" } as const) : parseDemoTask(prompt);
  const plan = planTask(task, request.workdir);
  const steps = turnSteps(request.messages);
  if (steps.some((s) => s.result?.is_error === true)) {
    return { type: "text", text: summarize(task, steps, request.workdir) };
  }
  const onPlan = steps.every((s, i) => plan[i]?.name === s.name);
  const next = onPlan ? plan[steps.length] : undefined;
  if (next !== undefined) {
    if (!request.toolNames.includes(next.name)) {
      return {
        type: "text",
        text: `I would use the ${next.name} tool for this, but this session does not offer it, so I did nothing.`,
      };
    }
    return { type: "tool_use", name: next.name, input: next.input, text: next.preface };
  }
  if (steps.length === 0) return { type: "text", text: chatAnswer(prompt) };
  return { type: "text", text: summarize(onPlan ? task : { kind: "chat" }, steps, request.workdir) };
}

/** Every prompt the user typed in a conversation, oldest first (reminders and compaction instructions left out). */
export function userPrompts(messages: readonly ApiMessage[]): string[] {
  const prompts: string[] = [];
  for (const message of messages) {
    if (message.role !== "user") continue;
    for (const text of userTexts(message)) if (!isCompactionPrompt(text)) prompts.push(text);
  }
  return prompts;
}

/** A deterministic compaction answer in the `<analysis>` / `<summary>` shape Claude Code asks for. */
export function compactionSummary(messages: readonly ApiMessage[]): string {
  const prompts = userPrompts(messages);
  const listed = prompts.length === 0 ? "- (none)" : prompts.map((p) => `- ${clip(p.trim().replace(/\s+/g, " "), 200)}`).join("\n");
  return [
    "<analysis>",
    "Offline demo model: the summary lists the user's requests verbatim; nothing else is kept.",
    "</analysis>",
    "<summary>",
    "1. Primary Request and Intent: the user's requests so far were:",
    listed,
    "2. Pending Tasks: none known to the offline demo model.",
    "</summary>",
  ].join("\n");
}

/** A deterministic session title: the first words of the `<session>` text Claude Code asks to name. */
export function sessionTitle(prompt: string | undefined): string {
  const inner = /<session>\s*([\s\S]*?)\s*<\/session>/.exec(prompt ?? "")?.[1] ?? "";
  const words = (inner.split("\n")[0] ?? "").split(/\s+/).map((w) => w.replace(/^[^\w./-]+|[^\w./-]+$/g, "")).filter((w) => w !== "");
  const title = words.slice(0, 5).join(" ");
  return title === "" ? "Offline demo session" : title.charAt(0).toUpperCase() + title.slice(1);
}

/**
 * A minimal value that satisfies a JSON schema: each required (or listed) property filled in, strings
 * from `strings` by property name (else "offline"), numbers 0, booleans false, arrays empty, enums
 * and consts their first value.
 */
export function sampleFromSchema(schema: unknown, strings: Readonly<Record<string, string>> = {}, name = ""): unknown {
  if (typeof schema !== "object" || schema === null) return null;
  const s = schema as Record<string, unknown>;
  if ("const" in s) return s["const"];
  if (Array.isArray(s["enum"]) && s["enum"].length > 0) return s["enum"][0];
  const type = Array.isArray(s["type"]) ? s["type"][0] : s["type"];
  switch (type) {
    case "object": {
      const properties = typeof s["properties"] === "object" && s["properties"] !== null ? (s["properties"] as Record<string, unknown>) : {};
      const value: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(properties)) value[key] = sampleFromSchema(sub, strings, key);
      return value;
    }
    case "array":
      return [];
    case "string":
      return strings[name] ?? "offline";
    case "number":
    case "integer":
      return 0;
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return strings[name] ?? "offline";
  }
}

/**
 * The reply to a request that is not part of the conversation loop: a compaction summary, "OK" to a
 * tiny probe, a title (as JSON when the request asks for structured output), or a short text.
 */
export function auxiliaryReply(request: ReceivedRequest): ScriptedReply {
  if (request.kind === "compaction") return { type: "text", text: compactionSummary(request.messages) };
  if (request.maxTokens !== undefined && request.maxTokens <= 16) return { type: "text", text: "OK" };
  const asksTitle = /\btitle\b/i.test(`${request.system}\n${request.lastUserText ?? ""}`);
  const title = sessionTitle(request.lastUserText);
  if (request.outputSchema !== undefined) {
    const strings: Record<string, string> = asksTitle ? { title } : {};
    return { type: "text", text: JSON.stringify(sampleFromSchema(request.outputSchema, strings)) };
  }
  if (asksTitle) return { type: "text", text: title };
  return { type: "text", text: "Offline demo model: this side request has no real answer offline." };
}

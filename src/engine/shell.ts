// What a Bash command really runs: every simple command in it (through pipes, lists, subshells,
// functions, loops, substitutions, wrappers such as `timeout` and the scripts of `bash -c`), and
// the constructs that make it unsafe to approve by rule. The parser (unbash) loads on first use.
import { createRequire } from "node:module";
import path from "node:path";
import type * as Unbash from "unbash";

type Node = Unbash.SyntaxNode;

export interface ShellAnalysis {
  /**
   * Every simple command found, in source order, nested ones included: its words after quote
   * removal joined by single spaces ("FOO=1 npm test -- a b"), what rule patterns are matched against.
   */
  commands: string[];
  /** Why no allow rule may approve the command (empty: rules decide). */
  hazards: string[];
  /** Parts deny rules cannot see into (a command name computed at run time, an `eval` of a variable…). */
  hidden: string[];
}

/**
 * Commands that run another command (given as words, a string, or input): an allow rule never
 * approves them, and deny rules look at the command they run.
 */
const RUNNERS = new Set([
  "eval", "source", ".", "exec", "command", "builtin", "xargs", "env", "sudo", "doas", "su", "nice", "nohup", "timeout",
  "time", "stdbuf", "setsid", "ionice", "chrt", "taskset", "unbuffer", "watch", "flock", "chroot", "runuser", "parallel",
  "bash", "sh", "zsh", "dash", "ksh", "mksh", "fish", "csh", "tcsh", "busybox",
]);
/** Runners whose string argument is shell code: deny rules parse it too. */
const SCRIPT_RUNNERS = new Set(["eval", "bash", "sh", "zsh", "dash", "ksh", "mksh", "su", "busybox"]);
/** `find` options that run a command per file. */
const FIND_EXEC = new Set(["-exec", "-execdir", "-ok", "-okdir"]);
/** Redirection targets that are never files in the workdir but are harmless. */
const HARMLESS_TARGETS = new Set(["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"]);

const MAX_DEPTH = 4;

let parser: typeof Unbash | undefined;

/** The parser, loaded on first use: nothing heavy runs when the plugin is imported. */
function load(): typeof Unbash {
  parser ??= createRequire(import.meta.url)("unbash") as typeof Unbash;
  return parser;
}

/**
 * Analyses a Bash command. `workdir` is where relative redirections land; a redirection outside
 * it is a hazard. Never throws: an unparseable command is a hazard (and hidden from deny rules).
 */
export function analyzeShell(command: string, workdir: string): ShellAnalysis {
  const out: ShellAnalysis = { commands: [], hazards: [], hidden: [] };
  const ctx: Walk = { out, workdir, changesDir: /\b(cd|pushd|popd)\b/.test(command), depth: 0 };
  try {
    walkScript(load().parse(command), ctx);
  } catch (err) {
    note(out, `the command could not be parsed (${err instanceof Error ? err.message : String(err)})`, true);
  }
  return out;
}

interface Walk {
  out: ShellAnalysis;
  workdir: string;
  /** A `cd` anywhere makes a relative redirection's directory unknowable. */
  changesDir: boolean;
  depth: number;
}

function note(out: ShellAnalysis, hazard: string, hidden = false): void {
  if (!out.hazards.includes(hazard)) out.hazards.push(hazard);
  if (hidden && !out.hidden.includes(hazard)) out.hidden.push(hazard);
}

function walkScript(script: Unbash.ParsedScript, ctx: Walk): void {
  for (const e of script.errors ?? []) note(ctx.out, `the command could not be parsed (${e.message})`, true);
  eachChild(script, ctx);
}

function eachChild(node: Node, ctx: Walk): void {
  load().forEachChild(node, (c) => walk(c, ctx));
}

function walk(node: Node, ctx: Walk): void {
  switch (node.type) {
    case "Command":
      simpleCommand(node, ctx);
      return;
    case "CommandExpansion":
    case "ArithmeticCommandExpansion":
      note(ctx.out, `command substitution ${clip(node.text)}`);
      if (node.script) walkScript(node.script, ctx);
      return;
    case "ProcessSubstitution":
      note(ctx.out, `process substitution ${clip(node.text)}`);
      if (node.script) walkScript(node.script, ctx);
      return;
    case "Coproc":
      note(ctx.out, "a coprocess (coproc)");
      break;
    case "Redirect":
      redirect(node, ctx);
      return;
    case "Word":
      // Only a `$`, a backquote or `<(`/`>(` can start a substitution: skip resolving plain words' parts.
      if (!/[$`<>]/.test(node.text)) return;
      break;
    default:
      break;
  }
  eachChild(node, ctx);
}

function simpleCommand(cmd: Unbash.Command, ctx: Walk): void {
  const words: string[] = [];
  for (const p of cmd.prefix) if (p.type === "Assignment") words.push(p.text);
  if (cmd.name) words.push(cmd.name.value);
  const args = cmd.args.map((a) => (a.type === "Word" ? a.value : a.text));
  words.push(...args);
  if (words.length > 0) ctx.out.commands.push(words.join(" "));
  // Substitutions and redirections inside the words and assignments.
  eachChild(cmd, ctx);
  if (!cmd.name) return;
  if (!isLiteral(cmd.name)) {
    note(ctx.out, `a command name computed at run time (${clip(cmd.name.text)})`, true);
    return;
  }
  const name = path.basename(cmd.name.value);
  if (RUNNERS.has(name)) {
    note(ctx.out, `${name} runs another command`);
    runsAnother(name, cmd.args, ctx);
  } else if (name === "find" && args.some((a) => FIND_EXEC.has(a))) {
    note(ctx.out, "find -exec runs another command");
    runsAnother(name, cmd.args, ctx);
  }
}

/** What a runner runs, for the deny rules: every tail of its words, and the scripts it is given. */
function runsAnother(name: string, args: readonly Unbash.CommandArgument[], ctx: Walk): void {
  const words = args.map((a) => (a.type === "Word" ? a.value : a.text));
  for (let i = 0; i < words.length; i++) ctx.out.commands.push(words.slice(i).join(" "));
  if (!SCRIPT_RUNNERS.has(name)) return;
  for (const a of args) {
    if (a.type !== "Word" || a.value.startsWith("-")) continue;
    if (!isLiteral(a)) {
      note(ctx.out, `${name} runs code computed at run time (${clip(a.text)})`, true);
      continue;
    }
    if (ctx.depth >= MAX_DEPTH) {
      note(ctx.out, `${name} nests scripts too deeply to check`, true);
      continue;
    }
    const inner: Walk = { ...ctx, depth: ctx.depth + 1 };
    try {
      walkScript(load().parse(a.value), inner);
    } catch {
      note(ctx.out, `${name} runs a script that could not be parsed`, true);
    }
  }
}

/** A word with no expansion of any kind: its value is exactly what runs. */
function isLiteral(word: Unbash.Word): boolean {
  if (!/[$`*?[{~\\'"]/.test(word.text)) return true; // plain characters only: nothing to expand
  return (word.parts ?? []).every(
    (p) => p.type === "Literal" || p.type === "SingleQuoted" || p.type === "AnsiCQuoted" || (p.type === "DoubleQuoted" && p.parts.every((c) => c.type === "Literal")),
  );
}

function redirect(r: Unbash.Redirect, ctx: Walk): void {
  const target = r.target;
  if (!target) return;
  eachChild(target, ctx);
  // Duplicating a descriptor (2>&1, >&-) touches no file.
  if ((r.operator === ">&" || r.operator === "<&") && /^(\d+|-)$/.test(target.value)) return;
  if (!isLiteral(target)) {
    note(ctx.out, `a redirection to a path computed at run time (${clip(target.text)})`);
    return;
  }
  const value = target.value;
  if (HARMLESS_TARGETS.has(value)) return;
  if (!path.isAbsolute(value) && ctx.changesDir) {
    note(ctx.out, `a redirection (${r.operator} ${clip(value)}) after a change of directory`);
    return;
  }
  const resolved = path.resolve(ctx.workdir, value);
  const rel = path.relative(ctx.workdir, resolved);
  if (rel.startsWith("..") || path.isAbsolute(rel) || value.startsWith("~")) {
    note(ctx.out, `a redirection outside the workdir (${r.operator} ${clip(value)})`);
  }
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}

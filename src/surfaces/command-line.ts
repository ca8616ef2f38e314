// Reading a chat command's text: leading flags (values may be quoted), a few leading words (a
// session, a request id), then the free text, which is passed on exactly as the user typed it.
import { invalid } from "../engine/index.ts";

export interface FlagSpec {
  /** flag → parameter name; value flags take the next word (or `--flag=value`). */
  values?: Record<string, string>;
  booleans?: Record<string, string>;
}

export interface CommandLine {
  params: Record<string, unknown>;
  /** The leading words asked for (`words` of `readCommandLine`), unquoted. */
  words: string[];
  /** Everything after the flags and words, byte for byte ("" when nothing follows). */
  text: string;
  /** The text came after `--`: it may start with or contain `--` freely. */
  afterDashDash: boolean;
}

interface Token {
  value: string;
  /** Where the token starts and ends in the text. */
  start: number;
  end: number;
  quoted: boolean;
}

const SPACE = /\s/;

function skipSpace(text: string, at: number): number {
  while (at < text.length && SPACE.test(text[at]!)) at++;
  return at;
}

/** One word at `at` (after any spaces): a "double" (with \" escapes) or 'single' quoted string, or a run of non-spaces. */
function readToken(text: string, from: number, usage: string): Token | undefined {
  const start = skipSpace(text, from);
  if (start >= text.length) return undefined;
  const q = text[start]!;
  if (q === '"' || q === "'") {
    let value = "";
    for (let i = start + 1; i < text.length; i++) {
      const c = text[i]!;
      if (c === q) return { value, start, end: i + 1, quoted: true };
      if (c === "\\" && q === '"' && i + 1 < text.length) value += text[++i]!;
      else value += c;
    }
    throw invalid(`a ${q === '"' ? "double" : "single"} quote is not closed. Usage: ${usage}`);
  }
  let end = start;
  while (end < text.length && !SPACE.test(text[end]!)) end++;
  return { value: text.slice(start, end), start, end, quoted: false };
}

/** Splits "a b 'c d' \"e\"" into words, honouring quotes (for commands that take no free text). */
export function splitArgs(text: string, usage = "see the command's help"): string[] {
  const out: string[] = [];
  for (let t = readToken(text, 0, usage); t; t = readToken(text, t.end, usage)) out.push(t.value);
  return out;
}

function knownFlags(spec: FlagSpec): string[] {
  return [...Object.keys(spec.values ?? {}), ...Object.keys(spec.booleans ?? {})];
}

/** Reads flags from `at` into `params` until the first word that is not one; `--` ends them. */
function readFlags(args: string, at: number, spec: FlagSpec, usage: string, params: Record<string, unknown>): { at: number; dashDash: boolean } {
  const known = knownFlags(spec);
  for (;;) {
    const t = readToken(args, at, usage);
    if (!t || t.quoted || !t.value.startsWith("--")) return { at, dashDash: false };
    at = t.end;
    if (t.value === "--") return { at, dashDash: true };
    const eq = t.value.indexOf("=");
    const flag = eq >= 0 ? t.value.slice(0, eq) : t.value;
    const valueKey = spec.values?.[flag];
    const boolKey = spec.booleans?.[flag];
    if (valueKey) {
      let value: string | undefined;
      // --name="my task": the value starts right after "=" and may be quoted.
      const next = eq >= 0 ? readToken(args, t.start + eq + 1, usage) : readToken(args, at, usage);
      if (next && (eq < 0 || next.start === t.start + eq + 1)) {
        value = next.value;
        at = next.end;
      }
      if (value === undefined || value === "") throw invalid(`${flag} needs a value. Usage: ${usage}`);
      params[valueKey] = value;
    } else if (boolKey && eq < 0) {
      params[boolKey] = true;
    } else if (boolKey) {
      throw invalid(`${flag} takes no value. Usage: ${usage}`);
    } else {
      throw invalid(`unknown flag ${flag}${known.length ? ` (known: ${known.join(", ")})` : ""}. Usage: ${usage}`);
    }
  }
}

export interface ReadOptions {
  /** How many words to read after the flags (a session, a request id). */
  words?: number;
  /** Flags also accepted right after those words ("/claude_deny r7k2m --stop", as a button sends it). */
  afterWords?: FlagSpec;
}

/**
 * Reads leading flags, then `words` leading words, then returns the rest verbatim. Flags must come
 * before the text: a known flag among the text's words is an error, not silently part of the prompt
 * (put `--` before a text that starts with or contains one; after `--` nothing is read as a flag).
 */
export function readCommandLine(args: string, spec: FlagSpec, usage: string, options: ReadOptions = {}): CommandLine {
  const params: Record<string, unknown> = {};
  let { at, dashDash } = readFlags(args, 0, spec, usage, params);
  const leading: string[] = [];
  for (let i = 0; i < (options.words ?? 0); i++) {
    const t = readToken(args, at, usage);
    if (!t) break;
    leading.push(t.value);
    at = t.end;
  }
  if (options.afterWords && !dashDash && leading.length > 0) ({ at, dashDash } = readFlags(args, at, options.afterWords, usage, params));
  const text = args.slice(skipSpace(args, at));
  if (!dashDash) {
    const known = [...knownFlags(spec), ...knownFlags(options.afterWords ?? {})];
    const misplaced = text.split(/\s+/).find((w) => known.includes(w.split("=")[0]!));
    if (misplaced) throw invalid(`flags go before the text: ${misplaced.split("=")[0]} came after it (put -- before a text that contains it). Usage: ${usage}`);
  }
  return { params, words: leading, text, afterDashDash: dashDash };
}

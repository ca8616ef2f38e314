// The operator's permission rules (`Bash(npm test:*)`, `Write(*.md)`, `WebFetch`): parsing, and a
// policy that decides a tool call before anyone is asked. Bash rules match the simple commands
// of a parsed command, not its text; file rules match a path, its workdir-relative form or its base name.
import path from "node:path";
import { analyzeShell, type ShellAnalysis } from "./shell.ts";

export type PolicyDecision = "allow" | "deny" | "ask";

export interface PolicyVerdict {
  decision: PolicyDecision;
  /** The rule that decided, when one did. */
  rule: string | undefined;
  /** Why: for a deny, what Claude is told; for an ask despite allow rules, why they could not apply. */
  reason: string | undefined;
}

export interface PolicyContext {
  /** The session's workdir: relative paths and redirections are judged against it. */
  workdir: string;
}

/** A rule like `Bash(npm test*)`, `Bash(npm test:*)`, `Write(*.md)`, `WebFetch` (every call of the tool). */
export interface PermissionRule {
  text: string;
  tool: string;
  /** The pattern as written, trimmed; undefined matches every call. */
  pattern: string | undefined;
  /** A glob over the call's main argument (a simple command, a path, a url…). */
  regex: RegExp | undefined;
  /** The literal text before the pattern's first wildcard: the policy's index key. */
  literalPrefix: string;
}

/** The config's rules. */
export interface PolicyRules {
  allow: readonly PermissionRule[];
  deny: readonly PermissionRule[];
  ask: readonly PermissionRule[];
}

/** The operator's rules, applied before anyone is asked. */
export interface PermissionPolicy {
  /** Deny rules win over ask rules, which win over allow rules; no match means ask. */
  evaluate(tool: string, input: Record<string, unknown>, context: PolicyContext): PolicyVerdict;
  /** The deny rules alone (the check that runs before every tool call, in every mode). */
  denies(tool: string, input: Record<string, unknown>, context: PolicyContext): PolicyVerdict | undefined;
  /** Tools denied as a whole (`WebFetch`): Claude Code is started without them. */
  readonly deniedTools: readonly string[];
  /** Whether the allow rules already allow everything `rule` would (an agent's allowed_tools entry). */
  allowsRule(rule: PermissionRule): boolean;
  /** True when there is at least one deny rule. */
  readonly hasDenyRules: boolean;
}

const RULE_SHAPE = /^([A-Za-z][A-Za-z0-9_.:-]*)(?:\((.*)\))?$/s;
const SHELL_TOOL = "Bash";
/** Input keys that hold a path: only these are matched by base name and workdir-relative form. */
const PATH_KEYS = ["file_path", "notebook_path", "path"];
const SUBJECT_KEYS = ["command", ...PATH_KEYS, "url", "pattern", "query"];

/** Parses a rule; throws an Error saying what is wrong. */
export function parseRule(text: string): PermissionRule {
  const trimmed = text.trim();
  const m = RULE_SHAPE.exec(trimmed);
  if (!m) throw new Error(`"${text}" is not a rule; write Tool or Tool(pattern), e.g. "Bash(npm test:*)" or "Write(*.md)"`);
  const tool = m[1]!;
  const inner = m[2]?.trim();
  if (inner === undefined) return { text: trimmed, tool, pattern: undefined, regex: undefined, literalPrefix: "" };
  if (inner === "") throw new Error(`"${text}" has an empty pattern; write ${tool} alone to match every call`);
  let glob = inner;
  if (inner.endsWith(":*")) {
    if (tool !== SHELL_TOOL) throw new Error(`"${text}": the ":*" prefix form is for Bash rules; write ${tool}(${inner.slice(0, -2)}*)`);
    glob = inner.slice(0, -2);
    if (!glob.trim() || /[*?]/.test(glob)) throw new Error(`"${text}": write a command before ":*", e.g. Bash(npm test:*)`);
  }
  if (tool === SHELL_TOOL && /&&|\|\||[;|&]/.test(glob)) {
    throw new Error(`"${text}": a Bash rule matches one simple command at a time; write one rule per command (no ;, &&, || or |)`);
  }
  const source = inner.endsWith(":*") ? `${globSource(glob)}(?: .*)?` : globSource(glob);
  return { text: trimmed, tool, pattern: inner, regex: new RegExp(`^${source}$`, "s"), literalPrefix: literalPrefixOf(glob) };
}

/** `*` matches anything (spaces and slashes too), `?` one character; the rest is literal. */
function globSource(glob: string): string {
  let source = "";
  for (const ch of glob) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
  }
  return source;
}

function literalPrefixOf(glob: string): string {
  const i = glob.search(/[*?]/);
  return i < 0 ? glob : glob.slice(0, i);
}

/** The argument a rule's pattern is matched against, and whether it is a path. */
function subjectOf(tool: string, input: Record<string, unknown>): { text: string; isPath: boolean } {
  for (const key of SUBJECT_KEYS) {
    const v = input[key];
    if (typeof v === "string") return { text: v, isPath: PATH_KEYS.includes(key) };
  }
  return { text: tool === "ExitPlanMode" ? "plan" : "", isPath: false };
}

/**
 * Rules of one tool and one list, indexed by the first word of their literal prefix, so a command
 * is tested against the few rules that could match it rather than all of them.
 */
class RuleIndex {
  private readonly wholeTool: PermissionRule | undefined;
  /** Rules whose literal prefix holds a space: keyed by its first word. */
  private readonly byFirstWord = new Map<string, PermissionRule[]>();
  /** Rules whose literal prefix is part of a first word ("ls" of "ls*", "" of "*.md"): keyed by it. */
  private readonly byPartialWord = new Map<string, PermissionRule[]>();
  private readonly prefixLengths: number[];

  constructor(rules: readonly PermissionRule[]) {
    this.wholeTool = rules.find((r) => r.regex === undefined);
    const lengths = new Set<number>();
    for (const r of rules) {
      if (!r.regex) continue;
      const space = r.literalPrefix.indexOf(" ");
      if (space >= 0) push(this.byFirstWord, r.literalPrefix.slice(0, space), r);
      else {
        push(this.byPartialWord, r.literalPrefix, r);
        lengths.add(r.literalPrefix.length);
      }
    }
    this.prefixLengths = [...lengths].sort((a, b) => a - b);
  }

  /** The first rule matching any of the texts. */
  match(texts: readonly string[]): PermissionRule | undefined {
    if (this.wholeTool) return this.wholeTool;
    for (const text of texts) {
      const hit = this.matchOne(text);
      if (hit) return hit;
    }
    return undefined;
  }

  matchOne(text: string): PermissionRule | undefined {
    if (this.wholeTool) return this.wholeTool;
    const space = text.indexOf(" ");
    const first = space < 0 ? text : text.slice(0, space);
    for (const r of this.byFirstWord.get(first) ?? []) if (r.regex!.test(text)) return r;
    for (const n of this.prefixLengths) {
      if (n > first.length && n > text.length) break;
      for (const r of this.byPartialWord.get(text.slice(0, n)) ?? []) if (r.regex!.test(text)) return r;
    }
    return undefined;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

type ListName = "deny" | "ask" | "allow";

/** The rule-based policy. Bash commands are parsed once per call (the parser loads on first use). */
export function createPolicy(rules: PolicyRules): PermissionPolicy {
  const indexes = new Map<string, Record<ListName, RuleIndex>>();
  for (const tool of new Set([...rules.allow, ...rules.deny, ...rules.ask].map((r) => r.tool))) {
    const of = (list: readonly PermissionRule[]) => new RuleIndex(list.filter((r) => r.tool === tool));
    indexes.set(tool, { deny: of(rules.deny), ask: of(rules.ask), allow: of(rules.allow) });
  }
  const deniedTools = [...new Set(rules.deny.filter((r) => r.regex === undefined).map((r) => r.tool))];
  const hasShellDenyPatterns = rules.deny.some((r) => r.tool === SHELL_TOOL && r.regex !== undefined);

  /** The texts a file rule may match: the path, its workdir-relative form, its base name. */
  const fileTexts = (subject: string, context: PolicyContext): string[] => {
    const texts = [subject];
    if (path.isAbsolute(subject)) {
      const rel = path.relative(context.workdir, subject);
      if (rel && !rel.startsWith("..") && !path.isAbsolute(rel)) texts.push(rel);
    }
    if (subject.includes("/")) texts.push(subject.slice(subject.lastIndexOf("/") + 1));
    return texts;
  };

  const shell = (input: Record<string, unknown>, context: PolicyContext): ShellAnalysis | undefined => {
    const command = input.command;
    return typeof command === "string" ? analyzeShell(command, context.workdir) : undefined;
  };

  const denyVerdict = (tool: string, input: Record<string, unknown>, context: PolicyContext, analysis: () => ShellAnalysis | undefined): PolicyVerdict | undefined => {
    const index = indexes.get(tool)?.deny;
    if (!index) return undefined;
    const subject = subjectOf(tool, input);
    if (tool !== SHELL_TOOL) {
      const hit = index.match(subject.isPath ? fileTexts(subject.text, context) : [subject.text]);
      return hit ? { decision: "deny", rule: hit.text, reason: undefined } : undefined;
    }
    const a = analysis();
    // Any part that matches blocks the whole command.
    const hit = index.match(a ? [subject.text, ...a.commands] : [subject.text]);
    if (hit) return { decision: "deny", rule: hit.text, reason: undefined };
    if (a && hasShellDenyPatterns && a.hidden.length > 0) {
      // The deny rules cannot see what this runs, so they cannot vouch for it: fail closed.
      return { decision: "deny", rule: undefined, reason: `the operator's deny rules cannot check this command: ${a.hidden.join("; ")}` };
    }
    return undefined;
  };

  return {
    deniedTools,
    hasDenyRules: rules.deny.length > 0,
    denies(tool, input, context) {
      let cached: ShellAnalysis | undefined;
      return denyVerdict(tool, input, context, () => (cached ??= shell(input, context)));
    },
    evaluate(tool, input, context) {
      let cached: ShellAnalysis | undefined;
      const analysis = () => (cached ??= shell(input, context));
      const denied = denyVerdict(tool, input, context, analysis);
      if (denied) return denied;
      const lists = indexes.get(tool);
      if (!lists) return { decision: "ask", rule: undefined, reason: undefined };
      const subject = subjectOf(tool, input);
      if (tool !== SHELL_TOOL) {
        const texts = subject.isPath ? fileTexts(subject.text, context) : [subject.text];
        const asked = lists.ask.match(texts);
        if (asked) return { decision: "ask", rule: asked.text, reason: undefined };
        const allowed = lists.allow.match(texts);
        return allowed ? { decision: "allow", rule: allowed.text, reason: undefined } : { decision: "ask", rule: undefined, reason: undefined };
      }
      const a = analysis();
      if (!a) return { decision: "ask", rule: undefined, reason: undefined };
      const asked = lists.ask.match(a.commands);
      if (asked) return { decision: "ask", rule: asked.text, reason: undefined };
      if (a.hazards.length > 0) return { decision: "ask", rule: undefined, reason: `no rule approves ${a.hazards.join("; ")}` };
      if (a.commands.length === 0) return { decision: "ask", rule: undefined, reason: undefined };
      // Every simple command must be approved by some allow rule.
      const used: string[] = [];
      for (const command of a.commands) {
        const hit = lists.allow.matchOne(command);
        if (!hit) return { decision: "ask", rule: undefined, reason: undefined };
        if (!used.includes(hit.text)) used.push(hit.text);
      }
      return { decision: "allow", rule: used.join(", "), reason: undefined };
    },
    allowsRule(rule) {
      const allow = rules.allow.filter((r) => r.tool === rule.tool);
      return allow.some((r) => r.pattern === undefined || (rule.pattern !== undefined && normalize(r.pattern) === normalize(rule.pattern)));
    },
  };
}

function normalize(pattern: string): string {
  return pattern.replace(/\s+/g, " ").trim();
}

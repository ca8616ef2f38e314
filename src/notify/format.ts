// Small text helpers for notices: money, durations, one-line previews, output lines. Pure functions.
import type { OutputEntry } from "../engine/index.ts";

export function usd(value: number): string {
  if (value === 0) return "$0.00";
  return value < 0.01 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** The first line of a text, cut to `max` characters. */
export function firstLine(text: string, max = 120): string {
  const line = text.trim().split("\n").find((l) => l.trim()) ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line.trim();
}

/**
 * The end of a text (the most recent output), cut to `max` characters at a line break if
 * possible. A cut inside a code block reopens the fence so the preview still renders.
 */
export function preview(text: string, max = 400): string {
  const t = text.trim();
  if (t.length <= max) return t;
  const cut = t.slice(t.length - max);
  const nl = cut.indexOf("\n");
  const tail = nl >= 0 && nl < max / 2 ? cut.slice(nl + 1) : cut;
  const fences = (tail.match(/^\s*```/gm) ?? []).length;
  return fences % 2 === 1 ? `…\n\`\`\`\n${tail}` : `…${tail}`;
}

/** One line of a session's output, as chats show it: "🔧 Bash — npm test", "🔐 …", plain text. */
export function entryLine(e: OutputEntry): string {
  switch (e.kind) {
    case "tool_use":
      return `🔧 ${e.text}`;
    case "tool_error":
      return `⚠️ ${e.text}`;
    case "followup":
      return `↩️ ${e.text}`;
    case "result":
      return `✔ ${e.text}`;
    case "permission":
      return `🔐 ${e.text}`;
    case "text":
      return e.text;
    default: {
      const never: never = e.kind;
      return String(never);
    }
  }
}

const ZWSP = "\u200b";

/**
 * Text that came from the model (or was relayed by an agent), made inert for a chat: mentions do
 * not ping (`@everyone`, `@here`, `@name`, `<@123>`, `<!channel>`), links do not hide or open
 * their target (a markdown link shows its address; addresses are not auto-linked), and markup
 * that could hide or restyle text (spoilers, HTML-like tags, headings, quotes) shows as written.
 * A zero-width space breaks each construct while the text reads the same.
 */
export function neutralise(text: string): string {
  return (
    text
      // [label](url) → label (url): the target is visible, and is then defanged below.
      .replace(/\[([^\]\n]{0,300})\]\(\s*([^)\s]{1,2000})\s*\)/g, "$1 ($2)")
      // <https://…> autolinks lose their brackets; other <…> that a platform parses (mentions,
      // channel links, tags) get a break after "<".
      .replace(/<((?:https?|ftp|mailto):[^>\s]*)>/gi, "$1")
      .replace(/<(?=[@#!/a-zA-Z])/g, `<${ZWSP}`)
      // @everyone, @here, @user (not e-mail addresses: the @ must start a word).
      .replace(/(^|[^\w.+-])@(?=\w)/g, `$1@${ZWSP}`)
      // scheme:// and www. are what auto-linkers look for.
      .replace(/\b([a-z][a-z0-9+.-]{1,15}):\/\//gi, `$1:/${ZWSP}/`)
      .replace(/\bwww\./gi, `www${ZWSP}.`)
      // Spoilers (||…||) and line-leading headings / quotes.
      .replace(/\|\|/g, `|${ZWSP}|`)
      .replace(/^([ \t]*)([#>])/gm, `$1${ZWSP}$2`)
  );
}

/** Where a session works: its workdir, and the paired node when it runs on one. */
export function placeText(s: { workdir: string; node?: { name: string } | undefined; queue?: { nodes?: Array<{ name: string }> | undefined } | undefined }): string {
  if (s.node) return `${s.workdir} on node ${s.node.name}`;
  // Queued for node "auto": it runs on whichever of these frees a slot first.
  const nodes = s.queue?.nodes;
  return nodes?.length ? `${s.workdir} on node ${nodes.map((n) => n.name).join(" or ")}` : s.workdir;
}

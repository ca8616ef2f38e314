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

/** Where a session works: its workdir, and the paired node when it runs on one. */
export function placeText(s: { workdir: string; node?: { name: string } | undefined }): string {
  return s.node ? `${s.workdir} on node ${s.node.name}` : s.workdir;
}

// One-line summaries of Claude Code tool calls, e.g. "Bash — npm test", for output logs and live indicators.

const MAX_SUMMARY = 120;

function str(input: Record<string, unknown>, key: string): string | undefined {
  const v = input[key];
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_SUMMARY ? `${flat.slice(0, MAX_SUMMARY - 1)}…` : flat;
}

/** The most telling argument of a tool call, on one line. */
export function summarizeToolInput(tool: string, input: unknown): string {
  const args = typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {};
  const detail =
    str(args, "command") ??
    str(args, "file_path") ??
    str(args, "notebook_path") ??
    str(args, "pattern") ??
    str(args, "url") ??
    str(args, "query") ??
    str(args, "description") ??
    str(args, "prompt") ??
    "";
  return detail ? `${tool} — ${oneLine(detail)}` : tool;
}

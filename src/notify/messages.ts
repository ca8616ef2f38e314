// Session events → the notice texts people see, one function per row of the notification table.
import { reasonText, type EndReason, type SessionSnapshot } from "../engine/index.ts";
import type { Owner } from "../ops/types.ts";
import { duration, firstLine, preview, usd } from "./format.ts";

type Snap = SessionSnapshot<Owner>;

export function launchedNotice(s: Snap): string {
  const resumed = s.resumedFrom ? ` (${s.resumedFrom.fork ? "fork" : "resume"} of ${s.resumedFrom.sessionId ?? s.resumedFrom.claudeSessionId})` : "";
  return `↩️ Claude Code session ${s.name} [${s.id}] launched${resumed}: ${firstLine(s.prompt)}`;
}

export function waitingNotice(s: Snap, lastText: string, interrupted: boolean): string {
  const head = interrupted ? `🔔 ${s.name} [${s.id}]: turn interrupted, waiting for input` : `🔔 ${s.name} [${s.id}] is waiting for input`;
  const body = lastText.trim() ? `\n${preview(lastText)}` : "";
  return `${head}${body}\nReply: /claude_respond ${s.name} <message>`;
}

export function respondedNotice(s: Snap, message: string, by: string | undefined): string {
  return `↩️ ${s.name} [${s.id}]${by ? ` (${by})` : ""} ← ${firstLine(message, 300)}`;
}

export function longRunningNotice(s: Snap): string {
  return `⏱️ ${s.name} [${s.id}] is still running after ${duration(s.durationMs)} (${usd(s.costUsd)} so far). Watch: /claude_fg ${s.name} · stop: /claude_kill ${s.name}`;
}

export function endedNotice(s: Snap, reason: EndReason): string {
  const id = `${s.name} [${s.id}]`;
  switch (reason.kind) {
    case "done": {
      const result = s.lastResult?.trim() ? `\n${preview(s.lastResult)}` : "";
      return `✅ ${id} completed in ${s.workdir} · ${usd(s.costUsd)} · ${duration(s.durationMs)}${result}`;
    }
    case "idle":
      return `💤 ${id} stopped after ${duration(reason.idleMs)} idle · ${usd(s.costUsd)}. Resume: /claude_resume ${s.name} <message>`;
    case "budget":
    case "max_turns":
    case "api_error":
    case "error":
      return `❌ ${id} failed: ${failureText(reason)} · ${usd(s.costUsd)} spent`;
    case "killed":
      return `⛔ ${id} killed by ${reason.by} · ${usd(s.costUsd)}`;
    case "gateway_restart":
      return `⏸️ ${id} was interrupted by a gateway restart. Resume: /claude_resume ${s.name} <message>`;
    default: {
      const never: never = reason;
      return String(never);
    }
  }
}

function failureText(reason: EndReason): string {
  switch (reason.kind) {
    case "budget":
      return reason.limitUsd !== undefined ? `budget of ${usd(reason.limitUsd)} exhausted` : "budget exhausted";
    case "max_turns":
      return "maximum number of turns reached";
    default:
      return reasonText(reason);
  }
}

/** What the woken agent reads: what happened and which tool to call next. */
export function wakeText(s: Snap, event: { kind: "waiting"; lastText: string; autoRespondsLeft: number } | { kind: "ended"; reason: EndReason }): string {
  const id = `"${s.name}" (id ${s.id})`;
  if (event.kind === "waiting") {
    const last = event.lastText.trim() ? ` Its last output:\n${preview(event.lastText, 1500)}\n` : " ";
    return (
      `[claude-code] Claude Code session ${id} finished a turn and is waiting for input.${last}` +
      `Next: if this is routine and within the user's autonomy rules, answer with claude_respond {"session": "${s.id}", "message": "…"} ` +
      `(${event.autoRespondsLeft} automatic replies left before you must ask the user); otherwise forward the question to the user. ` +
      `Read more with claude_output {"session": "${s.id}"}.`
    );
  }
  const outcome = reasonText(event.reason);
  const result = s.lastResult?.trim() ? ` Result:\n${preview(s.lastResult, 1500)}\n` : " ";
  return (
    `[claude-code] Claude Code session ${id} ended: ${outcome}, cost ${usd(s.costUsd)}, ${duration(s.durationMs)}.${result}` +
    `Next: report the outcome and the cost to the user. To continue the work later use claude_launch with resume_session_id "${s.id}".`
  );
}

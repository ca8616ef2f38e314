// Rendering of operation results, shared by tools, chat commands and RPC: a structured JSON view
// of sessions and the human text ("display") the three surfaces show.
import { outcomeText, reasonText, type OutputEntry, type PermissionRecord, type PermissionRequest, type StatsSnapshot } from "../engine/index.ts";
import { launchedNotice } from "../notify/messages.ts";
import { duration, entryLine, placeText, usd } from "../notify/format.ts";
import type { NodeStatus } from "../nodes/directory.ts";
import type { BgResult, FgResult, KillResult, LaunchResult, ListResult, NodesResult, OutputResult, PermitResult, RespondResult, Snapshot, TranscriptResult } from "../ops/operations.ts";
import { worktreeJson, worktreeLaunchText, worktreeSuffix } from "./worktree-present.ts";

/**
 * The JSON shape of a session in tool details and RPC payloads: every field the community plugin's
 * RPC gave a session (id, name, status, prompt, workdir, model, costUsd, startedAt, completedAt,
 * durationMs, claudeSessionId, foreground, multiTurn, display) and ours beside them.
 */
export interface SessionJson {
  id: string;
  name: string;
  status: string;
  /** The same as `status`, under the name the first version of this plugin used. */
  state: string;
  reason: string | undefined;
  workdir: string;
  /** The paired node the session runs on; absent: the gateway's machine. */
  node: { id: string; name: string } | undefined;
  model: string | undefined;
  permissionMode: string;
  maxBudgetUsd: number | undefined;
  multiTurn: boolean;
  costUsd: number;
  turns: number;
  claudeSessionId: string | undefined;
  resumedFrom: Snapshot["resumedFrom"];
  agentId: string | undefined;
  prompt: string;
  /** Epoch milliseconds. */
  startedAt: number;
  /** Epoch milliseconds; absent while the session is live. */
  completedAt: number | undefined;
  createdAt: string;
  endedAt: string | undefined;
  durationMs: number;
  lastSeq: number;
  /** Whether some conversation watches it live (claude_fg). */
  foreground: boolean;
  /** While waiting: "input" (the next message) or "permission" (an answer to a request). */
  waitingFor: "input" | "permission" | undefined;
  /** Requests Claude Code is blocked on. */
  pending: PermissionRequest[];
  /** While queued: its place in the launch queue (1 starts next), and the nodes whose slots it waits for. */
  queue: { position: number; total: number; nodes?: Array<{ id: string; name: string }> | undefined } | undefined;
  /** One line: name [id] status · workdir · cost · duration. */
  display: string;
}

export function sessionJson(s: Snapshot, foreground: boolean): SessionJson {
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    state: s.status,
    reason: s.reason ? reasonText(s.reason) : undefined,
    workdir: s.workdir,
    node: s.node ? { id: s.node.id, name: s.node.name } : undefined,
    model: s.model,
    permissionMode: s.permissionMode,
    maxBudgetUsd: s.maxBudgetUsd,
    multiTurn: s.multiTurn,
    costUsd: s.costUsd,
    turns: s.turns,
    claudeSessionId: s.claudeSessionId,
    resumedFrom: s.resumedFrom,
    agentId: s.owner.agentId,
    prompt: s.prompt.length > 500 ? `${s.prompt.slice(0, 499)}…` : s.prompt,
    startedAt: s.createdAt,
    completedAt: s.endedAt,
    createdAt: new Date(s.createdAt).toISOString(),
    endedAt: s.endedAt !== undefined ? new Date(s.endedAt).toISOString() : undefined,
    durationMs: s.durationMs,
    lastSeq: s.lastSeq,
    foreground,
    waitingFor: s.waitingFor,
    pending: s.pendingRequests ?? [],
    queue: s.queue,
    display: statusLine(s),
  };
}

export function outputJson(e: OutputEntry): { seq: number; kind: string; text: string; at: string; tool?: string } {
  return { seq: e.seq, kind: e.kind, text: e.text, at: new Date(e.at).toISOString(), ...(e.tool ? { tool: e.tool } : {}) };
}

function statusLine(s: Snapshot): string {
  const pending = s.pendingRequests?.length ? ` (permission: ${s.pendingRequests.map((r) => r.id).join(", ")})` : "";
  const queued = s.status === "queued" && s.queue ? ` #${s.queue.position} of ${s.queue.total}` : "";
  const state = s.reason ? `${s.status} (${reasonText(s.reason)})` : `${s.status}${queued}${pending}`;
  return `${s.name} [${s.id}] ${state} · ${placeText(s)} · ${usd(s.costUsd)} · ${duration(s.durationMs)}`;
}


export function launchText(r: LaunchResult): string {
  const s = r.session;
  const budget = s.maxBudgetUsd !== undefined ? `budget ${usd(s.maxBudgetUsd)}` : "no budget limit";
  const when = s.status === "queued" ? "It starts when a slot frees and runs in the background" : "It runs in the background";
  return `${launchedNotice(s)}\nWorkdir ${placeText(s)} · ${s.permissionMode} · ${budget}${s.model ? ` · ${s.model}` : ""}. ${when}; you will be told when it needs input or finishes.${worktreeLaunchText(r)}`;
}

export function respondText(r: RespondResult): string {
  return `↩️ Sent to ${r.session.name} [${r.session.id}]${r.interrupted ? " after interrupting its turn" : ""}.`;
}

export function killText(s: Snapshot): string {
  return `⛔ Killed ${s.name} [${s.id}] (${usd(s.costUsd)} spent).`;
}

export function outputText(r: OutputResult): string {
  const head = statusLine(r.session);
  if (r.source === "result") {
    const kept = r.entries.map(entryLine).join("\n");
    return `${head}\n(no transcript is kept for this session: only its final result)${kept ? `\n${kept}` : ""}`;
  }
  if (r.entries.length === 0) return `${head}\n(no output yet)`;
  const earlier = r.earlier > 0 ? `… ${r.earlier} earlier entries not shown\n` : "";
  const last = r.entries[r.entries.length - 1]?.seq ?? 0;
  const more = r.more > 0 ? `\n… ${r.more} more entries: ask for those after ${last}` : "";
  return `${head}\n${earlier}${r.entries.map(entryLine).join("\n")}${more}`;
}

/** A page of sessions, newest first; `nextPage` says how to ask for the next one on this surface. */
export function listText(r: ListResult, what = "sessions", nextPage: (offset: number) => string = (o) => `offset ${o}`): string {
  if (r.total === 0) return `No ${what}.`;
  const lines = r.sessions.map((s) => statusLine(s) + worktreeSuffix(r.worktrees?.[s.id]));
  const shown = r.offset + r.sessions.length;
  const range = r.offset > 0 || shown < r.total ? ` (${r.offset + 1}–${shown}, newest first)` : "";
  const more = r.total > shown ? `\n… ${r.total - shown} more: ${nextPage(shown)}` : "";
  const noun = r.total === 1 ? what.replace(/sessions$/, "session") : what;
  return `${r.total} ${noun}${range}:\n${lines.join("\n")}${more}`;
}

export function statsText(s: StatsSnapshot): string {
  const by = Object.entries(s.byStatus).map(([k, v]) => `${k} ${v}`).join(", ");
  const days = Object.entries(s.costByDay).sort(([a], [b]) => b.localeCompare(a)).slice(0, 7).map(([d, c]) => `${d} ${usd(c)}`).join(", ");
  return [
    `Sessions launched: ${s.launched} (live ${s.live}; ${by})`,
    `Total cost: ${usd(s.totalCostUsd)}${days ? ` (by day: ${days})` : ""}`,
    `Average duration: ${s.averageDurationMs !== undefined ? duration(s.averageDurationMs) : "n/a"}`,
    `Most expensive: ${s.mostExpensive ? `${s.mostExpensive.name} [${s.mostExpensive.id}] ${usd(s.mostExpensive.costUsd)}` : "n/a"}`,
  ].join("\n");
}

export function fgText(r: FgResult): string {
  const s = r.session;
  const parts: string[] = [];
  if (r.missed > 0) parts.push(`… ${r.missed} entries were trimmed before this chat saw them`);
  if (r.skipped > 0) parts.push(`… ${r.skipped} earlier unseen entries skipped (see /claude_output ${s.name} --full)`);
  parts.push(...r.entries.map(entryLine));
  if (r.entries.length === 0 && r.missed === 0 && r.skipped === 0) parts.push("(nothing new since this chat last looked)");
  parts.push(
    r.streaming
      ? `▶ ${s.name} [${s.id}] is in the foreground here (${s.status}); new output streams live. /claude_bg to stop.`
      : `■ ${s.name} [${s.id}] has ended (${s.status}${s.reason ? `: ${reasonText(s.reason)}` : ""}); nothing more will stream.`,
  );
  return parts.join("\n");
}

export function bgText(r: BgResult): string {
  if (r.detached.length === 0) return "No session was in the foreground here.";
  return `Moved to the background: ${r.detached.map((s) => `${s.name} [${s.id}]`).join(", ")}. You will still get notices.`;
}


export function permitText(r: PermitResult): string {
  const d = r.record;
  const note = d.outcome === "answered" ? ` (${d.note})` : d.note ? ` — Claude is told: ${d.note}` : "";
  return `🔐 ${d.requestId} (${d.summary}) of ${r.session.name} [${r.session.id}]: ${outcomeText(d.outcome)}${note}. Claude carries on.`;
}

export function pendingText(requests: ReadonlyArray<{ session: Snapshot; request: PermissionRequest }>): string {
  if (requests.length === 0) return "No permission requests are waiting.";
  return requests
    .map(({ session, request }) => `${request.id} · ${session.name} [${session.id}] · ${request.kind} · ${request.summary} · expires ${new Date(request.expiresAt).toISOString().slice(11, 16)} UTC`)
    .join("\n");
}

export function auditText(records: readonly PermissionRecord[], session: Snapshot | undefined): string {
  const head = session ? `Permission decisions of ${session.name} [${session.id}]` : "Permission decisions";
  if (records.length === 0) return `${head}: none.`;
  const lines = records.map((d) => `${new Date(d.at).toISOString().replace("T", " ").slice(0, 19)} · ${d.requestId} · ${d.summary} · ${outcomeText(d.outcome)} by ${d.by}${d.note ? ` · ${d.note}` : ""}`);
  return `${head}, newest first:\n${lines.join("\n")}`;
}

/** The JSON shape of a node in tool details and RPC payloads (camelCase, epoch-ms times). */
export function nodeJson(n: NodeStatus): Record<string, unknown> {
  return {
    id: n.id,
    name: n.name,
    platform: n.platform,
    status: n.status,
    connectedAt: n.connectedAt,
    claudeCodeVersion: n.claudeCodeVersion,
    slots: n.slots,
    freeSlots: n.freeSlots,
    allowedWorkdirs: n.allowedWorkdirs,
    sessions: n.sessions,
    problem: n.problem,
  };
}

export function nodesText(r: NodesResult): string {
  if (r.nodes.length === 0) {
    return "No paired node is connected. To run sessions on another machine, see the plugin's docs/nodes.md (openclaw node run, approve, allow its commands).";
  }
  const lines = r.nodes.map((n) => {
    if (n.status !== "ready") return `${n.name} [${n.id}] · ${n.status.replace("_", " ")}: ${n.problem ?? ""}`;
    const sessions = n.sessions.length ? ` · sessions: ${n.sessions.map((s) => `${s.name} (${s.status})`).join(", ")}` : "";
    const dirs = n.allowedWorkdirs.length ? n.allowedWorkdirs.join(", ") : "none allowed yet (nodeAllowedWorkdirs)";
    return `${n.name} [${n.id}] · ready · ${n.freeSlots ?? "?"} of ${n.slots ?? "?"} slots free · Claude Code ${n.claudeCodeVersion ?? "?"} · workdirs: ${dirs}${sessions}`;
  });
  return `${r.nodes.length === 1 ? "1 node" : `${r.nodes.length} nodes`}:\n${lines.join("\n")}\nLaunch on one: /claude --node <name> --workdir <dir> <prompt>`;
}

/** A transcript export: JSON Lines (one entry per line, epoch-ms times) or a Markdown document. */
export function transcriptText(r: TranscriptResult): string {
  if (r.format === "jsonl") {
    return r.entries.map((e) => JSON.stringify({ sessionId: r.session.id, seq: e.seq, at: e.at, kind: e.kind, ...(e.tool !== undefined ? { tool: e.tool } : {}), text: e.text })).join("\n") + (r.entries.length ? "\n" : "");
  }
  const s = r.session;
  const lines = [
    `# ${s.name} [${s.id}]`,
    "",
    `- status: ${s.status}${s.reason ? ` (${reasonText(s.reason)})` : ""}`,
    `- workdir: ${s.workdir}`,
    `- started: ${new Date(s.createdAt).toISOString()}${s.endedAt !== undefined ? `, ended: ${new Date(s.endedAt).toISOString()}` : ""}`,
    `- cost: ${usd(s.costUsd)}, turns: ${s.turns}`,
    "",
    "## Prompt",
    "",
    fence(s.prompt),
    "",
    "## Transcript",
    "",
  ];
  if (r.dropped > 0) lines.push(`_${r.dropped} earlier entries were dropped by the transcript bound._`, "");
  for (const e of r.entries) {
    const when = new Date(e.at).toISOString();
    switch (e.kind) {
      case "text":
        lines.push(`**Claude** · ${when}`, "", e.text, "");
        break;
      case "followup":
        lines.push(`**Follow-up** · ${when}`, "", e.text, "");
        break;
      case "result":
        lines.push(`**Result** · ${when}`, "", e.text, "");
        break;
      default:
        lines.push(`- ${entryLine(e).replace(/\n/g, " ")} · ${when}`, "");
    }
  }
  return lines.join("\n");
}

/** A fenced block that the text itself cannot close (a longer fence than any run of backticks in it). */
function fence(text: string): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const f = "`".repeat(longest + 1);
  return `${f}\n${text}\n${f}`;
}

// RPC payloads: a superset of the community plugin's (its flat fields first, ours beside them), so
// its scripts and dashboards keep working. See docs/rpc.md and docs/migration.md.

/** Whether a session is in some conversation's foreground (the surfaces ask the operations). */
export type ForegroundOf = (sessionId: string) => boolean;

/** A duration as the community plugin wrote it: "4m12s" (minutes, then seconds). */
export function minutesSeconds(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(total / 60)}m${total % 60}s`;
}

export function launchPayload(r: LaunchResult, foregroundOf: ForegroundOf): Record<string, unknown> {
  const s = r.session;
  return { id: s.id, name: s.name, status: s.status, workdir: s.workdir, model: s.model, session: sessionJson(s, foregroundOf(s.id)), worktree: worktreeJson(r.worktree?.record), display: launchText(r) };
}

export function respondPayload(r: RespondResult, foregroundOf: ForegroundOf): Record<string, unknown> {
  const s = r.session;
  return { id: s.id, name: s.name, status: s.status, session: sessionJson(s, foregroundOf(s.id)), interrupted: r.interrupted, display: respondText(r) };
}

export function killPayload(r: KillResult, foregroundOf: ForegroundOf): Record<string, unknown> {
  const s = r.session;
  const message = r.alreadyEnded ? `Session already ${s.status}` : `Session ${s.name} [${s.id}] terminated`;
  const display = r.alreadyEnded ? `${s.name} [${s.id}] had already ended (${s.status}${s.reason ? `: ${reasonText(s.reason)}` : ""}); nothing to kill.` : killText(s);
  return { id: s.id, name: s.name, status: s.status, message, session: sessionJson(s, foregroundOf(s.id)), display };
}

export function outputPayload(r: OutputResult, foregroundOf: ForegroundOf): Record<string, unknown> {
  const s = r.session;
  const lines = r.entries.map(entryLine);
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    costUsd: s.costUsd,
    durationMs: s.durationMs,
    duration: minutesSeconds(s.durationMs),
    lines,
    lineCount: lines.length,
    result: s.lastResult,
    session: sessionJson(s, foregroundOf(s.id)),
    entries: r.entries.map(outputJson),
    earlier: r.earlier,
    more: r.more,
    source: r.source,
    display: outputText(r),
  };
}

export function listPayload(r: ListResult, foregroundOf: ForegroundOf): Record<string, unknown> {
  return { sessions: r.sessions.map((s) => ({ ...sessionJson(s, foregroundOf(s.id)), worktree: worktreeJson(r.worktrees?.[s.id]) })), count: r.sessions.length, total: r.total, offset: r.offset, display: listText(r) };
}

export function statsPayload(stats: StatsSnapshot): Record<string, unknown> {
  return {
    totalCostUsd: stats.totalCostUsd,
    costPerDay: stats.costByDay,
    // The community plugin's "running" counted every live session; ours are also "starting" or "waiting".
    sessionsByStatus: { ...stats.byStatus, running: stats.live },
    totalLaunched: stats.launched,
    averageDurationMs: stats.averageDurationMs ?? 0,
    mostExpensive: stats.mostExpensive ?? null,
    stats,
    display: statsText(stats),
  };
}

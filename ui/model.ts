// The page's data: tolerant readers of the claude-code.* RPC payloads and pushed events, and the
// pure helpers the views use (labels, money, durations, diffs, the cost series). No DOM here.

export interface PendingQuestion {
  question: string;
  header: string;
  options: { label: string; description: string }[];
  multiSelect: boolean;
}

export interface PendingRequest {
  id: string;
  kind: "tool" | "question" | "plan";
  tool: string;
  summary: string;
  detail: string | undefined;
  questions: PendingQuestion[];
  sessionScope: string | undefined;
}

export interface Session {
  id: string;
  name: string;
  status: string;
  reason: string | undefined;
  waitingFor: "input" | "permission" | undefined;
  queuePosition: number | undefined;
  workdir: string;
  branch: string | undefined;
  model: string | undefined;
  permissionMode: string;
  agentId: string | undefined;
  turns: number;
  costUsd: number;
  startedAt: number | undefined;
  completedAt: number | undefined;
  durationMs: number;
  lastSeq: number;
  claudeSessionId: string | undefined;
  pending: PendingRequest[];
  /** Its git worktree, for a session launched with one (the session list says; events do not). */
  worktree: SessionWorktree | undefined;
}

export interface SessionWorktree {
  branch: string;
  /** active, kept, pr, merged or discarded. */
  status: string;
  ahead: number | undefined;
  dirty: boolean | undefined;
}

export interface Entry {
  seq: number;
  kind: string;
  text: string;
  at: number | undefined;
  tool: string | undefined;
}

type Raw = Record<string, unknown>;

function isRecord(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
/** Epoch ms from a number or an ISO string (older payloads send ISO strings). */
export function time(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string") {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

function readQuestion(raw: unknown): PendingQuestion | undefined {
  if (!isRecord(raw)) return undefined;
  const options = Array.isArray(raw.options)
    ? raw.options.flatMap((o) => (isRecord(o) && str(o.label) ? [{ label: String(o.label), description: str(o.description) ?? "" }] : []))
    : [];
  return { question: str(raw.question) ?? "", header: str(raw.header) ?? "", options, multiSelect: raw.multiSelect === true };
}

export function readRequest(raw: unknown): PendingRequest | undefined {
  if (!isRecord(raw) || !str(raw.id)) return undefined;
  const kind = raw.kind === "question" || raw.kind === "plan" ? raw.kind : "tool";
  const questions = Array.isArray(raw.questions) ? raw.questions.flatMap((q) => readQuestion(q) ?? []) : [];
  return {
    id: String(raw.id),
    kind,
    tool: str(raw.tool) ?? "",
    summary: str(raw.summary) ?? "",
    detail: str(raw.detail),
    questions,
    sessionScope: str(raw.sessionScope),
  };
}

/** A session from an RPC payload or an event: `status` or the older `state`, ms or ISO times. */
export function readSession(raw: unknown): Session | undefined {
  if (!isRecord(raw) || !str(raw.id)) return undefined;
  const waiting = raw.waitingFor === "input" || raw.waitingFor === "permission" ? raw.waitingFor : undefined;
  const pendingRaw = Array.isArray(raw.pending) ? raw.pending : Array.isArray(raw.pendingRequests) ? raw.pendingRequests : [];
  const worktree = isRecord(raw.worktree) ? raw.worktree : undefined;
  return {
    id: String(raw.id),
    name: str(raw.name) ?? String(raw.id),
    status: str(raw.status) ?? str(raw.state) ?? "unknown",
    reason: str(raw.reason),
    waitingFor: waiting,
    queuePosition: num(raw.queuePosition) ?? num(raw.queuedPosition),
    workdir: str(raw.workdir) ?? "",
    branch: str(raw.branch) ?? (worktree ? str(worktree.branch) : undefined),
    model: str(raw.model),
    permissionMode: str(raw.permissionMode) ?? "",
    agentId: str(raw.agentId),
    turns: num(raw.turns) ?? 0,
    costUsd: num(raw.costUsd) ?? 0,
    startedAt: time(raw.startedAt) ?? time(raw.createdAt),
    completedAt: time(raw.completedAt) ?? time(raw.endedAt),
    durationMs: num(raw.durationMs) ?? 0,
    lastSeq: num(raw.lastSeq) ?? 0,
    claudeSessionId: str(raw.claudeSessionId),
    pending: pendingRaw.flatMap((r) => readRequest(r) ?? []),
    worktree: readWorktree(worktree),
  };
}

/** A session's worktree from a payload (`claude-code.sessions`, `claude-code.finish`). */
export function readWorktree(raw: unknown): SessionWorktree | undefined {
  if (!isRecord(raw) || !str(raw.branch)) return undefined;
  return { branch: String(raw.branch), status: str(raw.status) ?? "active", ahead: num(raw.ahead), dirty: typeof raw.dirty === "boolean" ? raw.dirty : undefined };
}

/** Whether the finish actions apply: a worktree that was neither merged nor discarded. */
export function finishable(s: Session): boolean {
  return s.worktree !== undefined && s.worktree.status !== "merged" && s.worktree.status !== "discarded";
}

/** The session with this worktree (and its branch, when the session names none); unchanged without one. */
export function withWorktree(s: Session, worktree: SessionWorktree | undefined): Session {
  return worktree ? { ...s, worktree, branch: s.branch ?? worktree.branch } : s;
}

/** An event's session carries no worktree: it keeps the one the page already knew. */
export function withKnownWorktree(next: Session, known: Session | undefined): Session {
  return next.worktree ? next : withWorktree(next, known?.worktree);
}

export function readEntry(raw: unknown): Entry | undefined {
  if (!isRecord(raw) || num(raw.seq) === undefined || typeof raw.text !== "string") return undefined;
  return { seq: Number(raw.seq), kind: str(raw.kind) ?? "text", text: raw.text, at: time(raw.at), tool: str(raw.tool) };
}

/** The sessions of a `claude-code.sessions` answer. */
export function readSessionList(payload: unknown): { sessions: Session[]; total: number } {
  const p = isRecord(payload) ? payload : {};
  const list = Array.isArray(p.sessions) ? p.sessions : [];
  const sessions = list.flatMap((s) => readSession(s) ?? []);
  return { sessions, total: num(p.total) ?? num(p.count) ?? sessions.length };
}

export interface OutputPage {
  session: Session | undefined;
  entries: Entry[];
  /** Entries before the first one returned (dropped from the store when asked from the start). */
  earlier: number;
  /** Entries after the last one returned that the page size left out: ask again after its seq. */
  more: number;
  /** Where they came from: `memory`, `transcript` (the durable store) or `result` (the last result only). */
  source: string | undefined;
}

/** A `claude-code.output` answer (`entries`, or `lines` as objects). */
export function readOutput(payload: unknown): OutputPage {
  const p = isRecord(payload) ? payload : {};
  const list = Array.isArray(p.entries) ? p.entries : Array.isArray(p.lines) ? p.lines : [];
  return { session: readSession(p.session), entries: list.flatMap((e) => readEntry(e) ?? []), earlier: num(p.earlier) ?? 0, more: num(p.more) ?? 0, source: str(p.source) };
}

/** A pushed event: the session's new state and, for output, the entry. */
export function readEvent(payload: unknown): { session: Session; entry: Entry | undefined; type: string } | undefined {
  if (!isRecord(payload)) return undefined;
  const session = readSession(payload.session);
  if (!session) return undefined;
  return { session, entry: readEntry(payload.entry), type: str(payload.type) ?? "" };
}

export interface Stats {
  launched: number;
  live: number;
  totalCostUsd: number;
  byStatus: Record<string, number>;
  costByDay: Record<string, number>;
  /** Day → model → USD (older gateways send none). */
  costByDayModel: Record<string, Record<string, number>>;
  averageDurationMs: number | undefined;
  mostExpensive: { name: string; costUsd: number } | undefined;
}

function numberMap(raw: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (isRecord(raw)) for (const [k, v] of Object.entries(raw)) if (num(v) !== undefined) out[k] = Number(v);
  return out;
}

export function readStats(payload: unknown): Stats {
  const outer = isRecord(payload) ? payload : {};
  const p = isRecord(outer.stats) ? outer.stats : outer;
  const byStatus: Record<string, number> = {};
  if (isRecord(p.byStatus)) for (const [k, v] of Object.entries(p.byStatus)) if (num(v) !== undefined) byStatus[k] = Number(v);
  for (const k of ["completed", "failed", "killed", "interrupted"]) if (byStatus[k] === undefined && num(p[k]) !== undefined) byStatus[k] = Number(p[k]);
  const costByDay = numberMap(p.costByDay);
  const costByDayModel: Record<string, Record<string, number>> = {};
  if (isRecord(p.costByDayModel)) for (const [day, models] of Object.entries(p.costByDayModel)) costByDayModel[day] = numberMap(models);
  const top = isRecord(p.mostExpensive) ? p.mostExpensive : undefined;
  return {
    launched: num(p.launched) ?? 0,
    live: num(p.live) ?? 0,
    totalCostUsd: num(p.totalCostUsd) ?? 0,
    byStatus,
    costByDay,
    costByDayModel,
    averageDurationMs: num(p.averageDurationMs),
    mostExpensive: top && str(top.name) ? { name: String(top.name), costUsd: num(top.costUsd) ?? 0 } : undefined,
  };
}

export const LIVE = new Set(["starting", "running", "waiting", "queued"]);

export function isLiveStatus(status: string): boolean {
  return LIVE.has(status);
}

/** What a person reads in the status column. */
export function statusLabel(s: Session): string {
  if (s.status === "queued") return s.queuePosition !== undefined ? `queued (#${s.queuePosition})` : "queued";
  if (s.status === "waiting") return s.waitingFor === "permission" || s.pending.length > 0 ? "waiting for permission" : "waiting for input";
  if (s.reason && !isLiveStatus(s.status)) return `${s.status} (${s.reason})`;
  return s.status;
}

/** The status filter's choices; "waiting-permission" narrows waiting to blocked sessions. */
export const STATUS_FILTERS = ["all", "live", "running", "waiting", "waiting-permission", "completed", "failed", "killed", "interrupted"] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

export function matches(s: Session, filter: { status: StatusFilter; agent: string; search: string }): boolean {
  const st = filter.status;
  if (st === "live" && !isLiveStatus(s.status)) return false;
  if (st === "running" && s.status !== "running" && s.status !== "starting") return false;
  if (st === "waiting" && s.status !== "waiting") return false;
  if (st === "waiting-permission" && !(s.status === "waiting" && (s.waitingFor === "permission" || s.pending.length > 0))) return false;
  if (["completed", "failed", "killed", "interrupted"].includes(st) && s.status !== st) return false;
  if (filter.agent !== "" && (s.agentId ?? "") !== filter.agent) return false;
  const q = filter.search.trim().toLowerCase();
  return q === "" || s.name.toLowerCase().includes(q);
}

/** Live first (newest first), then the rest by start time, newest first. */
export function orderSessions(list: Iterable<Session>): Session[] {
  return [...list].sort((a, b) => {
    const la = isLiveStatus(a.status) ? 0 : 1;
    const lb = isLiveStatus(b.status) ? 0 : 1;
    if (la !== lb) return la - lb;
    return (b.startedAt ?? 0) - (a.startedAt ?? 0);
  });
}

export function usd(v: number): string {
  return v < 1 ? `$${v.toFixed(4)}` : `$${v.toFixed(2)}`;
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export type DiffLine = { kind: "add" | "del" | "hunk" | "ctx"; text: string };

/** Text that reads as a unified diff (an edit's preview) is shown as one; anything else is not. */
export function asDiff(text: string): DiffLine[] | undefined {
  const lines = text.split("\n");
  const changed = lines.filter((l) => /^[+-](?![+-]{2} )/.test(l)).length;
  if (changed === 0 || !lines.some((l) => l.startsWith("@@") || l.startsWith("+") || l.startsWith("-"))) return undefined;
  if (changed < 1 || changed / lines.length < 0.2) return undefined;
  return lines.map((l) => ({ kind: l.startsWith("@@") ? "hunk" : l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : "ctx", text: l }));
}

/** UTC days, oldest first, ending today: the chart's x axis. */
export function lastDays(now: number, count: number): string[] {
  const days: string[] = [];
  for (let i = count - 1; i >= 0; i--) days.push(new Date(now - i * 86_400_000).toISOString().slice(0, 10));
  return days;
}

export interface CostPoint {
  day: string;
  costUsd: number;
  /** The day's cost by model, largest first; what is left of `costUsd` was recorded without a model. */
  models: { model: string; costUsd: number }[];
}

/** The chart's 30 days, each with its total and its split by model. */
export function costSeries(stats: Pick<Stats, "costByDay" | "costByDayModel">, now: number, count = 30): CostPoint[] {
  return lastDays(now, count).map((day) => {
    const byModel = stats.costByDayModel[day] ?? {};
    const models = Object.entries(byModel)
      .filter(([, c]) => c > 0)
      .map(([model, costUsd]) => ({ model, costUsd }))
      .sort((a, b) => b.costUsd - a.costUsd || a.model.localeCompare(b.model));
    const split = models.reduce((a, m) => a + m.costUsd, 0);
    return { day, costUsd: Math.max(stats.costByDay[day] ?? 0, split), models };
  });
}

/** Cost per model over the chart's days, largest first (the legend and the table). */
export function modelTotals(series: readonly CostPoint[]): { model: string; costUsd: number; days: number }[] {
  const by = new Map<string, { costUsd: number; days: number }>();
  for (const p of series)
    for (const m of p.models) {
      const cur = by.get(m.model) ?? { costUsd: 0, days: 0 };
      cur.costUsd += m.costUsd;
      cur.days += 1;
      by.set(m.model, cur);
    }
  return [...by.entries()].map(([model, v]) => ({ model, ...v })).sort((a, b) => b.costUsd - a.costUsd || a.model.localeCompare(b.model));
}

/** A path under the gateway's home directory shown as `~/…` (shorter, and the same on every machine). */
export function shortPath(p: string, home: string | undefined): string {
  if (!home || home === "/") return p;
  const h = home.endsWith("/") ? home.slice(0, -1) : home;
  if (p === h) return "~";
  return p.startsWith(`${h}/`) ? `~${p.slice(h.length)}` : p;
}

/** Every path under the gateway's home inside a text (a permission's scope, a summary) as `~/…`. */
export function shortPaths(text: string, home: string | undefined): string {
  if (!home || home === "/") return text;
  const h = home.endsWith("/") ? home.slice(0, -1) : home;
  return text.split(`${h}/`).join("~/");
}

/**
 * Whether the launch form offers the worktree option: for a listed workdir, when the gateway says it
 * is in a git repository; for a typed path, always (the gateway checks it and says why not).
 */
export function offersWorktree(listed: string, typed: string, repositories: readonly string[]): boolean {
  if (typed.trim() !== "") return true;
  return listed !== "" && repositories.includes(listed);
}

export interface LaunchOptions {
  workdirs: string[];
  /** The listed workdirs inside a git repository. */
  repositories: string[];
  home: string | undefined;
  defaultModel: string | undefined;
  permissionModes: string[];
  defaultPermissionMode: string | undefined;
  defaultBudgetUsd: number | undefined;
  defaultWorktree: boolean;
}

const ALL_MODES = ["default", "plan", "acceptEdits", "bypassPermissions"];

/** A `claude-code.options` answer (older gateways send no `repositories` or `home`). */
export function readOptions(payload: unknown): LaunchOptions {
  const o = isRecord(payload) ? payload : {};
  const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((d): d is string => typeof d === "string" && d !== "") : undefined);
  return {
    workdirs: strings(o.workdirs) ?? [],
    repositories: strings(o.repositories) ?? [],
    home: str(o.home),
    defaultModel: str(o.defaultModel),
    permissionModes: strings(o.permissionModes) ?? ALL_MODES,
    defaultPermissionMode: str(o.defaultPermissionMode),
    defaultBudgetUsd: num(o.defaultBudgetUsd),
    defaultWorktree: o.defaultWorktree === true,
  };
}

/** The line above a transcript that did not come from the live buffer, or that lost its start. */
export function transcriptNote(source: string | undefined, earlier: number): string | undefined {
  const lost = earlier > 0 ? ` The first ${earlier} entr${earlier === 1 ? "y was" : "ies were"} not kept.` : "";
  if (source === "transcript") return `From the stored transcript: this session is no longer in the gateway's memory.${lost}`;
  if (source === "result") return "No transcript was kept for this session: this is its last result.";
  return lost ? lost.trim() : undefined;
}

// Every process a Claude Code session started, wherever it went: the CLI runs each Bash command in
// a new session (setsid), so background jobs leave its process group and, once their shell exits,
// its tree. What they keep is the environment, so each session's CLI gets a marker variable that
// every descendant inherits; a process is ended only if it carries a marker we gave, belongs to
// our user and started after that session did. Linux reads /proc; elsewhere `ps` is asked.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";

/** The environment variable that marks a session's processes. */
export const SESSION_MARKER_VAR = "OPENCLAW_CLAUDE_SESSION";

/**
 * Process start times are known to about a second (/proc's boot time and `ps`'s lstart both have
 * whole seconds): a process counts as started after the session if it started at most this long
 * before the session's recorded start.
 */
export const START_SLACK_MS = 2000;

/** A session's marker: its id (for people reading `ps`) and a random nonce nobody can guess. */
export function newSessionMarker(sessionId: string): string {
  return `${sessionId}.${randomBytes(12).toString("base64url")}`;
}

/** What a session's processes are recognised by, before and after a gateway restart. */
export interface ProcessTreeRef {
  marker: string;
  /** When the session's CLI was spawned (ms since the epoch); earlier processes are not its own. */
  since: number;
}

export interface ProcessInfo {
  pid: number;
  /** Process group id. */
  pgid: number;
  /** Real user id. */
  uid: number;
  /** When it started, ms since the epoch (to about a second). */
  startedAtMs: number;
  /** An exact token of this process's start, to tell it from a later process with the same pid. */
  startToken: string;
  /** The value of SESSION_MARKER_VAR in its environment, where it can be read. */
  marker: string | undefined;
}

/** A view of the machine's processes (zombies are left out: they are already gone). */
export interface ProcessTable {
  readonly source: "proc" | "ps" | "none";
  list(): Promise<ProcessInfo[]>;
}

/** Reads /proc (Linux). `root` is injectable so tests can point it elsewhere. */
export function procTable(root = "/proc"): ProcessTable {
  return {
    source: "proc",
    async list() {
      const bootMs = readBootTimeMs(root);
      const out: ProcessInfo[] = [];
      let names: string[];
      try {
        names = readdirSync(root);
      } catch {
        return out;
      }
      for (const name of names) {
        if (!/^\d+$/.test(name)) continue;
        const info = readProc(root, Number(name), bootMs);
        if (info) out.push(info);
      }
      return out;
    },
  };
}

/** Linux's USER_HZ: /proc reports start times in these ticks (100 on every mainstream architecture). */
const TICKS_PER_SECOND = 100;

function readBootTimeMs(root: string): number {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync(`${root}/stat`, "utf8"));
    return m ? Number(m[1]) * 1000 : 0;
  } catch {
    return 0;
  }
}

/** The start token /proc gives a process (field 22 of stat: clock ticks since boot), or undefined. */
export function procStartTicks(pid: number, root = "/proc"): string | undefined {
  return readStat(root, pid)?.ticks;
}

function readStat(root: string, pid: number): { state: string; pgid: number; ticks: string } | undefined {
  try {
    const stat = readFileSync(`${root}/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may contain spaces: count fields after it.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = rest[19];
    if (ticks === undefined) return undefined;
    return { state: rest[0] ?? "?", pgid: Number(rest[2]), ticks };
  } catch {
    return undefined;
  }
}

function readProc(root: string, pid: number, bootMs: number): ProcessInfo | undefined {
  const stat = readStat(root, pid);
  if (!stat || stat.state === "Z" || stat.state === "X") return undefined;
  let uid: number;
  try {
    const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`${root}/${pid}/status`, "utf8"));
    if (!m) return undefined;
    uid = Number(m[1]);
  } catch {
    return undefined;
  }
  let marker: string | undefined;
  try {
    const prefix = `${SESSION_MARKER_VAR}=`;
    for (const entry of readFileSync(`${root}/${pid}/environ`, "utf8").split("\0")) {
      if (entry.startsWith(prefix)) {
        marker = entry.slice(prefix.length);
        break;
      }
    }
  } catch {
    // another user's process (or gone): its environment is not ours to read
  }
  const ticks = Number(stat.ticks);
  return { pid, pgid: stat.pgid, uid, startedAtMs: bootMs + (ticks * 1000) / TICKS_PER_SECOND, startToken: stat.ticks, marker };
}

export interface PsTableOptions {
  /** The ps binary (default `ps` on PATH). */
  command?: string;
  /** Which ps dialect to speak: macOS/BSD (`-E` shows the environment) or procps (`e`). */
  platform?: NodeJS.Platform;
}

/** Asks `ps` for every process with its environment (macOS, BSDs; also procps for tests). */
export function psTable(options: PsTableOptions = {}): ProcessTable {
  const command = options.command ?? "ps";
  const format = "pid=,pgid=,ruid=,stat=,lstart=,command=";
  const args = (options.platform ?? process.platform) === "linux" ? ["axwwe", "-o", format] : ["-A", "-ww", "-E", "-o", format];
  return {
    source: "ps",
    list: () =>
      new Promise<ProcessInfo[]>((resolve, reject) => {
        // LC_ALL=C: lstart must be in the one format Date can parse, whatever the user's locale.
        execFile(command, args, { env: { ...process.env, LC_ALL: "C" }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
          if (err) reject(new Error(`${command} ${args.join(" ")} failed: ${err.message}`));
          else resolve(parsePsOutput(stdout));
        });
      }),
  };
}

const PS_LINE = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+\s+\S+\s+\d+\s+\d+:\d+:\d+\s+\d+)\s?(.*)$/;

/** Parses `ps -o pid=,pgid=,ruid=,stat=,lstart=,command=` output with the environment appended. */
export function parsePsOutput(stdout: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  const markerPattern = new RegExp(`(?:^|\\s)${SESSION_MARKER_VAR}=(\\S+)`, "g");
  for (const line of stdout.split("\n")) {
    const m = PS_LINE.exec(line);
    if (!m) continue;
    const [, pid, pgid, uid, state, lstart, rest] = m;
    if (state?.startsWith("Z")) continue;
    const startedAtMs = Date.parse(lstart!.replace(/\s+/g, " "));
    if (!Number.isFinite(startedAtMs)) continue;
    // The environment follows the arguments; the last occurrence is the environment's own.
    let marker: string | undefined;
    for (const found of (rest ?? "").matchAll(markerPattern)) marker = found[1];
    out.push({ pid: Number(pid), pgid: Number(pgid), uid: Number(uid), startedAtMs, startToken: `ps:${lstart!.replace(/\s+/g, " ")}`, marker });
  }
  return out;
}

const NO_TABLE: ProcessTable = { source: "none", list: async () => [] };

/** /proc where the system has it, else `ps` (macOS); nothing on Windows. */
export function systemProcessTable(): ProcessTable {
  if (existsSync("/proc/self/stat")) return procTable();
  if (process.platform === "win32") return NO_TABLE;
  return psTable();
}

/** One session's processes, as the sweep looks for them. */
export interface TreeTarget extends ProcessTreeRef {
  /** Also the members of this process group (only when its leader is known to be ours). */
  group?: number;
}

export interface SweepOptions {
  table: ProcessTable;
  /** Only processes of this real user id belong to a target (default: ours). */
  uid?: number;
  /** How long processes get after SIGTERM before SIGKILL. */
  graceMs?: number;
  /** Pids never signalled (default: this process). */
  exclude?: readonly number[];
  /** How often the table is read while waiting. */
  pollMs?: number;
}

export interface SweepReport {
  /** Every pid that was signalled. */
  ended: number[];
  /** Those that needed SIGKILL. */
  killed: number[];
  /** Still there at the end (another user's after a setuid, or a process spawning faster than we end it). */
  survivors: number[];
}

/** Whether a process belongs to one of the targets: its marker or group, our user, started after the session. */
export function belongsTo(targets: readonly TreeTarget[], uid: number): (p: ProcessInfo) => boolean {
  const byMarker = new Map(targets.map((t) => [t.marker, t]));
  return (p) => {
    if (p.uid !== uid) return false;
    const target = (p.marker !== undefined ? byMarker.get(p.marker) : undefined) ?? targets.find((t) => t.group !== undefined && t.group === p.pgid);
    return target !== undefined && p.startedAtMs >= target.since - START_SLACK_MS;
  };
}

/** Ends every process of the targets (see endProcesses). */
export function endProcessTrees(targets: readonly TreeTarget[], options: SweepOptions): Promise<SweepReport> {
  if (targets.length === 0) return Promise.resolve({ ended: [], killed: [], survivors: [] });
  return endProcesses(belongsTo(targets, options.uid ?? process.getuid?.() ?? -1), options);
}

/**
 * Ends every process `select` picks: SIGTERM, then SIGKILL for what is left after the grace.
 * The table is read again before every signal, so a pid that changed hands is never signalled,
 * and a child started meanwhile (a watcher restarting its server) is ended too.
 */
export async function endProcesses(select: (p: ProcessInfo) => boolean, options: SweepOptions): Promise<SweepReport> {
  const report: SweepReport = { ended: [], killed: [], survivors: [] };
  const exclude = options.exclude ?? [process.pid];
  const graceMs = options.graceMs ?? 3000;
  const pollMs = options.pollMs ?? 100;
  const signalled = new Map<number, string>(); // pid → start token it had when signalled
  const find = async () => (await options.table.list()).filter((p) => !exclude.includes(p.pid) && select(p));

  let found = await find();
  const deadline = Date.now() + graceMs;
  while (found.length > 0 && Date.now() < deadline) {
    for (const p of found) {
      if (signalled.get(p.pid) === p.startToken) continue;
      signalled.set(p.pid, p.startToken);
      report.ended.push(p.pid);
      send(p.pid, "SIGTERM");
    }
    await sleep(pollMs);
    found = await find();
  }
  // After the grace: SIGKILL what is left, a few rounds for children forked at the last moment.
  for (let round = 0; round < 5 && found.length > 0; round++) {
    for (const p of found) {
      if (!report.ended.includes(p.pid)) report.ended.push(p.pid);
      if (!report.killed.includes(p.pid)) report.killed.push(p.pid);
      send(p.pid, "SIGKILL");
    }
    await sleep(pollMs);
    found = await find();
  }
  report.survivors = found.map((p) => p.pid);
  return report;
}

function send(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone meanwhile, or no longer ours to signal
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Processes a crashed gateway left behind, then ended: each Claude Code CLI recognised by pid AND
// the start time the OS recorded when we spawned it (a reused pid belongs to someone else), and
// everything its session started recognised by the session's marker (with the user id and the
// start time), wherever those processes went. Works from /proc or from `ps`.
import { belongsTo, endProcesses, START_SLACK_MS, systemProcessTable, type ProcessInfo, type ProcessTable, type TreeTarget } from "../engine/index.ts";
import type { RecordedProcess } from "./session-store.ts";

export interface OrphanReport {
  /** Recorded Claude Code pids that were still ours, and ended. */
  ended: number[];
  /** Recorded pids now used by another process (or unverifiable): left alone. */
  notOurs: number[];
  /** Every other process the sessions had started, found by their markers, and ended. */
  descendants: number[];
}

export interface OrphanOptions {
  table?: ProcessTable;
  /** Time between SIGTERM and SIGKILL. */
  graceMs?: number;
  uid?: number;
}

/** Ends every recorded process that is still the one we started, and what its session started. */
export async function endOrphans(recorded: readonly RecordedProcess[], options: OrphanOptions = {}): Promise<OrphanReport> {
  const table = options.table ?? systemProcessTable();
  const uid = options.uid ?? process.getuid?.() ?? -1;
  const graceMs = options.graceMs ?? 3000;
  const running = new Map((await table.list()).map((p) => [p.pid, p]));
  const ended: number[] = [];
  const notOurs: number[] = [];
  const targets: TreeTarget[] = [];
  const unmarked = new Map<number, string>(); // pid → start token
  for (const r of recorded) {
    const p = running.get(r.pid);
    const ours = p !== undefined && isRecordedCli(r, p, uid);
    if (p !== undefined) (ours ? ended : notOurs).push(r.pid);
    if (r.marker !== undefined) {
      // The CLI leads its own process group: its group is ours while the leader is.
      targets.push({ marker: r.marker, since: r.startedAt, ...(ours ? { group: r.pid } : {}) });
    } else if (ours) {
      unmarked.set(p.pid, p.startToken); // recorded by a version that set no marker: the CLI alone
    }
  }
  const inTree = belongsTo(targets, uid);
  const swept = await endProcesses((p) => unmarked.get(p.pid) === p.startToken || inTree(p), { table, graceMs });
  return { ended, notOurs, descendants: swept.ended.filter((pid) => !ended.includes(pid)) };
}

function isRecordedCli(r: RecordedProcess, p: ProcessInfo, uid: number): boolean {
  if (r.startTicks !== undefined) return p.startToken === r.startTicks;
  // Where no start token was recorded (no /proc), the marker and the start time identify it.
  return r.marker !== undefined && p.marker === r.marker && p.uid === uid && p.startedAtMs >= r.startedAt - START_SLACK_MS;
}

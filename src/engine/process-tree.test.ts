// The process-tree sweep against real processes: background jobs in new sessions, nested and
// detached, with and without a session's marker; only the marked ones of our user that started
// after the session are ended, through /proc and through `ps`.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isAlive } from "../../scripts/lib/processes.ts";
import { newTag, pidsWithEnv, pollUntil } from "../../test/support/processes.ts";
import {
  SESSION_MARKER_VAR,
  belongsTo,
  endProcesses,
  endProcessTrees,
  newSessionMarker,
  parsePsOutput,
  procTable,
  psTable,
  type ProcessTable,
} from "./process-tree.ts";

const started: number[] = [];

afterEach(async () => {
  // Whatever a test left (the unmarked processes it proved were spared), it ends itself; the
  // loops go first so they start no more children.
  for (const pid of started.filter(isAlive)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  started.length = 0;
});

/** Starts `script` under sh the way Claude Code's Bash does (a new session), tagged for the test to find its processes. */
async function startTree(script: string, env: Record<string, string>, count = 4): Promise<number[] & { entry: string }> {
  const tag = newTag();
  const sh = spawn("setsid", ["--wait", "sh", "-c", script], { env: { ...process.env, ...env, [tag.name]: tag.value }, stdio: "ignore", detached: true });
  await new Promise<void>((resolve, reject) => {
    sh.once("exit", () => resolve());
    sh.once("error", reject);
  });
  const pids = await pollUntil(() => pidsWithEnv(tag.entry), (p) => p.length >= count, 5000);
  started.push(...pids);
  return Object.assign(pids, { entry: tag.entry });
}

const alive = (pids: readonly number[]) => pids.filter(isAlive);

// Four long-lived processes: a setsid'd job, a nested background job, a detached loop and a plain one.
const TREE = "(setsid sleep 600 >/dev/null 2>&1 &); (sleep 600 >/dev/null 2>&1 &) & (while :; do sleep 1; done) >/dev/null 2>&1 & sleep 600 >/dev/null 2>&1 &";

describe.each<[string, () => ProcessTable]>([
  ["/proc", () => procTable()],
  ["ps (forced, procps dialect)", () => psTable({ platform: "linux" })],
])("ending a session's processes through %s", (_label, makeTable) => {
  it("ends every process carrying the session's marker and leaves look-alikes without it, or with another session's, alone", async () => {
    const since = Date.now();
    const marker = newSessionMarker("sess1234");
    const other = newSessionMarker("othr5678");
    // Four long-lived processes each, plus the loop's short sleep most of the time.
    const ours = await startTree(TREE, { [SESSION_MARKER_VAR]: marker }, 5);
    const unmarked = await startTree(TREE, {}, 5);
    const foreign = await startTree(TREE, { [SESSION_MARKER_VAR]: other }, 5);
    expect(ours.length).toBeGreaterThanOrEqual(4);
    expect(unmarked.length).toBeGreaterThanOrEqual(4);

    const t0 = Date.now();
    const report = await endProcessTrees([{ marker, since }], { table: makeTable(), graceMs: 2000 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(pidsWithEnv(ours.entry)).toEqual([]); // the loop's children too, whenever they started
    expect(report.ended.length).toBeGreaterThanOrEqual(4);
    expect(report.survivors).toEqual([]);
    expect(pidsWithEnv(unmarked.entry).length).toBeGreaterThanOrEqual(4);
    expect(pidsWithEnv(foreign.entry).length).toBeGreaterThanOrEqual(4);
    expect(report.ended.some((pid) => unmarked.includes(pid) || foreign.includes(pid))).toBe(false);
  }, 20_000);

  it("leaves a marked process alone when it started before the session (the start-time check)", async () => {
    const marker = newSessionMarker("early111");
    const pids = await startTree("sleep 600 >/dev/null 2>&1 &", { [SESSION_MARKER_VAR]: marker }, 1);
    expect(pids.length).toBe(1);
    // The session is said to have started a minute after the process did.
    const report = await endProcessTrees([{ marker, since: Date.now() + 60_000 }], { table: makeTable(), graceMs: 500 });
    expect(report.ended).toEqual([]);
    expect(alive(pids)).toEqual([...pids]);
  }, 20_000);

  it("touches no process of another user id", async () => {
    const since = Date.now();
    const marker = newSessionMarker("uid22222");
    const pids = await startTree("sleep 600 >/dev/null 2>&1 &", { [SESSION_MARKER_VAR]: marker }, 1);
    const someoneElse = (process.getuid?.() ?? 0) + 4242;
    const report = await endProcessTrees([{ marker, since }], { table: makeTable(), graceMs: 500, uid: someoneElse });
    expect(report.ended).toEqual([]);
    expect(alive(pids)).toEqual([...pids]);
  }, 20_000);
});

describe("the sweep's edges", () => {
  it("sends SIGKILL after the grace to a marked process that ignores SIGTERM", async () => {
    const since = Date.now();
    const marker = newSessionMarker("stubborn");
    const dir = mkdtempSync(path.join(os.tmpdir(), "stubborn-"));
    const ready = path.join(dir, "ready");
    const script = `process.on('SIGTERM',()=>{}); require('fs').writeFileSync('${ready}', ''); setInterval(()=>{},1000)`;
    const pids = await startTree(`node -e "${script}" >/dev/null 2>&1 &`, { [SESSION_MARKER_VAR]: marker }, 1);
    expect(pids.length).toBe(1);
    const deadline = Date.now() + 10_000;
    while (!existsSync(ready) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50)); // its handler is installed
    rmSync(dir, { recursive: true, force: true });
    const report = await endProcessTrees([{ marker, since }], { table: procTable(), graceMs: 400 });
    expect(report.killed).toEqual([...pids]);
    expect(alive(pids)).toEqual([]);
  }, 20_000);

  it("reaches a process that cleared its environment through the group of a leader known to be ours", async () => {
    const since = Date.now();
    const marker = newSessionMarker("grouped1");
    const tag = newTag();
    // The leader keeps the marker; its child drops the environment (env -i) but stays in the group.
    const leader = spawn("sh", ["-c", `env -i ${tag.entry} sleep 600 & wait`], {
      env: { ...process.env, [SESSION_MARKER_VAR]: marker },
      stdio: "ignore",
      detached: true,
    });
    started.push(leader.pid!);
    const cleared = await pollUntil(() => pidsWithEnv(tag.entry), (p) => p.length >= 1, 5000);
    started.push(...cleared);
    expect(cleared.length).toBe(1);
    const withoutGroup = await endProcessTrees([{ marker: newSessionMarker("nobody00"), since }], { table: procTable(), graceMs: 300 });
    expect(withoutGroup.ended).toEqual([]);
    const report = await endProcessTrees([{ marker, since, group: leader.pid! }], { table: procTable(), graceMs: 1000 });
    expect(report.ended).toEqual(expect.arrayContaining([leader.pid!, ...cleared]));
    expect(alive([leader.pid!, ...cleared])).toEqual([]);
  }, 20_000);

  it("never signals the excluded pids (the gateway itself) even when they carry the marker", async () => {
    const me = { pid: process.pid, pgid: 1, uid: 0, startedAtMs: 10_000, startToken: "1", marker: "m" };
    const asked: number[][] = [];
    const table: ProcessTable = { source: "proc", list: async () => [me] };
    const seen = (p: { pid: number }) => (asked.push([p.pid]), true);
    const report = await endProcesses(seen, { table, graceMs: 100, exclude: [process.pid] });
    expect(report).toEqual({ ended: [], killed: [], survivors: [] });
    expect(asked).toEqual([]); // excluded before the selection is even asked
    expect(belongsTo([{ marker: "m", since: 10_000 }], 0)(me)).toBe(true);
  });
});

describe("reading the process table", () => {
  it("parses /proc: a command name with spaces and parentheses, the real uid, the start time from boot time and ticks, zombies left out", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "proc-"));
    try {
      writeFileSync(path.join(root, "stat"), "cpu  1 2 3\nbtime 1700000000\nprocesses 9\n");
      const proc = (pid: number, comm: string, state: string, pgid: number, ticks: number, uid: number, env: string[]) => {
        mkdirSync(path.join(root, String(pid)));
        const fields = [state, "1", String(pgid), String(pgid), ...Array(15).fill("0"), String(ticks), "0"];
        writeFileSync(path.join(root, String(pid), "stat"), `${pid} (${comm}) ${fields.join(" ")}`);
        writeFileSync(path.join(root, String(pid), "status"), `Name:\tx\nUid:\t${uid}\t0\t0\t0\n`);
        writeFileSync(path.join(root, String(pid), "environ"), env.join("\0") + "\0");
      };
      proc(10, "my (odd) name", "S", 10, 250, 501, ["A=1", `${SESSION_MARKER_VAR}=abc.def`]);
      proc(11, "zombie", "Z", 11, 300, 501, [`${SESSION_MARKER_VAR}=abc.def`]);
      proc(12, "plain", "R", 10, 400, 0, ["B=2"]);
      const list = (await procTable(root).list()).sort((a, b) => a.pid - b.pid);
      expect(list).toEqual([
        { pid: 10, pgid: 10, uid: 501, startedAtMs: 1_700_000_002_500, startToken: "250", marker: "abc.def" },
        { pid: 12, pgid: 10, uid: 0, startedAtMs: 1_700_000_004_000, startToken: "400", marker: undefined },
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("parses ps output: lstart, the environment's marker rather than one quoted in the arguments, zombies left out", () => {
    const out = [
      `  101   101   501 Ss   Thu Dec  3 11:07:10 2026 node server.js ${SESSION_MARKER_VAR}=fake.one PATH=/bin ${SESSION_MARKER_VAR}=real.two`,
      `  102   101   501 Z    Thu Dec  3 11:07:11 2026 (sleep)`,
      `  103   103     0 S    Mon Nov 30 09:00:00 2026 sleep 600 HOME=/root`,
      `garbage`,
    ].join("\n");
    const list = parsePsOutput(out);
    expect(list.map((p) => [p.pid, p.pgid, p.uid, p.marker])).toEqual([
      [101, 101, 501, "real.two"],
      [103, 103, 0, undefined],
    ]);
    expect(list[0]?.startedAtMs).toBe(new Date(2026, 11, 3, 11, 7, 10).getTime());
    expect(list[0]?.startToken).toBe("ps:Thu Dec 3 11:07:10 2026");
  });

  it("gives each session a marker with its id and an unguessable nonce", () => {
    const a = newSessionMarker("abcd1234");
    const b = newSessionMarker("abcd1234");
    expect(a).toMatch(/^abcd1234\.[A-Za-z0-9_-]{16}$/);
    expect(a).not.toBe(b);
  });
});

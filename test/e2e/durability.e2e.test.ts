// Durability in a real gateway: a crash mid-session, graceful restarts, a channel that fails across
// a restart, a channel that hangs at shutdown, and a corrupt store. Sessions, resume ids, stats and
// undelivered notices survive; the processes a session started do not outlive it, neither a kill nor
// a crash; a worktree session keeps its worktree across a restart and merges or discards safely.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReplyHandler } from "../../offline-model/src/index.ts";
import { isAlive, waitForPidsGone } from "./harness/processes.ts";
import { STORE_FILE } from "../../src/store/index.ts";
import { BACKGROUND_JOBS, backgroundJobs, newTag, pidsWithEnv, pollUntil } from "../support/processes.ts";
import { isClaudeProcess, startPluginGateway, type PluginGateway } from "./support/plugin-gateway.ts";

let p: PluginGateway;

beforeAll(async () => {
  p = await startPluginGateway({ label: "durability", lockTimeoutMs: 900_000 });
}, 960_000);

afterAll(async () => {
  await p?.close();
}, 60_000);

interface SessionJson {
  id: string;
  name: string;
  state: string;
  reason?: string;
  claudeSessionId?: string;
  costUsd: number;
  resumedFrom?: { sessionId?: string; claudeSessionId: string; fork: boolean };
}

async function sessions(params: Record<string, unknown> = {}): Promise<{ sessions: SessionJson[]; total: number }> {
  return p.gw.rpc("claude-code.sessions", params);
}

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * For a session whose prompt holds `word`: one Bash call leaving background jobs, then a short
 * answer; any other request goes to `also` (then the script).
 */
function scriptBackgroundJobs(word: string, entry: string, also?: ReplyHandler): void {
  p.claude.setHandler((req) => {
    if (!JSON.stringify(req.messages).includes(word)) return also?.(req);
    return req.toolResults.length > 0
      ? { type: "text", text: "the dev server runs" }
      : { type: "tool_use", name: "Bash", input: { command: backgroundJobs(entry), description: "start the dev server" } };
  });
}

/** Processes with the same command lines and tag as the session's jobs, started by the test outside any session. */
function startLookAlikes(tag: ReturnType<typeof newTag>): ChildProcess[] {
  const env = { ...process.env, [tag.name]: tag.value };
  return [
    spawn("sleep", ["601"], { env, stdio: "ignore", detached: true }),
    spawn("node", ["-e", "require('http').createServer((q, r) => r.end('ok')).listen(0, '127.0.0.1')"], { env, stdio: "ignore", detached: true }),
  ];
}

/** Launches a session (bypassPermissions, the configured mode) from the chat and waits until its Bash call's jobs run. */
async function launchWithJobs(name: string, word: string, tag: ReturnType<typeof newTag>, spared: readonly number[], also?: ReplyHandler): Promise<number[]> {
  scriptBackgroundJobs(word, tag.entry, also);
  expect(await p.command("alice", `/claude --name ${name} --workdir ${p.workdir} start the dev server (${word})`)).toMatch(new RegExp(`${name} \\[[a-z2-9]{8}\\] launched`));
  const jobs = await pollUntil(() => pidsWithEnv(tag.entry).filter((pid) => !spared.includes(pid)), (l) => l.length >= BACKGROUND_JOBS, 60_000);
  expect(jobs.length).toBeGreaterThanOrEqual(BACKGROUND_JOBS);
  return jobs;
}

function endAll(tag: ReturnType<typeof newTag>, lookAlikes: readonly ChildProcess[]): void {
  p.claude.setHandler(undefined);
  for (const c of lookAlikes) c.kill("SIGKILL");
  for (const pid of pidsWithEnv(tag.entry)) process.kill(pid, "SIGKILL"); // only if the product failed
}

describe("no process a session started outlives it", () => {
  it("a kill ends what a Bash call left in the background (setsid, nested, a server, a watcher) within 15 s; look-alikes outside any session are left alone", async () => {
    const tag = newTag();
    const lookAlikes = startLookAlikes(tag);
    const spared = lookAlikes.map((c) => c.pid!);
    try {
      await launchWithJobs("tree-kill", "tree-kill-task", tag, spared);
      const t0 = Date.now();
      // The chat command and the claude_kill tool call the same kill operation.
      expect(await p.command("alice", "/claude_kill tree-kill")).toMatch(/Killed tree-kill \[[a-z2-9]{8}\]/);
      const left = await pollUntil(() => pidsWithEnv(tag.entry).filter((pid) => !spared.includes(pid)), (l) => l.length === 0, 15_000);
      expect(left).toEqual([]);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(spared.filter(isAlive)).toEqual(spared);
    } finally {
      endAll(tag, lookAlikes);
    }
  }, 120_000);
});

describe("durability across restarts and crashes", () => {
  // One crash serves two sessions (each restart costs a gateway start): one streaming its turn, one
  // whose Bash call left jobs in the background.
  it("after a SIGKILL mid-session: the session is interrupted, one notice arrives, no orphan is left, the restart ends what another session's Bash call left within 20 s (look-alikes are left alone), and /claude_resume continues the conversation", async () => {
    const tag = newTag();
    const lookAlikes = startLookAlikes(tag);
    const spared = lookAlikes.map((c) => c.pid!);
    const streaming: ReplyHandler = (req) =>
      req.lastUserText?.includes("durable-task") ? { type: "text", text: "step ".repeat(400), chunks: 400, chunkDelayMs: 100 } : undefined;
    try {
      await launchWithJobs("tree-crash", "tree-crash-task", tag, spared, streaming);
      const after = p.gw.outbound().length;
      await p.command("alice", `/claude --name durable --workdir ${p.workdir} the codeword is MANGO; now run the durable-task`);
      await waitFor(() => p.claude.requests.some((r) => r.lastUserText?.includes("durable-task")), 30_000, "Claude Code asked the model");
      const orphans = (await p.gw.crash()).filter(isClaudeProcess);
      expect(orphans.length).toBeGreaterThan(0);
      // The crash itself ends none of the jobs.
      expect(pidsWithEnv(tag.entry).filter((pid) => !spared.includes(pid)).length).toBeGreaterThanOrEqual(BACKGROUND_JOBS);

      await p.gw.start();
      const t0 = Date.now();
      await p.waitForPlugin();
      const left = await pollUntil(() => pidsWithEnv(tag.entry).filter((pid) => !spared.includes(pid)), (l) => l.length === 0, 20_000);
      expect(left).toEqual([]);
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(spared.filter(isAlive)).toEqual(spared);
      const notice = await p.waitForText("alice", /⏸️ durable \[[a-z2-9]{8}\] was interrupted by a gateway restart/, 30_000, after);
      expect(notice.text).toContain("/claude_resume durable");
      expect(await waitForPidsGone(orphans, 10_000)).toEqual([]);

      const list = await sessions();
      expect(list.sessions.find((s) => s.name === "tree-crash")).toMatchObject({ state: "interrupted" });
      const durable = list.sessions.find((s) => s.name === "durable");
      expect(durable).toMatchObject({ state: "interrupted", reason: "gateway restart" });
      expect(durable?.claudeSessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await p.command("alice", "/claude_respond durable hello?")).toMatch(/has ended \(interrupted: gateway restart\).*Resume it/);
      expect(await p.command("alice", "/claude_resume --list")).toMatch(/resumable sessions?[\s\S]*durable \[/);
    } finally {
      endAll(tag, lookAlikes);
    }

    const before = p.claude.requests.length;
    const reply = await p.command("alice", "/claude_resume durable what was the codeword?");
    expect(reply).toMatch(/durable-2 \[[a-z2-9]{8}\] launched \(resume of [a-z2-9]{8}\)/);
    await waitFor(() => p.claude.requests.slice(before).some((r) => r.lastUserText?.includes("what was the codeword?")), 30_000, "the resumed turn");
    const resumedRequest = p.claude.requests.slice(before).find((r) => r.lastUserText?.includes("what was the codeword?"));
    expect(JSON.stringify(resumedRequest?.messages)).toContain("the codeword is MANGO");
    await waitFor(async () => (await sessions()).sessions.find((s) => s.name === "durable-2")?.state === "waiting", 60_000, "resumed session waiting");
    const resumed = (await sessions()).sessions.find((s) => s.name === "durable-2");
    const original = (await sessions()).sessions.find((s) => s.name === "durable");
    expect(resumed?.claudeSessionId).toBe(original?.claudeSessionId);
    expect(resumed?.resumedFrom?.sessionId).toBe(original?.id);
    await p.command("alice", "/claude_kill durable-2");

    // Exactly one terminal notice for the crashed session, however the restart went.
    expect(p.sentTo("alice").filter((m) => /^(✅|❌|⛔|💤|⏸️) durable \[/.test(m.text))).toHaveLength(1);
  }, 180_000);

  // One graceful restart serves two checks (each restart costs a gateway start).
  it("keeps the stats and the session history equal across a graceful restart, newest first and paged; a notice the channel refused until then is delivered once after it", async () => {
    const after = p.gw.outbound().length;
    await p.command("alice", `/claude --once --name stats-probe --workdir ${p.workdir} say hi`);
    await p.waitForText("alice", /✅ stats-probe/, 60_000, after);

    p.claude.setHandler((req) => (req.lastUserText?.includes("slow-done") ? { type: "text", text: "finished slowly", chunks: 5, chunkDelayMs: 400 } : undefined));
    try {
      await p.command("alice", `/claude --once --name outage --workdir ${p.workdir} slow-done please`);
      await p.gw.failNextSends(1000);
      await p.gw.waitForOutbound((m) => !m.ok && m.text.includes("✅ outage"), 60_000, { after });
      await waitFor(() => p.gw.outbound().slice(after).filter((m) => !m.ok && m.text.includes("✅ outage")).length >= 2, 30_000, "two failed attempts");
    } finally {
      p.claude.setHandler(undefined);
    }
    const stats = await p.gw.rpc<{ stats: Record<string, unknown> }>("claude-code.stats");
    const history = await sessions();
    expect(history.total).toBeGreaterThanOrEqual(4);

    await p.gw.restart(); // the channel works again after the restart
    await p.waitForPlugin();

    const delivered = await p.waitForText("alice", /✅ outage/, 30_000, after);
    expect(delivered.ok).toBe(true);
    expect(p.sentTo("alice", after).filter((m) => m.text.includes("✅ outage"))).toHaveLength(1);

    const statsAfter = await p.gw.rpc<{ stats: Record<string, unknown> }>("claude-code.stats");
    expect(statsAfter.stats).toEqual(stats.stats);
    const historyAfter = await sessions();
    expect(historyAfter.sessions.map((s) => [s.id, s.state, s.costUsd])).toEqual(history.sessions.map((s) => [s.id, s.state, s.costUsd]));
    expect(historyAfter.sessions[0]?.name).toBe("outage"); // newest first
    const page = await sessions({ limit: 1, offset: 1 });
    expect(page.total).toBe(history.total);
    expect(page.sessions.map((s) => s.id)).toEqual([history.sessions[1]?.id]);
  }, 240_000);

  it("a channel that never answers does not hold the gateway's shutdown: it stops within 10 s, and the notice goes out after the restart", async () => {
    const after = p.gw.outbound().length;
    await p.gw.hangSends(true);
    // The command's own reply is the inbound turn's; the ✅ notice is the plugin's send, which hangs.
    await p.command("alice", `/claude --once --name hung --workdir ${p.workdir} say hi`);
    await waitFor(async () => (await p.gw.hungSends()) >= 1, 60_000, "the notice's send hanging in the channel");
    const stopped = await p.gw.stop();
    console.log(`gateway stop with a hung channel: ${stopped.durationMs} ms`);
    expect(stopped.killed).toBe(false);
    expect(stopped.durationMs).toBeLessThan(10_000);
    expect(p.sentTo("alice", after).some((m) => m.text.includes("✅ hung"))).toBe(false);

    await p.gw.start(); // a new process: the channel answers again
    await p.waitForPlugin();
    const delivered = await p.waitForText("alice", /✅ hung \[/, 30_000, after);
    expect(delivered.ok).toBe(true);
    expect(p.sentTo("alice", after).filter((m) => m.text.includes("✅ hung"))).toHaveLength(1);
  }, 180_000);

  it("starts with a new store and says so when the store file is corrupt", async () => {
    await p.gw.stop();
    const file = path.join(p.gw.stateDir, STORE_FILE);
    expect(existsSync(file)).toBe(true);
    for (const suffix of ["-wal", "-shm"]) rmSync(file + suffix, { force: true });
    writeFileSync(file, "garbage, not a database\n".repeat(500));
    await p.gw.start();
    await p.waitForPlugin();
    expect((await sessions()).total).toBe(0);
    expect(p.gw.logs({ tail: 400 })).toMatch(/session store was unreadable .* moved to .*unreadable-/);
    expect(readdirSync(path.dirname(file)).some((f) => f.startsWith("store.sqlite.unreadable-"))).toBe(true);
    // And it works: a new session is recorded.
    const after = p.gw.outbound().length;
    await p.command("alice", `/claude --once --name fresh-start --workdir ${p.workdir} say hi`);
    await p.waitForText("alice", /✅ fresh-start/, 60_000, after);
    expect((await sessions()).sessions.map((s) => s.name)).toEqual(["fresh-start"]);
    // The single-turn session's process exits right after its result.
    await waitFor(() => p.claudePids().filter(isAlive).length === 0, 15_000, "no Claude Code process left");
  }, 120_000);
});

/** "wt-write NAME TEXT": Claude Code writes NAME in its own workdir. */
const worktreeWrites: ReplyHandler = (req) => {
  const m = /wt-write (\S+) (.+)$/.exec(req.lastUserText ?? "");
  if (!m) return undefined;
  if (req.toolResults.length === 0) return { type: "tool_use", name: "Write", input: { file_path: path.join(req.workdir ?? "/nowhere", m[1]!), content: `${m[2]}\n` } };
  return { type: "text", text: `wrote ${m[1]}` };
};

describe("worktree sessions across a restart", () => {
  interface WorktreeJson {
    path: string;
    branch: string;
    baseBranch: string;
    status: string;
    finished: string | null;
  }
  const git = (cwd: string, ...args: string[]): string =>
    execFileSync("git", ["-c", "user.name=User", "-c", "user.email=user@example.com", ...args], { cwd, encoding: "utf8" }).trim();
  const worktreeOf = async (name: string): Promise<(SessionJson & { workdir: string; worktree: WorktreeJson | null }) | undefined> =>
    ((await sessions()).sessions as Array<SessionJson & { workdir: string; worktree: WorktreeJson | null }>).find((s) => s.name === name);

  it("writes outside the user's checkout, offers the finish buttons, resumes in the same worktree after a restart, and merges onto main leaving the user's files untouched", async () => {
    const repo = path.join(p.workdir, "wt-repo");
    mkdirSync(repo);
    git(repo, "init", "-q", "-b", "main");
    writeFileSync(path.join(repo, "README.md"), "hello\n");
    git(repo, "add", ".");
    git(repo, "commit", "-q", "-m", "init");
    git(repo, "checkout", "-q", "-b", "users-work");
    writeFileSync(path.join(repo, "README.md"), "the user's uncommitted edit\n");
    writeFileSync(path.join(repo, "notes.txt"), "the user's untracked notes\n");
    p.claude.setHandler(worktreeWrites);
    try {
      const after = p.gw.outbound().length;
      const reply = await p.command("alice", `/claude --worktree --name wt-e2e --workdir ${repo} wt-write result.txt from the session`);
      expect(reply).toMatch(/Worktree \S+ on branch claude\/wt-e2e-[a-z2-9]{6}, based on main at [0-9a-f]{8} \(no remote: based on the local main\)/);
      expect(reply).toContain(`⚠️ Your uncommitted changes in ${repo} (2 files) are not in the session's worktree.`);
      const notice = await p.waitForText("alice", /🔔 wt-e2e \[[a-z2-9]{8}\] is waiting for input/, 60_000, after);
      const first = await worktreeOf("wt-e2e");
      expect(notice.buttons.map((b) => b.label)).toEqual(["Merge", "PR", "Keep", "Discard"]);
      expect(notice.buttons[0]).toMatchObject({ action: { type: "command", command: `/claude_finish ${first?.id} merge` } });
      expect(notice.text).toContain("Worktree: /claude_finish wt-e2e merge | pr | keep | discard");

      const wt = first!.worktree!;
      expect(first?.workdir).toBe(wt.path);
      expect(path.relative(repo, wt.path).startsWith("..")).toBe(true);
      expect(readFileSync(path.join(wt.path, "result.txt"), "utf8")).toBe("from the session\n");
      expect(existsSync(path.join(repo, "result.txt"))).toBe(false);

      await p.gw.restart();
      await p.waitForPlugin();
      const kept = await worktreeOf("wt-e2e");
      expect(kept?.state).toBe("interrupted");
      expect(kept?.worktree).toMatchObject({ path: wt.path, branch: wt.branch, status: "active" });

      const resumedReply = await p.command("alice", "/claude_resume wt-e2e wt-write second.txt after the restart");
      expect(resumedReply).toMatch(/wt-e2e-2 \[[a-z2-9]{8}\] launched \(resume of /);
      await waitFor(async () => (await worktreeOf("wt-e2e-2"))?.state === "waiting", 60_000, "the resumed session waiting");
      const resumed = await worktreeOf("wt-e2e-2");
      expect(resumed?.workdir).toBe(wt.path);
      expect(resumed?.worktree?.branch).toBe(wt.branch);
      expect(readFileSync(path.join(wt.path, "second.txt"), "utf8")).toBe("after the restart\n");

      const merged = await p.command("alice", "/claude_finish wt-e2e-2 merge", 60_000);
      expect(merged).toMatch(new RegExp(`✅ Merged ${wt.branch.replace("/", "\\/")} of wt-e2e-2 \\[[a-z2-9]{8}\\] into main`));
      expect(git(repo, "show", "main:result.txt")).toBe("from the session");
      expect(git(repo, "show", "main:second.txt")).toBe("after the restart");
      expect(git(repo, "branch", "--show-current")).toBe("users-work");
      expect(readFileSync(path.join(repo, "README.md"), "utf8")).toBe("the user's uncommitted edit\n");
      expect(readFileSync(path.join(repo, "notes.txt"), "utf8")).toBe("the user's untracked notes\n");
      expect(existsSync(wt.path)).toBe(false);
      expect(git(repo, "branch", "--list", "claude/*")).toBe("");
      expect((await worktreeOf("wt-e2e-2"))?.worktree).toMatchObject({ status: "merged", finished: "merge" });
      expect(await p.command("alice", "/claude_finish wt-e2e-2 merge")).toMatch(/⚠️ the worktree of .* was already merged/);
    } finally {
      p.claude.setHandler(undefined);
    }
  }, 240_000);

  it("over RPC: of two sessions writing one file, the second merge is a conflict with no half-merge; discard keeps its work in a snapshot ref that restores it", async () => {
    const repo = path.join(p.workdir, "wt-conflict");
    mkdirSync(repo);
    git(repo, "init", "-q", "-b", "main");
    writeFileSync(path.join(repo, "shared.txt"), "original\n");
    git(repo, "add", ".");
    git(repo, "commit", "-q", "-m", "init");
    writeFileSync(path.join(repo, "untracked.txt"), "the user's\n");
    p.claude.setHandler(worktreeWrites);
    try {
      const launch = (name: string, text: string) =>
        p.gw.rpc<{ session: { id: string }; worktree: WorktreeJson }>("claude-code.launch", { prompt: `wt-write shared.txt ${text}`, name, workdir: repo, worktree: true, multi_turn_disabled: true });
      const [a, b] = await Promise.all([launch("wt-a", "from a"), launch("wt-b", "from b")]);
      expect(a.worktree.path).not.toBe(b.worktree.path);
      await waitFor(async () => {
        const all = (await sessions()).sessions;
        return ["wt-a", "wt-b"].every((n) => all.find((s) => s.name === n)?.state === "completed");
      }, 90_000, "both sessions completed");
      expect(readFileSync(path.join(b.worktree.path, "shared.txt"), "utf8")).toBe("from b\n");

      const first = await p.gw.rpc<{ mergeCommit: string | null; worktree: WorktreeJson }>("claude-code.finish", { session: "wt-a", action: "merge" });
      expect(first.mergeCommit).toMatch(/^[0-9a-f]{40}$/);
      expect(first.worktree).toMatchObject({ status: "merged", finished: "merge" });
      const second = await p.gw.rpcRaw("claude-code.finish", { session: "wt-b", action: "merge" });
      expect(second.ok).toBe(false);
      expect(second.error?.code).toBe("CONFLICT");
      expect(second.error?.message).toMatch(/conflicts in shared\.txt\. Nothing was merged anywhere/);
      expect(readFileSync(path.join(repo, "shared.txt"), "utf8")).toBe("from a\n");
      expect(git(repo, "status", "--porcelain")).toBe("?? untracked.txt");
      expect(readFileSync(path.join(b.worktree.path, "shared.txt"), "utf8")).toBe("from b\n");

      const refused = await p.gw.invokeTool("claude_finish", { session: "wt-b", action: "ship" }, { agentId: "main" });
      expect(refused.ok).toBe(false);
      expect(refused.error?.message).toMatch(/"action" must be one of merge, pr, keep, discard/);

      const discarded = await p.gw.rpc<{ snapshotRef: string; restoreCommand: string }>("claude-code.finish", { session: "wt-b", action: "discard" });
      expect(discarded.snapshotRef).toBe(`refs/claude-code/snapshots/${b.session.id}`);
      expect(existsSync(b.worktree.path)).toBe(false);
      const restored = path.join(p.workdir, "restored-b");
      git(repo, "worktree", "add", "-q", restored, discarded.snapshotRef);
      expect(readFileSync(path.join(restored, "shared.txt"), "utf8")).toBe("from b\n");
    } finally {
      p.claude.setHandler(undefined);
    }
  }, 180_000);
});

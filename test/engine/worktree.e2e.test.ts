// Worktree sessions through the operations with the real Claude Code CLI and real git: the session
// writes in its worktree, never in the user's checkout; the finish operation's rules and bad inputs.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, type PluginConfig } from "../../src/config.ts";
import { isSessionError } from "../../src/engine/index.ts";
import { ForegroundRegistry } from "../../src/ops/foreground.ts";
import { Operations } from "../../src/ops/operations.ts";
import type { Caller, Owner } from "../../src/ops/types.ts";
import { openDatabase } from "../../src/store/database.ts";
import { WorktreeStore } from "../../src/store/worktree-store.ts";
import { WorktreeManager } from "../../src/worktrees/index.ts";
import { isEnded, isWaiting } from "../support/events.ts";
import { useEngineFixture } from "../support/engine-fixture.ts";

const f = useEngineFixture<Owner>({ allowRootBypass: true });
const operator: Caller = { kind: "operator", origin: "rpc", label: "operator (RPC)", agentId: undefined, sessionKey: undefined, route: undefined };

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=User", "-c", "user.email=user@example.com", ...args], { cwd, encoding: "utf8" }).trim();
}

/** The user's repository: main with one commit, plus an uncommitted edit and an untracked file. */
function userRepo(): string {
  const repo = path.join(f.box.root, "user-repo");
  mkdirSync(repo);
  git(repo, "init", "-q", "-b", "main");
  writeFileSync(path.join(repo, "README.md"), "hello\n");
  git(repo, "add", ".");
  git(repo, "commit", "-q", "-m", "init");
  return repo;
}

function setup(config: Partial<PluginConfig> = {}): { ops: Operations; manager: WorktreeManager } {
  const { db } = openDatabase(path.join(f.box.root, "state", "store.sqlite"));
  const manager = new WorktreeManager({ root: path.join(f.box.root, "state", "worktrees"), records: new WorktreeStore(db), prDraft: true });
  const ops = new Operations({ engine: f.make(), config: { ...DEFAULT_CONFIG, ...config }, foreground: new ForegroundRegistry(), worktrees: manager });
  // "write NAME CONTENT" makes Claude Code write that file in its own workdir, then say done.
  f.model.setHandler((req) => {
    const m = /^write (\S+) (.+)$/.exec(req.lastUserText ?? "");
    if (m && req.toolResults.length === 0) return { type: "tool_use", name: "Write", input: { file_path: path.join(req.workdir ?? "/nowhere", m[1]!), content: `${m[2]}\n` } };
    return { type: "text", text: "done" };
  });
  return { ops, manager };
}

async function refusal(p: Promise<unknown> | (() => unknown), code: string, text: RegExp): Promise<void> {
  const err = await Promise.resolve()
    .then(() => (typeof p === "function" ? p() : p))
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(isSessionError(err), `expected a ${code} refusal, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  expect((err as Error).message).toMatch(text);
}

describe("worktree sessions through the operations and the real CLI", () => {
  it("writes in its worktree, not the user's checkout; merge lands on main with the user's files untouched", async () => {
    const { ops } = setup();
    const repo = userRepo();
    git(repo, "checkout", "-q", "-b", "users-work");
    writeFileSync(path.join(repo, "README.md"), "user's uncommitted edit\n");
    writeFileSync(path.join(repo, "scratch.txt"), "user's untracked file\n");
    const launched = await ops.launch(operator, { prompt: "write result.txt from the session", workdir: repo, worktree: true });
    expect(launched.worktree?.userChanges).toBe(2);
    const wt = launched.worktree!.record;
    expect(launched.session.workdir).toBe(wt.path);
    await f.log.waitFor(isWaiting(launched.session.id), 60_000);
    expect(readFileSync(path.join(wt.path, "result.txt"), "utf8")).toBe("from the session\n");
    expect(existsSync(path.join(repo, "result.txt"))).toBe(false);

    // Listing shows the worktree with the session's uncommitted file.
    const listed = ops.list(operator, {});
    expect(listed.worktrees?.[launched.session.id]?.branch).toBe(wt.branch);

    const done = await ops.finish(operator, { session: launched.session.name, action: "merge" });
    expect(done.outcome.mergeCommit).toBeDefined();
    expect(git(repo, "show", "main:result.txt")).toBe("from the session");
    expect(git(repo, "log", "-1", "--format=%B", `${done.outcome.mergeCommit}^2`)).toContain(`Claude-Code-Session: ${launched.session.id}`);
    expect(readFileSync(path.join(repo, "README.md"), "utf8")).toBe("user's uncommitted edit\n");
    expect(readFileSync(path.join(repo, "scratch.txt"), "utf8")).toBe("user's untracked file\n");
    expect(git(repo, "branch", "--show-current")).toBe("users-work");
    expect(existsSync(wt.path)).toBe(false);
    // The session waited in a folder that is gone: it was ended.
    const ended = await f.log.waitFor(isEnded(launched.session.id), 30_000);
    expect(ended.reason).toMatchObject({ kind: "killed" });

    await refusal(ops.finish(operator, { session: launched.session.id, action: "merge" }), "ALREADY_FINISHED", /already merged/);
    await refusal(ops.launch(operator, { prompt: "more", resume_session_id: launched.session.id }), "ALREADY_FINISHED", /worktree that was merged/);
  }, 120_000);

  it("refuses finish while a turn runs, on a session without a worktree, and an unknown action", async () => {
    const { ops } = setup();
    const repo = userRepo();
    f.model.setHandler(() => ({ type: "text", text: "slow ".repeat(60), chunks: 60, chunkDelayMs: 100 }));
    const running = await ops.launch(operator, { prompt: "take your time", workdir: repo, worktree: true });
    await f.log.waitFor((e) => e.type === "turn_started" && e.session.id === running.session.id, 60_000);
    await refusal(ops.finish(operator, { session: running.session.id, action: "merge" }), "CONFLICT", /stop or wait for it first/);
    await refusal(ops.finish(operator, { session: running.session.id, action: "ship" }), "INVALID_ARGUMENT", /"action" must be one of merge, pr, keep, discard/);
    await ops.kill(operator, { session: running.session.id });
    // After the kill the worktree is still there; keep is allowed.
    expect((await ops.finish(operator, { session: running.session.id, action: "keep" })).outcome.record.state).toBe("kept");

    f.model.setHandler(() => ({ type: "text", text: "in place" }));
    const plain = await ops.launch(operator, { prompt: "no worktree here", workdir: repo });
    expect(plain.worktree).toBeUndefined();
    expect(plain.session.workdir).toBe(repo);
    await refusal(ops.finish(operator, { session: plain.session.id, action: "merge" }), "INVALID_ARGUMENT", /does not run in a worktree/);
  }, 120_000);

  it("refuses a worktree outside a repository and in a bare one, and defaults from worktreeByWorkdir", async () => {
    const bare = path.join(f.box.root, "bare.git");
    execFileSync("git", ["init", "-q", "--bare", bare]);
    const repo = userRepo();
    const { ops } = setup({ worktreeByWorkdir: [{ prefix: repo, worktree: true }] });
    await refusal(ops.launch(operator, { prompt: "x", workdir: f.box.workdir, worktree: true }), "INVALID_ARGUMENT", /not inside a git repository/);
    await refusal(ops.launch(operator, { prompt: "x", workdir: bare, worktree: true }), "INVALID_ARGUMENT", /bare repository/);
    expect(f.engine.list()).toEqual([]);
    const byDefault = await ops.launch(operator, { prompt: "write a.txt a", workdir: repo });
    expect(byDefault.worktree).toBeDefined();
    const optedOut = await ops.launch(operator, { prompt: "write b.txt b", workdir: repo, worktree: false });
    expect(optedOut.worktree).toBeUndefined();
    await f.log.waitFor(isWaiting(byDefault.session.id), 60_000);
    await f.log.waitFor(isWaiting(optedOut.session.id), 60_000);
  }, 120_000);

  it("a resume of a kept worktree session runs in the same worktree, and discard keeps its work in a snapshot", async () => {
    const { ops } = setup();
    const repo = userRepo();
    const first = await ops.launch(operator, { prompt: "write one.txt first", workdir: repo, worktree: true, multi_turn_disabled: true });
    await f.log.waitFor(isEnded(first.session.id), 60_000);
    await ops.finish(operator, { session: first.session.id, action: "keep" });
    const resumed = await ops.launch(operator, { prompt: "write two.txt second", resume_session_id: first.session.id, multi_turn_disabled: true });
    expect(resumed.session.workdir).toBe(first.session.workdir);
    await f.log.waitFor(isEnded(resumed.session.id), 60_000);
    expect(readFileSync(path.join(first.session.workdir, "two.txt"), "utf8")).toBe("second\n");
    const out = await ops.finish(operator, { session: resumed.session.id, action: "discard" });
    expect(out.outcome.snapshotRef).toBe(`refs/claude-code/snapshots/${first.session.id}`);
    expect(git(repo, "show", `${out.outcome.snapshotRef}:one.txt`)).toBe("first");
    expect(git(repo, "show", `${out.outcome.snapshotRef}:two.txt`)).toBe("second");
    expect(existsSync(first.session.workdir)).toBe(false);
  }, 120_000);
});

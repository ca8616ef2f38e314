// The worktree rules against real git on throwaway repositories: isolation, merge (queue, dirty
// checkout, conflicts), pr (a bare origin and a recording gh on PATH), keep, discard with
// snapshots, clean-up, and the bad inputs.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../store/database.ts";
import { WorktreeStore } from "../store/worktree-store.ts";
import { WorktreeManager } from "./manager.ts";
import { WorktreeError } from "./git.ts";

let dir: string;
let env: Record<string, string | undefined>;

function sh(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: env as NodeJS.ProcessEnv }).trim();
}

/** A repository with one commit on main, as a user would have it. */
function makeRepo(name = "repo"): string {
  const repo = path.join(dir, name);
  mkdirSync(repo, { recursive: true });
  sh(repo, "init", "-q", "-b", "main");
  writeFileSync(path.join(repo, "README.md"), "hello\n");
  writeFileSync(path.join(repo, "shared.txt"), "line 1\n");
  sh(repo, "add", ".");
  sh(repo, "commit", "-q", "-m", "init");
  return repo;
}

function manager(opts: { newId?: () => string; now?: () => number; db?: string } = {}): WorktreeManager {
  const { db } = openDatabase(opts.db ?? path.join(dir, "state", "store.sqlite"));
  return new WorktreeManager({ root: path.join(dir, "state", "worktrees"), records: new WorktreeStore(db), prDraft: true, env, ...opts });
}

async function rejects(p: Promise<unknown>, code: string, text: RegExp): Promise<WorktreeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorktreeError);
  expect((err as WorktreeError).code).toBe(code);
  expect((err as WorktreeError).message).toMatch(text);
  return err as WorktreeError;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "wt-test-"));
  // Each test its own git identity and config: no user config leaks in.
  env = {
    PATH: process.env.PATH,
    HOME: dir,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "User",
    GIT_AUTHOR_EMAIL: "user@example.com",
    GIT_COMMITTER_NAME: "User",
    GIT_COMMITTER_EMAIL: "user@example.com",
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("create", () => {
  it("makes a worktree outside the checkout on claude/<name>-<id> from main, leaving the user's changes where they are", async () => {
    const repo = makeRepo();
    writeFileSync(path.join(repo, "README.md"), "user's edit\n");
    writeFileSync(path.join(repo, "notes.txt"), "untracked\n");
    const m = manager({ newId: () => "abc123" });
    const info = await m.create({ workdir: repo, name: "fix-login", prompt: "fix the login" });
    expect(info.record.branch).toBe("claude/fix-login-abc123");
    expect(info.record.baseBranch).toBe("main");
    expect(info.record.baseCommit).toBe(sh(repo, "rev-parse", "main"));
    expect(info.workdir.startsWith(path.join(dir, "state", "worktrees"))).toBe(true);
    expect(path.relative(repo, info.workdir).startsWith("..")).toBe(true);
    expect(info.userChanges).toBe(2);
    expect(info.fetch).toMatch(/no remote/);
    expect(readFileSync(path.join(info.workdir, "README.md"), "utf8")).toBe("hello\n");
    expect(existsSync(path.join(info.workdir, "notes.txt"))).toBe(false);
    expect(readFileSync(path.join(repo, "README.md"), "utf8")).toBe("user's edit\n");
    expect(sh(repo, "branch", "--show-current")).toBe("main");
  });

  it("keeps the launch's subfolder inside the worktree", async () => {
    const repo = makeRepo();
    mkdirSync(path.join(repo, "pkg"));
    writeFileSync(path.join(repo, "pkg", "a.ts"), "x\n");
    sh(repo, "add", ".");
    sh(repo, "commit", "-q", "-m", "pkg");
    const info = await manager().create({ workdir: path.join(repo, "pkg"), name: "s", prompt: "p" });
    expect(info.workdir).toBe(path.join(info.record.path, "pkg"));
    expect(existsSync(path.join(info.workdir, "a.ts"))).toBe(true);
  });

  it("gives every session on one repository its own worktree and branch", async () => {
    const repo = makeRepo();
    const m = manager();
    const a = await m.create({ workdir: repo, name: "same", prompt: "a" });
    const b = await m.create({ workdir: repo, name: "same", prompt: "b" });
    expect(a.record.path).not.toBe(b.record.path);
    expect(a.record.branch).not.toBe(b.record.branch);
    writeFileSync(path.join(a.workdir, "only-a.txt"), "a\n");
    expect(existsSync(path.join(b.workdir, "only-a.txt"))).toBe(false);
  });

  it("chooses another name when the branch is already taken, and leaves that branch alone", async () => {
    const repo = makeRepo();
    sh(repo, "branch", "claude/task-aaaaaa");
    const before = sh(repo, "rev-parse", "claude/task-aaaaaa");
    const ids = ["aaaaaa", "bbbbbb"];
    const info = await manager({ newId: () => ids.shift()! }).create({ workdir: repo, name: "task", prompt: "p" });
    expect(info.record.branch).toBe("claude/task-bbbbbb");
    expect(info.branchTaken).toBe("claude/task-aaaaaa");
    expect(sh(repo, "rev-parse", "claude/task-aaaaaa")).toBe(before);
  });

  it("bases on the remote's main when a fetch succeeds, and says so", async () => {
    const origin = path.join(dir, "origin.git");
    const upstream = makeRepo("upstream");
    sh(dir, "clone", "-q", "--bare", upstream, origin);
    const repo = path.join(dir, "clone");
    sh(dir, "clone", "-q", origin, repo);
    // The remote moves on after the clone: the worktree must start from the fetched commit.
    sh(upstream, "remote", "add", "origin", origin);
    writeFileSync(path.join(upstream, "new.txt"), "new\n");
    sh(upstream, "add", ".");
    sh(upstream, "commit", "-q", "-m", "new");
    sh(upstream, "push", "-q", "origin", "main");
    const info = await manager().create({ workdir: repo, name: "s", prompt: "p" });
    expect(info.fetch).toBe("fetched origin/main");
    expect(info.record.baseSource).toBe("remote");
    expect(info.record.baseCommit).toBe(sh(upstream, "rev-parse", "main"));
    expect(existsSync(path.join(info.workdir, "new.txt"))).toBe(true);
  });

  it("falls back to the local main when the fetch fails, and says so", async () => {
    const repo = makeRepo();
    sh(repo, "remote", "add", "origin", path.join(dir, "does-not-exist.git"));
    const info = await manager().create({ workdir: repo, name: "s", prompt: "p" });
    expect(info.fetch).toMatch(/^fetch from origin failed .*based on the local main$/);
    expect(info.record.baseSource).toBe("local");
    expect(info.record.baseCommit).toBe(sh(repo, "rev-parse", "main"));
  });

  it("refuses a directory that is not in a repository", async () => {
    const plain = path.join(dir, "plain");
    mkdirSync(plain);
    await rejects(manager().create({ workdir: plain, name: "s", prompt: "p" }), "NOT_A_REPO", /not inside a git repository/);
  });

  it("refuses a bare repository", async () => {
    const bare = path.join(dir, "bare.git");
    sh(dir, "init", "-q", "--bare", bare);
    await rejects(manager().create({ workdir: bare, name: "s", prompt: "p" }), "BARE_REPO", /bare repository/);
  });

  it("with a detached HEAD bases on main and says the HEAD is detached", async () => {
    const repo = makeRepo();
    sh(repo, "checkout", "-q", "--detach", "HEAD");
    const info = await manager().create({ workdir: repo, name: "s", prompt: "p" });
    expect(info.detachedHead).toBe(true);
    expect(info.record.baseBranch).toBe("main");
  });

  it("refuses a detached HEAD when there is no main or master to start from", async () => {
    const repo = makeRepo();
    sh(repo, "checkout", "-q", "-b", "topic");
    sh(repo, "checkout", "-q", "--detach", "HEAD");
    sh(repo, "branch", "-q", "-D", "main");
    await rejects(manager().create({ workdir: repo, name: "s", prompt: "p" }), "NO_DEFAULT_BRANCH", /detached HEAD/);
  });

  it("says clearly when git is missing", async () => {
    const repo = makeRepo();
    env = { ...env, PATH: path.join(dir, "empty-bin") };
    await rejects(manager().create({ workdir: repo, name: "s", prompt: "p" }), "NO_GIT", /git is not installed/);
  });
});

describe("merge", () => {
  it("commits leftovers with the session trailer and lands on main in a clean checkout, untracked files untouched", async () => {
    const repo = makeRepo();
    writeFileSync(path.join(repo, "scratch.txt"), "mine\n");
    const m = manager();
    const info = await m.create({ workdir: repo, name: "feature", prompt: "add a feature" });
    m.attach(info.record.id, "sess0001", "feature");
    writeFileSync(path.join(info.workdir, "feature.txt"), "done\n");
    const out = await m.finish(info.record.id, "merge");
    expect(out.leftoverCommit).toBeDefined();
    expect(sh(repo, "log", "-1", "--format=%B", out.leftoverCommit!)).toMatch(/^feature: add a feature[\s\S]*Claude-Code-Session: sess0001/);
    expect(out.mergedIn).toBe(`the checkout at ${repo}`);
    expect(readFileSync(path.join(repo, "feature.txt"), "utf8")).toBe("done\n");
    expect(readFileSync(path.join(repo, "scratch.txt"), "utf8")).toBe("mine\n");
    expect(sh(repo, "status", "--porcelain")).toBe("?? scratch.txt");
    expect(existsSync(info.record.path)).toBe(false);
    expect(sh(repo, "branch", "--list", "claude/*")).toBe("");
    expect(out.record.state).toBe("merged");
  });

  it("merges without a checkout when main is not checked out, leaving the user's other branch and changes alone", async () => {
    const repo = makeRepo();
    sh(repo, "checkout", "-q", "-b", "work");
    writeFileSync(path.join(repo, "README.md"), "user's uncommitted edit\n");
    writeFileSync(path.join(repo, "untracked.txt"), "u\n");
    const m = manager();
    const info = await m.create({ workdir: repo, name: "s", prompt: "p" });
    writeFileSync(path.join(info.workdir, "new.txt"), "n\n");
    const out = await m.finish(info.record.id, "merge");
    expect(out.mergedIn).toMatch(/without a checkout/);
    expect(sh(repo, "show", "main:new.txt")).toBe("n");
    expect(sh(repo, "log", "-1", "--format=%B", "main")).toMatch(/Claude-Code-Session: /);
    expect(sh(repo, "branch", "--show-current")).toBe("work");
    expect(readFileSync(path.join(repo, "README.md"), "utf8")).toBe("user's uncommitted edit\n");
    expect(readFileSync(path.join(repo, "untracked.txt"), "utf8")).toBe("u\n");
    expect(existsSync(path.join(repo, "new.txt"))).toBe(false);
  });

  it("refuses when main is checked out with uncommitted changes, and changes nothing", async () => {
    const repo = makeRepo();
    const m = manager();
    const info = await m.create({ workdir: repo, name: "s", prompt: "p" });
    writeFileSync(path.join(info.workdir, "new.txt"), "n\n");
    writeFileSync(path.join(repo, "README.md"), "dirty\n");
    const mainBefore = sh(repo, "rev-parse", "main");
    await rejects(m.finish(info.record.id, "merge"), "DIRTY_CHECKOUT", /uncommitted changes \(README\.md\).*Nothing was changed/);
    expect(sh(repo, "rev-parse", "main")).toBe(mainBefore);
    expect(readFileSync(path.join(repo, "README.md"), "utf8")).toBe("dirty\n");
    // The session's leftovers are still uncommitted in its worktree, as they were.
    expect(sh(info.record.path, "status", "--porcelain")).toBe("?? new.txt");
    expect(sh(info.record.path, "rev-parse", "HEAD")).toBe(info.record.baseCommit);
  });

  it("of two worktrees writing one file, the second merge is a conflict: no half-merge, its work kept", async () => {
    const repo = makeRepo();
    const m = manager();
    const a = await m.create({ workdir: repo, name: "a", prompt: "a" });
    const b = await m.create({ workdir: repo, name: "b", prompt: "b" });
    writeFileSync(path.join(a.workdir, "shared.txt"), "from a\n");
    writeFileSync(path.join(b.workdir, "shared.txt"), "from b\n");
    // Both at once: the queue runs them one after the other.
    const [ra, rb] = await Promise.allSettled([m.finish(a.record.id, "merge"), m.finish(b.record.id, "merge")]);
    expect(ra.status).toBe("fulfilled");
    expect(rb.status).toBe("rejected");
    const err = (rb as PromiseRejectedResult).reason as WorktreeError;
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toMatch(/conflicts in shared\.txt/);
    expect(err.data?.conflicts).toEqual(["shared.txt"]);
    expect(readFileSync(path.join(repo, "shared.txt"), "utf8")).toBe("from a\n");
    expect(sh(repo, "status", "--porcelain")).toBe("");
    expect(existsSync(path.join(sh(repo, "rev-parse", "--absolute-git-dir"), "MERGE_HEAD"))).toBe(false);
    expect(readFileSync(path.join(b.workdir, "shared.txt"), "utf8")).toBe("from b\n");
    expect(sh(repo, "show", `${b.record.branch}:shared.txt`)).toBe("from b");
    const again = m.list().find((r) => r.id === b.record.id)!;
    expect(again.state).toBe("active");
    // Keep remains possible after the conflict.
    expect((await m.finish(b.record.id, "keep")).record.state).toBe("kept");
  });

  it("a second finish of a merged worktree is refused", async () => {
    const repo = makeRepo();
    const m = manager();
    const info = await m.create({ workdir: repo, name: "s", prompt: "p" });
    await m.finish(info.record.id, "merge");
    await rejects(m.finish(info.record.id, "merge"), "ALREADY_FINISHED", /already merged/);
    await rejects(m.finish(info.record.id, "discard"), "ALREADY_FINISHED", /already merged/);
  });
});

describe("discard", () => {
  it("keeps unmerged commits and uncommitted changes in a snapshot ref from which the work is restored", async () => {
    const repo = makeRepo();
    const m = manager();
    const info = await m.create({ workdir: repo, name: "s", prompt: "p" });
    m.attach(info.record.id, "sessdisc", "s");
    writeFileSync(path.join(info.workdir, "committed.txt"), "c\n");
    sh(info.record.path, "add", ".");
    sh(info.record.path, "commit", "-q", "-m", "session commit");
    writeFileSync(path.join(info.workdir, "uncommitted.txt"), "u\n");
    writeFileSync(path.join(info.workdir, "README.md"), "edited\n");
    const out = await m.finish(info.record.id, "discard");
    expect(out.snapshotRef).toBe("refs/claude-code/snapshots/sessdisc");
    expect(existsSync(info.record.path)).toBe(false);
    expect(sh(repo, "branch", "--list", "claude/*")).toBe("");
    // Out of the user's branch list, yet every piece of work is there.
    const restored = path.join(dir, "restored");
    sh(repo, "worktree", "add", "-q", restored, out.snapshotRef!);
    expect(readFileSync(path.join(restored, "committed.txt"), "utf8")).toBe("c\n");
    expect(readFileSync(path.join(restored, "uncommitted.txt"), "utf8")).toBe("u\n");
    expect(readFileSync(path.join(restored, "README.md"), "utf8")).toBe("edited\n");
    expect(out.restoreCommand).toContain(`worktree add -b ${info.record.branch} ${info.record.path} refs/claude-code/snapshots/sessdisc`);
  });

  it("removes a merged (or unchanged) worktree without a snapshot", async () => {
    const repo = makeRepo();
    const m = manager();
    const info = await m.create({ workdir: repo, name: "s", prompt: "p" });
    const out = await m.finish(info.record.id, "discard");
    expect(out.snapshotRef).toBeUndefined();
    expect(existsSync(info.record.path)).toBe(false);
    expect(sh(repo, "for-each-ref", "refs/claude-code/")).toBe("");
  });

  it("treats content already on main (e.g. squash-merged by hand) as merged", async () => {
    const repo = makeRepo();
    const m = manager();
    const info = await m.create({ workdir: repo, name: "s", prompt: "p" });
    writeFileSync(path.join(info.workdir, "x.txt"), "x\n");
    sh(info.record.path, "add", ".");
    sh(info.record.path, "commit", "-q", "-m", "x");
    sh(repo, "merge", "-q", "--squash", info.record.branch);
    sh(repo, "commit", "-q", "-m", "squashed");
    const out = await m.finish(info.record.id, "discard");
    expect(out.snapshotRef).toBeUndefined();
  });
});

describe("keep, status and restarts", () => {
  it("keep leaves worktree and branch; the record survives a restart and can still be merged", async () => {
    const repo = makeRepo();
    const db = path.join(dir, "state", "store.sqlite");
    const first = manager({ db });
    const info = await first.create({ workdir: repo, name: "s", prompt: "p" });
    writeFileSync(path.join(info.workdir, "k.txt"), "k\n");
    expect((await first.finish(info.record.id, "keep")).record.state).toBe("kept");
    expect(existsSync(path.join(info.workdir, "k.txt"))).toBe(true);
    const status = await first.refresh(info.record.id);
    expect(status).toMatchObject({ ahead: 0, behind: 0, dirty: true, missing: false });
    const second = manager({ db });
    expect(second.find("unknown", info.workdir)?.state).toBe("kept");
    expect((await second.finish(info.record.id, "merge")).record.state).toBe("merged");
    expect(readFileSync(path.join(repo, "k.txt"), "utf8")).toBe("k\n");
  });

  it("counts commits ahead and behind the base", async () => {
    const repo = makeRepo();
    const m = manager();
    const info = await m.create({ workdir: repo, name: "s", prompt: "p" });
    writeFileSync(path.join(info.workdir, "a.txt"), "a\n");
    sh(info.record.path, "add", ".");
    sh(info.record.path, "commit", "-q", "-m", "a");
    writeFileSync(path.join(repo, "b.txt"), "b\n");
    sh(repo, "add", ".");
    sh(repo, "commit", "-q", "-m", "b");
    expect(await m.refresh(info.record.id)).toMatchObject({ ahead: 1, behind: 1, dirty: false });
  });

  it("abandon removes a worktree made for a launch that failed", async () => {
    const repo = makeRepo();
    const m = manager();
    const info = await m.create({ workdir: repo, name: "s", prompt: "p" });
    await m.abandon(info.record.id);
    expect(existsSync(info.record.path)).toBe(false);
    expect(sh(repo, "branch", "--list", "claude/*")).toBe("");
    expect(m.list()).toEqual([]);
  });
});

describe("clean-up", () => {
  it("discards old worktrees by the discard rule, skips busy and recent ones, prunes folders deleted by hand, never touches others", async () => {
    const repo = makeRepo();
    let now = 1_000_000;
    const m = manager({ now: () => now });
    const old = await m.create({ workdir: repo, name: "old", prompt: "p" });
    writeFileSync(path.join(old.workdir, "work.txt"), "w\n");
    const busy = await m.create({ workdir: repo, name: "busy", prompt: "p" });
    const gone = await m.create({ workdir: repo, name: "gone", prompt: "p" });
    writeFileSync(path.join(gone.workdir, "g.txt"), "g\n");
    sh(gone.record.path, "add", ".");
    sh(gone.record.path, "commit", "-q", "-m", "g");
    rmSync(gone.record.path, { recursive: true, force: true });
    // The user's own worktree and branch: not in the records, never touched.
    const users = path.join(dir, "users-worktree");
    sh(repo, "worktree", "add", "-q", "-b", "users-branch", users);
    now += 8 * 86_400_000;
    const recent = await m.create({ workdir: repo, name: "recent", prompt: "p" });
    const report = await m.cleanup(7 * 86_400_000, (r) => r.id === busy.record.id);
    expect(report.failed).toEqual([]);
    expect(report.discarded.map((o) => o.record.id).sort()).toEqual([old.record.id, gone.record.id].sort());
    expect(existsSync(old.record.path)).toBe(false);
    expect(sh(repo, "show", `refs/claude-code/snapshots/${old.record.id}:work.txt`)).toBe("w");
    expect(sh(repo, "show", `refs/claude-code/snapshots/${gone.record.id}:g.txt`)).toBe("g");
    expect(existsSync(busy.record.path)).toBe(true);
    expect(existsSync(recent.record.path)).toBe(true);
    expect(existsSync(users)).toBe(true);
    expect(sh(repo, "branch", "--list", "users-branch")).toContain("users-branch");
    expect(sh(repo, "worktree", "list")).not.toContain(gone.record.path);
  });
});

describe("pr", () => {
  function fakeGh(): { log: string } {
    const bin = path.join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    const log = path.join(dir, "gh.log");
    const state = path.join(dir, "gh.pr");
    // Answers as gh does: `pr list --json url --jq …` prints the open PR's URL (or nothing), `pr create` prints the new URL.
    writeFileSync(
      path.join(bin, "gh"),
      `#!/bin/sh
printf '%s\\n' "$*" >> "${log}"
case "$1 $2" in
  "--version ") echo "gh version 2.99.0 (stand-in)";;
  "pr list") [ -f "${state}" ] && cat "${state}"; exit 0;;
  "pr create") echo "https://github.com/example/repo/pull/7" > "${state}"; echo "Creating draft pull request"; echo "https://github.com/example/repo/pull/7";;
  *) echo "unknown command $*" >&2; exit 1;;
esac
`,
    );
    chmodSync(path.join(bin, "gh"), 0o755);
    env = { ...env, PATH: `${bin}:${env.PATH}` };
    return { log };
  }

  function repoWithOrigin(): { repo: string; origin: string } {
    const repo = makeRepo();
    const origin = path.join(dir, "origin.git");
    sh(dir, "init", "-q", "--bare", origin);
    sh(repo, "remote", "add", "origin", origin);
    sh(repo, "push", "-q", "-u", "origin", "main");
    return { repo, origin };
  }

  it("pushes the branch and opens a draft PR with title and body; a second pr reuses it", async () => {
    const { log } = fakeGh();
    const { repo, origin } = repoWithOrigin();
    const m = manager();
    const info = await m.create({ workdir: repo, name: "prs", prompt: "make a pr" });
    writeFileSync(path.join(info.workdir, "p.txt"), "p\n");
    const out = await m.finish(info.record.id, "pr");
    expect(out.prUrl).toBe("https://github.com/example/repo/pull/7");
    expect(out.prReused).toBe(false);
    expect(sh(origin, "show", `${info.record.branch}:p.txt`)).toBe("p");
    const calls = readFileSync(log, "utf8");
    expect(calls).toContain(`pr create --head ${info.record.branch} --base main --title prs: make a pr --body make a pr`);
    expect(calls).toMatch(/--draft\n/);
    expect(existsSync(info.record.path)).toBe(true);
    const again = await m.finish(info.record.id, "pr");
    expect(again.prReused).toBe(true);
    expect(again.prUrl).toBe(out.prUrl);
    expect(readFileSync(log, "utf8").match(/pr create/g)?.length).toBe(1);
  });

  it("without a remote says the remote is missing", async () => {
    fakeGh();
    const repo = makeRepo();
    const m = manager();
    const info = await m.create({ workdir: repo, name: "s", prompt: "p" });
    await rejects(m.finish(info.record.id, "pr"), "NO_REMOTE", /no git remote/);
  });

  it("without gh says gh is missing", async () => {
    const { repo } = repoWithOrigin();
    env = { ...env, PATH: path.dirname(execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim()) };
    const m = manager();
    const info = await m.create({ workdir: repo, name: "s", prompt: "p" });
    if (existsSync(path.join(env.PATH!, "gh"))) throw new Error(`this test needs a PATH with git and without gh; ${env.PATH} has gh`);
    await rejects(m.finish(info.record.id, "pr"), "NO_GH", /gh is not installed/);
  });
});

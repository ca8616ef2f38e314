// Git worktrees for sessions: inspect a workdir, create a worktree on a new branch outside the
// user's checkout, report its status, and finish it (merge, pr, keep, discard) without ever losing
// a commit or an uncommitted change. Knows git and gh, nothing of OpenClaw or the Agent SDK.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { git, gitOk, gitOut, run, WorktreeError } from "./git.ts";
import { isFinal, type FinishAction, type FinishOutcome, type WorktreeLaunchInfo, type WorktreeRecord, type WorktreeRecords, type WorktreeStatus } from "./types.ts";

/** What a workdir is, as far as worktrees are concerned. */
export interface RepoInfo {
  /** The top level of the checkout containing the workdir. */
  root: string;
  /** The workdir relative to root. */
  subdir: string;
  commonDir: string;
  /** The checkout's branch; undefined when HEAD is detached. */
  branch: string | undefined;
  defaultBranch: string;
  remote: string | undefined;
  /** Paths with uncommitted changes (untracked included) in the checkout. */
  changes: string[];
}

export interface WorktreeManagerOptions {
  /** Where worktrees are created (outside every repository). */
  root: string;
  records: WorktreeRecords;
  /** pr: open pull requests as drafts. */
  prDraft: boolean;
  now?: () => number;
  newId?: () => string;
  /** The bound on `git fetch` at launch (default 10 s). */
  fetchTimeoutMs?: number;
  /** The environment git and gh run with (PATH decides which gh). */
  env?: Readonly<Record<string, string | undefined>>;
}

const SNAPSHOT_PREFIX = "refs/claude-code/snapshots/";
const FALLBACK_IDENTITY = ["-c", "user.name=Claude Code", "-c", "user.email=claude-code@localhost"];

function shortId(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  return [...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join("");
}

/** A session name as a branch component: lower case, [a-z0-9._-], bounded. */
function branchPart(name: string): string {
  const part = name.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/\.{2,}/g, ".").replace(/^[-.]+|[-.]+$/g, "").slice(0, 40).replace(/[-.]+$/, "");
  return part || "session";
}

function firstLine(text: string, max: number): string {
  const line = text.trim().split("\n")[0]?.trim() ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export class WorktreeManager {
  private readonly opts: Required<Omit<WorktreeManagerOptions, "env">> & { env: Readonly<Record<string, string | undefined>> };
  private readonly records = new Map<string, WorktreeRecord>();
  /** One merge (or other branch-moving finish) at a time per repository. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Worktrees being finished right now: a second finish is refused rather than queued. */
  private readonly finishing = new Set<string>();

  constructor(options: WorktreeManagerOptions) {
    this.opts = {
      root: options.root,
      records: options.records,
      prDraft: options.prDraft,
      now: options.now ?? Date.now,
      newId: options.newId ?? shortId,
      fetchTimeoutMs: options.fetchTimeoutMs ?? 10_000,
      env: options.env ?? process.env,
    };
    for (const r of options.records.all()) this.records.set(r.id, r);
  }

  /** Every record, newest first. */
  list(): WorktreeRecord[] {
    return [...this.records.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  /** The worktree a session runs in: by the session that created it, or by its workdir (resumes, forks). */
  find(sessionId: string, workdir: string): WorktreeRecord | undefined {
    const dir = path.resolve(workdir);
    let byPath: WorktreeRecord | undefined;
    for (const r of this.records.values()) {
      if (r.sessionId === sessionId) return r;
      const rel = path.relative(r.path, dir);
      if (rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))) byPath ??= r;
    }
    return byPath;
  }

  /** Whether the workdir is in a repository a worktree can be made of; throws the reason if not. */
  async inspect(workdir: string): Promise<RepoInfo> {
    const probe = await git(workdir, ["rev-parse", "--is-bare-repository", "--is-inside-work-tree"], { allowFailure: true, env: this.opts.env });
    if (probe.code !== 0) {
      if (/not a git repository/i.test(probe.stderr)) {
        throw new WorktreeError("NOT_A_REPO", `${workdir} is not inside a git repository: a worktree needs one (git init, or launch without worktree)`);
      }
      throw new WorktreeError("GIT_FAILED", `git rev-parse in ${workdir} failed: ${probe.stderr.trim()}`);
    }
    const [bare, inside] = probe.stdout.trim().split("\n");
    if (bare === "true") throw new WorktreeError("BARE_REPO", `${workdir} is a bare repository (no working tree): launch in a checkout of it instead`);
    if (inside !== "true") throw new WorktreeError("NOT_A_REPO", `${workdir} is inside a .git directory, not a working tree: launch in the checkout`);
    const [root, commonDir] = (await gitOut(workdir, ["rev-parse", "--path-format=absolute", "--show-toplevel", "--git-common-dir"], { env: this.opts.env })).split("\n");
    if (!root || !commonDir) throw new WorktreeError("GIT_FAILED", `git rev-parse in ${workdir} gave no top level`);
    if (!(await gitOk(root, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]))) {
      throw new WorktreeError("NO_DEFAULT_BRANCH", `the repository at ${root} has no commits yet: commit something first, then launch with a worktree`);
    }
    const head = await git(root, ["symbolic-ref", "--quiet", "--short", "HEAD"], { allowFailure: true });
    const branch = head.code === 0 ? head.stdout.trim() : undefined;
    const remotes = (await gitOut(root, ["remote"])).split("\n").filter(Boolean);
    const remote = remotes.includes("origin") ? "origin" : remotes[0];
    const defaultBranch = await this.defaultBranch(root, remote, branch);
    const status = await git(root, ["status", "--porcelain", "-z", "--untracked-files=normal"]);
    const changes = porcelainPaths(status.stdout);
    return { root, subdir: path.relative(root, path.resolve(workdir)), commonDir, branch, defaultBranch, remote, changes };
  }

  /** The repository's default branch: the remote's HEAD, else main or master, else the checked-out branch. */
  private async defaultBranch(root: string, remote: string | undefined, current: string | undefined): Promise<string> {
    if (remote) {
      const r = await git(root, ["symbolic-ref", "--quiet", "--short", `refs/remotes/${remote}/HEAD`], { allowFailure: true });
      const name = r.code === 0 ? r.stdout.trim().slice(remote.length + 1) : "";
      if (name && (await gitOk(root, ["show-ref", "--verify", "--quiet", `refs/heads/${name}`]))) return name;
    }
    for (const candidate of ["main", "master"]) if (await gitOk(root, ["show-ref", "--verify", "--quiet", `refs/heads/${candidate}`])) return candidate;
    if (current && !current.startsWith("claude/")) return current;
    throw new WorktreeError(
      "NO_DEFAULT_BRANCH",
      `the checkout at ${root} has a detached HEAD and the repository has no main or master branch: check out the branch sessions should start from, then launch again`,
    );
  }

  /** Creates the session's worktree on a new branch from the default branch; nothing in the user's checkout changes. */
  async create(request: { workdir: string; name: string; prompt: string }): Promise<WorktreeLaunchInfo> {
    const info = await this.inspect(request.workdir);
    const part = branchPart(request.name);
    const folder = path.join(this.opts.root, `${path.basename(info.root)}-${createHash("sha256").update(info.commonDir).digest("hex").slice(0, 8)}`);
    let id = "";
    let branch = "";
    let branchTaken: string | undefined;
    for (let attempt = 0; ; attempt++) {
      id = this.opts.newId();
      branch = `claude/${part}-${id}`;
      const taken = (await gitOk(info.root, ["show-ref", "--verify", "--quiet", `refs/heads/${branch}`])) || existsSync(path.join(folder, `${part}-${id}`));
      if (!taken) break;
      branchTaken ??= branch;
      if (attempt >= 4) throw new WorktreeError("GIT_FAILED", `could not find a free branch name for ${part} (tried ${attempt + 1})`);
    }
    const { commit: baseCommit, source: baseSource, fetch } = await this.resolveBase(info);
    const wtPath = path.join(folder, `${part}-${id}`);
    mkdirSync(folder, { recursive: true });
    await git(info.root, ["worktree", "add", "--quiet", "-b", branch, wtPath, baseCommit], { env: this.opts.env });
    const record: WorktreeRecord = {
      id,
      sessionId: undefined,
      sessionName: request.name,
      prompt: request.prompt.slice(0, 4000),
      repoRoot: info.root,
      commonDir: info.commonDir,
      path: wtPath,
      subdir: info.subdir,
      branch,
      baseBranch: info.defaultBranch,
      baseCommit,
      baseSource,
      remote: info.remote,
      state: "active",
      createdAt: this.opts.now(),
      finishedAt: undefined,
      prUrl: undefined,
      snapshotRef: undefined,
      mergeCommit: undefined,
      status: { ahead: 0, behind: 0, dirty: false, missing: false, at: this.opts.now() },
    };
    this.save(record);
    const workdir = path.join(wtPath, info.subdir);
    // The subfolder may exist only as untracked files in the user's checkout; the session still starts there.
    mkdirSync(workdir, { recursive: true });
    return { record, workdir, fetch, userChanges: info.changes.length, detachedHead: info.branch === undefined, branchTaken };
  }

  /** The base: the remote's default branch when a fetch succeeds in time, else the local one. */
  private async resolveBase(info: RepoInfo): Promise<{ commit: string; source: "remote" | "local"; fetch: string }> {
    const local = async (): Promise<string> => gitOut(info.root, ["rev-parse", "--verify", `refs/heads/${info.defaultBranch}^{commit}`]);
    if (!info.remote) return { commit: await local(), source: "local", fetch: `no remote: based on the local ${info.defaultBranch}` };
    try {
      await git(info.root, ["fetch", "--quiet", "--no-tags", info.remote, info.defaultBranch], { timeoutMs: this.opts.fetchTimeoutMs, env: this.opts.env });
      const commit = await gitOut(info.root, ["rev-parse", "--verify", `refs/remotes/${info.remote}/${info.defaultBranch}^{commit}`]);
      return { commit, source: "remote", fetch: `fetched ${info.remote}/${info.defaultBranch}` };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return { commit: await local(), source: "local", fetch: `fetch from ${info.remote} failed (${why}): based on the local ${info.defaultBranch}` };
    }
  }

  /** Links a created worktree to the session that runs in it. */
  attach(id: string, sessionId: string, sessionName: string): void {
    const r = this.records.get(id);
    if (r) this.save({ ...r, sessionId, sessionName });
  }

  /** Removes a worktree just created for a launch that then failed: it holds nothing yet. */
  async abandon(id: string): Promise<void> {
    const r = this.records.get(id);
    if (!r) return;
    if ((await this.dirtyPaths(r)).length === 0) {
      await git(r.repoRoot, ["worktree", "remove", r.path], { allowFailure: true });
      // Only if the branch still points at the base: then it holds no commit of anyone's.
      await git(r.repoRoot, ["update-ref", "-d", `refs/heads/${r.branch}`, r.baseCommit], { allowFailure: true });
      this.records.delete(id);
      this.opts.records.delete(id);
    }
  }

  /** Ahead/behind its base and dirty or not, now; kept on the record for listings. */
  async refresh(id: string): Promise<WorktreeStatus | undefined> {
    const r = this.records.get(id);
    if (!r || isFinal(r.state)) return r?.status;
    const missing = !existsSync(r.path);
    const dirty = missing ? false : (await this.dirtyPaths(r)).length > 0;
    const counts = await git(r.repoRoot, ["rev-list", "--left-right", "--count", `refs/heads/${r.baseBranch}...refs/heads/${r.branch}`], { allowFailure: true });
    const [behind, ahead] = counts.code === 0 ? counts.stdout.trim().split(/\s+/).map(Number) : [0, 0];
    const status: WorktreeStatus = { ahead: ahead ?? 0, behind: behind ?? 0, dirty, missing, at: this.opts.now() };
    this.save({ ...this.records.get(id)!, status });
    return status;
  }

  /** Finishes a worktree. The caller has made sure no session runs in it. */
  async finish(id: string, action: FinishAction): Promise<FinishOutcome> {
    const r = this.records.get(id);
    if (!r) throw new WorktreeError("NOT_FOUND", `no worktree ${id}`);
    if (isFinal(r.state)) {
      const when = r.finishedAt !== undefined ? ` at ${new Date(r.finishedAt).toISOString().slice(0, 16).replace("T", " ")} UTC` : "";
      const where = r.state === "discarded" && r.snapshotRef ? `; its work is in ${r.snapshotRef}` : "";
      throw new WorktreeError("ALREADY_FINISHED", `the worktree of ${r.sessionName} was already ${r.state}${when}${where}; there is nothing left to ${action}`);
    }
    if (this.finishing.has(id)) throw new WorktreeError("ALREADY_FINISHED", `the worktree of ${r.sessionName} is being finished right now; wait for that to end`);
    this.finishing.add(id);
    try {
      switch (action) {
        case "keep":
          return this.keep(r);
        case "merge":
          return await this.queued(r.commonDir, () => this.merge(r));
        case "pr":
          return await this.pr(r);
        case "discard":
          return await this.queued(r.commonDir, () => this.discard(r));
        default: {
          const never: never = action;
          throw new WorktreeError("NOT_FOUND", `unknown action ${String(never)}`);
        }
      }
    } finally {
      this.finishing.delete(id);
    }
  }

  /**
   * Clean-up of worktrees older than the retention: the discard rule (unmerged work goes to a
   * snapshot ref first), then `git worktree prune` for folders deleted by hand. Only worktrees in
   * the records (created by the plugin) are touched; `busy` ones (a session runs in them) are left.
   */
  async cleanup(retentionMs: number, busy: (r: WorktreeRecord) => boolean): Promise<{ discarded: FinishOutcome[]; failed: Array<{ record: WorktreeRecord; error: string }> }> {
    const cutoff = this.opts.now() - retentionMs;
    const discarded: FinishOutcome[] = [];
    const failed: Array<{ record: WorktreeRecord; error: string }> = [];
    for (const r of this.list()) {
      if (isFinal(r.state) || r.createdAt > cutoff || busy(r)) continue;
      try {
        discarded.push(await this.finish(r.id, "discard"));
      } catch (err) {
        failed.push({ record: r, error: err instanceof Error ? err.message : String(err) });
      }
    }
    for (const root of new Set(this.list().map((r) => r.repoRoot))) {
      if (existsSync(root)) await git(root, ["worktree", "prune"], { allowFailure: true });
    }
    return { discarded, failed };
  }

  private keep(r: WorktreeRecord): FinishOutcome {
    const record = this.save({ ...r, state: "kept", finishedAt: this.opts.now() });
    return outcome("keep", record, {});
  }

  private async merge(r: WorktreeRecord): Promise<FinishOutcome> {
    const base = `refs/heads/${r.baseBranch}`;
    if (!(await gitOk(r.repoRoot, ["show-ref", "--verify", "--quiet", base]))) {
      throw new WorktreeError("GIT_FAILED", `the base branch ${r.baseBranch} no longer exists in ${r.repoRoot}; create it again or finish with pr or keep`);
    }
    // Where the base is checked out, the merge must happen there (moving its ref would make that
    // checkout look changed), and only when its tracked files are clean. Checked first: a refusal changes nothing.
    const checkout = await this.checkoutOf(r.repoRoot, r.baseBranch);
    if (checkout) await this.requireClean(checkout, r);
    const leftoverCommit = await this.commitLeftovers(r);
    const tip = await gitOut(r.repoRoot, ["rev-parse", "--verify", `refs/heads/${r.branch}^{commit}`]);
    const baseTip = await gitOut(r.repoRoot, ["rev-parse", "--verify", `${base}^{commit}`]);
    if (await gitOk(r.repoRoot, ["merge-base", "--is-ancestor", tip, baseTip])) {
      await this.remove(r, tip, false);
      const record = this.save({ ...this.records.get(r.id)!, state: "merged", finishedAt: this.opts.now() });
      return outcome("merge", record, { leftoverCommit, removed: true, mergedIn: `nothing to merge: ${r.baseBranch} already has it` });
    }
    const message = [`Merge ${r.branch} into ${r.baseBranch}`, `Claude Code session ${r.sessionName}: ${firstLine(r.prompt, 200)}`, `Claude-Code-Session: ${r.sessionId ?? r.id}`];
    const mergeCommit = await this.mergeCommit(r, baseTip, tip, message);
    if (checkout) {
      // Fast-forwards the checkout to the merge: it updates the files and the branch together, and
      // refuses (changing nothing) if the branch moved or an untracked file is in the way.
      const ff = await git(checkout, ["merge", "--ff-only", "--quiet", mergeCommit], { allowFailure: true, env: this.opts.env });
      if (ff.code !== 0) {
        throw new WorktreeError("DIRTY_CHECKOUT", `the merge could not be applied in ${checkout}: ${(ff.stderr || ff.stdout).trim().split("\n").slice(0, 4).join(" / ")}. Nothing was changed; the session's worktree and branch are kept.`);
      }
    } else {
      // Compare-and-swap: refused if someone moved the base meanwhile.
      await git(r.repoRoot, ["update-ref", "-m", `claude-code: merge ${r.branch}`, base, mergeCommit, baseTip]);
    }
    await this.remove(r, tip, false);
    const record = this.save({ ...this.records.get(r.id)!, state: "merged", finishedAt: this.opts.now(), mergeCommit });
    return outcome("merge", record, { leftoverCommit, mergeCommit, removed: true, mergedIn: checkout ? `the checkout at ${checkout}` : `${r.baseBranch} (not checked out anywhere; merged without a checkout)` });
  }

  /** The merge commit of tip into baseTip, made without touching any checkout; a conflict throws CONFLICT. */
  private async mergeCommit(r: WorktreeRecord, baseTip: string, tip: string, message: string[]): Promise<string> {
    const mt = await git(r.repoRoot, ["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", baseTip, tip], { allowFailure: true });
    let tree: string;
    if (mt.code === 0 || mt.code === 1) {
      const [first, ...files] = mt.stdout.split("\0").filter(Boolean);
      if (mt.code === 1) throw this.conflict(r, [...new Set(files)]);
      tree = first ?? "";
    } else {
      // git before 2.38 has no merge-tree --write-tree: merge in a temporary worktree instead.
      return this.mergeInTemporaryWorktree(r, baseTip, tip, message);
    }
    const args = ["commit-tree", tree, "-p", baseTip, "-p", tip, ...message.flatMap((m) => ["-m", m])];
    return gitOut(r.repoRoot, [...(await this.identity(r.repoRoot)), ...args], { env: this.opts.env });
  }

  private async mergeInTemporaryWorktree(r: WorktreeRecord, baseTip: string, tip: string, message: string[]): Promise<string> {
    const tmp = path.join(this.opts.root, ".merging", `${r.id}-${this.opts.now()}`);
    mkdirSync(path.dirname(tmp), { recursive: true });
    await git(r.repoRoot, ["worktree", "add", "--quiet", "--detach", tmp, baseTip]);
    try {
      const m = await git(tmp, [...(await this.identity(tmp)), "merge", "--no-ff", "--quiet", ...message.flatMap((x) => ["-m", x]), tip], { allowFailure: true, env: this.opts.env });
      if (m.code !== 0) {
        const files = (await gitOut(tmp, ["diff", "--name-only", "--diff-filter=U"])).split("\n").filter(Boolean);
        await git(tmp, ["merge", "--abort"], { allowFailure: true });
        if (files.length > 0) throw this.conflict(r, files);
        throw new WorktreeError("GIT_FAILED", `git merge ${r.branch} failed: ${(m.stderr || m.stdout).trim()}`);
      }
      return await gitOut(tmp, ["rev-parse", "HEAD"]);
    } finally {
      await git(r.repoRoot, ["worktree", "remove", tmp], { allowFailure: true });
    }
  }

  private conflict(r: WorktreeRecord, files: string[]): WorktreeError {
    return new WorktreeError(
      "CONFLICT",
      `merging ${r.branch} into ${r.baseBranch} conflicts in ${files.join(", ")}. Nothing was merged anywhere; the worktree ${r.path} and its branch are kept. ` +
        `Finish with keep, or ask the session to resolve it: claude_respond ${r.sessionName} "merge ${r.baseBranch} into your branch and resolve the conflicts", then merge again.`,
      { conflicts: files },
    );
  }

  private async pr(r: WorktreeRecord): Promise<FinishOutcome> {
    const remotes = (await gitOut(r.repoRoot, ["remote"])).split("\n").filter(Boolean);
    const remote = r.remote && remotes.includes(r.remote) ? r.remote : remotes.includes("origin") ? "origin" : remotes[0];
    if (!remote) throw new WorktreeError("NO_REMOTE", `the repository at ${r.repoRoot} has no git remote to push ${r.branch} to: add one (git remote add origin <url>), or finish with merge or keep`);
    await run("gh", ["--version"], { cwd: r.path, env: this.opts.env });
    const leftoverCommit = await this.commitLeftovers(r);
    const push = await git(r.path, ["push", "--quiet", "-u", remote, `refs/heads/${r.branch}:refs/heads/${r.branch}`], { allowFailure: true, env: this.opts.env, timeoutMs: 120_000 });
    if (push.code !== 0) throw new WorktreeError("PUSH_FAILED", `git push ${remote} ${r.branch} failed: ${(push.stderr || push.stdout).trim().split("\n").slice(-4).join(" / ")}`);
    const existing = await run("gh", ["pr", "list", "--head", r.branch, "--state", "open", "--json", "url", "--jq", ".[0].url"], { cwd: r.path, env: this.opts.env });
    let url = lastUrl(existing.stdout);
    const prReused = url !== undefined;
    if (!url) {
      const title = `${r.sessionName}: ${firstLine(r.prompt, 60)}`;
      const body = `${r.prompt.slice(0, 3000)}\n\nMade by Claude Code session ${r.sessionName}.\n\nClaude-Code-Session: ${r.sessionId ?? r.id}`;
      const args = ["pr", "create", "--head", r.branch, "--base", r.baseBranch, "--title", title, "--body", body, ...(this.opts.prDraft ? ["--draft"] : [])];
      const created = await run("gh", args, { cwd: r.path, env: this.opts.env, timeoutMs: 120_000 });
      url = lastUrl(created.stdout);
      if (!url) throw new WorktreeError("GIT_FAILED", `gh pr create gave no pull request URL: ${created.stdout.trim() || created.stderr.trim()}`);
    }
    const record = this.save({ ...this.records.get(r.id)!, state: "pr", prUrl: url, remote, finishedAt: this.opts.now() });
    return outcome("pr", record, { leftoverCommit, prUrl: url, prReused });
  }

  private async discard(r: WorktreeRecord): Promise<FinishOutcome> {
    const missing = !existsSync(r.path);
    if (missing) await git(r.repoRoot, ["worktree", "prune"], { allowFailure: true });
    const dirty = missing ? [] : await this.dirtyPaths(r);
    const tipRes = await git(r.repoRoot, ["rev-parse", "--verify", "--quiet", `refs/heads/${r.branch}^{commit}`], { allowFailure: true });
    const tip = tipRes.code === 0 ? tipRes.stdout.trim() : undefined;
    const merged = dirty.length === 0 && (tip === undefined || (await this.isMerged(r, tip)));
    let snapshotRef: string | undefined;
    if (!merged) {
      const snapshot = dirty.length > 0 ? await this.snapshotCommit(r, tip ?? r.baseCommit) : tip!;
      snapshotRef = `${SNAPSHOT_PREFIX}${r.sessionId ?? r.id}`;
      await git(r.repoRoot, ["update-ref", "-m", `claude-code: discard ${r.branch}`, snapshotRef, snapshot]);
      // The work is removed only once the ref is proven to hold it.
      if ((await gitOut(r.repoRoot, ["rev-parse", snapshotRef])) !== snapshot) throw new WorktreeError("GIT_FAILED", `could not store ${snapshotRef}; nothing was removed`);
    }
    await this.remove(r, tip, dirty.length > 0 && snapshotRef !== undefined, missing);
    const record = this.save({ ...this.records.get(r.id)!, state: "discarded", finishedAt: this.opts.now(), snapshotRef });
    const restoreCommand = snapshotRef ? `git -C ${r.repoRoot} worktree add -b ${r.branch} ${r.path} ${snapshotRef}` : undefined;
    return outcome("discard", record, { snapshotRef, restoreCommand, removed: true });
  }

  /** Merged: the branch is an ancestor of the base, or merging it would change nothing (e.g. squash-merged). */
  private async isMerged(r: WorktreeRecord, tip: string): Promise<boolean> {
    const base = `refs/heads/${r.baseBranch}`;
    if (!(await gitOk(r.repoRoot, ["show-ref", "--verify", "--quiet", base]))) return false;
    if (await gitOk(r.repoRoot, ["merge-base", "--is-ancestor", tip, base])) return true;
    const mt = await git(r.repoRoot, ["merge-tree", "--write-tree", "--no-messages", base, tip], { allowFailure: true });
    if (mt.code === 0) return mt.stdout.trim().split("\n")[0] === (await gitOut(r.repoRoot, ["rev-parse", `${base}^{tree}`]));
    return gitOk(r.repoRoot, ["diff", "--quiet", base, tip]);
  }

  /** A commit of the worktree as it is (uncommitted and untracked changes too), on top of `parent`; the worktree and its index are untouched. */
  private async snapshotCommit(r: WorktreeRecord, parent: string): Promise<string> {
    const index = await gitOut(r.path, ["rev-parse", "--path-format=absolute", "--git-path", "claude-code-snapshot.index"]);
    const env = { ...this.opts.env, GIT_INDEX_FILE: index };
    try {
      await git(r.path, ["read-tree", parent], { env });
      await git(r.path, ["add", "-A", "."], { env });
      const tree = await gitOut(r.path, ["write-tree"], { env });
      const msg = ["-m", `Uncommitted changes of Claude Code session ${r.sessionName}`, "-m", `Claude-Code-Session: ${r.sessionId ?? r.id}`];
      return await gitOut(r.path, [...(await this.identity(r.path)), "commit-tree", tree, "-p", parent, ...msg], { env: this.opts.env });
    } finally {
      rmSync(index, { force: true });
    }
  }

  /** Commits what the session left uncommitted in its worktree; the commit id, or undefined if clean. */
  private async commitLeftovers(r: WorktreeRecord): Promise<string | undefined> {
    if (!existsSync(r.path) || (await this.dirtyPaths(r)).length === 0) return undefined;
    await git(r.path, ["add", "-A", "."]);
    const subject = `${r.sessionName}: ${firstLine(r.prompt, 60)}`;
    const body = r.prompt.trim().length > 60 || r.prompt.includes("\n") ? r.prompt.trim().slice(0, 2000) : undefined;
    const args = ["commit", "--quiet", "--no-verify", "-m", subject, ...(body ? ["-m", body] : []), "-m", `Claude-Code-Session: ${r.sessionId ?? r.id}`];
    await git(r.path, [...(await this.identity(r.path)), ...args], { env: this.opts.env });
    return gitOut(r.path, ["rev-parse", "HEAD"]);
  }

  /**
   * Removes the worktree folder and its branch. `force` only after its content was stored in a
   * snapshot ref; the branch is deleted only if it still points where we saw it (`tip`).
   */
  private async remove(r: WorktreeRecord, tip: string | undefined, force: boolean, missing = false): Promise<void> {
    if (!missing) await git(r.repoRoot, ["worktree", "remove", ...(force ? ["--force"] : []), r.path]);
    if (tip) await git(r.repoRoot, ["update-ref", "-d", `refs/heads/${r.branch}`, tip]);
  }

  /** The checkout (worktree) that has `branch` checked out, if any. */
  private async checkoutOf(root: string, branch: string): Promise<string | undefined> {
    const list = await gitOut(root, ["worktree", "list", "--porcelain"]);
    let current: string | undefined;
    for (const line of list.split("\n")) {
      if (line.startsWith("worktree ")) current = line.slice("worktree ".length);
      else if (line === `branch refs/heads/${branch}`) return current;
    }
    return undefined;
  }

  /** Refuses when the checkout has changes to tracked files or an operation in progress. */
  private async requireClean(checkout: string, r: WorktreeRecord): Promise<void> {
    const status = await git(checkout, ["status", "--porcelain", "-z", "--untracked-files=no"]);
    const changed = porcelainPaths(status.stdout);
    const busyFiles = ["MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply"];
    for (const f of busyFiles) {
      const p = await gitOut(checkout, ["rev-parse", "--path-format=absolute", "--git-path", f]);
      if (existsSync(p)) changed.push(`(a ${f.replace(/_HEAD$/, "").toLowerCase()} in progress)`);
    }
    if (changed.length > 0) {
      const shown = changed.slice(0, 5).join(", ") + (changed.length > 5 ? `, … (${changed.length} in all)` : "");
      throw new WorktreeError(
        "DIRTY_CHECKOUT",
        `${r.baseBranch} is checked out in ${checkout}, which has uncommitted changes (${shown}); the merge would have to happen there. Nothing was changed. Commit or stash them and merge again, or finish with pr or keep.`,
        { checkout, changes: changed },
      );
    }
  }

  private async dirtyPaths(r: WorktreeRecord): Promise<string[]> {
    if (!existsSync(r.path)) return [];
    return porcelainPaths((await git(r.path, ["status", "--porcelain", "-z", "--untracked-files=all"])).stdout);
  }

  /** A committer identity when the repository has none, so commits of leftovers never fail on it. */
  private async identity(cwd: string): Promise<string[]> {
    const name = await git(cwd, ["config", "user.name"], { allowFailure: true, env: this.opts.env });
    const email = await git(cwd, ["config", "user.email"], { allowFailure: true, env: this.opts.env });
    return name.code === 0 && email.code === 0 ? [] : FALLBACK_IDENTITY;
  }

  private queued<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(job, job);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }

  private save(record: WorktreeRecord): WorktreeRecord {
    this.records.set(record.id, record);
    this.opts.records.save(record);
    return record;
  }
}

function outcome(action: FinishAction, record: WorktreeRecord, parts: Partial<Omit<FinishOutcome, "action" | "record">>): FinishOutcome {
  return {
    action,
    record,
    leftoverCommit: parts.leftoverCommit,
    mergeCommit: parts.mergeCommit,
    mergedIn: parts.mergedIn,
    prUrl: parts.prUrl,
    prReused: parts.prReused ?? false,
    snapshotRef: parts.snapshotRef,
    restoreCommand: parts.restoreCommand,
    removed: parts.removed ?? false,
  };
}

/** Paths from `git status --porcelain -z` (a rename's second, original path skipped). */
function porcelainPaths(out: string): string[] {
  const parts = out.split("\0");
  const paths: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i]!;
    if (entry.length < 4) continue;
    paths.push(entry.slice(3));
    if (entry[0] === "R" || entry[0] === "C") i++;
  }
  return paths;
}

function lastUrl(out: string): string | undefined {
  const urls = out.split(/\s+/).filter((w) => /^https?:\/\//.test(w));
  return urls.at(-1);
}

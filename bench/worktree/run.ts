// Benchmark: session worktrees on a repository of --files files (default 10 000). The launch side
// (WorktreeManager.create: inspect, name, base, `git worktree add`, record) against a plain
// `git worktree add` of the same repository; and the merge finish of a one-file change against the
// same steps by hand (commit, `git merge`, remove the worktree and branch). Alternating, in one run.
// Run: npm run bench:worktree  (options: --files N, --rounds N)
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openDatabase } from "../../src/store/database.ts";
import { WorktreeStore } from "../../src/store/worktree-store.ts";
import { WorktreeManager } from "../../src/worktrees/index.ts";

const { values } = parseArgs({ options: { files: { type: "string", default: "10000" }, rounds: { type: "string", default: "7" } } });
const FILES = Number(values.files);
const ROUNDS = Number(values.rounds);
const LAUNCH_TARGET = 1.2;
const MERGE_TARGET = 1.5;

const env = { ...process.env, GIT_AUTHOR_NAME: "Bench", GIT_AUTHOR_EMAIL: "bench@example.com", GIT_COMMITTER_NAME: "Bench", GIT_COMMITTER_EMAIL: "bench@example.com" };
const git = (cwd: string, ...args: string[]): string => execFileSync("git", args, { cwd, env, encoding: "utf8", maxBuffer: 64 << 20 }).trim();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const root = mkdtempSync(path.join(os.tmpdir(), "bench-worktree-"));
try {
  const repo = path.join(root, "repo");
  mkdirSync(repo);
  git(repo, "init", "-q", "-b", "main");
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(repo, `pkg${Math.floor(i / 500)}`, `mod${Math.floor(i / 50) % 10}`);
    if (i % 50 === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `file${i}.ts`), `export const value${i} = ${i};\n`);
  }
  git(repo, "add", ".");
  git(repo, "commit", "-q", "-m", "init");
  console.log(`repository of ${FILES} files ready; ${ROUNDS} rounds, alternating`);

  const { db } = openDatabase(path.join(root, "state", "store.sqlite"));
  const manager = new WorktreeManager({ root: path.join(root, "state", "worktrees"), records: new WorktreeStore(db), prDraft: true, env });
  const plainRoot = path.join(root, "plain");
  mkdirSync(plainRoot);

  const launch = { ours: [] as number[], plain: [] as number[], ratios: [] as number[] };
  const merge = { ours: [] as number[], hand: [] as number[], ratios: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    // Launch side: ours and plain, in alternating order; each cleaned up outside the timing.
    let ours = 0;
    let plain = 0;
    const runOurs = async (): Promise<void> => {
      let id = "";
      ours = await timed(async () => (id = (await manager.create({ workdir: repo, name: `bench-${round}`, prompt: "bench" })).record.id));
      await manager.finish(id, "discard");
    };
    const runPlain = async (): Promise<void> => {
      const p = path.join(plainRoot, `wt-${round}`);
      plain = await timed(() => git(repo, "worktree", "add", "--quiet", "-b", `plain-${round}`, p, "main"));
      git(repo, "worktree", "remove", p);
      git(repo, "branch", "-q", "-D", `plain-${round}`);
    };
    if (round % 2 === 0) {
      await runOurs();
      await runPlain();
    } else {
      await runPlain();
      await runOurs();
    }
    launch.ours.push(ours);
    launch.plain.push(plain);
    launch.ratios.push(ours / plain);

    // Merge of a one-file change, both into main (checked out and clean in the user's checkout).
    let mergeOurs = 0;
    let mergeHand = 0;
    const mergeByUs = async (): Promise<void> => {
      const info = await manager.create({ workdir: repo, name: `merge-${round}`, prompt: "change one file" });
      writeFileSync(path.join(info.workdir, `ours-${round}.txt`), "ours\n");
      mergeOurs = await timed(() => manager.finish(info.record.id, "merge"));
    };
    const mergeByHand = async (): Promise<void> => {
      const p = path.join(plainRoot, `merge-${round}`);
      const branch = `hand-${round}`;
      git(repo, "worktree", "add", "--quiet", "-b", branch, p, "main");
      writeFileSync(path.join(p, `hand-${round}.txt`), "hand\n");
      mergeHand = await timed(() => {
        git(p, "add", "-A");
        git(p, "commit", "-q", "-m", "change one file");
        git(repo, "merge", "--no-ff", "--quiet", "-m", `Merge ${branch}`, branch);
        git(repo, "worktree", "remove", p);
        git(repo, "branch", "-q", "-d", branch);
      });
    };
    if (round % 2 === 0) {
      await mergeByUs();
      await mergeByHand();
    } else {
      await mergeByHand();
      await mergeByUs();
    }
    merge.ours.push(mergeOurs);
    merge.hand.push(mergeHand);
    merge.ratios.push(mergeOurs / mergeHand);
    console.log(`round ${round + 1}: launch ${ours.toFixed(0)} vs ${plain.toFixed(0)} ms · merge ${mergeOurs.toFixed(0)} vs ${mergeHand.toFixed(0)} ms`);
  }
  db.close();

  const launchRatio = median(launch.ratios);
  const mergeRatio = median(merge.ratios);
  console.log(`\nlaunch-side worktree creation (median ms): ours ${median(launch.ours).toFixed(0)}, plain git worktree add ${median(launch.plain).toFixed(0)}`);
  console.log(`  ratio ${launchRatio.toFixed(2)} (median of per-round ratios; target ≤ ${LAUNCH_TARGET}) ${launchRatio <= LAUNCH_TARGET ? "OK" : "OVER"}`);
  console.log(`merge of a one-file change (median ms): ours ${median(merge.ours).toFixed(0)}, by hand (commit, git merge, worktree remove, branch -d) ${median(merge.hand).toFixed(0)}`);
  console.log(`  ratio ${mergeRatio.toFixed(2)} (median of per-round ratios; target ≤ ${MERGE_TARGET}) ${mergeRatio <= MERGE_TARGET ? "OK" : "OVER"}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}

// The worktree config keys: defaults, the per-workdir override in agentChannels' shape, and the messages for bad values.
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, worktreeByDefault } from "./config.ts";

const env = { HOME: "/home/u", PROJECTS: "/srv/projects" };

function problems(raw: unknown): string {
  try {
    parseConfig(raw, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join("\n");
    throw err;
  }
  throw new Error("the config was accepted");
}

describe("worktree config", () => {
  it("defaults: no worktree, retention 7 days, draft PRs, the worktree root under the state dir", () => {
    const cfg = parseConfig({}, env);
    expect(cfg).toMatchObject({ defaultWorktree: false, worktreeByWorkdir: [], worktreeRoot: undefined, worktreeRetentionDays: 7, prDraft: true });
    expect(worktreeByDefault(cfg, "/srv/projects/api")).toBe(false);
  });

  it("worktreeByWorkdir overrides defaultWorktree by the longest matching prefix, ${VAR} expanded", () => {
    const cfg = parseConfig({ defaultWorktree: true, worktreeByWorkdir: { "${PROJECTS}": false, "${PROJECTS}/api": true }, worktreeRoot: "~/wt" }, env);
    expect(worktreeByDefault(cfg, "/srv/projects/api/src")).toBe(true);
    expect(worktreeByDefault(cfg, "/srv/projects/web")).toBe(false);
    expect(worktreeByDefault(cfg, "/elsewhere")).toBe(true);
    expect(cfg.worktreeRoot).toBe("/home/u/wt");
  });

  it("says what is wrong with bad values", () => {
    expect(problems({ defaultWorktree: "yes" })).toMatch(/defaultWorktree must be true or false/);
    expect(problems({ prDraft: 1 })).toMatch(/prDraft must be true or false/);
    expect(problems({ worktreeRetentionDays: -1 })).toMatch(/worktreeRetentionDays must be a number between 0 and 3650/);
    expect(problems({ worktreeRoot: "relative/dir" })).toMatch(/worktreeRoot must be an absolute path/);
    expect(problems({ worktreeByWorkdir: ["/a"] })).toMatch(/worktreeByWorkdir must map a workdir path to true or false/);
    expect(problems({ worktreeByWorkdir: { "/a": "yes" } })).toMatch(/worktreeByWorkdir\["\/a"\] must be true or false/);
  });
});

// Lays the plugin out as its npm package installs it: the files package.json ships ("files": the
// bundle in dist/plugin, the page in dist/control-ui, the manifest, skills, docs) beside the
// installed dependencies. OpenClaw copies and hashes a plugin's whole directory at every load
// (twice per gateway start), so a gateway that loads the repository itself also copies its tests,
// benchmarks and `npm start`'s state: seconds per start that an installed plugin never pays.
// `npm start` and the e2e gateways load this copy.
import { cpSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { resolveClaudeBinary } from "../../src/safety/probes.ts";
import { REPO_ROOT } from "./gateway.ts";

interface PackageJson {
  files?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export interface StageOptions {
  /**
   * "linked" (default): node_modules links to the repository's, as a plain `npm install` in the
   * plugin's directory holds every package npm put there, peers included. "runtime": node_modules
   * holds, as hard links, only the plugin's dependency closure without dev or peer dependencies,
   * as `openclaw plugins install` installs a registry package (`npm install --omit=dev --omit=peer
   * --legacy-peer-deps`). The Agent SDK's peers (its API client, the MCP SDK, zod: thousands of
   * files the SDK's bundled build does not load) are then absent, so the host does not copy them
   * at each load. Falls back to "linked" when hard links cannot be made (another filesystem).
   */
  dependencies?: "linked" | "runtime";
  /**
   * With "runtime": leave out the Agent SDK's platform binary package (the Claude Code CLI, 381 MB,
   * which the host also copies and hashes at each load: about 9 s of every gateway start here).
   * The gateway's plugin config must then set claudeExecutable (stageLeanPluginPackage does both).
   */
  withoutClaudeBinary?: boolean;
}

/** The SDK's per-platform CLI packages (`@anthropic-ai/claude-agent-sdk-linux-x64`, …). */
const CLAUDE_BINARY_PACKAGE = /^@anthropic-ai\/claude-agent-sdk-/;

/** The Claude Code CLI installed in the repository, as the plugin would find it. */
export function installedClaudeBinary(): string {
  const found = resolveClaudeBinary();
  if ("error" in found) throw new Error(`${found.error} (run \`npm ci\`)`);
  return found.path;
}

/**
 * The plugin staged lean, as the e2e gateways, node hosts and `bench:boot --install lean` load it:
 * runtime dependencies only, without the Claude Code binary package; with the plugin config that
 * staging needs (claudeExecutable naming the repository's binary).
 */
export function stageLeanPluginPackage(dest: string): { dir: string; pluginConfig: { claudeExecutable: string } } {
  const dir = stagePluginPackage(dest, { dependencies: "runtime", withoutClaudeBinary: true });
  return { dir, pluginConfig: { claudeExecutable: installedClaudeBinary() } };
}

/**
 * Writes the package into `dest` (replacing what was there) and returns `dest`. Needs a build:
 * dist/plugin and dist/control-ui are part of the package.
 */
export function stagePluginPackage(dest: string, options: StageOptions = {}): string {
  const root = REPO_ROOT;
  if (!existsSync(path.join(root, "dist", "plugin", "index.js"))) {
    throw new Error("dist/plugin is missing: run `npm run build` first");
  }
  const manifestText = readFileSync(path.join(root, "package.json"), "utf8");
  const files = (JSON.parse(manifestText) as PackageJson).files;
  // The paths `npm pack` would include besides package.json (README and LICENSE always are).
  if (!Array.isArray(files) || !files.every((f): f is string => typeof f === "string")) {
    throw new Error(`package.json "files" must list the paths the package ships`);
  }
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  writeFileSync(path.join(dest, "package.json"), manifestText);
  for (const entry of files) {
    const from = path.join(root, entry);
    if (!existsSync(from)) throw new Error(`package.json "files" lists ${entry}, which does not exist`);
    cpSync(from, path.join(dest, entry), { recursive: true });
  }
  if (options.dependencies === "runtime") {
    try {
      linkRuntimeDependencies(root, path.join(dest, "node_modules"), options.withoutClaudeBinary === true ? CLAUDE_BINARY_PACKAGE : undefined);
      return dest;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
      rmSync(path.join(dest, "node_modules"), { recursive: true, force: true });
    }
  }
  symlinkSync(path.join(root, "node_modules"), path.join(dest, "node_modules"), "dir");
  return dest;
}

function readManifest(dir: string): PackageJson {
  return JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson;
}

/** Hard-links the installed packages the plugin needs at run time (dependencies and the optional ones installed, no peers), but those `leaveOut` matches. */
function linkRuntimeDependencies(root: string, destModules: string, leaveOut: RegExp | undefined): void {
  const installed = path.join(root, "node_modules");
  const seen = new Set<string>();
  const visit = (manifest: PackageJson, required: boolean): void => {
    const names = [...Object.keys(manifest.dependencies ?? {}).map((n) => [n, required] as const), ...Object.keys(manifest.optionalDependencies ?? {}).map((n) => [n, false] as const)];
    for (const [name, needed] of names) {
      if (seen.has(name) || leaveOut?.test(name)) continue;
      const from = path.join(installed, name);
      if (!existsSync(path.join(from, "package.json"))) {
        if (needed) throw new Error(`dependency ${name} is not installed: run \`npm ci\``);
        continue; // an optional dependency of another platform
      }
      seen.add(name);
      linkTree(from, path.join(destModules, name));
      visit(readManifest(from), true);
    }
  };
  visit(readManifest(root), true);
}

function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) linkTree(source, target);
    else if (entry.isSymbolicLink()) cpSync(source, target, { verbatimSymlinks: true });
    else linkSync(source, target);
  }
}

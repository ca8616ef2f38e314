// Bundles the compiled plugin (dist/src, from tsc) into dist/plugin/: the entry the host loads, the
// node supervisor (a process of its own) and the chunks loaded on first use. At every gateway start
// OpenClaw copies and hashes each file of the plugin's package and of every package it declares,
// twice; TypeBox alone is 1 421 files and our compiled modules with their maps and declarations
// 263 more. Bundled, TypeBox is part of our few files and not a runtime dependency any more.
// What stays outside: the host (openclaw), Node's built-ins, the Agent SDK (loaded at the first
// launch, named through a variable) and unbash (loaded at the first shell check, by require).
// Run by `npm run build` after tsc.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Imports the bundle may keep: what the host provides, what Node has, and what package.json declares. */
export const EXTERNAL = [/^openclaw(\/|$)/, /^node:/, /^unbash$/, /^@anthropic-ai\/claude-agent-sdk$/];

export const BUNDLE_DIR = path.join(REPO_ROOT, "dist", "plugin");

export async function bundlePlugin(): Promise<string[]> {
  const compiled = path.join(REPO_ROOT, "dist", "src");
  if (!existsSync(path.join(compiled, "index.js"))) throw new Error("dist/src is missing: tsc -p tsconfig.build.json comes first");
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  const { rolldown } = await import("rolldown");
  const warnings: string[] = [];
  const build = await rolldown({
    input: { index: path.join(compiled, "index.js"), supervisor: path.join(compiled, "nodes", "supervisor.js") },
    platform: "node",
    external: EXTERNAL,
    onLog: (level, log) => {
      if (level === "warn") warnings.push(log.message);
    },
  });
  // The supervisor sits beside the node-side chunk, which finds it by its own URL.
  await build.write({ dir: BUNDLE_DIR, format: "esm", entryFileNames: "[name].js", chunkFileNames: "[name]-[hash].js" });
  await build.close();
  const files = readdirSync(BUNDLE_DIR).sort();
  // Every bare import left in the output must be one of the externals: anything else would be a
  // package the installed plugin does not have.
  for (const file of files) {
    const text = readFileSync(path.join(BUNDLE_DIR, file), "utf8");
    for (const match of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^;]*?from\s*["']([^"'.][^"']*)["']|\bimport\s*\(\s*["']([^"'.][^"']*)["']\s*\)/gm)) {
      const spec = match[1] ?? match[2] ?? "";
      if (!EXTERNAL.some((pattern) => pattern.test(spec))) throw new Error(`dist/plugin/${file} imports "${spec}", which is neither bundled nor a declared dependency`);
    }
  }
  for (const warning of warnings) process.stderr.write(`bundle: ${warning}\n`);
  return files;
}

if (import.meta.main) {
  const started = performance.now();
  const files = await bundlePlugin();
  console.log(`bundled dist/plugin/ (${files.join(", ")}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

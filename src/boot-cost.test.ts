// Guards the plugin's start cost: at every gateway start OpenClaw captures each package our code
// names in a literal import, `import()` or `require.resolve`, and the Agent SDK drags its ~380 MB
// native binary in (it cost the gateway 20-30 s of start). The SDK is named through a variable
// instead (engine/backends/claude-code/agent-sdk.ts, safety/probes.ts); type-only imports are erased and cost nothing.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EXTERNAL } from "../scripts/bundle.ts";

const SRC = path.dirname(fileURLToPath(import.meta.url));
const HEAVY = ["@anthropic-ai/claude-agent-sdk", "@anthropic-ai/sdk"];

function productFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return productFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [full] : [];
  });
}

/** Literal module references that survive compilation (value imports, re-exports, import(), require, require.resolve). */
export function literalModuleReferences(source: string): string[] {
  const withoutTypeImports = source
    .replace(/\b(?:import|export)\s+type\s[^;]*?from\s*["'][^"']+["']/gs, "")
    .replace(/\btypeof\s+import\s*\(\s*["'][^"']+["']\s*\)/g, "");
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^;]*?from\s*["']([^"']+)["']/gs, /\bimport\s*["']([^"']+)["']/g, /\b(?:import|require|require\.resolve|resolve)\s*\(\s*["'`]([^"'`$]+)["'`]/g];
  for (const pattern of patterns) for (const match of withoutTypeImports.matchAll(pattern)) found.push(match[1] ?? "");
  return found;
}

describe("what the host copies at every start", () => {
  it("finds literal references, and skips type-only imports", () => {
    const sample = [
      'import type { Query } from "@anthropic-ai/claude-agent-sdk";',
      'import { x } from "./a.ts";',
      'const r = require.resolve("@anthropic-ai/claude-agent-sdk");',
      "await import('typebox');",
      'let q: typeof import("@anthropic-ai/claude-agent-sdk");',
    ].join("\n");
    expect(literalModuleReferences(sample)).toEqual(["./a.ts", "@anthropic-ai/claude-agent-sdk", "typebox"]);
  });

  it("no product module names the Agent SDK literally", () => {
    const offenders = productFiles(SRC).flatMap((file) =>
      literalModuleReferences(readFileSync(file, "utf8"))
        .filter((spec) => HEAVY.some((pkg) => spec === pkg || spec.startsWith(`${pkg}/`)))
        .map((spec) => `${path.relative(SRC, file)}: ${spec}`),
    );
    expect(offenders, "name the SDK through a variable (see engine/backends/claude-code/agent-sdk.ts)").toEqual([]);
  });

  it("the package declares at run time only what the bundle leaves outside, and ships the bundle, not the compiled modules", () => {
    const manifest = JSON.parse(readFileSync(path.join(SRC, "..", "package.json"), "utf8")) as {
      main: string;
      files: string[];
      dependencies: Record<string, string>;
      openclaw: { extensions: string[] };
    };
    // TypeBox is bundled: declared, the host would copy its 1 421 files twice per start.
    const declared = Object.keys(manifest.dependencies).sort();
    expect(declared).toEqual(["@anthropic-ai/claude-agent-sdk", "unbash"]);
    for (const name of declared) expect(EXTERNAL.some((pattern) => pattern.test(name)), `${name} is declared but bundled`).toBe(true);
    expect(manifest.openclaw.extensions).toEqual(["./dist/plugin/index.js"]);
    expect(manifest.main).toBe("./dist/plugin/index.js");
    expect(manifest.files.filter((f) => f.startsWith("dist"))).toEqual(["dist/plugin", "dist/control-ui"]);
  });
});

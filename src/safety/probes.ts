// The doctor's look at the machine (no OpenClaw here): the Claude Code binary the Agent SDK would
// spawn, the credentials Claude Code would find, and whether a custom ANTHROPIC_BASE_URL answers.
import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

export type ClaudeProbe =
  | { kind: "ok"; path: string; version: string }
  | { kind: "missing"; reason: string }
  | { kind: "broken"; path: string; reason: string };

type Env = Readonly<Record<string, string | undefined>>;

/** A variable, not a literal: the host fingerprints literal module references at every start (see engine/backends/claude-code/agent-sdk.ts). */
const AGENT_SDK_PACKAGE: string = "@anthropic-ai/claude-agent-sdk";

/**
 * The native CLI the SDK spawns: its per-platform optional dependency
 * (`@anthropic-ai/claude-agent-sdk-<platform>-<arch>[-musl]/claude`), resolved from the SDK itself.
 */
export function resolveClaudeBinary(platform: string = process.platform, arch: string = process.arch): { path: string } | { error: string } {
  let sdkEntry: string;
  try {
    sdkEntry = createRequire(import.meta.url).resolve(AGENT_SDK_PACKAGE);
  } catch {
    return { error: "the @anthropic-ai/claude-agent-sdk package is not installed next to the plugin (reinstall the plugin)" };
  }
  const fromSdk = createRequire(sdkEntry);
  const base = `@anthropic-ai/claude-agent-sdk-${platform}-${arch}`;
  const candidates = platform === "linux" ? [base, `${base}-musl`] : [base];
  const exe = platform === "win32" ? "claude.exe" : "claude";
  for (const pkg of candidates) {
    try {
      return { path: fromSdk.resolve(`${pkg}/${exe}`) };
    } catch {
      // try the next variant
    }
  }
  return { error: `no Claude Code binary package (${candidates.join(" or ")}) is installed: the plugin was installed without optional dependencies; reinstall it without --omit=optional` };
}

function configuredClaudeBinary(file: string): { path: string } | { error: string } {
  try {
    accessSync(file, constants.X_OK);
    return { path: file };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { error: code === "ENOENT" ? `claudeExecutable is ${file}, which does not exist` : `claudeExecutable is ${file}, which cannot be run (${code ?? "not executable"})` };
  }
}

/** The Claude Code version the installed Agent SDK declares it bundles (`claudeCodeVersion` in its package.json). */
export function bundledClaudeCodeVersion(): string | undefined {
  try {
    const sdkEntry = createRequire(import.meta.url).resolve(AGENT_SDK_PACKAGE);
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(sdkEntry), "package.json"), "utf8")) as { claudeCodeVersion?: unknown };
    return typeof pkg.claudeCodeVersion === "string" ? pkg.claudeCodeVersion : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `<binary> --version` (bounded) to prove the binary starts on this machine: `configured` (the
 * plugin's claudeExecutable) when given, else the SDK's own.
 */
export function probeClaudeBinary(configured?: string, timeoutMs = 20_000): Promise<ClaudeProbe> {
  const found = configured ? configuredClaudeBinary(configured) : resolveClaudeBinary();
  if ("error" in found) return Promise.resolve({ kind: "missing", reason: found.error });
  return new Promise((resolve) => {
    execFile(found.path, ["--version"], { timeout: timeoutMs, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? os.homedir(), DISABLE_AUTOUPDATER: "1" } }, (err, stdout, stderr) => {
      if (err) {
        const why = stderr.trim().split("\n")[0] || err.message.split("\n")[0] || "failed";
        resolve({ kind: "broken", path: found.path, reason: why });
        return;
      }
      resolve({ kind: "ok", path: found.path, version: stdout.trim().split("\n")[0] ?? "" });
    });
  });
}

export type CredentialsProbe =
  | { kind: "ok"; source: string }
  /** ANTHROPIC_BASE_URL points somewhere else (the offline model, a proxy): it must answer. */
  | { kind: "base-url"; baseUrl: string; reachable: boolean; key: string | undefined; reason: string }
  | { kind: "none" };

type Detected = { kind: "ok"; source: string } | { kind: "base-url"; baseUrl: string; key: string | undefined } | { kind: "none" };

/** Which credentials Claude Code would use, by name only: secrets are never read out or shown. */
export function detectCredentials(env: Env, fileExists: (p: string) => boolean = existsSync): Detected {
  const home = env.HOME ?? os.homedir();
  const configDir = env.CLAUDE_CONFIG_DIR?.trim() || path.join(home, ".claude");
  const login = path.join(configDir, ".credentials.json");
  const keyName = ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"].find((name) => env[name]?.trim());
  const key = keyName ? `${keyName} is set` : fileExists(login) ? `a Claude login (${login})` : undefined;
  const baseUrl = env.ANTHROPIC_BASE_URL?.trim();
  if (baseUrl) return { kind: "base-url", baseUrl, key };
  if (key) return { kind: "ok", source: key };
  for (const flag of ["CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "CLAUDE_CODE_USE_FOUNDRY"]) {
    if (env[flag] === "1" || env[flag] === "true") return { kind: "ok", source: `${flag} is set (the cloud credentials themselves are not checked)` };
  }
  return { kind: "none" };
}

/** Whether an HTTP server answers at `baseUrl` (any status counts: it only has to be there). */
export async function reachable(baseUrl: string, timeoutMs = 3_000): Promise<{ ok: boolean; reason: string }> {
  try {
    const res = await fetch(baseUrl, { method: "GET", signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return { ok: true, reason: `answers (HTTP ${res.status})` };
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
    return { ok: false, reason: `does not answer (${cause})` };
  }
}

export async function probeCredentials(env: Env, fileExists: (p: string) => boolean = existsSync): Promise<CredentialsProbe> {
  const found = detectCredentials(env, fileExists);
  if (found.kind !== "base-url") return found;
  const r = await reachable(found.baseUrl);
  return { kind: "base-url", baseUrl: found.baseUrl, reachable: r.ok, key: found.key, reason: r.reason };
}

// Whether Claude Code can reach Anthropic with what this user already has (environment keys, a
// cloud provider switch, or a Claude Code login), and which, so the demo can say so without ever
// printing a secret.
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Variables that give Claude Code a way to Anthropic (directly or through a cloud provider). */
export const CREDENTIAL_VARIABLES = ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX"] as const;

/** A human description of the credentials found (e.g. "ANTHROPIC_API_KEY"), or undefined. */
export function findClaudeCredentials(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  for (const name of CREDENTIAL_VARIABLES) if (env[name]) return name;
  const home = env.HOME ?? os.homedir();
  const configDir = env.CLAUDE_CONFIG_DIR ?? path.join(home, ".claude");
  if (existsSync(path.join(configDir, ".credentials.json"))) return `the Claude Code login in ${configDir}`;
  // Where the login sits in the system keychain (macOS), the global config still names the account.
  const globalConfig = env.CLAUDE_CONFIG_DIR ? path.join(configDir, ".claude.json") : path.join(home, ".claude.json");
  try {
    const parsed: unknown = JSON.parse(readFileSync(globalConfig, "utf8"));
    if (typeof parsed === "object" && parsed !== null && "oauthAccount" in parsed && parsed.oauthAccount) return `the Claude Code login of ${globalConfig}`;
  } catch {
    // no such file, or not JSON: no login there
  }
  return undefined;
}

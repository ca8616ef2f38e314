// The environment variables that point a Claude Code CLI at an offline model (for SDK `Options.env`).

/**
 * Variables that make Claude Code talk only to `baseUrl`: the base URL, a placeholder API key, and the
 * switches that turn off non-essential traffic (startup probe, titles, DNS), telemetry, error reports
 * and the auto-updater. Merge them over PATH, HOME, CLAUDE_CONFIG_DIR, TMPDIR… (`Options.env`
 * replaces the child's whole environment).
 */
export function offlineClaudeEnv(baseUrl: string): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: "offline",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
    DISABLE_AUTOUPDATER: "1",
  };
}

// The Claude Code child's environment, built explicitly (the SDK's `env` replaces the child's
// environment entirely): what a shell needs, the gateway's Anthropic / Claude Code settings,
// then per-launch overrides.

const PASSED_NAMES = new Set([
  "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TERM",
  "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
  "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR",
  "CLAUDE_CONFIG_DIR", "API_TIMEOUT_MS", "IS_SANDBOX",
  "DISABLE_TELEMETRY", "DISABLE_ERROR_REPORTING", "DISABLE_AUTOUPDATER",
]);
const PASSED_PREFIXES = ["ANTHROPIC_", "CLAUDE_CODE_", "AWS_", "GOOGLE_", "VERTEX_", "OTEL_"];

export function passesThrough(name: string): boolean {
  return PASSED_NAMES.has(name) || PASSED_PREFIXES.some((p) => name.startsWith(p));
}

export interface ChildEnvInput {
  /** The gateway's environment (process.env in production). */
  base: Readonly<Record<string, string | undefined>>;
  /** Per-launch overrides (e.g. the workdir's `agentEnv`); they win over `base`. */
  overrides?: Readonly<Record<string, string>>;
  /** Set IS_SANDBOX=1 so Claude Code accepts bypassPermissions as root. */
  sandbox?: boolean;
}

export function buildChildEnv(input: ChildEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.base)) {
    if (v !== undefined && passesThrough(k)) env[k] = v;
  }
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  // The CLI's background traffic (telemetry, update checks) has no place in a managed session.
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC ??= "1";
  for (const [k, v] of Object.entries(input.overrides ?? {})) env[k] = v;
  if (input.sandbox) env.IS_SANDBOX = "1";
  return env;
}

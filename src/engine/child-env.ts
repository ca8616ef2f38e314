// The Claude Code child's environment, built by allow-list (the SDK's `env` replaces the child's
// environment entirely): what a shell needs, the gateway's Anthropic / Claude Code settings, the
// cloud provider's variables only when that provider is selected, then per-launch overrides.
// Anything else of the gateway's (its tokens, telemetry exporters, other services' keys) stays out.

/** Passed by exact name: the shell's basics, locale, temp dir, proxies and CA bundles. */
export const PASSED_NAMES: ReadonlySet<string> = new Set([
  "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TZ", "TMPDIR", "LANG", "LANGUAGE",
  "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
  "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR",
  "CLAUDE_CONFIG_DIR", "API_TIMEOUT_MS", "IS_SANDBOX", "MCP_TIMEOUT", "MCP_TOOL_TIMEOUT", "MAX_THINKING_TOKENS",
  "DISABLE_TELEMETRY", "DISABLE_ERROR_REPORTING", "DISABLE_AUTOUPDATER",
]);

/** Passed by prefix: locale categories and the Anthropic / Claude Code settings. */
export const PASSED_PREFIXES: readonly string[] = ["LC_", "ANTHROPIC_", "CLAUDE_CODE_"];

/** A cloud provider's variables go through only when Claude Code is told to use that provider. */
export const PROVIDER_VARIABLES: ReadonlyArray<{ selectedBy: string; names: readonly string[]; prefixes: readonly string[] }> = [
  { selectedBy: "CLAUDE_CODE_USE_BEDROCK", names: [], prefixes: ["AWS_"] },
  { selectedBy: "CLAUDE_CODE_USE_VERTEX", names: ["CLOUD_ML_REGION", "GCLOUD_PROJECT"], prefixes: ["GOOGLE_", "VERTEX_"] },
];

type Env = Readonly<Record<string, string | undefined>>;

/** Claude Code reads these switches as on for "1" or "true". */
function isOn(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes"].includes(value.trim().toLowerCase());
}

/** Whether the gateway's variable `name` reaches Claude Code, given the effective provider switches. */
export function passesThrough(name: string, selected: Env = {}): boolean {
  if (PASSED_NAMES.has(name) || PASSED_PREFIXES.some((p) => name.startsWith(p))) return true;
  return PROVIDER_VARIABLES.some(
    (provider) => isOn(selected[provider.selectedBy]) && (provider.names.includes(name) || provider.prefixes.some((p) => name.startsWith(p))),
  );
}

export interface ChildEnvInput {
  /** The gateway's environment (process.env in production). */
  base: Env;
  /** Per-launch overrides (e.g. the workdir's `agentEnv`); they win over `base` and are passed whatever their name. */
  overrides?: Readonly<Record<string, string>>;
  /** Set IS_SANDBOX=1 so Claude Code accepts bypassPermissions as root. */
  sandbox?: boolean;
}

export function buildChildEnv(input: ChildEnvInput): Record<string, string> {
  // A provider is selected by the gateway's environment or by the operator's agentEnv.
  const selected: Env = { ...input.base, ...input.overrides };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.base)) {
    if (v !== undefined && passesThrough(k, selected)) env[k] = v;
  }
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  // The CLI's background traffic (telemetry, update checks) has no place in a managed session.
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC ??= "1";
  for (const [k, v] of Object.entries(input.overrides ?? {})) env[k] = v;
  if (input.sandbox) env.IS_SANDBOX = "1";
  return env;
}

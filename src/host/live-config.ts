// The plugin's config as it is now: the host keeps the plugin instance when its config changes
// (the plugin registers that path as needing no reload), so the service reads the current value,
// validates it, and hands a changed one to whoever applies it, without ending any session. An
// invalid edit is reported and the last valid config stays in force.
import type { PluginConfig } from "../config.ts";

export interface ConfigChange {
  next: PluginConfig;
  previous: PluginConfig;
  /** Top-level keys whose raw value changed. */
  keys: string[];
}

export interface LiveConfigOptions {
  /** The raw plugin config as the host holds it now. */
  read: () => unknown;
  parse: (raw: unknown) => PluginConfig;
  onInvalid: (message: string) => void;
}

export class LiveConfig {
  private readonly opts: LiveConfigOptions;
  private rawSeen: unknown;
  private rawJson: string;
  private config: PluginConfig;
  private rejectedJson: string | undefined;
  private readonly listeners = new Set<(change: ConfigChange) => void>();
  private timer: NodeJS.Timeout | undefined;

  /** `initial` is the config the service started with (parsed from `initialRaw`). */
  constructor(options: LiveConfigOptions, initialRaw: unknown, initial: PluginConfig) {
    this.opts = options;
    this.rawSeen = initialRaw;
    this.rawJson = stableJson(initialRaw);
    this.config = initial;
  }

  /** The config in force; checks the host's current value first (cheap when it is the same object). */
  current(): PluginConfig {
    this.refresh();
    return this.config;
  }

  onChange(listener: (change: ConfigChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Checks for an edit every `ms` too, so a change applies even when no operation runs. */
  watch(ms: number): () => void {
    this.timer ??= setInterval(() => this.refresh(), ms).unref();
    return () => {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
    };
  }

  private refresh(): void {
    let raw: unknown;
    try {
      raw = this.opts.read();
    } catch {
      return; // the host's config is momentarily unreadable: keep what is in force
    }
    if (raw === this.rawSeen) return;
    this.rawSeen = raw;
    const json = stableJson(raw);
    if (json === this.rawJson || json === this.rejectedJson) return;
    let next: PluginConfig;
    try {
      next = this.opts.parse(raw);
    } catch (err) {
      this.rejectedJson = json;
      this.opts.onInvalid(err instanceof Error ? err.message : String(err));
      return;
    }
    const previousRaw = parseJson(this.rawJson);
    const keys = changedKeys(previousRaw, raw);
    const change: ConfigChange = { next, previous: this.config, keys };
    this.config = next;
    this.rawJson = json;
    this.rejectedJson = undefined;
    for (const l of this.listeners) l(change);
  }
}

function changedKeys(a: unknown, b: unknown): string[] {
  const ao = isObject(a) ? a : {};
  const bo = isObject(b) ? b : {};
  return [...new Set([...Object.keys(ao), ...Object.keys(bo)])].filter((k) => stableJson(ao[k]) !== stableJson(bo[k])).sort();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseJson(json: string): unknown {
  return json === "" ? undefined : JSON.parse(json);
}

/** JSON with object keys sorted, so reordering keys is not a change. */
function stableJson(v: unknown): string {
  if (v === undefined) return "";
  return JSON.stringify(v, (_k, value: unknown) =>
    isObject(value) ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, value[k]])) : value,
  );
}

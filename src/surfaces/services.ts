// The running plugin as surfaces see it: created by the service's start, absent before it.
import { SessionError, type Logger } from "../engine/index.ts";
import type { Operations } from "../ops/operations.ts";

export interface PluginServices {
  ops: Operations;
  logger: Logger;
}

/** How long a call made while the service is still starting waits for it before answering "starting". */
export const STARTING_WAIT_MS = 10_000;

/** A late-bound reference to the running services: registration is synchronous, start is not. */
export class ServicesRef {
  private current: PluginServices | undefined;
  private failure: string | undefined;
  /** Set while the service starts in the background; settled by set() or fail(). */
  private startup: { done: Promise<void>; settle: () => void } | undefined;

  /** The service's start has begun: calls from now on wait for set() or fail() (bounded). */
  starting(): void {
    this.current = undefined;
    this.failure = undefined;
    if (this.startup) return;
    let settle = (): void => {};
    const done = new Promise<void>((resolve) => (settle = resolve));
    this.startup = { done, settle };
  }

  set(services: PluginServices | undefined): void {
    this.current = services;
    this.failure = undefined;
    this.settleStartup();
  }

  /** The service could not start: every call answers with this reason. */
  fail(reason: string): void {
    this.current = undefined;
    this.failure = reason;
    this.settleStartup();
  }

  /** Forgets `services` if they are still the current ones (a newer start may have replaced them). */
  clear(services: PluginServices): void {
    if (this.current === services) this.current = undefined;
  }

  get(): PluginServices {
    if (this.failure) throw new SessionError("UNAVAILABLE", `Claude Code sessions are unavailable: ${this.failure}`);
    if (this.startup) {
      throw new SessionError("UNAVAILABLE", "The Claude Code service is still starting (opening its store, recovering the previous run); try again in a few seconds.");
    }
    if (!this.current) {
      throw new SessionError("UNAVAILABLE", "The Claude Code service is not running in this gateway yet (it starts with the gateway); try again in a moment.");
    }
    return this.current;
  }

  /** The running services; while the service is starting, waits for it up to `timeoutMs` first. */
  async ready(timeoutMs = STARTING_WAIT_MS): Promise<PluginServices> {
    const startup = this.startup;
    if (startup) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([startup.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    return this.get();
  }

  private settleStartup(): void {
    const startup = this.startup;
    this.startup = undefined;
    startup?.settle();
  }
}

const PROCESS_SLOT = Symbol.for("openclaw-claude-code-plugin.services");

/**
 * The one reference of this gateway process. The host calls register() for several registries
 * (per registration mode, per agent workspace; each with its own module generation after a reload)
 * but starts the service in only one of them: every registry's tools, commands and RPC methods
 * must reach that running service, so the reference lives on globalThis, not in one register().
 */
export function processServicesRef(): ServicesRef {
  const slot = globalThis as typeof globalThis & { [PROCESS_SLOT]?: ServicesRef };
  return (slot[PROCESS_SLOT] ??= new ServicesRef());
}

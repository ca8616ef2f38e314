// Per-test setup for engine tests through the real Claude Code CLI: a fresh offline model, sandbox
// (HOME, CLAUDE_CONFIG_DIR, TMPDIR, workdir) and engine for each test, all ended after it, with
// a check that no Claude Code process the engine started is left.
import { afterEach, beforeEach, expect } from "vitest";
import { startOfflineModel, type OfflineModel } from "../../offline-model/src/index.ts";
import { SessionEngine, type EngineOptions } from "../../src/engine/index.ts";
import { EventLog } from "./events.ts";
import { createSandbox, processExists, type Sandbox } from "./sandbox.ts";

export interface EngineFixture<TOwner> {
  readonly model: OfflineModel;
  readonly box: Sandbox;
  /** The engine `make` built in this test. */
  readonly engine: SessionEngine<TOwner>;
  readonly log: EventLog<TOwner>;
  /** Builds this test's engine (sandbox env, its workdir by default) over `defaults` and `options`. */
  make(options?: EngineOptions<TOwner>): SessionEngine<TOwner>;
}

/** Registers beforeEach/afterEach hooks in the calling file; read the fields inside tests only. */
export function useEngineFixture<TOwner>(defaults: EngineOptions<TOwner> = {}): EngineFixture<TOwner> {
  let model: OfflineModel | undefined;
  let box: Sandbox | undefined;
  let engine: SessionEngine<TOwner> | undefined;
  let log: EventLog<TOwner> | undefined;
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is only there inside a test (and after make() for the engine)`);
    return value;
  };

  beforeEach(async () => {
    model = await startOfflineModel({ fallback: "error" });
    box = await createSandbox(model.url);
  });

  afterEach(async () => {
    await engine?.shutdown();
    for (const s of engine?.list() ?? []) {
      if (s.pid !== undefined) expect(processExists(s.pid), `process of ${s.name} is gone`).toBe(false);
    }
    log?.unsubscribe();
    await model?.close();
    await box?.cleanup();
    engine = undefined;
    log = undefined;
  });

  return {
    get model() {
      return need(model, "the offline model");
    },
    get box() {
      return need(box, "the sandbox");
    },
    get engine() {
      return need(engine, "the engine");
    },
    get log() {
      return need(log, "the event log");
    },
    make(options = {}) {
      const b = need(box, "the sandbox");
      engine = new SessionEngine<TOwner>({ baseEnv: b.env, defaultWorkdir: b.workdir, ...defaults, ...options });
      log = new EventLog(engine);
      return engine;
    },
  };
}

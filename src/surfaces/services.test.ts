// The services reference while the service starts in the background: calls wait for it, bounded,
// and then answer with a reason (still starting, failed, not running).
import { describe, expect, it } from "vitest";
import { silentLogger } from "../engine/index.ts";
import type { Operations } from "../ops/operations.ts";
import { ServicesRef, type PluginServices } from "./services.ts";

// The reference only hands the object on; no operation is called here.
const services = (): PluginServices => ({ ops: {} as Operations, logger: silentLogger });

describe("ServicesRef", () => {
  it("before any start: answers at once that the service is not running yet", async () => {
    const ref = new ServicesRef();
    const started = Date.now();
    await expect(ref.ready(5_000)).rejects.toThrow(/not running in this gateway yet/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("while starting: a call waits and gets the services as soon as they are set", async () => {
    const ref = new ServicesRef();
    ref.starting();
    expect(() => ref.get()).toThrow(/still starting/);
    const s = services();
    const waiting = ref.ready(5_000);
    setTimeout(() => ref.set(s), 20);
    await expect(waiting).resolves.toBe(s);
    expect(ref.get()).toBe(s);
  });

  it("while starting: a call that waits longer than the bound answers 'still starting'", async () => {
    const ref = new ServicesRef();
    ref.starting();
    const started = Date.now();
    await expect(ref.ready(50)).rejects.toMatchObject({ code: "UNAVAILABLE", message: expect.stringMatching(/still starting.*try again/) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("a start that fails releases the waiting calls with its reason", async () => {
    const ref = new ServicesRef();
    ref.starting();
    const waiting = ref.ready(5_000);
    ref.fail("the session store cannot be opened");
    await expect(waiting).rejects.toThrow("Claude Code sessions are unavailable: the session store cannot be opened");
  });

  it("after stop (clear): calls answer 'not running' instead of waiting", async () => {
    const ref = new ServicesRef();
    ref.starting();
    const s = services();
    ref.set(s);
    ref.clear(s);
    await expect(ref.ready(5_000)).rejects.toThrow(/not running/);
  });
});

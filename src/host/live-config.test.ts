// The live config: an edit is noticed, validated and handed on with the keys that changed; an
// invalid edit keeps the last valid config and is reported once; the same value again is no change.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../config.ts";
import { LiveConfig, type ConfigChange } from "./live-config.ts";

function setup(initial: Record<string, unknown>) {
  let raw: unknown = initial;
  const invalid: string[] = [];
  const changes: ConfigChange[] = [];
  const live = new LiveConfig({ read: () => raw, parse: (r) => parseConfig(r, {}), onInvalid: (m) => invalid.push(m) }, raw, parseConfig(raw, {}));
  live.onChange((c) => changes.push(c));
  return { live, invalid, changes, set: (next: unknown) => (raw = next) };
}

describe("live config", () => {
  it("hands on a valid edit with the keys that changed, and the new values are in force", () => {
    const t = setup({ maxSessions: 2, idleTimeoutMinutes: 10 });
    expect(t.live.current().maxSessions).toBe(2);
    t.set({ idleTimeoutMinutes: 10, maxSessions: 4, maxQueuedSessions: 3 });
    expect(t.live.current().maxSessions).toBe(4);
    expect(t.changes).toHaveLength(1);
    expect(t.changes[0]?.keys).toEqual(["maxQueuedSessions", "maxSessions"]);
    expect(t.changes[0]?.previous.maxSessions).toBe(2);
  });

  it("keeps the last valid config when an edit is invalid, reports it once, and takes the next valid one", () => {
    const t = setup({ maxSessions: 2 });
    t.set({ maxSessions: 0 });
    expect(t.live.current().maxSessions).toBe(2);
    t.set({ maxSessions: 0 }); // a new object with the same bad value
    expect(t.live.current().maxSessions).toBe(2);
    expect(t.invalid).toHaveLength(1);
    expect(t.invalid[0]).toMatch(/maxSessions must be a whole number between 1 and 100, got 0/);
    t.set({ maxSessions: 3 });
    expect(t.live.current().maxSessions).toBe(3);
    expect(t.changes.map((c) => c.keys)).toEqual([["maxSessions"]]);
  });

  it("a new object with the same content, keys reordered, is no change", () => {
    const t = setup({ maxSessions: 2, defaultBudgetUsd: 3 });
    t.set({ defaultBudgetUsd: 3, maxSessions: 2 });
    t.live.current();
    expect(t.changes).toEqual([]);
  });
});

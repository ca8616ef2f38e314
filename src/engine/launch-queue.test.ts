// The launch queue's order: arrival order within an agent, round-robin between agents, positions
// that match the order in which next() hands launches out, and removal of a killed launch.
import { describe, expect, it } from "vitest";
import { LaunchQueue } from "./launch-queue.ts";

const item = (id: string, agent: string) => ({ id, agent });

function drain(q: LaunchQueue<{ id: string; agent: string }>): string[] {
  const out: string[] = [];
  for (let x = q.next(); x; x = q.next()) out.push(x.id);
  return out;
}

describe("launch queue", () => {
  it("starts one agent's launches in the order they came", () => {
    const q = new LaunchQueue();
    for (const id of ["a1", "a2", "a3"]) q.add(item(id, "main"));
    expect(drain(q)).toEqual(["a1", "a2", "a3"]);
  });

  it("takes agents in turn when several wait, whatever one of them queued first", () => {
    const q = new LaunchQueue();
    for (const id of ["a1", "a2", "a3", "a4"]) q.add(item(id, "A"));
    q.add(item("b1", "B"));
    q.add(item("b2", "B"));
    q.add(item("c1", "C"));
    expect(drain(q)).toEqual(["a1", "b1", "c1", "a2", "b2", "a3", "a4"]);
  });

  it("a newcomer does not jump ahead of launches that were already due, and is not starved behind a long queue", () => {
    const q = new LaunchQueue();
    for (const id of ["a1", "a2", "a3"]) q.add(item(id, "A"));
    expect(q.next()?.id).toBe("a1");
    expect(q.next()?.id).toBe("a2");
    // B arrives after two of A's started: it goes next, before A's third.
    expect(q.add(item("b1", "B"))).toEqual({ position: 1, total: 2 });
    expect(drain(q)).toEqual(["b1", "a3"]);
  });

  it("reports positions that match the start order, and they move up as launches start or leave", () => {
    const q = new LaunchQueue();
    expect(q.add(item("a1", "A"))).toEqual({ position: 1, total: 1 });
    expect(q.add(item("a2", "A"))).toEqual({ position: 2, total: 2 });
    expect(q.add(item("b1", "B"))).toEqual({ position: 2, total: 3 });
    expect(q.position("a2")).toEqual({ position: 3, total: 3 });
    expect(q.remove("b1")?.id).toBe("b1");
    expect(q.position("a2")).toEqual({ position: 2, total: 2 });
    expect(q.remove("nope")).toBeUndefined();
    expect(q.position("b1")).toBeUndefined();
    q.next();
    expect(q.position("a2")).toEqual({ position: 1, total: 1 });
    expect(q.items().map((x) => x.id)).toEqual(["a2"]);
  });

  it("refuses the same launch twice", () => {
    const q = new LaunchQueue();
    q.add(item("a1", "A"));
    expect(() => q.add(item("a1", "A"))).toThrow(/queued already/);
  });
});

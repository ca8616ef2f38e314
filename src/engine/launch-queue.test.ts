// The launch queue's order: arrival order within an agent, round-robin between agents, positions
// that match the order in which next() hands launches out, and removal of a killed launch; and the
// lanes (this machine's slots, each node's): independent queues, a launch waiting in several.
import { describe, expect, it } from "vitest";
import { LaunchLanes, LaunchQueue, LOCAL_LANE } from "./launch-queue.ts";

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

describe("launch lanes", () => {
  it("keep each lane's order and fairness of its own: a long node queue does not push an agent back in the local one", () => {
    const lanes = new LaunchLanes<{ id: string; agent: string }>();
    for (const id of ["n1", "n2", "n3"]) lanes.add(item(id, "A"), ["node-1"]);
    lanes.add(item("b-here", "B"), [LOCAL_LANE]);
    lanes.add(item("a-here", "A"), [LOCAL_LANE]);
    lanes.add(item("b-here-2", "B"), [LOCAL_LANE]);
    // A's node launches do not count against its place in the local lane.
    expect(lanes.position("a-here")).toEqual({ position: 2, total: 3 });
    expect(lanes.next(LOCAL_LANE)?.id).toBe("b-here");
    expect(lanes.next(LOCAL_LANE)?.id).toBe("a-here");
    expect(lanes.size(LOCAL_LANE)).toBe(1);
    expect(lanes.size("node-1")).toBe(3);
    expect(lanes.size()).toBe(4);
    expect(lanes.next("node-1")?.id).toBe("n1");
    expect(lanes.next("nowhere")).toBeUndefined();
    expect(lanes.waitingLanes().sort()).toEqual([LOCAL_LANE, "node-1"].sort());
  });

  it("a launch waiting in several lanes starts from the first that has room and leaves the others", () => {
    const lanes = new LaunchLanes<{ id: string; agent: string }>();
    lanes.add(item("on-a", "X"), ["a"]);
    expect(lanes.add(item("either", "Y"), ["a", "b"])).toEqual({ position: 1, total: 1 });
    expect(lanes.position("either")).toEqual({ position: 1, total: 1 });
    expect(lanes.lanesOf("either")).toEqual(["a", "b"]);
    expect(lanes.find("either")?.agent).toBe("Y");
    expect(lanes.next("b")?.id).toBe("either");
    expect(lanes.position("either")).toBeUndefined();
    expect(lanes.lanesOf("either")).toEqual([]);
    expect(lanes.next("a")?.id).toBe("on-a");
    expect(lanes.next("a")).toBeUndefined();
    expect(lanes.waitingLanes()).toEqual([]);
  });

  it("removes a killed launch from every lane, and refuses a launch twice or with no lane", () => {
    const lanes = new LaunchLanes<{ id: string; agent: string }>();
    lanes.add(item("k", "A"), ["a", "b"]);
    expect(() => lanes.add(item("k", "A"), ["c"])).toThrow(/queued already/);
    expect(() => lanes.add(item("z", "A"), [])).toThrow(/no lane/);
    expect(lanes.remove("k")?.id).toBe("k");
    expect(lanes.remove("k")).toBeUndefined();
    expect(lanes.size("a") + lanes.size("b") + lanes.size()).toBe(0);
  });
});

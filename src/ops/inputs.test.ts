// Input parsing shared by every surface: the "id" alias of "session", and two names that disagree.
import { describe, expect, it } from "vitest";
import { parseOutputInput, parseRespondInput, parseSessionRef } from "./inputs.ts";

describe("session parameter aliases", () => {
  it("accepts id (the community plugin's RPC name) wherever session is taken", () => {
    expect(parseSessionRef({ id: "k3m9x2ab" }, "kill")).toEqual({ session: "k3m9x2ab" });
    expect(parseOutputInput({ id: "fix-it", lines: 5 })).toMatchObject({ session: "fix-it", lines: 5 });
    expect(parseRespondInput({ id: "fix-it", message: "go" })).toMatchObject({ session: "fix-it", message: "go" });
  });

  it("accepts two names of one parameter when they agree, and refuses them when they differ", () => {
    expect(parseSessionRef({ session: "a", id: "a" }, "kill")).toEqual({ session: "a" });
    expect(() => parseSessionRef({ session: "a", id: "b" }, "kill")).toThrow('kill: "session" and "id" are two names of one parameter and give different values ("a", "b"); give one of them');
  });
});

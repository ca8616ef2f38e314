import { describe, expect, it } from "vitest";
import { dedupeName, nameFromPrompt, randomSessionId, validateGivenName } from "./names.ts";

describe("session names", () => {
  it("derives the first three meaningful words in kebab-case", () => {
    expect(nameFromPrompt("Please fix the flaky test in ~/src/api")).toBe("fix-flaky-test");
    expect(nameFromPrompt("Refactor   AUTH module!")).toBe("refactor-auth-module");
    expect(nameFromPrompt("Crée un fichier")).toBe("cree-un-fichier");
    expect(nameFromPrompt("🚀🚀")).toBe("session");
  });

  it("de-duplicates with -2, -3", () => {
    const taken = new Set(["fix-tests", "fix-tests-2"]);
    expect(dedupeName("fix-tests", (n) => taken.has(n))).toBe("fix-tests-3");
    expect(dedupeName("new", (n) => taken.has(n))).toBe("new");
  });

  it("validates given names with reasons", () => {
    expect(validateGivenName(" My-Task ")).toBe("my-task");
    expect(() => validateGivenName("")).toThrow(/empty/);
    expect(() => validateGivenName("fix 🚀")).toThrow(/may contain only/);
    expect(() => validateGivenName("a".repeat(49))).toThrow(/limit is 48/);
    expect(() => validateGivenName("123e4567-e89b-12d3-a456-426614174000")).toThrow(/UUID/);
  });

  it("makes 8-character URL-safe ids", () => {
    const ids = new Set(Array.from({ length: 500 }, () => randomSessionId()));
    expect(ids.size).toBe(500);
    for (const id of ids) expect(id).toMatch(/^[a-z2-9]{8}$/);
  });
});

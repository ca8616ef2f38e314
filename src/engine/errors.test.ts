// SessionError recognition across copies of the module (the host loads the plugin more than once).
import { describe, expect, it } from "vitest";
import { isSessionError, SessionError } from "./errors.ts";

describe("isSessionError", () => {
  it("recognises an error from another copy of the class by its name and code", () => {
    class OtherCopy extends Error {
      readonly code = "SETUP_REQUIRED";
      constructor(message: string) {
        super(message);
        this.name = "SessionError";
      }
    }
    expect(isSessionError(new SessionError("NOT_FOUND", "x"))).toBe(true);
    expect(isSessionError(new OtherCopy("refused"))).toBe(true);
    expect(isSessionError(new Error("plain"))).toBe(false);
    expect(isSessionError({ name: "SessionError", code: "NOT_FOUND", message: "not an Error" })).toBe(false);
  });
});

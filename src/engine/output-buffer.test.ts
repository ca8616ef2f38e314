import { describe, expect, it } from "vitest";
import { OutputBuffer } from "./output-buffer.ts";

describe("OutputBuffer", () => {
  it("numbers entries from 1 and returns everything after a sequence number", () => {
    const buf = new OutputBuffer({ maxEntries: 10, maxBytes: 10_000 });
    for (const t of ["a", "b", "c"]) buf.append("text", t, 0);
    expect(buf.after(0).entries.map((e) => e.text)).toEqual(["a", "b", "c"]);
    expect(buf.after(2).entries.map((e) => [e.seq, e.text])).toEqual([[3, "c"]]);
    expect(buf.after(3)).toEqual({ entries: [], missed: 0, lastSeq: 3 });
  });

  it("keeps catch-up exact after trimming by entry count", () => {
    const buf = new OutputBuffer({ maxEntries: 3, maxBytes: 10_000 });
    for (let i = 1; i <= 10; i++) buf.append("text", `m${i}`, 0);
    expect(buf.size).toBe(3);
    expect(buf.firstSeq).toBe(8);
    // A reader that saw up to 5 missed 6 and 7, and gets 8..10.
    const c = buf.after(5);
    expect(c.missed).toBe(2);
    expect(c.entries.map((e) => e.text)).toEqual(["m8", "m9", "m10"]);
    // A reader that saw up to 8 gets exactly 9 and 10.
    expect(buf.after(8).entries.map((e) => e.seq)).toEqual([9, 10]);
    expect(buf.after(8).missed).toBe(0);
  });

  it("trims by bytes, keeps at least the newest entry, and truncates one that alone is too big", () => {
    const buf = new OutputBuffer({ maxEntries: 100, maxBytes: 100 });
    for (let i = 0; i < 5; i++) buf.append("text", "x".repeat(40), 0);
    expect(buf.size).toBe(2);
    expect(buf.after(0).missed).toBe(3);
    const big = buf.append("result", "é".repeat(200), 0);
    expect(Buffer.byteLength(big.text)).toBeLessThanOrEqual(100);
    expect(big.text.endsWith("…[truncated]")).toBe(true);
    expect(big.text).not.toContain("\uFFFD");
    expect(buf.size).toBe(1);
  });

  it("stays consistent across compaction of a long run", () => {
    const buf = new OutputBuffer({ maxEntries: 50, maxBytes: 1_000_000 });
    for (let i = 1; i <= 5000; i++) buf.append("text", String(i), 0);
    expect(buf.firstSeq).toBe(4951);
    expect(buf.after(4990).entries.map((e) => e.text)).toEqual(Array.from({ length: 10 }, (_, k) => String(4991 + k)));
    expect(buf.tail(2).map((e) => e.seq)).toEqual([4999, 5000]);
  });

  it("records the tool name on tool entries", () => {
    const buf = new OutputBuffer();
    const e = buf.append("tool_use", "Bash — ls", 5, "Bash");
    expect(e).toEqual({ seq: 1, at: 5, kind: "tool_use", text: "Bash — ls", tool: "Bash" });
  });

  it("rejects non-positive limits", () => {
    expect(() => new OutputBuffer({ maxEntries: 0, maxBytes: 1 })).toThrow(/positive/);
  });
});

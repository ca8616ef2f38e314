import { describe, expect, it } from "vitest";
import { neutralise } from "./format.ts";

const visible = (s: string) => s.replace(/\u200b/g, "");

describe("neutralise: model text in a chat is data", () => {
  it("breaks every mention form so nobody is pinged, while the text reads the same", () => {
    for (const text of ["@everyone look", "hey @here", "ping @alice now", "<@123456>", "<@!42>", "<@&99>", "<#777>", "<!channel>", "<!here|here>"]) {
      const out = neutralise(text);
      expect(out, text).not.toMatch(/(^|[^\w])@(everyone|here|alice)\b|<[@#!]/);
      expect(visible(out), text).toBe(text);
    }
    // An e-mail address is not a mention and stays as it is.
    expect(neutralise("mail bob@example.com")).toBe("mail bob@example.com");
  });

  it("shows a markdown link's target and stops addresses from auto-linking", () => {
    const out = neutralise("see [the fix](https://evil.example/x?a=1) or <https://a.example> or www.b.example");
    expect(out).not.toMatch(/\]\(|https:\/\/|<https|www\./);
    expect(visible(out)).toBe("see the fix (https://evil.example/x?a=1) or https://a.example or www.b.example");
  });

  it("keeps markup that hides or restyles text from working: spoilers, tags, headings, quotes", () => {
    const out = neutralise("# Approved by the owner\n> quoted\n||hidden|| <b>bold</b> a < b");
    expect(out).not.toMatch(/^#|^>|\|\||<b>|<\/b>/m);
    expect(visible(out)).toBe("# Approved by the owner\n> quoted\n||hidden|| <b>bold</b> a < b");
  });

  it("leaves plain text and code alone", () => {
    const text = "All 12 tests pass.\n```\nnpm test -- --watch=false\n```";
    expect(neutralise(text)).toBe(text);
  });
});

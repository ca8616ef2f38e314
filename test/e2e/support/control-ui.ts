// Driving the plugin's Claude Code page in the Control UI from Playwright: opening it from the
// sidebar, launching from its form, recording what its transcript shows as it changes, and a
// browser connection narrowed to read scope.
import type { Page } from "playwright-core";
import { sleep } from "../../../scripts/lib/processes.ts";

/** The Control UI's generic address of a plugin page (the sidebar link points here). */
export const PAGE_PATH = "/plugin?plugin=openclaw-claude-code-plugin&id=sessions";

/** Opens the page the way a person does: the "Claude Code" item in the sidebar. */
export async function openClaudeCodePage(page: Page): Promise<void> {
  const link = page.getByRole("link", { name: "Claude Code", exact: true });
  await link.waitFor({ timeout: 60_000 });
  await link.click();
  await page.getByRole("tab", { name: "Sessions" }).waitFor({ timeout: 30_000 });
}

export interface LaunchFields {
  prompt: string;
  name?: string;
  mode?: string;
}

/** Fills the New session form and launches; returns once the page shows the new session. */
export async function launchFromForm(page: Page, fields: LaunchFields): Promise<void> {
  await page.getByRole("tab", { name: "New session" }).click();
  await page.locator("#occp-prompt").fill(fields.prompt);
  if (fields.name) await page.locator("#occp-name").fill(fields.name);
  // The modes arrive with the options RPC.
  await page.locator("#occp-mode option").first().waitFor({ state: "attached", timeout: 15_000 });
  if (fields.mode) await page.locator("#occp-mode").selectOption(fields.mode);
  await page.getByRole("button", { name: "Launch" }).click();
  await page.getByRole("list", { name: "Transcript" }).waitFor({ timeout: 30_000 });
  if (fields.name) await page.getByRole("heading", { name: new RegExp(`^${fields.name}`) }).waitFor({ timeout: 10_000 });
}

export interface RecordedEntry {
  at: number;
  /** The session's status the page showed when the entry appeared. */
  status: string;
  text: string;
}

// Runs in the page (the test's TypeScript has no DOM types, so it is passed as source).
const RECORD_ENTRIES = `(() => {
  window.__occpLog = [];
  new MutationObserver((records) => {
    for (const r of records)
      for (const n of r.addedNodes) {
        if (!(n instanceof HTMLElement)) continue;
        for (const e of [n, ...n.querySelectorAll(".occp-entry")]) {
          if (!e.classList.contains("occp-entry")) continue;
          const status = document.querySelector("[data-occp-status]")?.getAttribute("data-occp-status") ?? "";
          window.__occpLog.push({ at: Date.now(), status, text: e.innerText });
        }
      }
  }).observe(document.body, { childList: true, subtree: true });
})()`;

/** From now on, logs every transcript entry the page adds, whichever session view shows it. */
export async function recordEntries(page: Page): Promise<void> {
  await page.evaluate(RECORD_ENTRIES);
}

export async function recorded(page: Page): Promise<RecordedEntry[]> {
  return (await page.evaluate("window.__occpLog ?? []")) as RecordedEntry[];
}

/** Waits until the session heading's status badge reads `status`. */
export async function waitForStatus(page: Page, status: string, timeoutMs: number): Promise<void> {
  await page.locator(`[data-occp-status="${status}"]`).waitFor({ timeout: timeoutMs });
}

/** Waits until the locator's text matches, polling the DOM (the page itself is pushed, not polled). */
export async function waitForText(page: Page, selector: string, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  for (;;) {
    text = await page.locator(selector).innerText({ timeout: 5_000 }).catch(() => text);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`${selector} never showed ${pattern} within ${timeoutMs} ms; it showed:\n${text}`);
    await sleep(200);
  }
}


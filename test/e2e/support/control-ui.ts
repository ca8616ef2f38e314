// Driving the plugin's Claude Code page in the Control UI from Playwright: opening it from the
// sidebar, launching from its form, recording what its transcript shows as it changes, and a
// browser whose device may only read.
import type { Browser, BrowserContext, Page, WebSocketRoute } from "playwright-core";
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
  /** Typed into "or another absolute path". */
  workdir?: string;
  /** Ticks "Work in a new git worktree" (it must be offered). */
  worktree?: boolean;
}

/** Fills the New session form and launches; returns once the page shows the new session. */
export async function launchFromForm(page: Page, fields: LaunchFields): Promise<void> {
  await page.getByRole("tab", { name: "New session" }).click();
  await page.locator("#occp-prompt").fill(fields.prompt);
  if (fields.name) await page.locator("#occp-name").fill(fields.name);
  if (fields.workdir) await page.locator("#occp-workdir-other").fill(fields.workdir);
  if (fields.worktree) {
    await page.locator("[data-worktree-option]").waitFor({ state: "visible", timeout: 15_000 });
    await page.locator("#occp-worktree").check();
  }
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

/** What the gateway granted a connection (hello-ok's `auth`). */
export interface GrantedAuth {
  method: string;
  scopes: string[];
}

export interface ReadOnlyOperator {
  context: BrowserContext;
  page: Page;
  /** What the gateway granted the page's last connection. */
  granted: () => GrantedAuth | undefined;
}

/**
 * A browser of its own whose device may only read, made the way an operator's would be: it signs
 * in with the link (the gateway pairs it as a device and gives it a device token), reconnects with
 * that device token alone (the shared token dropped), and rotates its own device token down to
 * operator.read over its own connection (the gateway hands a rotated token only to the device
 * itself). The page then stores the narrowed token and reconnects with it. Nothing in the page is
 * changed: the test relays the page's WebSocket unaltered and adds the one rotate request.
 */
export async function readOnlyOperator(browser: Browser, signInUrl: string, viewport = { width: 390, height: 844 }): Promise<ReadOnlyOperator> {
  const context = await browser.newContext({ viewport });
  const auths: GrantedAuth[] = [];
  const answers = new Map<string, (frame: { ok: boolean; payload?: Record<string, unknown>; error?: { message?: string } }) => void>();
  let server: WebSocketRoute | undefined;
  await context.routeWebSocket(/.*/, (ws) => {
    const upstream = ws.connectToServer();
    server = upstream;
    ws.onMessage((m) => upstream.send(m));
    upstream.onMessage((m) => {
      if (typeof m === "string" && m.startsWith("{")) {
        const frame = JSON.parse(m) as { type?: string; id?: string; ok: boolean; payload?: { type?: string; auth?: GrantedAuth } };
        const answer = frame.type === "res" && frame.id ? answers.get(frame.id) : undefined;
        if (answer && frame.id) {
          answers.delete(frame.id);
          answer(frame);
          return; // the test's own request: not the page's to see
        }
        if (frame.type === "res" && frame.payload?.type === "hello-ok" && frame.payload.auth) auths.push(frame.payload.auth);
      }
      ws.send(m);
    });
  });
  const page = await context.newPage();
  const connected = async (method: string): Promise<void> => {
    await page.getByRole("textbox", { name: "Chat composer" }).waitFor({ timeout: 60_000 });
    const last = auths.at(-1);
    if (last?.method !== method) throw new Error(`expected a ${method} connection, the gateway granted ${JSON.stringify(last)}`);
  };
  const address = new URL("/", signInUrl).href;
  await page.goto(signInUrl);
  await connected("token");
  await page.evaluate(`for (const k of Object.keys(sessionStorage)) if (k.startsWith("openclaw.control.token")) sessionStorage.removeItem(k)`);
  await page.goto(address);
  await connected("device-token");
  const deviceId = (await page.evaluate(`JSON.parse(localStorage.getItem("openclaw-device-identity-v1") || "{}").deviceId`)) as string;
  if (!server) throw new Error("the page opened no WebSocket");
  const upstream = server;
  const rotated = await new Promise<{ ok: boolean; payload?: Record<string, unknown>; error?: { message?: string } }>((resolve, reject) => {
    const id = `test-rotate-${Date.now()}`;
    const timer = setTimeout(() => reject(new Error("device.token.rotate got no answer within 15 s")), 15_000);
    answers.set(id, (frame) => {
      clearTimeout(timer);
      resolve(frame);
    });
    upstream.send(JSON.stringify({ type: "req", id, method: "device.token.rotate", params: { deviceId, role: "operator", scopes: ["operator.read"] } }));
  });
  const token = rotated.payload?.token;
  if (!rotated.ok || typeof token !== "string") throw new Error(`the device could not narrow its own token: ${JSON.stringify(rotated)}`);
  await page.evaluate(`(() => {
    const key = Object.keys(localStorage).find((k) => k.startsWith("openclaw.device.auth.v1:"));
    const entry = JSON.parse(localStorage.getItem(key));
    entry.tokens.operator = { ...entry.tokens.operator, token: ${JSON.stringify(token)}, scopes: ["operator.read"], updatedAtMs: Date.now() };
    localStorage.setItem(key, JSON.stringify(entry));
  })()`);
  await page.goto(address);
  await connected("device-token");
  return { context, page, granted: () => auths.at(-1) };
}


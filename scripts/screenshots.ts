// Retakes the Claude Code page's screenshots in docs/images/ (the README and docs/control-ui.md show
// them): `npm start` offline on a fresh state under a throw-away home, so the workdir reads
// `~/demo/workdir`; headless Chromium in the light theme with the colour emoji font; a session that
// ran a command, a permission request, and the sessions list. Takes the machine-wide gateway lock
// and stops everything it started.
// Run: npm run screenshots
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { acquireLock } from "../test/e2e/harness/lock.ts";
import { ensureChromium, ensureEmojiFont, launchChromium } from "../test/e2e/support/browser.ts";
import { launchFromForm, openClaudeCodePage, waitForStatus, waitForText } from "../test/e2e/support/control-ui.ts";
import { startDemo, type DemoRun } from "./lib/demo-run.ts";
import { REPO_ROOT } from "./lib/gateway.ts";

const IMAGES = path.join(REPO_ROOT, "docs", "images");
const TRANSCRIPT = 'ol[aria-label="Transcript"]';

function say(message: string): void {
  process.stderr.write(`[screenshots] ${message}\n`);
}

// The Control UI's community invitation card is not part of what the pictures show. It is hidden in
// this browser only: dismissing it would save a preference in the gateway's config.
const HIDE_INVITE = `(() => {
  const card = document.querySelector('[aria-label="Join the OpenClaw community on Discord"]');
  if (card instanceof HTMLElement) card.style.display = "none";
})()`;

async function shoot(page: Page, name: string): Promise<void> {
  await page.evaluate(HIDE_INVITE);
  const file = path.join(IMAGES, name);
  await page.screenshot({ path: file });
  say(`wrote docs/images/${name}`);
}

await ensureChromium();
if (!(await ensureEmojiFont())) throw new Error("the colour emoji font is missing, so emoji would not render: install fonts-noto-color-emoji and run again");
say("waiting for the machine-wide gateway lock");
const lock = await acquireLock("screenshots", 1_800_000);
const root = mkdtempSync(path.join(tmpdir(), "screenshots-"));
let demo: DemoRun | undefined;
let browser: Browser | undefined;
let current: Page | undefined;
try {
  const home = path.join(root, "home");
  // Under the home, so the page shows `~/demo/workdir` instead of a machine's temp path.
  demo = await startDemo({ stateRoot: path.join(home, "demo"), home, tmp: path.join(root, "tmp") });
  say(`npm start is up at ${demo.address}`);
  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: "light" });
  current = page;
  await page.goto(demo.signInUrl);
  await page.getByRole("textbox", { name: "Chat composer" }).waitFor({ timeout: 90_000 });
  // The sidebar lists plugin pages as the Control UI loads; right after the gateway starts the
  // plugin's page can be missing from that first list, and a reload brings it.
  for (let attempt = 1; ; attempt++) {
    try {
      await page.getByRole("link", { name: "Claude Code", exact: true }).waitFor({ timeout: 20_000 });
      break;
    } catch (err) {
      if (attempt >= 4) throw err;
      say("the Claude Code page is not in the sidebar yet; reloading");
      await page.reload();
      await page.getByRole("textbox", { name: "Chat composer" }).waitFor({ timeout: 90_000 });
    }
  }
  await openClaudeCodePage(page);
  mkdirSync(IMAGES, { recursive: true });

  await launchFromForm(page, { prompt: "run the command `echo step-one; sleep 1; echo step-two`", name: "live-stream" });
  await waitForText(page, TRANSCRIPT, /Done: I ran/, 90_000);
  await waitForStatus(page, "waiting", 30_000);
  await shoot(page, "control-ui-session.png");

  await launchFromForm(page, { prompt: "run the command `echo approved-from-the-page > approved.txt`", name: "needs-approval", mode: "default" });
  const card = page.locator("[data-request]").first();
  await card.waitFor({ timeout: 90_000 });
  await shoot(page, "control-ui-permission.png");
  await card.getByRole("button", { name: "Allow once" }).click();
  await waitForText(page, TRANSCRIPT, /Done: I ran/, 90_000);

  await launchFromForm(page, { prompt: "run the command `sleep 30`", name: "to-kill" });
  await waitForText(page, TRANSCRIPT, /Bash/, 60_000);
  await page.getByRole("button", { name: "Kill" }).click();
  await waitForStatus(page, "killed", 30_000);

  await page.getByRole("tab", { name: "Sessions" }).click();
  await page.getByRole("list", { name: "Sessions" }).locator("button.occp-row").nth(2).waitFor({ timeout: 10_000 });
  await shoot(page, "control-ui-sessions.png");

  await page.getByRole("tab", { name: "Costs" }).click();
  await page.getByRole("img", { name: /Cost per day and per model/ }).waitFor({ timeout: 15_000 });
  await shoot(page, "control-ui-costs.png");
} catch (err) {
  // What the browser showed when it failed, to see why.
  const file = path.join(REPO_ROOT, "test-output", "screenshots-failed.png");
  mkdirSync(path.dirname(file), { recursive: true });
  await current?.screenshot({ path: file }).then(() => say(`the page when it failed: ${file}`), () => undefined);
  throw err;
} finally {
  await browser?.close().catch(() => undefined);
  await demo?.stop().catch(() => undefined);
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  lock.release();
}

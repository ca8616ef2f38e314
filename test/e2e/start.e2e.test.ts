// `npm start` end to end in a real browser: the start script builds the plugin, brings up the real
// gateway with the offline model, and prints how to sign in; headless Chromium signs in that way,
// runs `/claude …` in WebChat, sees the launch and the notices arrive in the page, and Ctrl-C
// (SIGINT) then stops everything with exit code 0 and no process left behind.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userEnvironment } from "../../scripts/lib/demo-run.ts";
import { freePort, REPO_ROOT } from "../../scripts/lib/gateway.ts";
import { descendantPids, isAlive, sleep } from "../../scripts/lib/processes.ts";
import { acquireLock, type LockHandle } from "./harness/lock.ts";
import { ensureChromium, ensureEmojiFont, launchChromium } from "./support/browser.ts";
import { launchFromForm, openClaudeCodePage, PAGE_PATH, readOnlyOperator, recordEntries, recorded, waitForStatus, waitForText } from "./support/control-ui.ts";

const SCREENSHOT = path.join(REPO_ROOT, "test-output", "start-webchat.png");
/** The page's screenshots of this run (docs/images/ is retaken by `npm run screenshots`, with a neutral workdir). */
const PAGE_IMAGES = path.join(REPO_ROOT, "test-output");

interface StartRun {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let lock: LockHandle | undefined;
let root: string;
let start: StartRun | undefined;
let browser: Browser | undefined;
let signIn: { url: string; address: string; token: string };
/** Every process under the start script, gathered while it ran. */
const seenPids = new Set<number>();

function startScript(env: Record<string, string>): StartRun {
  // Exactly what `npm start` runs after the bootstrap.
  const proc = spawn("sh", ["scripts/with-node.sh", "node", "scripts/start.ts"], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const chunks: string[] = [];
  proc.stdout?.on("data", (c: Buffer) => chunks.push(c.toString("utf8")));
  proc.stderr?.on("data", (c: Buffer) => chunks.push(c.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  return { proc, output: () => chunks.join(""), exited };
}

async function waitForOutput(run: StartRun, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void run.exited.then(() => (ended = true));
  for (;;) {
    const match = run.output().match(pattern);
    if (match) return match;
    if (ended) throw new Error(`npm start ended before printing ${pattern}:\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`npm start did not print ${pattern} within ${timeoutMs} ms:\n${run.output()}`);
    const pid = run.proc.pid;
    if (pid !== undefined) for (const p of descendantPids(pid)) seenPids.add(p);
    await sleep(250);
  }
}

/** The plugin's own lines in the gateway log (launches, deliveries, retries): what a failure needs. */
function pluginLogTail(lines = 40): string {
  const file = path.join(root, "state", "gateway.log");
  if (!existsSync(file)) return "(no gateway.log)";
  const picked: string[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.includes("claude-code") && !line.includes("notify") && !/"logLevelName":"(WARN|ERROR)"/.test(line)) continue;
    try {
      const entry = JSON.parse(line) as { time?: string; message?: unknown };
      picked.push(`${entry.time ?? ""} ${String(entry.message)}`);
    } catch {
      picked.push(line);
    }
  }
  return picked.slice(-lines).join("\n");
}

/**
 * Waits until the page's visible text matches, and returns that text. Once, halfway, the page is
 * reloaded: a notice is in the conversation's transcript whether or not the host's push reached
 * this page, and a reload reads the transcript afresh (the log says when that was needed).
 */
async function waitForPageText(page: Page, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let reloadAt: number | undefined = Date.now() + timeoutMs / 2;
  let text = "";
  for (;;) {
    text = await page.locator("body").innerText({ timeout: 5_000 }).catch(() => text);
    if (pattern.test(text)) {
      if (reloadAt === undefined) console.log(`${pattern} showed only after a reload of the page: the host did not push it live`);
      return text;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the page never showed ${pattern} within ${timeoutMs} ms (reloaded once). Page text:\n${text}\n` +
          `--- the plugin's lines in the gateway log ---\n${pluginLogTail()}\n--- npm start output ---\n${start?.output() ?? ""}`,
      );
    }
    if (reloadAt !== undefined && Date.now() > reloadAt) {
      reloadAt = undefined;
      await page.reload();
      await page.getByRole("textbox", { name: "Chat composer" }).waitFor({ timeout: 30_000 });
      continue;
    }
    await sleep(250);
  }
}

function isClaudeCode(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("claude-agent-sdk");
  } catch {
    return false;
  }
}

/**
 * Types a message into WebChat and sends it with Enter. Right after sign-in the composer can show
 * before the chat is bound to its session, and an Enter pressed then is dropped (the text stays):
 * press it again, as a person would, until the composer empties.
 */
async function send(page: Page, message: string, timeoutMs = 60_000): Promise<void> {
  const composer = page.getByRole("textbox", { name: "Chat composer" });
  await composer.fill(message);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await composer.press("Enter");
    const sendBy = Date.now() + 5_000;
    while (Date.now() < sendBy) {
      if ((await composer.inputValue()) === "") return;
      await sleep(200);
    }
    if (Date.now() > deadline) throw new Error(`WebChat did not take the message within ${timeoutMs} ms: ${message}`);
  }
}

beforeAll(async () => {
  // Its own long bound: installing Chromium takes about two minutes on a fresh machine.
  await ensureChromium(300_000);
  await ensureEmojiFont(180_000);
}, 520_000);

beforeAll(async () => {
  // Other e2e files run their gateways one at a time under this lock; in a full run the wait can be long.
  const waitedFrom = Date.now();
  lock = await acquireLock("start", 900_000);
  const lockWaitMs = Date.now() - waitedFrom;
  root = mkdtempSync(path.join(tmpdir(), "openclaw-e2e-start-"));
  const home = path.join(root, "home");
  const tmp = path.join(root, "tmp");
  for (const dir of [home, tmp]) mkdirSync(dir, { recursive: true });
  const env = userEnvironment();
  Object.assign(env, {
    DEMO_PORT: String(await freePort()),
    DEMO_STATE_DIR: path.join(root, "state"),
    DEMO_OFFLINE: "1",
    HOME: home,
    TMPDIR: tmp,
  });
  const startedAt = Date.now();
  start = startScript(env);
  const match = await waitForOutput(start, /Sign in:\s+open (http:\/\/127\.0\.0\.1:\d+\/)#token=([0-9a-f]+)/, 300_000);
  console.log(`npm start printed the sign-in after ${((Date.now() - startedAt) / 1000).toFixed(1)} s (waited ${(lockWaitMs / 1000).toFixed(1)} s for other test gateways first)`);
  signIn = { url: `${match[1]}#token=${match[2]}`, address: match[1] ?? "", token: match[2] ?? "" };
  browser = await launchChromium();
}, 1_300_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  const pid = start?.proc.pid;
  if (start && pid !== undefined && isAlive(pid)) {
    for (const p of [...descendantPids(pid), pid]) if (p > 0) process.kill(p, "SIGKILL");
    await start.exited;
  }
  for (const p of seenPids) if (p > 0 && isAlive(p)) process.kill(p, "SIGKILL");
  if (root && process.env.E2E_KEEP_TMP === "1") console.log(`kept ${root}`);
  else if (root) rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  lock?.release();
}, 60_000);

describe("npm start in a browser", () => {
  it("prints the address, the sign-in and the offline model, then serves the Control UI there", () => {
    const out = start?.output() ?? "";
    expect(out).toContain(`Control UI (WebChat): ${signIn.address}`);
    expect(out).toContain(`paste this into "Gateway secret": ${signIn.token}`);
    expect(out).toMatch(/Claude Code uses:\s+the built-in offline model at http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toContain("/claude create a file named hello.txt containing hi");
  });

  it("signs in as told, runs /claude in WebChat, and shows the launch and the notices in the page", async () => {
    if (!browser) throw new Error("no browser");
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(signIn.url);
    await page.getByRole("textbox", { name: "Chat composer" }).waitFor({ timeout: 60_000 });

    await send(page, "/claude create a file named hello.txt containing Hello from the browser");
    await waitForPageText(page, /↩️ Claude Code session \S+ \[[a-z2-9]{8}\] launched: create a file named hello\.txt/, 60_000);
    // A multi-turn session finishes its turn and waits; the notice is sent by the plugin itself.
    const waiting = await waitForPageText(page, /🔔 \S+ \[[a-z2-9]{8}\] is waiting for input/, 90_000);
    expect(waiting).toContain("Done: I created the file");
    const workdir = path.join(root, "state", "workdir");
    expect(readFileSync(path.join(workdir, "hello.txt"), "utf8")).toBe("Hello from the browser");

    // A one-turn session completes: the ✅ notice with cost and duration.
    await send(page, "/claude --once --name finale create a file named bye.txt containing Bye from the browser");
    const done = await waitForPageText(page, /✅ finale \[[a-z2-9]{8}\] completed in /, 90_000);
    expect(done).toMatch(/✅ finale \[[a-z2-9]{8}\] completed in \S+ · \$\d+\.\d{2,4}/);
    expect(readFileSync(path.join(workdir, "bye.txt"), "utf8")).toBe("Bye from the browser");

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    console.log(`screenshot: ${SCREENSHOT}`);
    await page.close();
  }, 300_000);

  describe("the Claude Code page in the Control UI", () => {
    let page: Page;
    const workdir = () => path.join(root, "state", "workdir");

    beforeAll(async () => {
      if (!browser) throw new Error("no browser");
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(signIn.url);
      await page.getByRole("textbox", { name: "Chat composer" }).waitFor({ timeout: 60_000 });
      // The workdir becomes a repository, so the launch form offers the worktree option.
      execFileSync("git", ["init", "-q", workdir()]);
      await openClaudeCodePage(page);
      mkdirSync(PAGE_IMAGES, { recursive: true });
    }, 120_000);

    afterAll(async () => {
      await page?.close().catch(() => undefined);
    });

    it("launches a session from the form and its transcript grows live while it runs", async () => {
      // Recording starts before the launch: every entry the page adds is logged with the status shown then.
      await recordEntries(page);
      await page.getByRole("tab", { name: "New session" }).click();
      await page.locator("[data-worktree-option]").waitFor({ state: "visible", timeout: 15_000 });
      expect(await page.locator("#occp-worktree").isChecked()).toBe(false);
      await launchFromForm(page, { prompt: "run the command `echo step-one; sleep 3; echo step-two`", name: "live-stream" });
      await waitForText(page, 'ol[aria-label="Transcript"]', /Done: I ran/, 90_000);
      await waitForStatus(page, "waiting", 30_000);
      const log = await recorded(page);
      const done = log.findIndex((e) => e.text.includes("Done: I ran"));
      const whileRunning = log.slice(0, done).filter((e) => e.status === "running" || e.status === "starting");
      // At least two separate pushes reached the page before the turn's result.
      expect(whileRunning.length, JSON.stringify(log, null, 1)).toBeGreaterThanOrEqual(2);
      expect(new Set(whileRunning.map((e) => e.at)).size).toBeGreaterThanOrEqual(2);
      expect(whileRunning.some((e) => /Bash/.test(e.text))).toBe(true);
      expect(await page.locator('ol[aria-label="Transcript"]').innerText()).toContain("step-two");
      expect(await page.getByRole("heading", { name: /^live-stream/ }).innerText()).toContain("waiting for input");
      await page.screenshot({ path: path.join(PAGE_IMAGES, "control-ui-session.png") });
    }, 150_000);

    it("approves a permission request from the page (mode default) and the command runs", async () => {
      await launchFromForm(page, { prompt: "run the command `echo approved-from-the-page > approved.txt`", name: "needs-approval", mode: "default" });
      const card = page.locator("[data-request]");
      await card.first().waitFor({ timeout: 90_000 });
      expect(await card.first().innerText()).toMatch(/Bash/);
      expect(await page.getByRole("heading", { name: /^needs-approval/ }).innerText()).toContain("waiting for permission");
      expect(existsSync(path.join(workdir(), "approved.txt"))).toBe(false);
      await page.screenshot({ path: path.join(PAGE_IMAGES, "control-ui-permission.png") });
      await card.first().getByRole("button", { name: "Allow once" }).click();
      await waitForText(page, 'ol[aria-label="Transcript"]', /Done: I ran/, 90_000);
      await expect.poll(() => page.locator("[data-request]").count(), { timeout: 10_000 }).toBe(0);
      expect(readFileSync(path.join(workdir(), "approved.txt"), "utf8").trim()).toBe("approved-from-the-page");
    }, 150_000);

    it("finishes a worktree session from the page: Merge brings its work into the checkout", async () => {
      const repo = path.join(root, "state", "repo");
      mkdirSync(repo, { recursive: true });
      execFileSync("git", ["init", "-q", "-b", "main", repo]);
      execFileSync("git", ["-C", repo, "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit", "-q", "--allow-empty", "-m", "start"]);
      await launchFromForm(page, { prompt: "create a file named from-worktree.txt containing made in a worktree", name: "in-worktree", workdir: repo, worktree: true });
      await waitForStatus(page, "waiting", 90_000);
      const bar = page.getByRole("group", { name: "Finish the worktree" });
      await bar.waitFor({ timeout: 15_000 });
      expect(await bar.innerText()).toMatch(/Worktree claude\/in-worktree-\S+ \(active/);
      // The session worked in its own worktree: the checkout has nothing yet.
      expect(existsSync(path.join(repo, "from-worktree.txt"))).toBe(false);
      await bar.getByRole("button", { name: "Merge" }).click();
      await page.locator('[data-worktree="merged"]').waitFor({ timeout: 60_000 });
      expect(await page.locator(".occp-note").innerText()).toMatch(/merged/i);
      expect(readFileSync(path.join(repo, "from-worktree.txt"), "utf8").trim()).toBe("made in a worktree");
      // Merged is final: the finish buttons are off.
      expect(await page.getByRole("group", { name: "Finish the worktree" }).getByRole("button", { name: "Merge" }).isDisabled()).toBe(true);
      await page.screenshot({ path: path.join(PAGE_IMAGES, "control-ui-worktree.png") });
    }, 180_000);

    it("kills a running session from the page", async () => {
      await launchFromForm(page, { prompt: "run the command `sleep 60`", name: "to-kill" });
      await waitForText(page, 'ol[aria-label="Transcript"]', /Bash/, 60_000);
      await page.getByRole("button", { name: "Kill" }).click();
      await waitForStatus(page, "killed", 30_000);
      expect(await page.getByRole("heading", { name: /^to-kill/ }).innerText()).toMatch(/killed \(killed by /);
    }, 120_000);

    it("lists the sessions, live first, with their status, and filters them", async () => {
      await page.getByRole("tab", { name: "Sessions" }).click();
      const list = page.getByRole("list", { name: "Sessions" });
      await list.waitFor({ timeout: 10_000 });
      const rows = await list.locator("button.occp-row").allInnerTexts();
      const index = (name: string) => rows.findIndex((r) => r.includes(name));
      expect(index("live-stream")).toBeGreaterThanOrEqual(0);
      expect(index("to-kill")).toBeGreaterThan(index("live-stream"));
      expect(rows[index("to-kill")]).toMatch(/killed/);
      // Fewer than a page of sessions exist, also counting those pushed while the page was open.
      expect(await page.getByRole("button", { name: /Load more/ }).count()).toBe(0);
      await page.screenshot({ path: path.join(PAGE_IMAGES, "control-ui-sessions.png") });
      await page.locator(".occp").getByLabel("Search by name").fill("to-kill");
      await expect.poll(() => list.locator("button.occp-row").count(), { timeout: 5_000 }).toBe(1);
      await page.locator(".occp").getByLabel("Search by name").fill("");
      await page.locator(".occp").getByLabel("Status").selectOption("killed");
      await expect.poll(async () => (await list.locator("button.occp-row").allInnerTexts()).every((r) => /killed/.test(r)), { timeout: 5_000 }).toBe(true);
      await page.locator(".occp").getByLabel("Status").selectOption("all");
    }, 60_000);

    it("shows the cost chart with one point for today and the totals", async () => {
      await page.getByRole("tab", { name: "Costs" }).click();
      const chart = page.getByRole("img", { name: /Cost per day and per model over the last 30 days/ });
      await chart.waitFor({ timeout: 15_000 });
      const costs = await chart.locator("rect.occp-bar").evaluateAll((bars) => bars.map((b) => Number(b.getAttribute("data-cost"))));
      expect(costs).toHaveLength(30);
      expect(costs.filter((c) => c > 0)).toHaveLength(1);
      expect(costs[29]).toBeGreaterThan(0);
      // Today's bar is split by model: the offline sessions ran on the default model.
      const segments = await chart.locator("rect.occp-seg").evaluateAll((rects) => rects.map((r) => ({ model: r.getAttribute("data-model"), cost: Number(r.getAttribute("data-cost")) })));
      expect(segments.length).toBeGreaterThanOrEqual(1);
      expect(segments.reduce((a, x) => a + x.cost, 0)).toBeCloseTo(costs[29] ?? 0, 6);
      expect(await page.getByRole("table", { name: "Cost by model" }).innerText()).toContain(segments[0]?.model ?? "?");
      expect(await page.locator(".occp-totals").innerText()).toMatch(/Total cost\s+\$\d/);
    }, 60_000);

    it("shows the page on a phone-sized window to an operator whose device may only read, and the gateway refuses its actions", async () => {
      if (!browser) throw new Error("no browser");
      const reader = await readOnlyOperator(browser, signIn.url);
      try {
        expect(reader.granted()?.scopes).toEqual(["operator.read"]);
        const view = reader.page;
        // A narrow window folds the sidebar away: the page's own address.
        await view.goto(new URL(PAGE_PATH, signIn.address).href);
        const row = view.locator("button.occp-row", { hasText: "live-stream" });
        await row.waitFor({ timeout: 60_000 });
        await row.click();
        await waitForStatus(view, "waiting", 30_000);
        // Shown, not hidden: the buttons are there, and what stops them is the gateway.
        await view.getByRole("button", { name: "Kill" }).click();
        expect(await waitForText(view, ".occp-alert", /refused/, 15_000)).toMatch(/Kill was refused: .*operator\.write/);
        await view.getByRole("textbox", { name: "Follow-up" }).fill("this should not reach Claude");
        await view.getByRole("button", { name: "Send" }).click();
        expect(await waitForText(view, ".occp-alert", /Sending was refused/, 15_000)).toMatch(/operator\.write/);
        // The session is untouched: the operator's own page still shows it waiting, with no follow-up.
        await page.getByRole("tab", { name: "Sessions" }).click();
        await page.locator("button.occp-row", { hasText: "live-stream" }).click();
        await waitForStatus(page, "waiting", 15_000);
        expect(await page.getByRole("list", { name: "Transcript" }).innerText()).not.toContain("this should not reach Claude");
      } finally {
        await reader.context.close();
      }
    }, 180_000);
  });

  it("stops on Ctrl-C with exit code 0 and leaves no process behind", async () => {
    const run = start;
    const pid = run?.proc.pid;
    if (!run || pid === undefined) throw new Error("npm start is not running");
    const live = descendantPids(pid);
    for (const p of live) seenPids.add(p);
    // The waiting session's Claude Code is among them: the gateway must end it.
    expect(live.filter(isClaudeCode).length).toBeGreaterThan(0);
    run.proc.kill("SIGINT");
    const ended = await Promise.race([run.exited, sleep(60_000).then(() => undefined)]);
    expect(ended, `npm start did not exit within 60 s of SIGINT:\n${run.output()}`).toBeDefined();
    expect(ended).toEqual({ code: 0, signal: null });
    expect(run.output()).toContain("Stopped.");
    await sleep(500);
    expect([...seenPids].filter((p) => isAlive(p))).toEqual([]);
  }, 90_000);
});

// Headless Chromium for browser e2e tests: Debian's `chromium` driven by playwright-core (which
// downloads no browser). Installs the package when it is missing and this process may; otherwise
// fails with the exact command to run. Never skips.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";
const INSTALL_COMMAND = "apt-get install -y chromium";

const LAUNCH_ARGS = [
  "--no-sandbox", // as root Chromium refuses to start with its sandbox
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/**
 * Makes sure /usr/bin/chromium exists: installs Debian's package when missing (root only; about two
 * minutes), or throws an error that names the command a person has to run.
 */
export async function ensureChromium(timeoutMs = 300_000): Promise<string> {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const cannot = (why: string): Error =>
    new Error(`${CHROMIUM_PATH} is missing and this test could not install it (${why}). Install it with: sudo ${INSTALL_COMMAND}`);
  if (process.platform !== "linux") throw cannot(`this is ${process.platform}, not Debian`);
  if (process.getuid?.() !== 0) throw cannot("the test does not run as root");
  const started = Date.now();
  let result = await run("apt-get", ["install", "-y", "chromium"], timeoutMs);
  if (result.code !== 0 && /Unable to locate package|has no installation candidate/i.test(result.output)) {
    // A fresh container has no package lists yet.
    await run("apt-get", ["update"], Math.max(10_000, timeoutMs - (Date.now() - started)));
    result = await run("apt-get", ["install", "-y", "chromium"], Math.max(10_000, timeoutMs - (Date.now() - started)));
  }
  if (result.code !== 0 || !existsSync(CHROMIUM_PATH)) throw cannot(`apt-get exited with ${String(result.code)}: ${result.output.split("\n").slice(-3).join(" / ")}`);
  return CHROMIUM_PATH;
}

/** Debian's colour emoji font, so notices and screenshots show emoji instead of empty boxes. */
export const EMOJI_FONT_PATH = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";
const EMOJI_FONT_PACKAGE = "fonts-noto-color-emoji";

/** Installs the emoji font when missing (root only); without it the page still works, so this only warns. */
export async function ensureEmojiFont(timeoutMs = 180_000): Promise<boolean> {
  if (existsSync(EMOJI_FONT_PATH)) return true;
  if (process.platform !== "linux" || process.getuid?.() !== 0) {
    console.warn(`${EMOJI_FONT_PATH} is missing; emoji will not render in screenshots. Install it with: sudo apt-get install -y ${EMOJI_FONT_PACKAGE}`);
    return false;
  }
  let result = await run("apt-get", ["install", "-y", EMOJI_FONT_PACKAGE], timeoutMs);
  if (result.code !== 0 && /Unable to locate package|has no installation candidate/i.test(result.output)) {
    await run("apt-get", ["update"], timeoutMs);
    result = await run("apt-get", ["install", "-y", EMOJI_FONT_PACKAGE], timeoutMs);
  }
  if (!existsSync(EMOJI_FONT_PATH)) console.warn(`could not install ${EMOJI_FONT_PACKAGE} (apt-get exited with ${String(result.code)}); emoji will not render in screenshots`);
  return existsSync(EMOJI_FONT_PATH);
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureChromium();
  return chromium.launch({ executablePath, args: LAUNCH_ARGS, timeout: 60_000 });
}

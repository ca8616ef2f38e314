// Tests of the standalone command: it prints its URL, serves, and stops cleanly on SIGINT/SIGTERM.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const started: ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function run(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  return child;
}

/** Resolves with the first stdout line (rejects if the process exits first or after 10 s). */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no output line within 10 s: ${out}`)), 10_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf("\n");
      if (end !== -1) {
        clearTimeout(timer);
        resolve(out.slice(0, end));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${String(code)} before printing a line`));
    });
  });
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, "exit")) as [number | null];
  return code;
}

describe("offline-model cli", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("prints its URL, answers HTTP and exits 0 on %s", async (signal) => {
    const child = run(["--port", "0", "--quiet"]);
    const line = await firstLine(child);
    const match = /^offline-model listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
    expect(match, line).not.toBeNull();
    const url = match?.[1] ?? "";
    const res = await fetch(`${url}/api/hello`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    child.kill(signal);
    expect(await exitOf(child)).toBe(0);
  });

  it("logs one line per request on stderr, never on stdout", async () => {
    const child = run(["--fallback", "error"]);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const url = (await firstLine(child)).split(" ").at(-1) ?? "";
    const res = await fetch(`${url}/v1/messages`, { method: "POST", body: JSON.stringify({ model: "m", messages: [], tools: [{ name: "Bash" }] }) });
    expect(res.status).toBe(500);
    await res.arrayBuffer();
    child.kill("SIGTERM");
    expect(await exitOf(child)).toBe(0);
    expect(stderr).toContain("offline-model POST /v1/messages 500 #1 exhausted error(500)");
  });

  it("rejects a bad option with exit code 2", async () => {
    const child = run(["--fallback", "maybe"]);
    expect(await exitOf(child)).toBe(2);
  });
});

// Test runner config. Three projects: "unit" (no Claude Code CLI, no gateway: milliseconds per
// test, the whole project well under a minute) and "cli" (the engine and the offline model through
// the real Claude Code CLI) run files in parallel; "e2e" (a real gateway per file) runs one file at
// a time, since each gateway costs ~0.85 GB and most of a core. `npm test` runs them one after the
// other (see package.json). The machine has 2 cores and every Claude Code CLI costs ~0.4 CPU-s to
// start, so files run in at most two workers and each test bounds its own time.
import { defineConfig } from "vitest/config";

/** Tests that run the real Claude Code CLI. */
const CLI_TESTS = ["test/engine/**/*.test.ts", "offline-model/test/claude-code.test.ts"];

export default defineConfig({
  test: {
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    reporters: ["default"],
    projects: [
      { extends: true, test: { name: "unit", include: ["src/**/*.test.ts", "ui/**/*.test.ts", "offline-model/**/*.test.ts"], exclude: [CLI_TESTS[1]] } },
      { extends: true, test: { name: "cli", include: CLI_TESTS } },
      { extends: true, test: { name: "e2e", include: ["test/e2e/**/*.test.ts"] } },
    ],
  },
});

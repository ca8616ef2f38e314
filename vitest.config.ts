// Test runner config: unit tests beside the code or under test/, end-to-end tests under test/e2e.
// The machine has 2 cores and every Claude Code CLI costs ~0.4 CPU-s to start, so files run
// in at most two workers and each test bounds its own time.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "offline-model/**/*.test.ts", "test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    reporters: ["default"],
  },
});

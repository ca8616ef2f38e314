// Runs on a node as the leader of a session's process group: starts Claude Code (same group,
// stdio inherited from the node host) and watches the node host. If the node host dies (even by
// SIGKILL, when no cleanup code of its own runs) the whole group is ended, so nothing is orphaned.
// Usage: node supervisor.js <node-host pid> <claude executable> [args...]
import { spawn } from "node:child_process";

const [parentArg, command, ...args] = process.argv.slice(2);
const parentPid = Number(parentArg);
if (!command || !Number.isInteger(parentPid) || parentPid <= 0) {
  process.stderr.write("usage: supervisor <node-host pid> <command> [args...]\n");
  process.exit(2);
}

const child = spawn(command, args, { stdio: "inherit" });
// The node host signals the group; the supervisor outlives Claude Code to report its exit.
const ignore = (): void => undefined;
process.on("SIGTERM", ignore);
process.on("SIGINT", ignore);

function endGroup(): void {
  try {
    process.kill(-process.pid, "SIGTERM");
  } catch {
    // nothing left
  }
  setTimeout(() => {
    try {
      process.kill(-process.pid, "SIGKILL");
    } catch {
      process.exit(1);
    }
  }, 3000).unref();
}

const watchdog = setInterval(() => {
  // Reparented (to init or a subreaper): the node host is gone.
  if (process.ppid !== parentPid) endGroup();
}, 250);

child.on("error", (err) => {
  process.stderr.write(`cannot start Claude Code: ${err.message}\n`);
  process.exit(127);
});

child.on("exit", (code, signal) => {
  clearInterval(watchdog);
  if (signal) {
    // Die the way Claude Code died, so the node host reports the same signal.
    process.off("SIGTERM", ignore);
    process.off("SIGINT", ignore);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});

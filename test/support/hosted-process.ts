// A stand-in for a process a ProcessHost spawned (a node's or a local Claude Code): streams that
// carry nothing, an exit the test triggers with `end()`, and `kill()` that ends it at once.
import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import type { HostedProcess } from "../../src/engine/process-host.ts";

export class StandInProcess extends EventEmitter implements HostedProcess {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  killed = false;
  lost: string | undefined;
  /** The workdir it was spawned in. */
  readonly cwd: string | undefined;

  constructor(cwd?: string) {
    super();
    this.cwd = cwd;
  }

  /** Exits with `code` (null: by a signal); `lost` says the host lost it (a node gone). Once only. */
  end(code: number | null, lost?: string): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    this.lost = lost;
    this.exitCode = code;
    this.signalCode = code === null ? "SIGTERM" : null;
    this.stdout.end();
    this.emit("exit", code, this.signalCode);
  }

  kill(): boolean {
    this.killed = true;
    this.end(null);
    return true;
  }
}

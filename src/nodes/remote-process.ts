// The gateway's side of a Claude Code process on a paired node: a ProcessHost whose spawn returns a
// process-like object over the node's duplex channel, so the Agent SDK (and canUseTool, output,
// costs, resume) drives it exactly like a local child. A channel that closes without the node's
// exit frame means the node was lost: the process reads as ended and `lost` names the node.
import { EventEmitter } from "node:events";
import { PassThrough, Writable } from "node:stream";
import type { HostedProcess, NodeRef, ProcessHost, SpawnOptions } from "../engine/index.ts";
import { decodeFrame, encodeFrame, forwardedEnv, RELAYED_SIGNALS, type ProcessParams } from "./protocol.ts";

/** One open duplex channel (the host's RuntimeNodeDuplexChannel, structurally). */
export interface DuplexChannel {
  send(message: Uint8Array): Promise<void>;
  onMessage(listener: (message: Uint8Array) => void | Promise<void>): () => void;
  closed: Promise<unknown>;
  close(): void;
}

/** Opens the process command's channel on a node. */
export type OpenProcessChannel = (nodeId: string, params: ProcessParams, signal: AbortSignal) => Promise<DuplexChannel>;

/** Called with every process the host starts (e.g. to measure or to log). */
export interface NodeProcessObserver {
  onStart?(node: NodeRef, process: RemoteProcess): void;
}

export function createNodeProcessHost(node: NodeRef, open: OpenProcessChannel, observer?: NodeProcessObserver): ProcessHost {
  return {
    label: `node ${node.name}`,
    spawn(options) {
      const process = new RemoteProcess(node, open, options);
      observer?.onStart?.(node, process);
      return process;
    },
  };
}

type ExitListener = (code: number | null, signal: NodeJS.Signals | null) => void;
type ErrorListener = (error: Error) => void;

export class RemoteProcess implements HostedProcess {
  readonly stdin: Writable;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly pid = undefined;
  /** The process's pid on the node, once it started. */
  remotePid: number | undefined;
  private exitCode_: number | null = null;
  private signalCode_: NodeJS.Signals | null = null;
  private killed_ = false;
  private lost_: string | undefined;
  private exited = false;
  private channel: DuplexChannel | undefined;
  private readonly opening: Promise<DuplexChannel | undefined>;
  private readonly abort = new AbortController();
  private readonly events = new EventEmitter();
  /** Messages and bytes received from the node (the log reports them; bench:node reads them). */
  framesIn = 0;
  bytesIn = 0;

  readonly node: NodeRef;

  constructor(node: NodeRef, open: OpenProcessChannel, options: SpawnOptions) {
    this.node = node;
    const params: ProcessParams = { workdir: options.cwd ?? "", args: [...options.args], env: forwardedEnv(options.env) };
    this.stdin = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        void this.sendWhenOpen(encodeFrame({ type: "stdin", data: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) })).then(() => callback(), callback);
      },
      final: (callback) => {
        void this.sendWhenOpen(encodeFrame({ type: "stdinEnd" })).then(() => callback(), callback);
      },
    });
    // A stdin write after the process is gone is not an error worth a crash.
    this.stdin.on("error", () => undefined);
    // The SDK's signal fires after its graceful close: the node then ends the process group.
    options.signal.addEventListener("abort", () => this.closeChannel(), { once: true });
    this.opening = open(node.id, params, this.abort.signal).then(
      (channel) => {
        this.channel = channel;
        channel.onMessage((message) => this.onMessage(message));
        channel.closed.then(
          () => this.onClosed(undefined),
          (err: unknown) => this.onClosed(err),
        );
        if (this.exited) channel.close();
        return channel;
      },
      (err: unknown) => {
        // The node refused (workdir not allowed, full, no such directory) or could not be reached.
        this.stderr.write(`node ${node.name}: ${errorText(err)}\n`);
        this.finish(1, null);
        return undefined;
      },
    );
  }

  get exitCode(): number | null {
    return this.exitCode_;
  }
  get signalCode(): NodeJS.Signals | null {
    return this.signalCode_;
  }
  get killed(): boolean {
    return this.killed_;
  }
  get lost(): string | undefined {
    return this.lost_;
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): boolean {
    if (this.exited) return false;
    this.killed_ = true;
    const relayed = (RELAYED_SIGNALS as readonly string[]).includes(signal) ? signal : "SIGTERM";
    void this.sendWhenOpen(encodeFrame({ type: "signal", signal: relayed })).catch(() => this.closeChannel());
    return true;
  }

  on(event: "exit", listener: ExitListener): this;
  on(event: "error", listener: ErrorListener): this;
  on(event: "exit" | "error", listener: ExitListener | ErrorListener): this {
    this.events.on(event, listener);
    return this;
  }
  once(event: "exit", listener: ExitListener): this;
  once(event: "error", listener: ErrorListener): this;
  once(event: "exit" | "error", listener: ExitListener | ErrorListener): this {
    this.events.once(event, listener);
    return this;
  }
  off(event: "exit", listener: ExitListener): this;
  off(event: "error", listener: ErrorListener): this;
  off(event: "exit" | "error", listener: ExitListener | ErrorListener): this {
    this.events.off(event, listener);
    return this;
  }

  private async sendWhenOpen(message: Uint8Array): Promise<void> {
    const channel = this.channel ?? (await this.opening);
    if (!channel || this.exited) return;
    await channel.send(message);
  }

  private onMessage(message: Uint8Array): void {
    this.framesIn++;
    this.bytesIn += message.byteLength;
    const frame = decodeFrame(message);
    switch (frame.type) {
      case "started":
        this.remotePid = frame.pid;
        return;
      case "stdout":
        this.stdout.write(Buffer.from(frame.data));
        return;
      case "stderr":
        this.stderr.write(Buffer.from(frame.data));
        return;
      case "exit":
        this.finish(frame.code, (frame.signal as NodeJS.Signals | null) ?? null);
        return;
      case "heartbeat":
        return;
      case "stdin":
      case "stdinEnd":
      case "signal":
        throw new Error(`node ${this.node.name} sent a ${frame.type} frame, which only the gateway sends`);
      default: {
        const never: never = frame;
        return never;
      }
    }
  }

  private onClosed(err: unknown): void {
    if (this.exited) return;
    // No exit frame: the node disconnected, restarted, or the channel failed. Nothing runs any more
    // (the node ends the process group when the channel closes).
    this.lost_ = `node ${this.node.name}`;
    this.stderr.write(`node ${this.node.name} lost${err ? `: ${errorText(err)}` : ""}\n`);
    this.finish(null, "SIGHUP");
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    this.exitCode_ = code;
    this.signalCode_ = signal;
    this.stdout.end();
    this.stderr.end();
    this.closeChannel();
    this.events.emit("exit", code, signal);
  }

  private closeChannel(): void {
    if (this.channel) this.channel.close();
    else this.abort.abort(new Error("the session closed the process before the node channel opened"));
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// The wire between the gateway and a paired node: the two node-host commands, their parameters
// and results, and the frames of the process channel (one tag byte, then the payload). Shared by
// both ends; docs/nodes.md describes it for people.

/** Duplex, dangerous: runs Claude Code on the node and relays its stdio and exit. */
export const PROCESS_COMMAND = "claude-code.process.v1";
/** Unary, read-only: the node's capacity, Claude Code version, allowed workdirs. */
export const INFO_COMMAND = "claude-code.info.v1";
export const NODE_COMMANDS = [PROCESS_COMMAND, INFO_COMMAND] as const;

/** A message on the process channel is at most this big (stdout lines of a big tool result fit). */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

/**
 * Frame tags. Gateway → node: stdin bytes, end of stdin, a signal for the process group.
 * Node → gateway: the process started (JSON), stdout bytes, stderr bytes, the process exited (JSON),
 * and a heartbeat: the host cancels an invocation that shows no progress for 30 s, and a session
 * may wait for its next message far longer than that.
 */
export const Tag = {
  stdin: 0x01,
  stdinEnd: 0x02,
  signal: 0x03,
  started: 0x81,
  stdout: 0x82,
  stderr: 0x83,
  exit: 0x84,
  heartbeat: 0x85,
} as const;
export type TagName = keyof typeof Tag;

export type Frame =
  | { type: "stdin"; data: Uint8Array }
  | { type: "stdinEnd" }
  | { type: "signal"; signal: string }
  | { type: "started"; pid: number }
  | { type: "stdout"; data: Uint8Array }
  | { type: "stderr"; data: Uint8Array }
  | { type: "exit"; code: number | null; signal: string | null }
  | { type: "heartbeat" };

/** How often the node sends a heartbeat (well inside the host's 30 s idle bound). */
export const HEARTBEAT_MS = 10_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function tagged(tag: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.byteLength + 1);
  out[0] = tag;
  out.set(payload, 1);
  return out;
}

export function encodeFrame(frame: Frame): Uint8Array {
  switch (frame.type) {
    case "stdin":
    case "stdout":
    case "stderr":
      return tagged(Tag[frame.type], frame.data);
    case "stdinEnd":
      return Uint8Array.of(Tag.stdinEnd);
    case "heartbeat":
      return Uint8Array.of(Tag.heartbeat);
    case "signal":
      return tagged(Tag.signal, encoder.encode(frame.signal));
    case "started":
      return tagged(Tag.started, encoder.encode(JSON.stringify({ pid: frame.pid })));
    case "exit":
      return tagged(Tag.exit, encoder.encode(JSON.stringify({ code: frame.code, signal: frame.signal })));
    default: {
      const never: never = frame;
      return never;
    }
  }
}

/** Decodes one message; throws on an unknown tag or a malformed payload (the channel is then closed). */
export function decodeFrame(message: Uint8Array): Frame {
  if (message.byteLength === 0) throw new Error("empty frame");
  const tag = message[0];
  const payload = message.subarray(1);
  switch (tag) {
    case Tag.stdin:
      return { type: "stdin", data: payload };
    case Tag.stdout:
      return { type: "stdout", data: payload };
    case Tag.stderr:
      return { type: "stderr", data: payload };
    case Tag.stdinEnd:
      return { type: "stdinEnd" };
    case Tag.heartbeat:
      return { type: "heartbeat" };
    case Tag.signal:
      return { type: "signal", signal: decoder.decode(payload) };
    case Tag.started: {
      const o = parseObject(payload);
      if (typeof o.pid !== "number") throw new Error("started frame without a pid");
      return { type: "started", pid: o.pid };
    }
    case Tag.exit: {
      const o = parseObject(payload);
      return {
        type: "exit",
        code: typeof o.code === "number" ? o.code : null,
        signal: typeof o.signal === "string" ? o.signal : null,
      };
    }
    default:
      throw new Error(`unknown frame tag 0x${(tag ?? 0).toString(16)}`);
  }
}

function parseObject(payload: Uint8Array): Record<string, unknown> {
  const value: unknown = JSON.parse(decoder.decode(payload));
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("frame payload is not an object");
  return value as Record<string, unknown>;
}

/** Signals the gateway may ask for; anything else is refused by the node. */
export const RELAYED_SIGNALS = ["SIGINT", "SIGTERM", "SIGKILL"] as const;

/** Environment the gateway may pass: the SDK's markers and flags, never credentials (the node has its own). */
export const FORWARDED_ENV = [
  "CLAUDE_CODE_ENTRYPOINT",
  "CLAUDE_AGENT_SDK_VERSION",
  "CLAUDE_CODE_SDK_READS_SESSION_STATE",
  "BUN_ENABLE_CRASH_REPORTING",
  "IS_SANDBOX",
] as const;

export function forwardedEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_ENV) {
    const v = env[name];
    if (typeof v === "string") out[name] = v;
  }
  return out;
}

/** Parameters of PROCESS_COMMAND. */
export interface ProcessParams {
  /** Absolute directory on the node. */
  workdir: string;
  /** Claude Code's arguments as the Agent SDK built them (the executable is the node's own). */
  args: string[];
  /** Only FORWARDED_ENV names; the node drops anything else. */
  env: Record<string, string>;
  /** For the node's log. */
  sessionId?: string;
}

/** Parameters of INFO_COMMAND. */
export interface InfoParams {
  /** A directory to look for on the node. */
  workdir?: string;
}

/** What INFO_COMMAND answers. */
export interface NodeInfo {
  /** The plugin's protocol: PROCESS_COMMAND's version the node speaks. */
  protocol: 1;
  claudeCodeVersion: string | undefined;
  /** Sessions the node runs at once (its `nodeSlots`, default its cores). */
  slots: number;
  cores: number;
  /** Processes the node runs now (for every gateway it serves). */
  running: number;
  /** Where the node lets sessions work (its `nodeAllowedWorkdirs`). */
  allowedWorkdirs: string[];
  /** The asked-for workdir: whether it exists on the node and is allowed. */
  workdir?: { path: string; exists: boolean; allowed: boolean };
}

export function parseProcessParams(json: string | null | undefined): ProcessParams {
  const o = parseJsonObject(json, PROCESS_COMMAND);
  if (typeof o.workdir !== "string" || !o.workdir) throw new Error(`${PROCESS_COMMAND}: workdir must be an absolute path`);
  if (!Array.isArray(o.args) || !o.args.every((a) => typeof a === "string")) throw new Error(`${PROCESS_COMMAND}: args must be a list of strings`);
  const env: Record<string, string> = {};
  if (o.env !== undefined) {
    if (typeof o.env !== "object" || o.env === null || Array.isArray(o.env)) throw new Error(`${PROCESS_COMMAND}: env must be an object`);
    Object.assign(env, forwardedEnv(o.env as Record<string, string | undefined>));
  }
  return { workdir: o.workdir, args: o.args as string[], env, ...(typeof o.sessionId === "string" ? { sessionId: o.sessionId } : {}) };
}

export function parseInfoParams(json: string | null | undefined): InfoParams {
  const o = json ? parseJsonObject(json, INFO_COMMAND) : {};
  if (o.workdir !== undefined && typeof o.workdir !== "string") throw new Error(`${INFO_COMMAND}: workdir must be a path string`);
  return typeof o.workdir === "string" ? { workdir: o.workdir } : {};
}

function parseJsonObject(json: string | null | undefined, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json ?? "");
  } catch {
    throw new Error(`${what}: parameters must be a JSON object`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${what}: parameters must be a JSON object`);
  return value as Record<string, unknown>;
}

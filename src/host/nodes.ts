// OpenClaw's paired nodes, for the plugin: on a node host, the two node-host commands (the
// process command is duplex and dangerous; the node side loads only when first invoked); on the
// gateway, the node-invoke policy that gates the process command, and the transport the node
// directory uses (the service's own node access, so sessions never borrow a caller's authority).
import { AsyncResource } from "node:async_hooks";
import { parseConfig } from "../config.ts";
import type { Logger } from "../engine/index.ts";
import type { NodeTransport } from "../nodes/directory.ts";
import type { NodeSide } from "../nodes/node-side.ts";
import { INFO_COMMAND, MAX_FRAME_BYTES, PROCESS_COMMAND, type NodeInfo } from "../nodes/protocol.ts";
import type { DuplexChannel } from "../nodes/remote-process.ts";
import type { HostRuntime, OpenClawPluginApi, OpenClawPluginServiceContext } from "./sdk.ts";

const SLOT = Symbol.for("openclaw-claude-code-plugin.node-side");

/** The node side of this process (one per node host, whichever registry invokes it). */
function nodeSide(api: OpenClawPluginApi): Promise<NodeSide> {
  const slot = globalThis as typeof globalThis & { [SLOT]?: Promise<NodeSide> };
  slot[SLOT] ??= import("../nodes/node-side.ts").then((m) => {
    const logger: Logger = {
      debug: (t) => api.logger.debug?.(`[claude-code] ${t}`),
      info: (t) => api.logger.info(`[claude-code] ${t}`),
      warn: (t) => api.logger.warn(`[claude-code] ${t}`),
      error: (t) => api.logger.error(`[claude-code] ${t}`),
    };
    return new m.NodeSide({
      // The node's own plugin config: its allow-list and slots, never the gateway's.
      config: () => {
        const config = parseConfig(api.pluginConfig);
        return { allowedWorkdirs: config.nodeAllowedWorkdirs, slots: config.nodeSlots };
      },
      claudePath: () => parseConfig(api.pluginConfig).claudeExecutable ?? m.bundledClaudePath(),
      logger,
    });
  });
  return slot[SLOT];
}

/** Registers the node-host commands and the gateway's policy for them. Cheap: nothing loads yet. */
export function registerNodeCommands(api: OpenClawPluginApi): void {
  let side: NodeSide | undefined;
  const load = async (): Promise<NodeSide> => (side ??= await nodeSide(api));
  api.registerNodeHostCommand({
    command: PROCESS_COMMAND,
    duplex: true,
    dangerous: true,
    handle: async (paramsJSON, io) => (await load()).process(paramsJSON, io),
    // The gateway connection closed: its channels are gone, so are the processes they drove.
    onDisconnect: async () => {
      await side?.stopAll();
    },
    hasActiveWork: () => (side?.runningCount ?? 0) > 0,
  });
  api.registerNodeHostCommand({
    command: INFO_COMMAND,
    handle: async (paramsJSON) => JSON.stringify((await load()).info(paramsJSON)),
    hasActiveWork: () => false,
  });
  // Runs in the gateway after the allowlist, before the node: only well-formed launches go out.
  api.registerNodeInvokePolicy({
    commands: [PROCESS_COMMAND],
    dangerous: true,
    handle: (ctx) => {
      const problem = processParamsProblem(ctx.params);
      if (problem) return { ok: false, code: "INVALID_REQUEST", message: `${PROCESS_COMMAND}: ${problem}` };
      return ctx.invokeNode();
    },
  });
}

function processParamsProblem(params: unknown): string | undefined {
  if (typeof params !== "object" || params === null || Array.isArray(params)) return "parameters must be an object";
  const p = params as Record<string, unknown>;
  // A leading ~ is the node's home: the node expands it.
  if (typeof p.workdir !== "string" || !(p.workdir.startsWith("/") || p.workdir === "~" || p.workdir.startsWith("~/"))) return "workdir must be an absolute path (or start with ~/, the node's home)";
  if (!Array.isArray(p.args) || !p.args.every((a) => typeof a === "string")) return "args must be a list of strings";
  return undefined;
}

type ServiceNodeAccess = Pick<OpenClawPluginServiceContext, "invokeNode" | "openNodeDuplex">;

/** The directory's transport over the host: list through the runtime, invoke and open as the service. */
export function createNodeTransport(runtime: HostRuntime, ctx: ServiceNodeAccess): NodeTransport {
  // The host lists nodes with the authority of the request it runs in: a chat sender has no
  // operator scopes, so a /claude_nodes would be refused. The plugin asks as its service (as it
  // invokes and opens node commands), from the async context the service started in; who may see
  // the listing is the plugin's own rule (authorized senders, agents, operator.read over RPC).
  const asService = new AsyncResource("claude-code.nodes");
  return {
    async list() {
      const { nodes } = await asService.runInAsyncScope(() => runtime.nodes.list({}));
      return nodes;
    },
    async info(nodeId, params) {
      if (!ctx.invokeNode) throw new Error("this gateway gives the plugin's service no node access");
      const result = await ctx.invokeNode({ nodeId, command: INFO_COMMAND, params, timeoutMs: 10_000 });
      return parseInfoResult(result);
    },
    async open(nodeId, params, signal) {
      if (!ctx.openNodeDuplex) throw new Error("this gateway gives the plugin's service no node channels (OpenClaw too old?)");
      // timeoutMs 0: no deadline for the whole session; the node's heartbeat keeps the channel alive.
      const channel: DuplexChannel = await ctx.openNodeDuplex({
        nodeId,
        command: PROCESS_COMMAND,
        params,
        timeoutMs: 0,
        maxMessageBytes: MAX_FRAME_BYTES,
        signal,
      });
      return channel;
    },
  };
}

/** node.invoke answers {ok, payload, payloadJSON}; the info command's result is the JSON. */
function parseInfoResult(result: unknown): NodeInfo {
  const r = (typeof result === "object" && result !== null ? result : {}) as Record<string, unknown>;
  let value: unknown = r.payload;
  if (typeof r.payloadJSON === "string") value = JSON.parse(r.payloadJSON);
  if (typeof value === "string") value = JSON.parse(value);
  const o = (typeof value === "object" && value !== null ? value : {}) as Partial<NodeInfo>;
  if (typeof o.slots !== "number" || typeof o.running !== "number" || !Array.isArray(o.allowedWorkdirs)) {
    throw new Error(`${INFO_COMMAND} answered something unexpected: ${JSON.stringify(result).slice(0, 200)}`);
  }
  return o as NodeInfo;
}

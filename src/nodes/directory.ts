// The gateway's view of paired nodes: which are connected and offer the plugin's commands, their
// capacity (asked with the read-only info command), and where a launch may go: a named node, or
// "auto" (every node that has the workdir, most free slots first). Refusals name the node and say
// what to do. Whether a launch runs now or waits for a slot is the engine's to decide (its launch
// queue); the directory tells it how many slots it may use on each node, and keeps that current
// while launches wait for a node.
import { holdsSlot, SessionError, type NodeOption, type NodeRef, type ProcessHost, type SessionStatus } from "../engine/index.ts";
import { INFO_COMMAND, PROCESS_COMMAND, type InfoParams, type NodeInfo } from "./protocol.ts";
import { createNodeProcessHost, type NodeProcessObserver, type OpenProcessChannel } from "./remote-process.ts";

/** One node as the host lists it (RuntimeNodeListResult's rows, structurally). */
export interface ListedNode {
  nodeId: string;
  displayName?: string;
  platform?: string;
  connected?: boolean;
  connectedAtMs?: number;
  commands?: string[];
  invocableCommands?: string[];
}

/** How the directory reaches nodes (the host adapter implements it). */
export interface NodeTransport {
  list(): Promise<ListedNode[]>;
  info(nodeId: string, params: InfoParams): Promise<NodeInfo>;
  open: OpenProcessChannel;
}

/** A live session as the directory counts it. */
export interface PlacedSession {
  id: string;
  name: string;
  status: SessionStatus;
  node?: NodeRef | undefined;
}

/** One node in a listing. */
export interface NodeStatus {
  id: string;
  name: string;
  platform: string | undefined;
  /** "ready": connected and offers the plugin; "not_allowed": connected, the process command not allowlisted. */
  status: "ready" | "not_allowed" | "no_plugin" | "unreachable";
  connectedAt: number | undefined;
  claudeCodeVersion: string | undefined;
  slots: number | undefined;
  freeSlots: number | undefined;
  allowedWorkdirs: string[];
  /** This gateway's live sessions on the node. */
  sessions: Array<{ id: string; name: string; status: string }>;
  /** Why the node cannot take sessions, when it cannot. */
  problem: string | undefined;
}

/** Where a launch may run: the nodes that can take it, best first (never empty). */
export interface Placement {
  nodes: NodeOption[];
}

/** What the directory keeps current while launches wait for nodes (the engine). */
export interface NodeSlotsTarget {
  queuedNodeIds(): string[];
  setNodeSlots(nodeId: string, slots: number): void;
}

export interface NodeDirectoryDeps {
  transport: NodeTransport;
  liveSessions: () => readonly PlacedSession[];
  /** This gateway's sessions the node still counts (live ones and ending ones); default: the live sessions holding a slot. */
  slotsInUseOn?: (nodeId: string) => number;
  observer?: NodeProcessObserver;
}

export const AUTO_NODE = "auto";

export class NodeDirectory {
  private readonly deps: NodeDirectoryDeps;

  constructor(deps: NodeDirectoryDeps) {
    this.deps = deps;
  }

  processHostFor(node: NodeRef): ProcessHost {
    return createNodeProcessHost(node, this.deps.transport.open, this.deps.observer);
  }

  /** Connected nodes (those with the plugin first), with capacity and this gateway's sessions on them. */
  async list(): Promise<NodeStatus[]> {
    const nodes = (await this.deps.transport.list()).filter((n) => n.connected === true);
    const out = await Promise.all(nodes.map((n) => this.describe(n, undefined)));
    const rank = { ready: 0, not_allowed: 1, unreachable: 2, no_plugin: 3 } as const;
    return out.map((d) => d.status).sort((a, b) => rank[a.status] - rank[b.status] || a.name.localeCompare(b.name));
  }

  /**
   * Where a launch may run: `ref` is a node id or name, or "auto". Checks the node is connected,
   * offers the plugin, has the workdir and allows it; else a SessionError that names the node. A
   * full node is still a place: the launch waits in its queue.
   */
  async place(ref: string, workdir: string | undefined): Promise<Placement> {
    const all = await this.deps.transport.list();
    if (ref.trim().toLowerCase() === AUTO_NODE) return this.placeAuto(all, workdir);
    const node = findNode(all, ref);
    if (!node) {
      const ready = all.filter((n) => n.connected && offersPlugin(n)).map(nodeName);
      throw new SessionError(
        "NOT_FOUND",
        `No paired node "${ref}". ${ready.length ? `Connected nodes with the plugin: ${ready.join(", ")}` : "No connected node offers the plugin"}; see claude_nodes.`,
      );
    }
    const name = nodeName(node);
    if (node.connected !== true) {
      throw new SessionError("UNAVAILABLE", `Node ${name} is offline: start \`openclaw node run\` on it again, then launch or resume once it shows in claude_nodes.`);
    }
    const { status, info } = await this.describe(node, workdir);
    if (status.problem || !info) throw new SessionError("UNAVAILABLE", `Node ${name} cannot run sessions: ${status.problem ?? "it did not answer"}.`);
    this.checkWorkdir(name, info, workdir);
    return { nodes: [this.option(node.nodeId, name, info, workdir)] };
  }

  /** The slots this gateway may use on a node now; 0 while it is offline, without the plugin or not answering. */
  async slotsFor(nodeId: string): Promise<number> {
    const node = (await this.deps.transport.list()).find((n) => n.nodeId === nodeId);
    if (!node || node.connected !== true) return 0;
    const { info } = await this.describe(node, undefined);
    return info ? this.usable(nodeId, info) : 0;
  }

  /**
   * While launches wait for nodes, asks those nodes for their slots every `everyMs` and tells the
   * engine (a node that raised nodeSlots, ended another gateway's session, or came back online).
   * Returns the stop function.
   */
  watch(target: NodeSlotsTarget, everyMs: number, onError: (err: unknown) => void): () => void {
    let busy = false;
    const tick = (): void => {
      const ids = target.queuedNodeIds();
      if (busy || ids.length === 0) return;
      busy = true;
      void Promise.all(ids.map(async (id) => target.setNodeSlots(id, await this.slotsFor(id))))
        .catch(onError)
        .finally(() => (busy = false));
    };
    const timer = setInterval(tick, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async placeAuto(all: readonly ListedNode[], workdir: string | undefined): Promise<Placement> {
    const candidates = all.filter((n) => n.connected === true && offersPlugin(n) && allowsProcess(n));
    if (candidates.length === 0) throw new SessionError("UNAVAILABLE", 'node "auto": no connected node offers the plugin; pair one (docs/nodes.md) and check claude_nodes.');
    const described = await Promise.all(candidates.map((n) => this.describe(n, workdir)));
    const fits = described.filter((d) => d.info && !d.status.problem && (!workdir || (d.info.workdir?.exists && d.info.workdir.allowed)));
    // Most free slots first; when all are full the launch waits for whichever frees one first.
    const ranked = fits.sort((a, b) => (b.status.freeSlots ?? 0) - (a.status.freeSlots ?? 0) || a.status.name.localeCompare(b.status.name));
    if (ranked.length === 0) {
      throw new SessionError("UNAVAILABLE", `node "auto": no connected node has ${workdir ? `the workdir ${workdir} (existing and allowed)` : "the plugin ready"}. See claude_nodes.`);
    }
    return { nodes: ranked.map((d) => this.option(d.status.id, d.status.name, d.info!, workdir)) };
  }

  private option(id: string, name: string, info: NodeInfo, workdir: string | undefined): NodeOption {
    // The node resolved the path (its own ~): the session runs, and is listed, where the node says.
    return { node: { id, name }, slots: this.usable(id, info), workdir: workdir !== undefined ? (info.workdir?.path ?? workdir) : undefined };
  }

  /** The node's slots less the processes it runs for other gateways. */
  private usable(nodeId: string, info: NodeInfo): number {
    const ours = this.deps.slotsInUseOn?.(nodeId) ?? this.holdingOn(nodeId).length;
    const others = Math.max(0, info.running - ours);
    return Math.max(0, info.slots - others);
  }

  private checkWorkdir(name: string, info: NodeInfo, workdir: string | undefined): void {
    if (!workdir || !info.workdir) return;
    if (!info.workdir.allowed) {
      throw new SessionError(
        "FORBIDDEN",
        info.allowedWorkdirs.length === 0
          ? `Node ${name} allows no workdirs yet: set nodeAllowedWorkdirs in the plugin's config on that node.`
          : `workdir ${workdir} is outside node ${name}'s nodeAllowedWorkdirs (${info.allowedWorkdirs.join(", ")}).`,
      );
    }
    if (!info.workdir.exists) throw new SessionError("INVALID_ARGUMENT", `workdir ${workdir} does not exist on node ${name}; create it there first.`);
  }

  private sessionsOn(nodeId: string): PlacedSession[] {
    return this.deps.liveSessions().filter((s) => s.node?.id === nodeId);
  }

  /** This gateway's sessions that hold one of the node's slots (a queued one does not). */
  private holdingOn(nodeId: string): PlacedSession[] {
    return this.sessionsOn(nodeId).filter((s) => holdsSlot(s.status));
  }

  private async describe(node: ListedNode, workdir: string | undefined): Promise<{ status: NodeStatus; info: NodeInfo | undefined }> {
    const name = nodeName(node);
    const sessions = this.sessionsOn(node.nodeId).map((s) => ({ id: s.id, name: s.name, status: s.status }));
    const status: NodeStatus = {
      id: node.nodeId,
      name,
      platform: node.platform,
      status: "ready",
      connectedAt: node.connectedAtMs,
      claudeCodeVersion: undefined,
      slots: undefined,
      freeSlots: undefined,
      allowedWorkdirs: [],
      sessions,
      problem: undefined,
    };
    if (!offersPlugin(node)) {
      status.status = "no_plugin";
      status.problem = `it does not offer ${PROCESS_COMMAND}: install the plugin on the node and restart its node host, and allow ${PROCESS_COMMAND} and ${INFO_COMMAND} in gateway.nodes.commands.allow (the host hides a plugin's node commands until then), then approve the node's new command surface`;
      return { status, info: undefined };
    }
    if (!allowsProcess(node)) {
      status.status = "not_allowed";
      status.problem = `${PROCESS_COMMAND} and ${INFO_COMMAND} are not allowed yet: add them to gateway.nodes.commands.allow on the gateway, then approve the node's new command surface (openclaw nodes pending / approve)`;
      return { status, info: undefined };
    }
    try {
      const info = await this.deps.transport.info(node.nodeId, workdir ? { workdir } : {});
      status.claudeCodeVersion = info.claudeCodeVersion;
      status.slots = info.slots;
      status.allowedWorkdirs = info.allowedWorkdirs;
      status.freeSlots = Math.max(0, info.slots - Math.max(info.running, this.holdingOn(node.nodeId).length));
      return { status, info };
    } catch (err) {
      status.status = "unreachable";
      status.problem = `${INFO_COMMAND} failed: ${err instanceof Error ? err.message : String(err)}`;
      return { status, info: undefined };
    }
  }
}

function nodeName(n: ListedNode): string {
  return n.displayName?.trim() || n.nodeId;
}

function findNode(all: readonly ListedNode[], ref: string): ListedNode | undefined {
  const key = ref.trim();
  const lower = key.toLowerCase();
  return all.find((n) => n.nodeId === key) ?? all.find((n) => n.displayName?.trim().toLowerCase() === lower);
}

function offersPlugin(n: ListedNode): boolean {
  return (n.commands ?? []).includes(PROCESS_COMMAND) || (n.invocableCommands ?? []).includes(PROCESS_COMMAND);
}

/** The host's list says which advertised commands policy lets through; without that field, assume yes. */
function allowsProcess(n: ListedNode): boolean {
  if (!n.invocableCommands) return true;
  return n.invocableCommands.includes(PROCESS_COMMAND) && n.invocableCommands.includes(INFO_COMMAND);
}

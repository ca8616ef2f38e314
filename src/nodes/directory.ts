// The gateway's view of paired nodes: which are connected and offer the plugin's commands, their
// capacity (asked with the read-only info command), and where a launch goes: a named node, or
// "auto" (the one with most free slots that has the workdir). Refusals name the node and say what
// to do. Sessions are counted from the engine's live sessions, so a slot is taken the moment a
// launch is accepted.
import { SessionError, type NodeRef, type ProcessHost } from "../engine/index.ts";
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
  status: string;
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

export interface Placement {
  node: NodeRef;
  slots: number;
}

export interface NodeDirectoryDeps {
  transport: NodeTransport;
  liveSessions: () => readonly PlacedSession[];
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
   * Where a launch runs: `ref` is a node id or name, or "auto". Checks the node is connected,
   * offers the plugin, has the workdir and allows it, and has a free slot; else a SessionError
   * that names the node.
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
    this.checkFree(status, info);
    return { node: { id: node.nodeId, name }, slots: info.slots };
  }

  /** Re-checks a node's slots against the live sessions right before the launch (no await between). */
  assertFree(placement: Placement): void {
    const used = this.sessionsOn(placement.node.id);
    if (used.length >= placement.slots) {
      throw new SessionError(
        "LIMIT_REACHED",
        `Node ${placement.node.name} is full: ${used.length} of ${placement.slots} slots in use (${used.map((s) => `${s.name} (${s.id})`).join(", ")}). Kill or finish one, pick another node, or raise nodeSlots on the node.`,
        { node: placement.node.name, live: used.map((s) => ({ id: s.id, name: s.name, status: s.status })) },
      );
    }
  }

  private async placeAuto(all: readonly ListedNode[], workdir: string | undefined): Promise<Placement> {
    const candidates = all.filter((n) => n.connected === true && offersPlugin(n) && allowsProcess(n));
    if (candidates.length === 0) throw new SessionError("UNAVAILABLE", 'node "auto": no connected node offers the plugin; pair one (docs/nodes.md) and check claude_nodes.');
    const described = await Promise.all(candidates.map((n) => this.describe(n, workdir)));
    const fits = described.filter((d) => d.info && !d.status.problem && (!workdir || (d.info.workdir?.exists && d.info.workdir.allowed)));
    const withRoom = fits.filter((d) => (d.status.freeSlots ?? 0) > 0).sort((a, b) => (b.status.freeSlots ?? 0) - (a.status.freeSlots ?? 0) || a.status.name.localeCompare(b.status.name));
    const best = withRoom[0];
    if (!best || !best.info) {
      const why = fits.length === 0
        ? `no connected node has ${workdir ? `the workdir ${workdir} (existing and allowed)` : "room"}`
        : `every node with it is full (${fits.map((d) => `${d.status.name}: ${d.status.slots} slots`).join(", ")})`;
      throw new SessionError(fits.length === 0 ? "UNAVAILABLE" : "LIMIT_REACHED", `node "auto": ${why}. See claude_nodes.`);
    }
    return { node: { id: best.status.id, name: best.status.name }, slots: best.info.slots };
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

  private checkFree(status: NodeStatus, info: NodeInfo): void {
    this.assertFree({ node: { id: status.id, name: status.name }, slots: info.slots });
    // The node's own count includes processes for other gateways.
    if (info.running >= info.slots) {
      throw new SessionError("LIMIT_REACHED", `Node ${status.name} is full: it runs ${info.running} of ${info.slots} sessions. Kill or finish one, pick another node, or raise nodeSlots on the node.`, { node: status.name });
    }
  }

  private sessionsOn(nodeId: string): PlacedSession[] {
    return this.deps.liveSessions().filter((s) => s.node?.id === nodeId);
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
      status.freeSlots = Math.max(0, info.slots - Math.max(info.running, sessions.length));
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

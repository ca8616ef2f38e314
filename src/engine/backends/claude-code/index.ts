// The Claude Code backend: one long-lived Claude Code CLI process per session, driven through the
// Agent SDK's streaming input, spawned through a ProcessHost, and ended with everything it started.
import type { UUID } from "node:crypto";
import type { CanUseTool, HookCallback, Options, PermissionResult, Query, SDKUserMessage, SpawnOptions, SpawnedProcess } from "@anthropic-ai/claude-agent-sdk";
import type { AgentBackend, BackendCapabilities, BackendEvent, Conversation, LaunchSpec, PermissionDecision } from "../../backend.ts";
import { InputQueue } from "../../input-queue.ts";
import { localProcessHost, type HostedProcess } from "../../process-host.ts";
import { endProcessTrees, newSessionMarker, SESSION_MARKER_VAR, systemProcessTable, type ProcessTable, type ProcessTreeRef } from "../../process-tree.ts";
import { loadAgentQuery, loadedAgentQuery, type QueryFunction } from "./agent-sdk.ts";
import { eventsOf, sessionOnly, sessionScopeOf } from "./messages.ts";

export type { QueryFunction } from "./agent-sdk.ts";

export interface ClaudeCodeBackendOptions {
  /** Default: the Agent SDK's query(), imported at the first start. */
  queryFn?: QueryFunction;
  pathToClaudeCodeExecutable?: string;
  /** Where the processes a session started are looked for when it ends (default: /proc, else ps). */
  processTable?: ProcessTable;
}

/** The backend's kind as snapshots record it (sessions stored before backends were recorded ran this one). */
export const CLAUDE_CODE_KIND = "claude-code";

export const CLAUDE_CODE_CAPABILITIES: BackendCapabilities = { resume: true, fork: true, interrupt: true, permissionRelay: true, planMode: true };

export function claudeCodeBackend(options: ClaudeCodeBackendOptions = {}): AgentBackend {
  const processTable = options.processTable ?? systemProcessTable();
  return {
    kind: CLAUDE_CODE_KIND,
    capabilities: CLAUDE_CODE_CAPABILITIES,
    start: (spec, sink) => new ClaudeCodeConversation(spec, sink, { ...options, processTable }),
  };
}

const STDERR_TAIL_BYTES = 4096;

class ClaudeCodeConversation implements Conversation {
  private readonly input = new InputQueue<SDKUserMessage>();
  private inputClosed = false;
  private query: Query | undefined;
  private child: HostedProcess | undefined;
  private childExit: Promise<void> = Promise.resolve();
  /** What the CLI and everything it starts inherit; set when the CLI is spawned. */
  private tree: ProcessTreeRef | undefined;
  private treeEnded: Promise<void> | undefined;
  private stderrTail = "";
  private interruptRequested = false;
  private exitReported = false;
  private readonly loopDone: Promise<void>;

  private readonly spec: LaunchSpec;
  private readonly sink: (event: BackendEvent) => void;
  private readonly options: ClaudeCodeBackendOptions & { processTable: ProcessTable };

  constructor(spec: LaunchSpec, sink: (event: BackendEvent) => void, options: ClaudeCodeBackendOptions & { processTable: ProcessTable }) {
    this.spec = spec;
    this.sink = sink;
    this.options = options;
    const queryFn = options.queryFn ?? loadedAgentQuery();
    if (queryFn) {
      this.loopDone = this.run(queryFn);
      return;
    }
    // The first launch of the process imports the SDK; a conversation stopped before the import
    // finished never spawns a process.
    this.loopDone = loadAgentQuery().then(
      (loaded) => {
        if (!this.inputClosed) return this.run(loaded);
        this.reportExit(undefined);
      },
      (err: unknown) => this.reportExit(`the Agent SDK could not be loaded: ${errorMessage(err)}`),
    );
  }

  send(id: string, text: string): void {
    this.input.push({ type: "user", message: { role: "user", content: text }, parent_tool_use_id: null, uuid: id as UUID });
  }

  async interrupt(): Promise<void> {
    const q = this.query;
    if (!q) return;
    this.interruptRequested = true;
    try {
      await q.interrupt();
    } catch (err) {
      this.interruptRequested = false;
      throw err;
    }
  }

  endInput(): void {
    this.inputClosed = true;
    this.input.close();
  }

  /** Makes sure the CLI is gone, then everything it started (every end of a session comes here). */
  async stop(graceMs: number): Promise<void> {
    await this.stopCli(graceMs);
    this.treeEnded ??= this.endTree();
    await this.treeEnded;
  }

  async settled(): Promise<void> {
    await this.loopDone;
    await this.childExit;
    await this.treeEnded;
  }

  /** Spawns the CLI through `queryFn`; resolves when its message loop has ended. */
  private run(queryFn: QueryFunction): Promise<void> {
    try {
      this.query = queryFn({ prompt: this.input, options: this.buildOptions() });
    } catch (err) {
      this.reportExit(errorMessage(err));
      return Promise.resolve();
    }
    return this.consume(this.query);
  }

  private async consume(q: Query): Promise<void> {
    try {
      for await (const message of q) {
        for (const event of eventsOf(message, this.interruptRequested)) {
          if (event.type === "turn_result") this.interruptRequested = false;
          this.sink(event);
        }
      }
      this.reportExit(undefined);
    } catch (err) {
      const stderr = this.stderrTail.trim().split("\n").filter(Boolean).slice(-3).join(" | ");
      this.reportExit(errorMessage(err) + (stderr ? ` (stderr: ${stderr})` : ""));
    } finally {
      await this.stop(this.spec.exitGraceMs);
    }
  }

  private reportExit(error: string | undefined): void {
    if (this.exitReported) return;
    this.exitReported = true;
    // The host went away (a node disconnected): not Claude Code's failure, and resumable.
    const lost = this.child?.lost;
    this.sink({ type: "process", state: "exited", error: lost ? undefined : error, lost });
  }

  private buildOptions(): Options {
    const spec = this.spec;
    const options: Options = {
      cwd: spec.workdir,
      env: spec.env,
      permissionMode: spec.permissionMode,
      settingSources: [],
      systemPrompt: spec.systemPrompt ? { type: "preset", preset: "claude_code", append: spec.systemPrompt } : { type: "preset", preset: "claude_code" },
      spawnClaudeCodeProcess: (spawnOptions) => this.spawnProcess(spawnOptions),
    };
    // Without bypass, Claude Code asks before acting; the asks go to the session.
    if (spec.permissionMode !== "bypassPermissions") options.canUseTool = this.canUseTool;
    // Deny rules hold in every mode, for allowed tools, read-only commands and after "allow for
    // this session": the hook runs before Claude Code's own permission checks, and a failing hook blocks.
    const gate = spec.toolGate;
    if (gate?.check) options.hooks = { PreToolUse: [{ hooks: [this.preToolUse], onFailure: "block" }] };
    if (gate?.deniedTools.length) options.disallowedTools = [...gate.deniedTools];
    if (spec.permissionMode === "bypassPermissions") options.allowDangerouslySkipPermissions = true;
    if (spec.model !== undefined) options.model = spec.model;
    if (spec.maxBudgetUsd !== undefined) options.maxBudgetUsd = spec.maxBudgetUsd;
    if (spec.allowedTools !== undefined) options.allowedTools = [...spec.allowedTools];
    if (spec.resume) {
      options.resume = spec.resume.ref;
      if (spec.resume.fork) options.forkSession = true;
    }
    if (this.options.pathToClaudeCodeExecutable) options.pathToClaudeCodeExecutable = this.options.pathToClaudeCodeExecutable;
    return options;
  }

  /** Before every tool call, whatever the mode: the operator's deny rules. */
  private readonly preToolUse: HookCallback = (input) => {
    if (input.hook_event_name !== "PreToolUse") return Promise.resolve({});
    const toolInput = typeof input.tool_input === "object" && input.tool_input !== null ? (input.tool_input as Record<string, unknown>) : {};
    const reason = this.spec.toolGate?.check?.(input.tool_name, toolInput);
    if (reason === undefined) return Promise.resolve({});
    return Promise.resolve({ hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: reason } });
  };

  /** The SDK's permission callback: a permission_request the session answers. */
  private readonly canUseTool: CanUseTool = (tool, input, options) =>
    new Promise<PermissionResult>((resolve) => {
      const suggestions = options.suggestions;
      this.sink({
        type: "permission_request",
        tool,
        input,
        sessionScope: sessionScopeOf(suggestions),
        canAllowForSession: (suggestions?.length ?? 0) > 0,
        signal: options.signal,
        decide: (decision: PermissionDecision) => resolve(permissionResult(decision, suggestions)),
      });
    });

  /**
   * Our own spawn, through the session's host, so the engine knows the CLI's pid and can prove it
   * is gone. On this machine the CLI leads a process group of its own and carries the session's
   * marker (set last: no override removes it), which everything it starts inherits; a remote host
   * ends its own processes when its channel closes.
   */
  private spawnProcess(opts: SpawnOptions): SpawnedProcess {
    const host = this.spec.processHost ?? localProcessHost;
    const tree: ProcessTreeRef | undefined = host === localProcessHost ? { marker: newSessionMarker(this.spec.sessionId), since: Date.now() } : undefined;
    this.tree = tree;
    const child = host.spawn(tree ? { ...opts, env: { ...opts.env, [SESSION_MARKER_VAR]: tree.marker } } : opts);
    this.child = child;
    const pid = child.pid;
    if (pid !== undefined && tree) this.sink({ type: "process", state: "spawned", pid, tree });
    this.childExit = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      child.once("exit", () => resolve());
      child.once("error", () => {
        if (child.pid === undefined) resolve();
      });
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_BYTES);
    });
    // The abort signal ends the child with an AbortError event; it is expected, not a fault.
    child.on("error", (err) => {
      if (err.name !== "AbortError") this.spec.logger.warn(`session ${this.spec.sessionId}: Claude Code process error: ${err.message}`);
    });
    return child;
  }

  /**
   * Ends what the session started and is still running: background jobs of its Bash commands left
   * the CLI's group and tree, but carry its marker. The exit is reported once they are gone, so
   * the store keeps the marker for the restart's sweep until then.
   */
  private async endTree(): Promise<void> {
    const tree = this.tree;
    const pid = this.child?.pid;
    if (!tree || pid === undefined) return;
    const id = this.spec.sessionId;
    try {
      const report = await endProcessTrees([tree], { table: this.options.processTable });
      if (report.ended.length) this.spec.logger.info(`session ${id}: ended ${report.ended.length} process(es) it left running: pids ${report.ended.join(", ")}`);
      if (report.survivors.length) this.spec.logger.warn(`session ${id}: processes ${report.survivors.join(", ")} survived SIGKILL`);
    } catch (err) {
      this.spec.logger.warn(`session ${id}: could not look for the processes it started: ${errorMessage(err)}`);
    }
    this.sink({ type: "process", state: "gone", pid, tree });
  }

  /**
   * Makes sure the CLI process is gone. Graceful (graceMs > 0): input closed, then the query
   * closed after graceMs. Forced (graceMs = 0, a kill): the query closed and SIGTERM at once.
   * SIGKILL follows when the process outlives the bound. Signals go to the CLI's whole process
   * group while the CLI (its leader) is there, so the group's id cannot belong to anyone else.
   */
  private async stopCli(graceMs: number): Promise<void> {
    this.endInput();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.query?.close();
      return;
    }
    if (graceMs > 0 && (await withTimeout(this.childExit, graceMs))) return;
    this.query?.close();
    if (graceMs > 0 && (await withTimeout(this.childExit, 2000))) return;
    signalGroup(child, "SIGTERM");
    if (await withTimeout(this.childExit, 3000)) return;
    this.spec.logger.warn(`session ${this.spec.sessionId}: Claude Code (pid ${child.pid}) ignored SIGTERM; sending SIGKILL`);
    signalGroup(child, "SIGKILL");
    await withTimeout(this.childExit, 5000);
  }
}

function permissionResult(decision: PermissionDecision, suggestions: Parameters<CanUseTool>[2]["suggestions"]): PermissionResult {
  if (decision.behavior === "deny") return { behavior: "deny", message: decision.message, ...(decision.interrupt ? { interrupt: true } : {}) };
  const result: PermissionResult = { behavior: "allow", updatedInput: decision.updatedInput };
  if (decision.forSession && suggestions) result.updatedPermissions = sessionOnly(suggestions);
  return result;
}

/** Signals the child's process group (it leads one: spawned detached), or the child alone if that fails. */
function signalGroup(child: HostedProcess, sig: NodeJS.Signals): void {
  if (child.pid !== undefined && child.exitCode === null && !child.signalCode) {
    try {
      process.kill(-child.pid, sig);
      return;
    } catch {
      // no group (already gone): fall back to the child itself
    }
  }
  child.kill(sig);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True if the promise settled within ms. */
async function withTimeout(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

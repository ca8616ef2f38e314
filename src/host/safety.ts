// What the safety checks read from OpenClaw: the live config, agent workspaces, and each agent's
// heartbeat monitor scratch. The host offers no plugin API for the scratch, so it is read (never
// written) from the host's shared state database, where the heartbeat runner itself reads it.
import { existsSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { MonitorScratch } from "../safety/checks.ts";
import type { DoctorHost, DoctorReport } from "../safety/doctor.ts";
import type { ConfigEdit, HostConfigView } from "../safety/host-config.ts";
import { applyEdits } from "../safety/host-config.ts";
import type { SafetyEnvironment } from "../safety/prelaunch.ts";
import { probeClaudeBinary, probeCredentials } from "../safety/probes.ts";
import type { HostConfig, HostRuntime } from "./sdk.ts";

/** The host's shared state database under its state dir (OpenClaw 2026.9: state/openclaw.sqlite). */
export function stateDatabasePath(stateDir: string): string {
  return path.join(stateDir, "state", "openclaw.sqlite");
}

/**
 * The heartbeat monitor job of `agentId` (declaration key "heartbeat:<id>", payload kind
 * "heartbeat") and its scratch. Several cron stores can hold one: the newest job wins.
 */
export function readMonitorScratch(databasePath: string, agentId: string): MonitorScratch {
  if (!existsSync(databasePath)) return { kind: "absent" };
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(databasePath, { readOnly: true });
    const row = db
      .prepare(
        `SELECT j.job_id AS jobId, s.content AS content
           FROM cron_jobs j
           LEFT JOIN cron_job_scratch s ON s.store_key = j.store_key AND s.job_id = j.job_id
          WHERE j.declaration_key = ? AND j.payload_kind = 'heartbeat'
          ORDER BY j.updated_at DESC
          LIMIT 1`,
      )
      .get(`heartbeat:${agentId}`) as { jobId?: unknown; content?: unknown } | undefined;
    if (!row || typeof row.jobId !== "string") return { kind: "absent" };
    return { kind: "present", jobId: row.jobId, content: typeof row.content === "string" ? row.content : undefined };
  } catch (err) {
    return { kind: "unreadable", reason: err instanceof Error ? err.message : String(err) };
  } finally {
    db?.close();
  }
}

export function createHostSafetyEnvironment(runtime: HostRuntime): SafetyEnvironment {
  return {
    hostConfig: () => runtime.config.current() as unknown as HostConfigView,
    workspaceDir: (agentId, config) => runtime.agent.resolveAgentWorkspaceDir(config as unknown as HostConfig, agentId),
    fileExists: existsSync,
    readScratch: (agentId) => readMonitorScratch(stateDatabasePath(runtime.state.resolveStateDir()), agentId),
  };
}

/** Writes config edits through the host's transactional config writer; the gateway reloads what it needs. */
export async function writeHostConfig(runtime: HostRuntime, edits: readonly ConfigEdit[]): Promise<void> {
  if (edits.length === 0) return;
  await runtime.config.mutateConfigFile({
    afterWrite: { mode: "auto" },
    mutate(draft) {
      applyEdits(draft as unknown as Record<string, unknown>, edits);
    },
  });
}

/** The doctor's view of the host, from a CLI run (the config the CLI loaded) or the gateway. */
export function createDoctorHost(runtime: HostRuntime, pluginConfig: unknown, readConfig: () => unknown): DoctorHost {
  const safety = createHostSafetyEnvironment(runtime);
  return {
    hostVersion: runtime.version,
    nodeVersion: process.versions.node,
    hostConfig: () => readConfig() as HostConfigView,
    pluginConfig,
    env: process.env,
    workspaceDir: safety.workspaceDir,
    fileExists: existsSync,
    readScratch: safety.readScratch,
    probeClaude: (executable) => probeClaudeBinary(executable),
    probeCredentials: (env) => probeCredentials(env),
    writeConfig: (edits) => writeHostConfig(runtime, edits),
  };
}

/** Why the CLI could not get the doctor's report from the gateway. */
export class GatewayDoctorUnavailable extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "GatewayDoctorUnavailable";
  }
}

/**
 * Asks the running gateway (the one this CLI's config points at) for the doctor's report, so the
 * checks see the gateway's own environment and live config, and --fix writes through it.
 */
export async function askGatewayDoctor(method: string, fix: boolean, timeoutMs = 60_000): Promise<DoctorReport> {
  // Loaded on demand: only the CLI needs the gateway client.
  const { callGatewayFromCli } = await import("openclaw/plugin-sdk/gateway-runtime");
  let payload: Record<string, unknown>;
  try {
    payload = await callGatewayFromCli(method, { timeout: String(timeoutMs) }, {}, { scopes: [fix ? "operator.admin" : "operator.read"] });
  } catch (err) {
    throw new GatewayDoctorUnavailable(err instanceof Error ? err.message.split("\n")[0] ?? err.message : String(err));
  }
  if (!Array.isArray(payload.findings) || typeof payload.ok !== "boolean") throw new GatewayDoctorUnavailable(`the gateway answered ${method} with an unexpected payload`);
  return payload as unknown as DoctorReport;
}

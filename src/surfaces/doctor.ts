// The doctor's two surfaces: `openclaw claude-code doctor [--json] [--fix]` on the command line,
// and the gateway methods it asks (claude-code.doctor, claude-code.doctor.fix), so the checks run
// inside the gateway with its environment and live config. Without a gateway the CLI checks what
// it can from its own shell and says so.
import type { Finding } from "../safety/checks.ts";
import { renderDoctorText, withFinding, type DoctorReport } from "../safety/doctor.ts";
import type { RespondFn } from "./rpc.ts";

export const CLI_ROOT = "claude-code";
export const CLI_DESCRIPTION = "Claude Code sessions: check this gateway's setup (doctor)";
export const DOCTOR_METHOD = "claude-code.doctor";
export const DOCTOR_FIX_METHOD = "claude-code.doctor.fix";

/** The slice of a Commander command the registration uses. */
export interface CliCommand {
  command(name: string): CliCommand;
  description(text: string): CliCommand;
  option(flags: string, description: string): CliCommand;
  action(fn: (options: Record<string, unknown>) => Promise<void>): CliCommand;
}

export interface DoctorCliDeps {
  /** The report from the running gateway; throws when no gateway answers. */
  askGateway(options: { fix: boolean }): Promise<DoctorReport>;
  /** The checks this process can run by itself (read-only). */
  runHere(): Promise<DoctorReport>;
  out?: { write(text: string): void };
}

export async function doctorReport(deps: DoctorCliDeps, fix: boolean): Promise<DoctorReport> {
  try {
    return await deps.askGateway({ fix });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const finding: Finding = {
      check: "gateway",
      status: fix ? "fail" : "warn",
      detail: `the gateway did not run the checks (${reason}); these results come from this shell, whose environment may differ from the gateway's${fix ? ", and nothing was fixed" : ""}.`,
      fix: "Start the gateway (openclaw gateway run) with this plugin enabled, then run the doctor again.",
    };
    return withFinding(await deps.runHere(), finding);
  }
}

export function registerDoctorCli(program: CliCommand, deps: DoctorCliDeps): void {
  const out = deps.out ?? process.stdout;
  program
    .command(CLI_ROOT)
    .description(CLI_DESCRIPTION)
    .command("doctor")
    .description("Check the host, Node, the Claude Code binary, credentials, wakes, skills and notification routes")
    .option("--json", "Print the report as JSON")
    .option("--fix", "Apply the safe config fixes (e.g. enable an agent's heartbeat); never writes the autonomy skill")
    .action(async (options) => {
      const report = await doctorReport(deps, options.fix === true);
      out.write(`${options.json === true ? JSON.stringify(report, null, 2) : renderDoctorText(report)}\n`);
      // The host's CLI runner ends the process itself; the exit code carries the verdict.
      if (!report.ok) process.exitCode = 1;
    });
}

/** A gateway method handler that runs the doctor in the gateway and answers with its report. */
export function doctorRpc(run: () => Promise<DoctorReport>): (opts: { respond: RespondFn }) => Promise<void> {
  return async ({ respond }) => {
    try {
      respond(true, await run());
    } catch (err) {
      respond(false, undefined, { code: "UNAVAILABLE", message: `the doctor failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  };
}

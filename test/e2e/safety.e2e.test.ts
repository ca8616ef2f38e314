// Pre-launch safety checks and the doctor in a real gateway: an agent's claude_launch (a scripted
// agent turn in a test-channel conversation, and /tools/invoke outside any) is refused with a fix
// per failing check, launches once the fixes are applied, and launches anyway with
// skipSafetyChecks; chat commands and RPC are never checked; `openclaw claude-code doctor` reports
// the badly configured gateway and --fix repairs its heartbeat. One gateway; ~4 min.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasToolResult, lastUserText, messageText, type MockChatRequest } from "./fixtures/mock-openai/server.ts";
import type { CliResult } from "./harness/gateway.ts";
import { PLUGIN_ID, startPluginGateway, type PluginGateway } from "./support/plugin-gateway.ts";

let p: PluginGateway;

beforeAll(async () => {
  // Heartbeats off and a skill allowlist without the orchestration skill: checks 2 and 3 fail.
  p = await startPluginGateway({
    label: "safety",
    // The machine runs one test gateway at a time; wait for a turn, boundedly.
    lockTimeoutMs: 1_800_000,
    agents: { defaults: { heartbeat: { every: "0m" }, skills: ["github"] } },
  });
  await waitFor(async () => (await p.gw.rpcRaw("claude-code.stats", {})).ok, 60_000, "the plugin service to start");
}, 1_900_000);

afterAll(async () => {
  await p?.close();
}, 60_000);

async function waitFor(probe: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface ToolOutcome {
  ok: boolean;
  /** The refusal (error) or the tool's text, as the agent's model received it. */
  text: string;
}

let turns = 0;

/**
 * A message from alice, sent again (at most twice, 2 s apart) when the host's state database is
 * briefly held by its own maintenance and refuses the inbound turn.
 */
async function inject(text: string): Promise<{ ok: boolean }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await p.gw.injectInbound({ from: "alice", text }, { timeoutMs: 90_000 });
    } catch (err) {
      if (attempt >= 3 || !String(err).includes("StateDatabaseCoordinatorContentionError")) throw err;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}

/** One agent turn in alice's conversation in which the model calls claude_launch with `args`. */
async function agentLaunch(args: Record<string, unknown>): Promise<ToolOutcome> {
  turns += 1;
  const marker = `LAUNCH-TURN-${turns}`;
  const seen = p.agentModel.requests().length;
  const afterTool = (r: MockChatRequest): boolean => r.seq > seen && hasToolResult(r);
  p.agentModel.on((r) => lastUserText(r).includes(marker) && !hasToolResult(r), { toolCalls: [{ name: "claude_launch", arguments: args }] }, { times: 1 });
  p.agentModel.on(afterTool, { text: `turn ${turns} done` }, { times: 1 });
  const res = await inject(`please ${marker}`);
  expect(res.ok).toBe(true);
  // The inject can return before the turn ran: a message that arrives while the conversation's
  // agent is busy (a wake from an earlier test's session) is queued behind that run.
  const request = await p.agentModel.waitForRequest(afterTool, 90_000);
  const tool = request.messages.filter((m) => m.role === "tool").at(-1);
  const content = messageText(tool);
  expect(content, "the model received the tool result").not.toBe("");
  try {
    const parsed = JSON.parse(content) as { status?: string; error?: string };
    if (parsed.status === "error") return { ok: false, text: parsed.error ?? "" };
  } catch {
    // a plain text result: the launch went through
  }
  return { ok: true, text: content };
}

interface DoctorJson {
  ranIn: string;
  ok: boolean;
  findings: Array<{ check: string; status: string; agentId?: string; detail: string; fix?: string }>;
  fixed: Array<{ command: string }>;
  fixable: string[];
}

/** The host's refusal to prepare a plugin's CLI while the plugin's directory (here the working tree) changes. */
const CLI_PREPARATION_RACE = /Plugin CLI preparation inputs changed/;

/** `openclaw <args>`, run again (at most twice) when `failed` says the host refused to run it. */
async function cli(args: string[], failed: (run: CliResult) => boolean): Promise<CliResult> {
  let run = await p.gw.cli(args, { timeoutMs: 180_000 });
  for (let retry = 0; retry < 2 && failed(run) && CLI_PREPARATION_RACE.test(run.stdout + run.stderr); retry++) {
    run = await p.gw.cli(args, { timeoutMs: 180_000 });
  }
  return run;
}

function parseReport(stdout: string): DoctorJson | undefined {
  try {
    const report = JSON.parse(stdout) as DoctorJson;
    return Array.isArray(report.findings) && Array.isArray(report.fixed) ? report : undefined;
  } catch {
    return undefined;
  }
}

async function doctor(...flags: string[]): Promise<{ code: number | null; report: DoctorJson }> {
  // The report is the whole of stdout (the host's own notices go to stderr).
  const run = await cli(["claude-code", "doctor", "--json", ...flags], (r) => parseReport(r.stdout) === undefined);
  const report = parseReport(run.stdout);
  if (!report) throw new Error(`doctor ${flags.join(" ")} did not print a report (exit ${run.code}):\n${run.stdout.slice(0, 2000)}\n--- stderr ---\n${run.stderr.slice(0, 2000)}`);
  return { code: run.code, report };
}

const finding = (r: DoctorJson, check: string, agentId = "main") => r.findings.find((f) => f.check === check && (f.agentId === undefined || f.agentId === agentId));
const launchArgs = () => ({ prompt: "say hello", workdir: p.workdir, multi_turn_disabled: true });

// Learned from the first refusal, used by the fixes later.
let skillFile = "";
let scratchCommand = "";

describe("pre-launch safety checks in a real gateway", () => {
  it("refuses an agent's claude_launch with one precise fix per failing check", async () => {
    const r = await agentLaunch(launchArgs());
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/^claude_launch refused: 3 setup checks failed\. Fix each, then call claude_launch again/);
    expect(r.text).not.toContain("[route]"); // a conversation is a route

    const skill = /Then write their answer to (\S+SKILL\.md), for example:/.exec(r.text);
    expect(skill?.[1]).toBe(path.join(p.gw.stateDir, "workspace", "skills", "claude-code-autonomy", "SKILL.md"));
    skillFile = skill?.[1] ?? "";
    expect(r.text).toContain("[autonomy-skill]");
    expect(r.text).toContain("Ask the user how much freedom Claude Code gets");

    expect(r.text).toContain('[wake] wakes cannot reach agent "main": its heartbeat is off (agents.defaults.heartbeat.every is "0m")');
    expect(r.text).toContain('openclaw config set agents.entries.main.heartbeat.every "30m"');

    expect(r.text).toContain("[wake-instructions]");
    expect(r.text).toContain(`openclaw config set agents.defaults.skills '["github","claude-code-orchestration"]' --strict-json`);
    // The heartbeat monitor's real job id, read from the gateway's state database.
    const scratch = /openclaw cron scratch (\S+) --set "([^"]+)"/.exec(r.text);
    expect(scratch?.[1]).toMatch(/^[\w-]+$/);
    expect(scratch?.[1]).not.toBe("<jobId>");
    scratchCommand = scratch?.[0] ?? "";
    expect(p.claudePids()).toEqual([]);
  }, 120_000);

  it("refuses a launch from outside any conversation for having no route", async () => {
    const res = await p.gw.invokeTool("claude_launch", launchArgs(), { agentId: "main", sessionKey: "agent:main:main" });
    expect(res.status).toBe(400);
    const message = res.error?.message ?? "";
    expect(message).toMatch(/^claude_launch refused: 4 setup checks failed/);
    expect(message).toContain(`4. [route] nowhere to send this session's notices: the launch did not come from a conversation, no agentChannels rule matches ${p.workdir}, and fallbackChannel is not set.`);
    expect(message).toContain('openclaw config set plugins.entries.openclaw-claude-code-plugin.config.fallbackChannel "<channel>|<target>"');
    expect(message).toContain("configured channels: test-channel");
  }, 60_000);

  it("does not check operators: /claude and claude-code.launch start sessions in the same setup", async () => {
    const reply = await p.command("alice", `/claude --once --name op-chat --workdir ${p.workdir} say hello`);
    expect(reply).toMatch(/Claude Code session op-chat \[[a-z2-9]{8}\] launched/);
    const rpc = await p.gw.rpc<{ session: { id: string; name: string } }>("claude-code.launch", { prompt: "say hello", name: "op-rpc", workdir: p.workdir, multi_turn_disabled: true });
    expect(rpc.session.name).toBe("op-rpc");
    await waitFor(async () => {
      const list = await p.gw.rpc<{ sessions: Array<{ name: string; state?: string; status?: string }> }>("claude-code.sessions", {});
      return ["op-chat", "op-rpc"].every((n) => list.sessions.some((s) => s.name === n && (s.state ?? s.status) === "completed"));
    }, 90_000, "both operator sessions to complete");
  }, 120_000);

  it("doctor --json reports the badly configured gateway; --fix enables the heartbeat; a re-run shows it fixed", async () => {
    const first = await doctor();
    expect(first.report.ranIn, JSON.stringify(first.report.findings[0])).toBe("gateway");
    expect(first.code).toBe(1);
    expect(first.report).toMatchObject({ ranIn: "gateway", ok: false });
    expect(finding(first.report, "host")?.status).toBe("ok");
    expect(finding(first.report, "claude-binary")?.status).toBe("ok");
    expect(finding(first.report, "credentials")?.detail).toMatch(/^ANTHROPIC_BASE_URL http:\/\/127\.0\.0\.1:\d+ answers/);
    expect(finding(first.report, "autonomy-skill")?.status).toBe("fail");
    expect(finding(first.report, "wake")).toMatchObject({ status: "fail" });
    expect(finding(first.report, "wake-instructions")?.status).toBe("fail");
    expect(finding(first.report, "route")?.status).toBe("warn");
    expect(first.report.fixable).toEqual(['openclaw config set agents.entries.main.heartbeat.every "30m"']);

    const fixed = await doctor("--fix");
    expect(fixed.report.ranIn, JSON.stringify(fixed.report.findings[0])).toBe("gateway");
    expect(fixed.code).toBe(1); // the autonomy skill still needs the user's answer
    expect(fixed.report.fixed.map((f) => f.command)).toEqual(['openclaw config set agents.entries.main.heartbeat.every "30m"']);
    expect(finding(fixed.report, "wake")?.status).toBe("ok");
    expect(existsSync(skillFile)).toBe(false); // --fix never writes the autonomy skill
    const written = JSON.parse(readFileSync(p.gw.configPath, "utf8")) as { agents: { entries: { main: { heartbeat: { every: string } } } } };
    expect(written.agents.entries.main.heartbeat.every).toBe("30m");

    const again = await doctor();
    expect(finding(again.report, "wake")).toMatchObject({ status: "ok", detail: 'heartbeat every 30m for agent "main" (agents.entries.main.heartbeat.every): wakes run a turn' });
    expect(again.report.fixable).toEqual([]);
  }, 600_000);

  it("launches once the remaining fixes are applied, and the agent is woken when the session ends", async () => {
    mkdirSync(path.dirname(skillFile), { recursive: true });
    writeFileSync(skillFile, "---\nname: claude-code-autonomy\ndescription: test rules\n---\n- I may answer routine questions.\n");
    // The fix's own command, as the user would paste it.
    const args = /openclaw cron scratch (\S+) --set "([^"]+)"/.exec(scratchCommand);
    const set = await cli(["cron", "scratch", args?.[1] ?? "", "--set", args?.[2] ?? ""], (r) => r.code !== 0);
    expect(set.code, set.stderr).toBe(0);

    const after = p.gw.outbound().length;
    const seen = p.agentModel.requests().length;
    // Claude answers slowly, so the session ends after the launching turn did (a busy session
    // holds wakes back).
    p.claude.setHandler((req) => (req.lastUserText?.includes("slow-wake") ? { type: "text", text: "all done here", chunks: 20, chunkDelayMs: 400 } : undefined));
    const r = await agentLaunch({ prompt: "write a slow-wake note", workdir: p.workdir, multi_turn_disabled: true, name: "agent-ok" });
    expect(r.ok, r.text).toBe(true);
    expect(r.text).toMatch(/agent-ok \[[a-z2-9]{8}\]/);
    await p.waitForText("alice", /✅ agent-ok \[[a-z2-9]{8}\] completed/, 90_000, after);
    p.claude.setHandler(undefined);
    // The heartbeat now lets the plugin's wake run an agent turn that sees the session's end.
    // The event reaches the model inside OpenClaw's context block, quoted as JSON.
    const woke = (q: MockChatRequest): boolean => q.messages.some((m) => /\[claude-code\] Claude Code session \\?"agent-ok\\?" \(id [a-z2-9]{8}\) ended:/.test(messageText(m)));
    await p.agentModel.waitForRequest((q) => q.seq > seen && woke(q), 60_000);
  }, 240_000);

  it("skipSafetyChecks: true lets the same failing launch through", async () => {
    rmSync(skillFile);
    const refused = await agentLaunch(launchArgs());
    expect(refused.ok).toBe(false);
    expect(refused.text).toMatch(/^claude_launch refused: 1 setup check failed\. Fix it/);
    expect(refused.text).toContain("[autonomy-skill]");

    // Edit the file as it is now (it holds the doctor's heartbeat fix), as a user would.
    const onDisk = JSON.parse(readFileSync(p.gw.configPath, "utf8")) as { plugins: { entries: Record<string, { config: Record<string, unknown> }> } };
    const entry = onDisk.plugins.entries[PLUGIN_ID];
    expect(entry).toBeDefined();
    if (entry) entry.config.skipSafetyChecks = true;
    writeFileSync(p.gw.configPath, `${JSON.stringify(onDisk, null, 2)}\n`);
    // The config edit replaces the plugin instance; its doctor says when the new config is live.
    await waitFor(async () => {
      const res = await p.gw.rpcRaw("claude-code.doctor", {});
      const findings = (res.payload as DoctorJson | undefined)?.findings ?? [];
      return res.ok && findings.some((f) => f.detail.startsWith("skipSafetyChecks is true"));
    }, 90_000, "the plugin to reload with skipSafetyChecks");
    await waitFor(async () => (await p.gw.rpcRaw("claude-code.stats", {})).ok, 60_000, "the reloaded service");

    const launched = await agentLaunch({ ...launchArgs(), name: "skipped-checks" });
    expect(launched.ok, launched.text).toBe(true);
    expect(launched.text).toMatch(/skipped-checks \[[a-z2-9]{8}\]/);
    // Outside a conversation too (no autonomy skill, no route): nothing is checked.
    const direct = await p.gw.invokeTool("claude_launch", { ...launchArgs(), name: "skipped-direct" }, { agentId: "main", sessionKey: "agent:main:main" });
    expect(direct.status, JSON.stringify(direct.body)).toBe(200);
  }, 300_000);
});

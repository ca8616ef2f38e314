// Benchmark: the persistent store with many sessions. Lookups and pages on a store of --sessions
// sessions (default 10 000) against one of 100, the plugin's own start work (open, integrity check,
// crash recovery) on both, durable transcripts (--entries per session: one output page's time and the
// size on disk per 1000 entries), and the real gateway's start time with each store, alternating.
// Run: npm run bench:store  (options: --sessions N, --entries N, --iterations N, --starts N)
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { silentLogger, type OutputEntry, type SessionSnapshot } from "../../src/engine/index.ts";
import { openStore, recoverAfterRestart, STORE_FILE, type PluginStore } from "../../src/store/index.ts";
import { sampleSnapshot } from "../../test/support/snapshots.ts";
import { startPluginGateway } from "../../test/e2e/support/plugin-gateway.ts";

const { values } = parseArgs({
  options: {
    sessions: { type: "string", default: "10000" },
    iterations: { type: "string", default: "300" },
    starts: { type: "string", default: "3" },
    entries: { type: "string", default: "200" },
  },
});
const ENTRIES = Number(values.entries);
const MANY = Number(values.sessions);
const FEW = 100;
const ITERATIONS = Number(values.iterations);
const STARTS = Number(values.starts);

type Owner = { agentId: string | undefined; route: undefined; sessionKey: undefined; origin: "tool" };
const agentOf = (o: Owner) => o.agentId;

function session(i: number): SessionSnapshot<Owner> {
  const created = 1_700_000_000_000 + i * 60_000;
  return sampleSnapshot<Owner>(
    { agentId: i % 4 === 0 ? "ops" : "main", route: undefined, sessionKey: undefined, origin: "tool" },
    {
      id: `s${String(i).padStart(7, "0")}`,
      name: `task-number-${i}`,
      status: i % 7 === 0 ? "failed" : "completed",
      reason: i % 7 === 0 ? { kind: "budget", limitUsd: 5 } : { kind: "done" },
      prompt: `Fix the flaky test number ${i} in the api package and report what changed. `.repeat(3),
      workdir: `/home/dev/src/project-${i % 40}`,
      model: "sonnet",
      claudeSessionId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      costUsd: 0.01 + (i % 50) / 100,
      turns: 1 + (i % 5),
      createdAt: created,
      endedAt: created + 90_000,
      durationMs: 90_000,
      lastSeq: 40,
      lastResult: "All tests pass now. The flake came from a shared temp dir; each test gets its own.",
    },
  );
}

function seed(stateDir: string, n: number, entries = 0): void {
  const store = openStore<Owner>({ stateDir, maxPersistedSessions: Math.max(n, 10), agentOf });
  store.sessions.transaction(() => {
    for (let i = 0; i < n; i++) store.sessions.save(session(i));
  });
  for (let i = 0; i < n; i++) {
    const id = session(i).id;
    for (let seq = 1; seq <= entries; seq++) store.transcripts.append(id, outputEntry(seq));
    store.transcripts.flush();
  }
  store.close();
}

/** A typical mix: assistant text, one-line tool summaries, a tool error now and then. */
function outputEntry(seq: number): OutputEntry {
  const at = 1_700_000_000_000 + seq * 1000;
  if (seq % 3 === 1) return { seq, at, kind: "tool_use", tool: "Bash", text: `npm test -- --grep "case ${seq}"` };
  if (seq % 17 === 0) return { seq, at, kind: "tool_error", tool: "Bash", text: `Exit code 1: test ${seq} failed: expected 200, got 500` };
  return { seq, at, kind: "text", text: `Looked at the failing test ${seq}: the fixture shares a temp dir between runs, so the second run reads stale files.` };
}

function fileSize(stateDir: string): number {
  const file = path.join(stateDir, STORE_FILE);
  let bytes = 0;
  for (const suffix of ["", "-wal"]) {
    try {
      bytes += statSync(file + suffix).size;
    } catch {
      // no WAL left after a clean close
    }
  }
  return bytes;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!;
}

function time(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

const root = mkdtempSync(path.join(os.tmpdir(), "ccp-bench-store-"));
try {
  const manyDir = path.join(root, "many");
  const fewDir = path.join(root, "few");
  const t = performance.now();
  seed(manyDir, MANY, ENTRIES);
  console.log(`seeded ${MANY} sessions × ${ENTRIES} transcript entries in ${(performance.now() - t).toFixed(0)} ms; ${FEW} in the small store`);
  seed(fewDir, FEW, ENTRIES);
  // Size on disk per 1000 entries: the same sessions with and without their transcripts.
  const bareDir = path.join(root, "bare");
  seed(bareDir, MANY, 0);
  const perThousand = ((fileSize(manyDir) - fileSize(bareDir)) / ((MANY * ENTRIES) / 1000)) / 1024;
  rmSync(bareDir, { recursive: true, force: true });

  // The plugin's own start work: open (with its integrity check) and crash recovery, alternating.
  const opens: Record<"many" | "few", number[]> = { many: [], few: [] };
  for (let i = 0; i < 15; i++) {
    for (const [key, dir] of (i % 2 ? [["few", fewDir], ["many", manyDir]] : [["many", manyDir], ["few", fewDir]]) as Array<["many" | "few", string]>) {
      const t0 = performance.now();
      const store = openStore<Owner>({ stateDir: dir, maxPersistedSessions: MANY, agentOf });
      await recoverAfterRestart(store.sessions, Date.now(), silentLogger);
      store.sessions.count();
      opens[key].push(performance.now() - t0);
      store.close();
    }
  }

  const stores: Record<"many" | "few", PluginStore<Owner>> = {
    many: openStore<Owner>({ stateDir: manyDir, maxPersistedSessions: MANY, agentOf }),
    few: openStore<Owner>({ stateDir: fewDir, maxPersistedSessions: MANY, agentOf }),
  };
  const ops: Array<[string, (s: PluginStore<Owner>, i: number, n: number) => unknown]> = [
    ["list first page (50)", (s) => s.sessions.list({ agentId: undefined, statuses: undefined, limit: 50, offset: 0 })],
    ["list a middle page (50)", (s, _i, n) => s.sessions.list({ agentId: undefined, statuses: undefined, limit: 50, offset: Math.floor(n / 2) })],
    ["list one agent's page", (s) => s.sessions.list({ agentId: "ops", statuses: undefined, limit: 50, offset: 0 })],
    ["list resumable page", (s) => s.sessions.list({ agentId: "main", statuses: undefined, resumableOnly: true, limit: 20, offset: 0 })],
    ["find by name", (s, i, n) => s.sessions.findSnapshot(`task-number-${(i * 7919) % n}`)],
    ["find by Claude UUID", (s, i, n) => s.sessions.findSnapshot(`00000000-0000-4000-8000-${String((i * 7919) % n).padStart(12, "0")}`)],
    ["name taken? (dedupe)", (s, i) => s.sessions.hasName(`fresh-name-${i}`)],
    ["output page (50 after seq)", (s, i, n) => s.transcripts.page(session((i * 7919) % n).id, { since: (i * 31) % Math.max(1, ENTRIES - 50), limit: 50 })],
    ["output tail (50)", (s, i, n) => s.transcripts.tail(session((i * 7919) % n).id, 50)],
  ];
  console.log(`\nstore operations, ${ITERATIONS} iterations each (median / p99 ms), ${MANY} vs ${FEW} sessions:`);
  let worstPageP99 = 0;
  let worstOutputP99 = 0;
  for (const [label, fn] of ops) {
    const samples: Record<"many" | "few", number[]> = { many: [], few: [] };
    for (let i = 0; i < ITERATIONS; i++) {
      samples.many.push(time(() => fn(stores.many, i, MANY)));
      samples.few.push(time(() => fn(stores.few, i, FEW)));
    }
    if (label.startsWith("list")) worstPageP99 = Math.max(worstPageP99, p99(samples.many));
    if (label.startsWith("output")) worstOutputP99 = Math.max(worstOutputP99, p99(samples.many));
    const m = median(samples.many);
    const f = median(samples.few);
    console.log(
      `${label.padEnd(26)} ${MANY}: ${m.toFixed(3).padStart(7)} / ${p99(samples.many).toFixed(3).padStart(7)}   ${FEW}: ${f.toFixed(3).padStart(7)} / ${p99(samples.few).toFixed(3).padStart(7)}   ratio ${(m / f).toFixed(2)}`,
    );
  }
  stores.many.close();
  stores.few.close();

  const openMany = median(opens.many);
  const openFew = median(opens.few);
  console.log(`\nplugin start work (open + integrity check + recovery), median of ${opens.many.length}: ${MANY}: ${openMany.toFixed(1)} ms, ${FEW}: ${openFew.toFixed(1)} ms, added ${(openMany - openFew).toFixed(1)} ms, ratio ${(openMany / openFew).toFixed(2)}`);

  // The real gateway: time until the plugin answers, with an empty store and with the big one, alternating.
  let gatewayAdded = "not measured (--starts 0)";
  if (STARTS > 0) {
    console.log(`\ngateway start until the plugin answers (claude-code.stats), ${STARTS} alternating starts each:`);
    const p = await startPluginGateway({ label: "bench-store" });
    const starts: Record<"empty" | "many", number[]> = { empty: [], many: [] };
    try {
      const stateDir = p.gw.stateDir;
      for (let i = 0; i < STARTS * 2; i++) {
        const which: "empty" | "many" = i % 2 === 0 ? "many" : "empty";
        await p.gw.stop();
        rmSync(path.join(stateDir, "claude-code"), { recursive: true, force: true });
        if (which === "many") seed(stateDir, MANY);
        const t0 = performance.now();
        await p.gw.start();
        await p.gw.rpc("claude-code.stats"); // the plugin's service has started and answers
        starts[which].push(performance.now() - t0);
        const total = (await p.gw.rpc<{ total: number }>("claude-code.sessions", { limit: 1 })).total;
        if (total !== (which === "many" ? MANY : 0)) throw new Error(`expected ${which === "many" ? MANY : 0} stored sessions, the gateway sees ${total}`);
      }
    } finally {
      await p.close();
    }
    const se = median(starts.empty);
    const sm = median(starts.many);
    console.log(`empty store: ${se.toFixed(0)} ms   ${MANY} sessions: ${sm.toFixed(0)} ms   added ${(sm - se).toFixed(0)} ms   ratio ${(sm / se).toFixed(3)}`);
    gatewayAdded = `+${(sm - se).toFixed(0)} ms, within this machine's start-to-start noise`;
  }
  console.log(
    `\ntargets: a page under 20 ms (p99 of the slowest page query ${worstPageP99.toFixed(2)} ms: ${worstPageP99 < 20 ? "met" : "MISSED"}); ` +
      `an output page under 5 ms (p99 ${worstOutputP99.toFixed(2)} ms over ${MANY * ENTRIES} stored entries: ${worstOutputP99 < 5 ? "met" : "MISSED"}); ` +
      `transcripts take ${perThousand.toFixed(1)} KiB on disk per 1000 entries; ` +
      `under 200 ms added to start (plugin start work +${(openMany - openFew).toFixed(1)} ms: ${openMany - openFew < 200 ? "met" : "MISSED"}; ` +
      `gateway readiness ${gatewayAdded})`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}

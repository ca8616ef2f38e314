// Benchmark: the launch queue. 200 single-turn launches with maxSessions 5 on the in-memory
// backend, drained by the engine's queue, against the same 200 launched by hand (a loop that
// launches the next one when a session ends, with the same limit) in the same run, alternating.
// The difference per start is what the queue adds; the target is < 1 ms per start.
// Run: npm run bench:queue  (options: --launches N, --limit N, --rounds N)
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { SessionEngine } from "../../src/engine/index.ts";
import { memoryBackend } from "../../test/support/memory-backend.ts";

const { values } = parseArgs({ options: { launches: { type: "string", default: "200" }, limit: { type: "string", default: "5" }, rounds: { type: "string", default: "7" } } });
const LAUNCHES = Number(values.launches);
const LIMIT = Number(values.limit);
const ROUNDS = Number(values.rounds);
type Owner = { agentId: string };

function newEngine(maxSessions: number): SessionEngine<Owner> {
  return new SessionEngine<Owner>({
    maxSessions,
    maxQueued: LAUNCHES,
    queueKeyOf: (o) => o.agentId,
    backend: memoryBackend((p) => ({ texts: [`working on ${p}`], result: `done ${p}` })),
    defaultWorkdir: tmpdir(),
    baseEnv: {},
    isRoot: () => false,
    retentionMs: 60_000,
  });
}

const request = (i: number) => ({ prompt: `task ${i}`, name: `task-${i}`, owner: { agentId: `agent-${i % 3}` }, multiTurnDisabled: true, permissionMode: "default" as const });

/** All launches at once: beyond the limit they wait in the engine's queue. */
async function queued(): Promise<number> {
  const engine = newEngine(LIMIT);
  let ended = 0;
  const done = new Promise<void>((resolve) => engine.subscribe((e) => e.type === "ended" && ++ended === LAUNCHES && resolve()));
  const t0 = performance.now();
  for (let i = 0; i < LAUNCHES; i++) engine.launch(request(i));
  await done;
  const ms = performance.now() - t0;
  await engine.shutdown();
  return ms;
}

/** By hand: LIMIT launches, then one more each time a session ends (the engine's limit never hit). */
async function byHand(): Promise<number> {
  const engine = newEngine(LIMIT);
  let ended = 0;
  let next = 0;
  const done = new Promise<void>((resolve) =>
    engine.subscribe((e) => {
      if (e.type !== "ended") return;
      if (++ended === LAUNCHES) resolve();
      else if (next < LAUNCHES) queueMicrotask(() => engine.launch(request(next++)));
    }),
  );
  const t0 = performance.now();
  while (next < LIMIT) engine.launch(request(next++));
  await done;
  const ms = performance.now() - t0;
  await engine.shutdown();
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
await queued();
await byHand(); // warm-up
const q: number[] = [];
const h: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  if (r % 2) {
    h.push(await byHand());
    q.push(await queued());
  } else {
    q.push(await queued());
    h.push(await byHand());
  }
}
const mq = median(q);
const mh = median(h);
const perStart = (mq - mh) / LAUNCHES;
console.log(`${LAUNCHES} single-turn launches, maxSessions ${LIMIT}, in-memory backend, median of ${ROUNDS} alternating rounds:`);
console.log(`  drained by the queue: ${mq.toFixed(1)} ms   launched by hand as slots free: ${mh.toFixed(1)} ms   ratio ${(mq / mh).toFixed(3)}`);
console.log(`  scheduler overhead per start: ${perStart.toFixed(3)} ms (target < 1 ms: ${perStart < 1 ? "met" : "MISSED"})`);

// Rule evaluation for a 1000-rule policy on a 4 KiB compound command: the shell-aware policy
// (parse, then every simple command against indexed rules) against a plain string-prefix match
// over the same rules, measured in the same run. Prints times and their ratio; asserts nothing.
import { createPolicy, parseRule, type PermissionRule } from "../../src/engine/policy.ts";
import { analyzeShell } from "../../src/engine/shell.ts";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const RUNS = flag("runs", 2000);
const RULES = flag("rules", 1000);
const WORKDIR = "/srv/project";

// 1000 rules of the shapes operators write: globs, Claude Code's prefix form, file rules, denies.
const TOOLS = ["npm", "git", "make", "cargo", "go", "pytest", "ls", "cat", "grep", "docker", "kubectl", "node", "tsc", "eslint", "jq"];
const texts: string[] = [];
for (let i = 0; texts.length < RULES; i++) {
  const tool = TOOLS[i % TOOLS.length]!;
  switch (i % 5) {
    case 0:
      texts.push(`Bash(${tool} sub${i}*)`);
      break;
    case 1:
      texts.push(`Bash(${tool} task${i}:*)`);
      break;
    case 2:
      texts.push(`Write(src/module${i}/*)`);
      break;
    case 3:
      texts.push(`Edit(*.part${i})`);
      break;
    default:
      texts.push(`Bash(${tool}${i}*)`);
  }
}
// The rules the command's parts match, and a few denies it does not trip.
texts.splice(0, 4, "Bash(npm test:*)", "Bash(git diff*)", "Bash(tee out-*)", "Bash(grep -c *)");
const allow = texts.map(parseRule);
const deny = ["Bash(rm *)", "Bash(curl:*)", "Bash(sudo:*)", "WebFetch"].map(parseRule);
const policy = createPolicy({ allow, deny, ask: [parseRule("Bash(git push:*)")] });

// A 4 KiB compound command whose every part is allowed: the worst case, each part is checked.
const parts: string[] = [];
for (let i = 0; parts.join(" && ").length < 4096 - 80; i++) {
  parts.push(i % 3 === 0 ? `npm test -- --grep "case ${i}" | tee out-${i}.log` : i % 3 === 1 ? `git diff --stat HEAD~${i}` : `grep -c "needle ${i}" src/file${i}.ts`);
}
const command = parts.join(" && ");
const input = { command };

/** The baseline: the old kind of check, the raw text against every Bash rule's literal prefix. */
function prefixMatch(rules: readonly PermissionRule[], text: string): number {
  let hits = 0;
  for (const r of rules) if (r.tool === "Bash" && text.startsWith(r.literalPrefix)) hits++;
  return hits;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function time(fn: () => unknown, runs: number): { p50: number; p99: number } {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

const loadStart = performance.now();
const first = policy.evaluate("Bash", input, { workdir: WORKDIR });
const firstMs = performance.now() - loadStart;
if (first.decision !== "allow") throw new Error(`the bench command should be allowed, got ${JSON.stringify(first)}`);
if (prefixMatch(allow, command) === 0) throw new Error("the baseline should match the bench command");

// Warm both, then alternate rounds so drift hits both alike.
time(() => policy.evaluate("Bash", input, { workdir: WORKDIR }), 200);
time(() => prefixMatch(allow, command), 200);
const ours = { p50: [] as number[], p99: [] as number[] };
const base = { p50: [] as number[], p99: [] as number[] };
for (let round = 0; round < 5; round++) {
  const a = time(() => policy.evaluate("Bash", input, { workdir: WORKDIR }), Math.ceil(RUNS / 5));
  const b = time(() => prefixMatch(allow, command), Math.ceil(RUNS / 5));
  ours.p50.push(a.p50);
  ours.p99.push(a.p99);
  base.p50.push(b.p50);
  base.p99.push(b.p99);
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const denyCheck = time(() => policy.denies("Bash", input, { workdir: WORKDIR }), RUNS);

const ms = (v: number) => `${v.toFixed(4)} ms`;
const simple = analyzeShell(command, WORKDIR).commands.length;
console.log(`bench:policy — ${RULES} rules (+${deny.length} deny, 1 ask), a ${Buffer.byteLength(command)}-byte command of ${simple} simple commands, ${RUNS} runs`);
console.log(`first evaluation (loads the shell parser): ${ms(firstMs)}`);
console.log(`shell-aware evaluate (parse + every part + deny/ask/allow): p50 ${ms(median(ours.p50))}, p99 ${ms(median(ours.p99))}`);
console.log(`deny rules alone (the PreToolUse hook):                  p50 ${ms(denyCheck.p50)}, p99 ${ms(denyCheck.p99)}`);
console.log(`baseline string-prefix match over the same rules:         p50 ${ms(median(base.p50))}, p99 ${ms(median(base.p99))}`);
console.log(`ratio shell-aware / string prefix: ${(median(ours.p50) / median(base.p50)).toFixed(1)}× at p50, ${(median(ours.p99) / median(base.p99)).toFixed(1)}× at p99`);
console.log(`goal p99 < 1 ms: ${median(ours.p99) < 1 ? "met" : "NOT met"} (${ms(median(ours.p99))})`);

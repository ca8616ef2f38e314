// The contract with the community plugin's RPC clients: the payload fields its scripts and
// dashboards read, with their JSON types, written from that plugin's documented payloads (not
// from this plugin's code), and a checker that lists every field missing or of the wrong type.

type Scalar = "string" | "number" | "boolean" | "string[]" | "object|null" | "record<number>";

interface Field {
  type: Scalar | Shape | { arrayOf: Shape };
  /** Only present once the session has ended (absent while it is live). */
  endedOnly?: true;
  /** May be absent (JSON has no undefined): the community plugin had no value for it then either. */
  optional?: string;
  /** What a string must look like. */
  pattern?: RegExp;
}

export type Shape = Record<string, Scalar | Field>;

/** A session as `claude-code.sessions` listed it. */
/** The model of a session: absent when neither the launch nor the config chose one. */
const MODEL: Field = { type: "string", optional: "when no model was chosen" };

const SESSION: Shape = {
  id: "string",
  name: "string",
  status: "string",
  prompt: "string",
  workdir: "string",
  model: MODEL,
  costUsd: "number",
  startedAt: "number",
  completedAt: { type: "number", endedOnly: true },
  durationMs: "number",
  claudeSessionId: "string",
  foreground: "boolean",
  multiTurn: "boolean",
  display: "string",
};

export const COMMUNITY_RPC = {
  "claude-code.sessions": { sessions: { type: { arrayOf: SESSION } }, count: "number" },
  "claude-code.launch": { id: "string", name: "string", status: "string", workdir: "string", model: MODEL },
  "claude-code.kill": { id: "string", name: "string", status: "string", message: { type: "string", pattern: /^Session (.+ \[[a-z2-9]{8}\] terminated|already [a-z]+)$/ } },
  "claude-code.output": {
    id: "string",
    name: "string",
    status: "string",
    costUsd: "number",
    durationMs: "number",
    duration: { type: "string", pattern: /^\d+m\d+s$/ },
    lines: "string[]",
    lineCount: "number",
    result: "string",
  },
  "claude-code.stats": {
    totalCostUsd: "number",
    costPerDay: "record<number>",
    sessionsByStatus: { type: { completed: "number", failed: "number", killed: "number", running: "number" } },
    totalLaunched: "number",
    averageDurationMs: "number",
    mostExpensive: "object|null",
    display: "string",
  },
} satisfies Record<string, Shape>;

export type CommunityMethod = keyof typeof COMMUNITY_RPC;

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeOf(v) === "object";
}

/**
 * Every way `value` breaks `shape`: a field missing or of another type. `ended` says whether the
 * session the payload is about has ended (fields marked endedOnly must be present then, absent before).
 */
export function contractProblems(value: unknown, shape: Shape, ended: boolean | ((item: Record<string, unknown>) => boolean), where = "payload"): string[] {
  if (!isObject(value)) return [`${where}: not an object but ${typeOf(value)}`];
  const isEnded = typeof ended === "function" ? ended(value) : ended;
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(shape)) {
    const field: Field = typeof spec === "string" ? { type: spec } : spec;
    const at = `${where}.${key}`;
    const v = value[key];
    if (field.endedOnly && !isEnded) {
      if (v !== undefined) problems.push(`${at}: present while the session is live (${JSON.stringify(v)})`);
      continue;
    }
    if (v === undefined) {
      if (!field.optional) problems.push(`${at}: missing`);
      continue;
    }
    const t = field.type;
    if (typeof t === "string") {
      const ok =
        t === "string[]" ? Array.isArray(v) && v.every((x) => typeof x === "string")
        : t === "object|null" ? v === null || isObject(v)
        : t === "record<number>" ? isObject(v) && Object.values(v).every((x) => typeof x === "number")
        : typeOf(v) === t;
      if (!ok) problems.push(`${at}: expected ${t}, got ${typeOf(v)} ${JSON.stringify(v)?.slice(0, 80)}`);
      else if (field.pattern && typeof v === "string" && !field.pattern.test(v)) problems.push(`${at}: ${JSON.stringify(v)} does not match ${field.pattern}`);
    } else if ("arrayOf" in t) {
      if (!Array.isArray(v)) problems.push(`${at}: expected an array, got ${typeOf(v)}`);
      else v.forEach((item, i) => problems.push(...contractProblems(item, t.arrayOf as Shape, ended, `${at}[${i}]`)));
    } else {
      problems.push(...contractProblems(v, t, ended, at));
    }
  }
  return problems;
}

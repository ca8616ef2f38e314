// Reads raw parameters (a tool call, a parsed chat command, an RPC payload) by an operation's
// TypeBox schema: aliases, the lenient forms chat and clients send, defaults, then TypeBox's check,
// its first complaint turned into a sentence that says what to fix (INVALID_ARGUMENT).
import type { Static, TObject, TSchema } from "typebox";
import { Value } from "typebox/value";
import { invalid } from "../engine/index.ts";

/** A property schema as read here: the JSON Schema keywords used plus ours (see schemas.ts). */
interface Prop {
  type?: string;
  enum?: readonly unknown[];
  items?: Prop;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  maxItems?: number;
  default?: unknown;
  aliases?: readonly string[];
  hint?: string;
  splitAtCommas?: boolean;
}

/** The value of `key`, which the schema gives a default, so reading never leaves it unset. */
export function defaulted<T>(value: T | undefined, key: string): T {
  if (value === undefined) throw new Error(`the input schema gives "${key}" no default`);
  return value;
}

export function readInput<S extends TObject>(op: string, schema: S, raw: unknown): Static<S> {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw invalid(`${op}: parameters must be an object, got ${describe(raw)}`);
  const props = schema.properties as Record<string, Prop>;
  const aliasOf = new Map<string, string>();
  for (const [key, prop] of Object.entries(props)) for (const name of [key, ...(prop.aliases ?? [])]) aliasOf.set(name, key);

  const given: Record<string, unknown> = {};
  const givenAs = new Map<string, string>();
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const key = aliasOf.get(name);
    if (!key) throw invalid(`${op}: unknown parameter "${name}"; accepted: ${Object.keys(props).join(", ") || "none"}`);
    if (value === undefined || value === null) continue;
    const earlier = givenAs.get(key);
    // Two names of one parameter (say "session" and its alias "id") must agree, or which one wins would be a guess.
    if (earlier !== undefined && JSON.stringify(given[key]) !== JSON.stringify(value)) {
      throw invalid(`${op}: "${earlier}" and "${name}" are two names of one parameter and give different values (${describe(given[key])}, ${describe(value)}); give one of them`);
    }
    givenAs.set(key, name);
    given[key] = value;
  }

  const required = new Set(schema.required ?? []);
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(props)) {
    const value = lenient(prop, given[key]);
    if (value === undefined) {
      if (required.has(key)) throw invalid(`${op}: ${missing(key, prop, given[key] !== undefined)}`);
      if (prop.default !== undefined) out[key] = structuredClone(prop.default);
      continue;
    }
    const errors = [...Value.Errors(prop as TSchema, value)];
    if (errors.length > 0) throw invalid(`${op}: ${sentence(key, prop, value, errors)}`);
    out[key] = value;
  }
  // Whatever passes the reading above fits the whole schema, the one the model is shown.
  if (!Value.Check(schema, out)) throw invalid(`${op}: ${[...Value.Errors(schema, out)].map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ")}`);
  return out as Static<S>;
}

/**
 * The forms people and clients send: text trimmed (blank is absent), numbers and booleans as
 * text (chat commands), a list as one comma-separated string. Anything else is left for the check.
 */
function lenient(prop: Prop, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (prop.type === "string" && typeof value === "string") return value.trim() || undefined;
  if ((prop.type === "number" || prop.type === "integer") && typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  if (prop.type === "boolean" && (value === "true" || value === "false")) return value === "true";
  if (prop.type === "array") {
    const list = typeof value === "string" ? (prop.splitAtCommas === false ? [value] : value.split(",").map((s) => s.trim()).filter(Boolean)) : value;
    return Array.isArray(list) ? list.map((item) => (typeof item === "string" ? item.trim() : item)) : list;
  }
  return value;
}

function missing(key: string, prop: Prop, wasBlank: boolean): string {
  const choices = literals(prop);
  if (wasBlank) return `"${key}" is empty${prop.hint ? `: give ${prop.hint}` : ""}`;
  if (prop.hint) return `"${key}" is required (${prop.hint})`;
  return choices ? `"${key}" is required: one of ${choices.join(", ")}` : `"${key}" is required`;
}

function literals(prop: Prop): readonly unknown[] | undefined {
  return prop.enum;
}

type SchemaError = ReturnType<typeof Value.Errors>[number];

/** TypeBox's first complaint about one parameter as the sentence a person or a model can act on. */
function sentence(key: string, prop: Prop, value: unknown, errors: SchemaError[]): string {
  const choices = literals(prop);
  if (choices) return `"${key}" must be one of ${choices.join(", ")}, got ${describe(value)}`;
  // The list itself (its type, its length) before its items.
  const error = errors.find((e) => e.instancePath === "") ?? errors[0]!;
  if (error.instancePath !== "") {
    const index = Number(error.instancePath.split("/")[1]);
    if (error.keyword === "maxLength") return `"${key}[${index}]" is too long (limit ${prop.items?.maxLength})`;
    return `"${key}[${index}]" must be a non-empty string`;
  }
  switch (error.keyword) {
    case "minimum":
    case "maximum":
      return `"${key}" must be between ${prop.minimum} and ${prop.maximum}, got ${String(value)}`;
    case "maxLength":
      return `"${key}" is ${[...String(value)].length} characters long; the limit is ${prop.maxLength}`;
    case "maxItems":
      return `"${key}" has ${(value as unknown[]).length} items; the limit is ${prop.maxItems}`;
  }
  switch (prop.type) {
    case "string":
      return `"${key}" must be a string, got ${describe(value)}`;
    case "integer":
      if (typeof value === "number" && Number.isFinite(value)) return `"${key}" must be a whole number, got ${value}`;
      return `"${key}" must be a number, got ${describe(value)}`;
    case "number":
      return `"${key}" must be a number, got ${describe(value)}`;
    case "boolean":
      return `"${key}" must be true or false, got ${describe(value)}`;
    case "array":
      return `"${key}" must be a list of strings, got ${describe(value)}`;
  }
  return `"${key}" ${error.message}`;
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

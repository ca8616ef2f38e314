// Keeps docs/ true to the code: every tool, command, RPC method and config key the plugin registers
// is documented on its page, every one the docs name exists, and the example configs pass both
// the plugin's own validation and the manifest's JSON Schema.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import { CONFIG_KEYS, parseConfig } from "./config.ts";
import type { Caller } from "./ops/types.ts";
import pluginEntry from "./index.ts";
import { COMMANDS } from "./surfaces/commands.ts";
import type { PluginServices } from "./surfaces/services.ts";
import type { ToolDefinition } from "./surfaces/tools.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DOCS = path.join(ROOT, "docs");

type HostApi = Parameters<NonNullable<typeof pluginEntry.register>>[0];

interface Registered {
  tools: ToolDefinition[];
  toolNames: string[];
  commands: string[];
  methods: Map<string, string | undefined>;
}

/** What the plugin entry really registers, read through a recording stand-in for the host's API. */
function registered(): Registered {
  const out: Registered = { tools: [], toolNames: [], commands: [], methods: new Map() };
  const api = {
    id: "openclaw-claude-code-plugin",
    pluginConfig: {},
    runtime: {},
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    registerService() {},
    registerReload() {},
    registerCli() {},
    registerNodeHostCommand() {},
    registerNodeInvokePolicy() {},
    registerTool(factory: (ctx: Record<string, unknown>) => ToolDefinition[], options: { names: string[] }) {
      out.toolNames.push(...options.names);
      out.tools.push(...factory({}));
    },
    registerCommand(command: { name: string }) {
      out.commands.push(command.name);
    },
    registerGatewayMethod(name: string, _handler: unknown, options?: { scope?: string }) {
      out.methods.set(name, options?.scope);
    },
  };
  pluginEntry.register?.(api as unknown as HostApi);
  return out;
}

const REG = registered();

function readDoc(file: string): string {
  return readFileSync(path.join(DOCS, file), "utf8");
}

const DOC_FILES = readdirSync(DOCS).filter((f) => f.endsWith(".md")).sort();

/** The text under a heading line equal to `heading`, up to the next heading of the same or a higher level. */
function section(text: string, heading: string): string | undefined {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) return undefined;
  const level = heading.indexOf(" ");
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    const m = /^(#+) /.exec(lines[i]!);
    if (m && m[1]!.length <= level && !insideFence(lines, i)) {
      end = i;
      break;
    }
  }
  return lines.slice(start + 1, end).join("\n");
}

function insideFence(lines: readonly string[], index: number): boolean {
  let open = false;
  for (let i = 0; i < index; i++) if (/^\s*(```|````)/.test(lines[i]!)) open = !open;
  return open;
}

/** The bodies of the ```json fences of a page. */
function jsonFences(text: string): string[] {
  return [...text.matchAll(/^```json\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

function report(problems: string[]): void {
  const unique = [...new Set(problems)];
  expect(unique, `\n${unique.join("\n")}\n`).toEqual([]);
}

/** A stand-in for the running services whose every operation says it was called. */
const NO_SERVICES: PluginServices = {
  ops: new Proxy(
    {},
    {
      get: () => () => {
        throw new Error("an operation ran");
      },
    },
  ) as PluginServices["ops"],
  logger: { debug() {}, info() {}, warn() {}, error() {} },
};
const OPERATOR: Caller = { kind: "operator", origin: "command", label: "docs test", agentId: undefined, sessionKey: undefined, route: undefined };

/** A command's flags, as its own error for an unknown flag lists them ("known: --name, --once"). */
async function flagsOf(name: string): Promise<string[]> {
  const spec = COMMANDS.find((c) => c.name === name)!;
  try {
    await spec.run(NO_SERVICES, OPERATOR, "--docs-test-unknown-flag x");
  } catch (err) {
    const known = /\(known: ([^)]*)\)/.exec(err instanceof Error ? err.message : "");
    if (known) return known[1]!.split(",").map((f) => f.trim());
  }
  return [];
}

/** The error codes of src/engine/errors.ts (a type, so read from its source), plus the surfaces' INTERNAL. */
function errorCodes(): string[] {
  const source = readFileSync(path.join(ROOT, "src", "engine", "errors.ts"), "utf8");
  const union = /export type ErrorCode =([\s\S]*?);/.exec(source)?.[1] ?? "";
  return [...[...union.matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]!), "INTERNAL"];
}

/** Config keys the community plugin already had (SPEC §7); every other key is new. */
const COMMUNITY_KEYS = [
  "maxSessions",
  "defaultBudgetUsd",
  "defaultModel",
  "defaultWorkdir",
  "idleTimeoutMinutes",
  "maxPersistedSessions",
  "fallbackChannel",
  "permissionMode",
  "agentChannels",
  "maxAutoResponds",
  "skipSafetyChecks",
  "agentEnv",
];

/** Non-surface identifiers the docs may name that look like tools; each must occur in the named source file. */
const OTHER_IDENTIFIERS: Record<string, string> = {
  claude_session: "src/engine/types.ts", // an engine event type
};

interface SchemaProperty {
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
}
const MANIFEST = JSON.parse(readFileSync(path.join(ROOT, "openclaw.plugin.json"), "utf8")) as {
  id: string;
  configSchema: { properties: Record<string, SchemaProperty> };
  uiHints: Record<string, unknown>;
  contracts: { tools: string[] };
};

describe("the docs describe the plugin as the code registers it", () => {
  it("reads the registered surface (a test that sees nothing proves nothing)", () => {
    expect(REG.toolNames.length).toBeGreaterThan(5);
    expect(REG.tools.map((t) => t.name)).toEqual(REG.toolNames);
    expect(REG.commands).toEqual(COMMANDS.map((c) => c.name));
    expect([...REG.methods.keys()].every((m) => m.startsWith("claude-code."))).toBe(true);
    expect(REG.methods.size).toBeGreaterThan(5);
    expect(errorCodes()).toContain("NOT_FOUND");
  });

  it("docs/tools.md has a section for every tool, with every parameter of its schema", () => {
    const doc = readDoc("tools.md");
    const problems: string[] = [];
    for (const tool of REG.tools) {
      const body = section(doc, `## \`${tool.name}\``);
      if (body === undefined) {
        problems.push(`docs/tools.md: no "## \`${tool.name}\`" section for the tool ${tool.name}`);
        continue;
      }
      const params = Object.keys((tool.parameters as { properties?: Record<string, unknown> }).properties ?? {});
      for (const p of params) {
        if (!body.split("\n").some((l) => l.startsWith(`| \`${p}\``))) {
          problems.push(`docs/tools.md: the ${tool.name} section has no table row "| \`${p}\` |" for its parameter ${p}`);
        }
      }
    }
    report(problems);
  });

  it("docs/commands.md has a section for every command, with its exact usage and every flag", async () => {
    const doc = readDoc("commands.md");
    const problems: string[] = [];
    for (const command of COMMANDS) {
      const body = section(doc, `## \`/${command.name}\``);
      if (body === undefined) {
        problems.push(`docs/commands.md: no "## \`/${command.name}\`" section for the command /${command.name}`);
        continue;
      }
      if (!body.includes(command.usage)) problems.push(`docs/commands.md: the /${command.name} section does not show its usage exactly: ${command.usage}`);
      for (const flag of await flagsOf(command.name)) {
        if (!body.includes(`\`${flag}`)) problems.push(`docs/commands.md: the /${command.name} section does not document its flag ${flag}`);
      }
    }
    expect(await flagsOf("claude"), "the /claude flags could not be read from its unknown-flag error").toContain("--name");
    report(problems);
  });

  it("docs/rpc.md lists every gateway method with its scope, and every error code", () => {
    const doc = readDoc("rpc.md");
    const lines = doc.split("\n");
    const problems: string[] = [];
    for (const [method, scope] of REG.methods) {
      const row = lines.find((l) => l.startsWith(`| \`${method}\` |`));
      if (!row) problems.push(`docs/rpc.md: no table row "| \`${method}\` |" for the method ${method}`);
      else if (!row.includes(`\`${scope ?? "operator.admin"}\``)) problems.push(`docs/rpc.md: the row of ${method} does not give its scope ${scope ?? "operator.admin"}`);
    }
    const codes = section(doc, "## Error codes") ?? "";
    if (!codes) problems.push('docs/rpc.md: no "## Error codes" section');
    for (const code of errorCodes()) {
      if (!codes.split("\n").some((l) => l.startsWith(`| \`${code}\` |`))) problems.push(`docs/rpc.md: the error code ${code} has no row in "## Error codes"`);
    }
    report(problems);
  });

  it("docs/configuration.md documents every config key with the manifest's default and range", () => {
    const doc = readDoc("configuration.md");
    const problems: string[] = [];
    for (const key of CONFIG_KEYS) {
      const body = section(doc, `### \`${key}\``);
      if (body === undefined) {
        problems.push(`docs/configuration.md: no "### \`${key}\`" section for the config key ${key}`);
        continue;
      }
      const schema = MANIFEST.configSchema.properties[key] ?? {};
      const stated = /^- Default: (?:`([^`]*)`|none)/m.exec(body);
      if (!stated) problems.push(`docs/configuration.md: the ${key} section has no "- Default: \`…\`" (or "- Default: none") line`);
      else if (schema.default === undefined && stated[1] !== undefined) problems.push(`docs/configuration.md: ${key} has no default in the manifest, the docs say \`${stated[1]}\``);
      else if (schema.default !== undefined) {
        let value: unknown;
        try {
          value = stated[1] === undefined ? undefined : JSON.parse(stated[1]);
        } catch {
          value = stated[1];
        }
        if (JSON.stringify(value) !== JSON.stringify(schema.default)) {
          problems.push(`docs/configuration.md: ${key} defaults to ${JSON.stringify(schema.default)} in the manifest, the docs say ${stated[1] ?? "none"}`);
        }
      }
      if (schema.minimum !== undefined && schema.maximum !== undefined && !body.includes(`${schema.minimum} to ${schema.maximum}`)) {
        problems.push(`docs/configuration.md: the ${key} section does not give its range "${schema.minimum} to ${schema.maximum}"`);
      }
      for (const option of schema.enum ?? []) {
        if (!body.includes(JSON.stringify(option))) problems.push(`docs/configuration.md: the ${key} section does not list its value ${JSON.stringify(option)}`);
      }
    }
    const newKeys = section(doc, "## Keys new in this plugin") ?? "";
    if (!newKeys) problems.push('docs/configuration.md: no "## Keys new in this plugin" section');
    for (const key of CONFIG_KEYS) {
      const listed = newKeys.includes(`\`${key}\``);
      const isNew = !COMMUNITY_KEYS.includes(key);
      if (isNew && !listed) problems.push(`docs/configuration.md: the new key ${key} is missing from "Keys new in this plugin"`);
      if (!isNew && listed) problems.push(`docs/configuration.md: ${key} is listed as new but the community plugin had it`);
      if (isNew && !readDoc("migration.md").includes(`\`${key}\``)) problems.push(`docs/migration.md: the new key ${key} is not mentioned`);
    }
    report(problems);
  });

  it("the manifest's configSchema and uiHints cover exactly CONFIG_KEYS, and contracts.tools every tool", () => {
    expect(Object.keys(MANIFEST.configSchema.properties).sort()).toEqual([...CONFIG_KEYS].sort());
    expect(Object.keys(MANIFEST.uiHints).sort()).toEqual([...CONFIG_KEYS].sort());
    expect([...MANIFEST.contracts.tools].sort()).toEqual([...REG.toolNames].sort());
  });

  it("the example configs pass parseConfig and the manifest's JSON Schema", () => {
    const env = { HOME: "/home/me" };
    const problems: string[] = [];
    let examples = 0;
    for (const file of ["configuration.md", "notifications.md", "permissions.md"]) {
      jsonFences(readDoc(file)).forEach((fence, i) => {
        const where = `docs/${file}, json block ${i + 1}`;
        let raw: unknown;
        try {
          raw = JSON.parse(fence);
        } catch (err) {
          problems.push(`${where}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
          return;
        }
        const entry = (raw as { plugins?: { entries?: Record<string, { config?: unknown }> } }).plugins?.entries?.[MANIFEST.id];
        const config = entry ? entry.config : raw;
        examples++;
        try {
          parseConfig(config, env);
        } catch (err) {
          problems.push(`${where}: parseConfig refuses it: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (!Value.Check(MANIFEST.configSchema, config)) {
          const errors = [...Value.Errors(MANIFEST.configSchema, config)].map((e) => `${e.instancePath || "/"} ${e.message}`);
          problems.push(`${where}: the manifest's configSchema refuses it: ${errors.join("; ")}`);
        }
      });
    }
    expect(examples, "no ```json config examples were found in docs/configuration.md").toBeGreaterThanOrEqual(3);
    report(problems);
  });

  it("every claude_* tool, /claude* command and claude-code.* method the docs name exists", () => {
    const tools = new Set(REG.toolNames);
    const commands = new Set(REG.commands);
    const problems: string[] = [];
    for (const [id, file] of Object.entries(OTHER_IDENTIFIERS)) {
      if (!readFileSync(path.join(ROOT, file), "utf8").includes(`"${id}"`)) problems.push(`${id} is allowed in the docs as an identifier of ${file}, which no longer has it`);
    }
    for (const file of DOC_FILES) {
      const text = readDoc(file);
      for (const [name] of text.matchAll(/(?<![\w/-])claude_[a-z_]+/g)) {
        if (!tools.has(name) && !commands.has(name) && !(name in OTHER_IDENTIFIERS)) problems.push(`docs/${file} names ${name}, which is no tool or command`);
      }
      for (const m of text.matchAll(/(?<![\w./~-])\/(claude[a-z_]*)(?![\w-])/g)) {
        if (!commands.has(m[1]!)) problems.push(`docs/${file} names the command /${m[1]}, which does not exist`);
      }
      // Node-host commands (claude-code.process.v1) are versioned and are not gateway methods.
      for (const [name] of text.matchAll(/(?<![\w-])claude-code(?:\.[a-z]+)+(?!\w)(?!\.v\d)/gi)) {
        if (!REG.methods.has(name)) problems.push(`docs/${file} names the RPC method ${name}, which is not registered`);
      }
    }
    report(problems);
  });

  it("docs/README.md links every page", () => {
    const index = readDoc("README.md");
    const missing = DOC_FILES.filter((f) => f !== "README.md" && !index.includes(`](${f})`));
    expect(missing, `docs/README.md does not link: ${missing.join(", ")}`).toEqual([]);
  });
});

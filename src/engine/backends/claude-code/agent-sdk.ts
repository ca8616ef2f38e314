// The Agent SDK's query(), imported at the first launch: the SDK takes ~0.3–0.5 s and ~7 MB of
// heap to import (docs/architecture.md, "Boot cost"), which a gateway should not pay at plugin
// load, nor at all while no session runs.
import type { Options, Query, SDKUserMessage } from "@anthropic-ai/claude-agent-sdk";

/** The SDK's query() as the backend calls it (tests pass a stand-in at this process boundary). */
export type QueryFunction = (params: { prompt: AsyncIterable<SDKUserMessage>; options: Options }) => Query;

/**
 * Not a literal in the import() below, on purpose: before it runs a plugin, OpenClaw fingerprints
 * every module the entry reaches by a literal import, and resolving this package (with its
 * ~380 MB native Claude Code binary beside it) took ~33 s of every gateway start
 * (docs/architecture.md, "Boot cost"). Loaded at the first launch, it needs no fingerprint.
 */
const AGENT_SDK: string = "@anthropic-ai/claude-agent-sdk";

let loaded: QueryFunction | undefined;
let loading: Promise<QueryFunction> | undefined;

/** query() once it has been imported; undefined before. */
export function loadedAgentQuery(): QueryFunction | undefined {
  return loaded;
}

/** Imports the SDK once; a failed import is tried again on the next call. */
export function loadAgentQuery(): Promise<QueryFunction> {
  loading ??= (import(AGENT_SDK) as Promise<typeof import("@anthropic-ai/claude-agent-sdk")>).then((sdk) => (loaded = sdk.query as QueryFunction));
  loading.catch(() => (loading = undefined));
  return loading;
}

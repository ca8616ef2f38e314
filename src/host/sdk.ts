// The one door to the OpenClaw host: the SDK symbols and types the plugin uses, re-exported.
// Runtime services are reached through `api.runtime` (the host's own instances); the only direct
// import is channel-outbound's stateless send helper, which works on the config it is handed.
export { definePluginEntry } from "openclaw/plugin-sdk/plugin-entry";
export { sendDurableMessageBatch } from "openclaw/plugin-sdk/channel-outbound";
export type { OpenClawPluginApi, OpenClawPluginServiceContext, PluginCommandContext, OpenClawPluginToolContext } from "openclaw/plugin-sdk/plugin-entry";
import type { OpenClawPluginApi } from "openclaw/plugin-sdk/plugin-entry";

export type HostRuntime = OpenClawPluginApi["runtime"];
export type HostConfig = OpenClawPluginApi["config"];
export type HostLogger = OpenClawPluginApi["logger"];

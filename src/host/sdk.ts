// The one door to the OpenClaw host: the SDK symbols and types the plugin uses, re-exported.
// Runtime services are reached through `api.runtime` (the host's own instances), never through
// a second import of host modules.
export { definePluginEntry } from "openclaw/plugin-sdk/plugin-entry";
export type { OpenClawPluginApi, OpenClawPluginServiceContext, PluginCommandContext, OpenClawPluginToolContext } from "openclaw/plugin-sdk/plugin-entry";
import type { OpenClawPluginApi } from "openclaw/plugin-sdk/plugin-entry";

export type HostRuntime = OpenClawPluginApi["runtime"];
export type HostConfig = OpenClawPluginApi["config"];
export type HostLogger = OpenClawPluginApi["logger"];

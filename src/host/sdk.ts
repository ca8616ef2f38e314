// The one door to the OpenClaw host: the SDK symbols and types the plugin uses, re-exported.
// Runtime services are reached through `api.runtime` (the host's own instances); the only direct
// import is channel-outbound's stateless send helper, which works on the config it is handed.
export { definePluginEntry } from "openclaw/plugin-sdk/plugin-entry";
export type { OpenClawPluginApi, OpenClawPluginServiceContext, PluginCommandContext, OpenClawPluginToolContext } from "openclaw/plugin-sdk/plugin-entry";
import type { OpenClawPluginApi } from "openclaw/plugin-sdk/plugin-entry";

export type HostRuntime = OpenClawPluginApi["runtime"];
export type HostConfig = OpenClawPluginApi["config"];
export type HostLogger = OpenClawPluginApi["logger"];

type ChannelOutbound = typeof import("openclaw/plugin-sdk/channel-outbound");

/**
 * channel-outbound's send helper, imported at the first send: the module graph behind it costs
 * seconds and tens of MB of heap (docs/architecture.md, "Boot cost"), which a gateway that sends
 * no notice should not pay at plugin load.
 */
export async function sendDurableMessageBatch(...args: Parameters<ChannelOutbound["sendDurableMessageBatch"]>): ReturnType<ChannelOutbound["sendDurableMessageBatch"]> {
  const outbound = await import("openclaw/plugin-sdk/channel-outbound");
  return outbound.sendDurableMessageBatch(...args);
}

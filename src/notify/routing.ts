// Where a session's notices go: the launching conversation, else the agentChannels rule with the
// longest matching workdir prefix, else fallbackChannel.
import { longestPrefixMatch, type PluginConfig, type Route } from "../config.ts";
import type { Owner } from "../ops/types.ts";

export type RouteSource = "conversation" | "agentChannels" | "fallbackChannel";

export function resolveRoute(config: PluginConfig, owner: Owner, workdir: string): { route: Route; source: RouteSource } | undefined {
  if (owner.route) return { route: owner.route, source: "conversation" };
  const rule = longestPrefixMatch(config.agentChannels, workdir);
  if (rule) return { route: rule.route, source: "agentChannels" };
  if (config.fallbackChannel) return { route: config.fallbackChannel, source: "fallbackChannel" };
  return undefined;
}

// The conversation a chat command came from, as the host records it: the session's delivery
// context (channel, target, account, thread) that the host itself replies to, or for WebChat the
// session itself.
import type { Route } from "../config.ts";
import type { CommandContext, ConversationResolver } from "../surfaces/commands.ts";
import type { HostRuntime } from "./sdk.ts";
import { WEBCHAT_CHANNEL, webchatRoute } from "./webchat.ts";

export function createConversationResolver(runtime: HostRuntime): ConversationResolver {
  return (ctx: CommandContext): Route | undefined => {
    if (!ctx.sessionKey) return undefined;
    if ((ctx.channelId ?? ctx.channel) === WEBCHAT_CHANNEL) return webchatRoute(ctx.sessionKey);
    let delivery;
    try {
      delivery = runtime.agent.session.getSessionEntry({ sessionKey: ctx.sessionKey, ...(ctx.agentId ? { agentId: ctx.agentId } : {}) })?.delivery;
    } catch {
      return undefined;
    }
    if (delivery?.kind !== "external") return undefined;
    const c = delivery.context;
    const channel = ctx.channelId ?? ctx.channel;
    if (!c.channel || !c.to || c.channel !== channel) return undefined;
    const route: Route = { channel: c.channel, to: c.to };
    if (c.accountId) route.accountId = c.accountId;
    const thread = c.threadId ?? ctx.messageThreadId;
    if (thread !== undefined && thread !== null && thread !== "") route.threadId = String(thread);
    return route;
  };
}

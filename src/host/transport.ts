// Delivery through the host, in-process: the channel's own outbound adapter sends (WebChat, which
// has none, gets the message in its session transcript), and the host's text helpers split at the
// channel's limit without breaking code fences.
import type { Route } from "../config.ts";
import type { Transport } from "../notify/delivery.ts";
import type { NoticeButton } from "../notify/messages.ts";
import { sendDurableMessageBatch, type HostConfig, type HostRuntime } from "./sdk.ts";
import { sendToWebchat, WEBCHAT_CHANNEL } from "./webchat.ts";

/** Limits of the platforms, for channels that do not declare one. */
const PLATFORM_LIMITS: Record<string, number> = { telegram: 4096, discord: 2000, slack: 4000, whatsapp: 4096, signal: 4000 };
const DEFAULT_LIMIT = 4000;

type Adapter = NonNullable<Awaited<ReturnType<HostRuntime["channel"]["outbound"]["loadAdapter"]>>>;

export function createHostTransport(runtime: HostRuntime, config: () => HostConfig): Transport & { preload(channel: string): Promise<void> } {
  const adapters = new Map<string, Adapter>();

  async function adapterFor(channel: string): Promise<Adapter> {
    const cached = adapters.get(channel);
    if (cached) return cached;
    const adapter = await runtime.channel.outbound.loadAdapter(channel);
    if (!adapter) throw new Error(`channel "${channel}" has no outbound adapter (is the channel configured and enabled?)`);
    adapters.set(channel, adapter);
    return adapter;
  }

  function limitFor(route: Route, adapter: Adapter | undefined): number {
    const fallbackLimit = adapter?.textChunkLimit ?? PLATFORM_LIMITS[route.channel] ?? DEFAULT_LIMIT;
    return runtime.channel.text.resolveTextChunkLimit(config(), route.channel, route.accountId ?? null, { fallbackLimit });
  }

  /**
   * Buttons go as a message presentation: the host renders them natively where the channel can
   * (Telegram inline keyboards, Discord components) and as text where it cannot. Best effort on the
   * host's side: our own outbox retries, so the host must not queue a second copy.
   */
  async function sendWithButtons(route: Route, text: string, buttons: readonly NoticeButton[]): Promise<void> {
    const result = await sendDurableMessageBatch({
      cfg: config(),
      channel: route.channel,
      to: route.to,
      ...(route.accountId ? { accountId: route.accountId } : {}),
      ...(route.threadId ? { threadId: route.threadId } : {}),
      payloads: [
        {
          text,
          presentation: { blocks: [{ type: "buttons", buttons: buttons.map((b) => ({ label: b.label, action: { type: "command", command: b.command } })) }] },
        },
      ],
      durability: "best_effort",
    });
    if (result.status === "failed" || result.status === "partial_failed") {
      throw result.error instanceof Error ? result.error : new Error(`channel "${route.channel}" refused the message: ${String(result.error)}`);
    }
  }

  return {
    async preload(channel) {
      if (channel === WEBCHAT_CHANNEL) return;
      await adapterFor(channel);
    },
    chunk(route, text) {
      const adapter = adapters.get(route.channel);
      const limit = limitFor(route, adapter);
      if (text.length <= limit) return [text];
      if (adapter?.chunker) return adapter.chunker(text, limit);
      return runtime.channel.text.chunkMarkdownText(text, limit);
    },
    async send(route, text, buttons) {
      if (route.channel === WEBCHAT_CHANNEL) return sendToWebchat(runtime, route, text, config());
      if (buttons?.length) return sendWithButtons(route, text, buttons);
      const adapter = await adapterFor(route.channel);
      if (!adapter.sendText) throw new Error(`channel "${route.channel}" cannot send text`);
      await adapter.sendText({
        cfg: config(),
        to: route.to,
        text,
        accountId: route.accountId ?? null,
        threadId: route.threadId ?? null,
      });
    },
  };
}

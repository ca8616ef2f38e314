// Delivery of notice texts to channels: split at the channel's limit, in order per conversation,
// paced to the platform's rate limits, each chunk retried with backoff until it is sent once.
import type { Route } from "../config.ts";
import type { Logger } from "../engine/index.ts";
import { routeKey } from "../ops/types.ts";

/** The host side of delivery: in-process sends and the host's own text splitting. */
export interface Transport {
  /** Sends one chunk of text; throws when the channel refused it. */
  send(route: Route, text: string): Promise<void>;
  /** Splits text at the channel's limit without breaking code fences. */
  chunk(route: Route, text: string): string[];
}

export interface DeliveryOptions {
  transport: Transport;
  logger: Logger;
  /** Waits before each retry of a failed chunk; its length bounds the attempts. */
  retryDelaysMs?: readonly number[];
  /** Minimum gap between two sends to one conversation, per channel. */
  paceMs?: (channel: string) => number;
}

export type DeliveryOutcome = { delivered: true; chunks: number; attempts: number } | { delivered: false; error: string; attempts: number };

/** Platform limits: Telegram ~1 message/s per chat, Discord 5 per 5 s per channel. */
export function defaultPaceMs(channel: string): number {
  switch (channel) {
    case "telegram":
      return 1050;
    case "discord":
      return 1000;
    case "slack":
      return 1100;
    default:
      return 0;
  }
}

const DEFAULT_RETRIES = [500, 1500, 4000, 10_000, 30_000];

export class Delivery {
  private readonly transport: Transport;
  private readonly logger: Logger;
  private readonly retryDelays: readonly number[];
  private readonly paceMs: (channel: string) => number;
  /** Per conversation: the tail of its send chain, and when it last sent. */
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly lastSentAt = new Map<string, number>();

  constructor(options: DeliveryOptions) {
    this.transport = options.transport;
    this.logger = options.logger;
    this.retryDelays = options.retryDelaysMs ?? DEFAULT_RETRIES;
    this.paceMs = options.paceMs ?? defaultPaceMs;
  }

  /** Queues a text for a conversation; resolves once it is delivered or given up. Never rejects. */
  enqueue(route: Route, text: string, label: string): Promise<DeliveryOutcome> {
    const key = routeKey(route);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.deliver(route, key, text, label));
    const tail = run.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }

  /** Resolves when every queued text has been delivered or given up. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async deliver(route: Route, key: string, text: string, label: string): Promise<DeliveryOutcome> {
    let chunks: string[];
    try {
      chunks = this.transport.chunk(route, text).filter((c) => c.trim().length > 0);
    } catch (err) {
      this.logger.warn(`notify: splitting failed for ${route.channel} (${label}): ${errText(err)}; sending unsplit`);
      chunks = [text];
    }
    let attempts = 0;
    for (const chunk of chunks) {
      for (let attempt = 0; ; attempt++) {
        await this.pace(route.channel, key);
        attempts++;
        try {
          await this.transport.send(route, chunk);
          this.lastSentAt.set(key, Date.now());
          break;
        } catch (err) {
          this.lastSentAt.set(key, Date.now());
          const delay = this.retryDelays[attempt];
          if (delay === undefined) {
            this.logger.error(`notify: gave up on ${label} to ${route.channel} after ${attempts} attempts: ${errText(err)}`);
            return { delivered: false, error: errText(err), attempts };
          }
          this.logger.warn(`notify: send of ${label} to ${route.channel} failed (attempt ${attempt + 1}): ${errText(err)}; retrying in ${delay} ms`);
          await sleep(delay);
        }
      }
    }
    return { delivered: true, chunks: chunks.length, attempts };
  }

  private async pace(channel: string, key: string): Promise<void> {
    const gap = this.paceMs(channel);
    const last = this.lastSentAt.get(key);
    if (gap <= 0 || last === undefined) return;
    const wait = last + gap - Date.now();
    if (wait > 0) await sleep(wait);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

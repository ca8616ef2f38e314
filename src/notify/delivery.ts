// Delivery of notice texts to channels: split at the channel's limit, in order per conversation,
// paced to the platform's rate limits, each chunk retried with backoff until it is sent once.
// Durable notices go through the outbox first, so a restart resumes them where they stopped.
import type { Route } from "../config.ts";
import type { Logger } from "../engine/index.ts";
import { routeKey } from "../ops/types.ts";
import type { NoticeButton } from "./messages.ts";

/** The host side of delivery: in-process sends and the host's own text splitting. */
export interface Transport {
  /**
   * Sends one chunk of text; throws when the channel refused it. Buttons run chat commands where the
   * channel has them; elsewhere the text (which always names the commands) stands alone.
   */
  send(route: Route, text: string, buttons?: readonly NoticeButton[]): Promise<void>;
  /** Splits text at the channel's limit without breaking code fences. */
  chunk(route: Route, text: string): string[];
}

/** A notice to persist. */
export interface NewDurableItem {
  /** Idempotency key: one logical notice (e.g. "<session>:ended"). */
  key: string;
  route: Route;
  routeKey: string;
  text: string;
  label: string;
  buttons: NoticeButton[] | undefined;
}

/** A persisted notice and how far its delivery got. */
export interface DurableItem extends NewDurableItem {
  id: number;
  chunksSent: number;
  attempts: number;
}

/** Where durable notices are kept (the store's outbox). */
export interface Outbox {
  /** Persists a notice; undefined when one with this key exists already. */
  add(item: NewDurableItem): DurableItem | undefined;
  pending(): DurableItem[];
  progress(id: number, chunksSent: number, attempts: number, lastError: string | undefined): void;
  delivered(id: number, chunksSent: number, attempts: number): void;
  gaveUp(id: number, chunksSent: number, attempts: number, reason: string): void;
}

export interface DeliveryOptions {
  transport: Transport;
  logger: Logger;
  /** Waits before each retry of a failed chunk; its length bounds the attempts. */
  retryDelaysMs?: readonly number[];
  /** Minimum gap between two sends to one conversation, per channel. */
  paceMs?: (channel: string) => number;
  outbox?: Outbox;
  /** How long one send may take before it counts as failed and is retried (a hung channel). */
  sendTimeoutMs?: number;
}

/** Long enough for a slow platform API; short enough that a hung one does not hold its chat for long. */
export const DEFAULT_SEND_TIMEOUT_MS = 30_000;

export type DeliveryOutcome =
  | { delivered: true; chunks: number; attempts: number }
  | { delivered: false; error: string; attempts: number }
  /** Not sent now: a notice with the same key was queued before, or delivery is shutting down (it stays queued). */
  | { delivered: false; skipped: "duplicate" | "stopped" };

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

/** About ten minutes of retries in all, across restarts, before a notice is given up. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [500, 1500, 4000, 10_000, 30_000, 60_000, 120_000, 300_000];

interface Job {
  route: Route;
  text: string;
  label: string;
  buttons: NoticeButton[] | undefined;
  durable: DurableItem | undefined;
}

export class Delivery {
  private readonly transport: Transport;
  private readonly logger: Logger;
  private readonly retryDelays: readonly number[];
  private readonly paceMs: (channel: string) => number;
  private readonly outbox: Outbox | undefined;
  private readonly sendTimeoutMs: number;
  /** Settles when close() is called: sends in flight stop being waited for. */
  private readonly closing: Promise<"closed">;
  private signalClosed: () => void = () => undefined;
  /** Per conversation: the tail of its send chain, and when it last sent. */
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly lastSentAt = new Map<string, number>();
  private readonly waits = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private closed = false;

  constructor(options: DeliveryOptions) {
    this.transport = options.transport;
    this.logger = options.logger;
    this.retryDelays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.paceMs = options.paceMs ?? defaultPaceMs;
    this.outbox = options.outbox;
    this.sendTimeoutMs = options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    this.closing = new Promise((resolve) => {
      this.signalClosed = () => resolve("closed");
    });
  }

  /**
   * Queues a text for a conversation; resolves once it is delivered, given up or skipped. Never
   * rejects. With a `key` (and an outbox) the notice is persisted first and sent at most once.
   */
  enqueue(route: Route, text: string, label: string, options: { key?: string; buttons?: NoticeButton[] } = {}): Promise<DeliveryOutcome> {
    if (this.closed) return Promise.resolve({ delivered: false, skipped: "stopped" });
    let durable: DurableItem | undefined;
    if (options.key !== undefined && this.outbox) {
      try {
        durable = this.outbox.add({ key: options.key, route, routeKey: routeKey(route), text, label, buttons: options.buttons });
        if (!durable) return Promise.resolve({ delivered: false, skipped: "duplicate" });
      } catch (err) {
        // The store failing must not cost the user the notice: send it anyway, unpersisted.
        this.logger.error(`notify: could not persist ${label}: ${errText(err)}; sending without the outbox`);
      }
    }
    return this.schedule({ route, text, label, buttons: options.buttons, durable });
  }

  /** Queues every notice the outbox still holds (after a restart), oldest first. Returns how many. */
  resumePending(): number {
    if (!this.outbox) return 0;
    const items = this.outbox.pending();
    for (const item of items) void this.schedule({ route: item.route, text: item.text, label: item.label, buttons: item.buttons, durable: item });
    if (items.length) this.logger.info(`notify: resuming ${items.length} undelivered notice(s) from the outbox`);
    return items.length;
  }

  /** Resolves when every queued text has been delivered, given up or skipped. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  /** Stops retrying: waits end at once, unfinished durable notices stay in the outbox for the next start. */
  close(): void {
    this.closed = true;
    this.signalClosed();
    for (const w of this.waits) {
      clearTimeout(w.timer);
      w.wake();
    }
    this.waits.clear();
  }

  private schedule(job: Job): Promise<DeliveryOutcome> {
    const key = routeKey(job.route);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.deliver(job, key));
    const tail = run.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }

  private async deliver(job: Job, key: string): Promise<DeliveryOutcome> {
    const { route, label, durable } = job;
    if (this.closed) return { delivered: false, skipped: "stopped" };
    let chunks: string[];
    try {
      chunks = this.transport.chunk(route, job.text).filter((c) => c.trim().length > 0);
    } catch (err) {
      this.logger.warn(`notify: splitting failed for ${route.channel} (${label}): ${errText(err)}; sending unsplit`);
      chunks = [job.text];
    }
    let attempts = durable?.attempts ?? 0;
    // Attempts already spent before a restart count against the same bound.
    let failures = durable ? Math.max(0, durable.attempts - durable.chunksSent) : 0;
    for (let i = durable?.chunksSent ?? 0; i < chunks.length; i++) {
      const chunk = chunks[i]!;
      for (;;) {
        await this.pace(route.channel, key);
        if (this.closed) return { delivered: false, skipped: "stopped" };
        attempts++;
        try {
          // Buttons go with the last chunk, under the text that explains them.
          const sent = await this.bounded(this.transport.send(route, chunk, i === chunks.length - 1 ? job.buttons : undefined));
          // Closed mid-send: whether it arrived is unknown; the outbox keeps it for the next start.
          if (sent === "closed") return { delivered: false, skipped: "stopped" };
          this.lastSentAt.set(key, Date.now());
          if (durable) this.persist(() => this.outbox?.progress(durable.id, i + 1, attempts, undefined), label);
          break;
        } catch (err) {
          this.lastSentAt.set(key, Date.now());
          const delay = this.retryDelays[failures];
          failures++;
          if (delay === undefined) {
            this.logger.error(`notify: gave up on ${label} to ${route.channel} after ${attempts} attempts: ${errText(err)}`);
            if (durable) this.persist(() => this.outbox?.gaveUp(durable.id, i, attempts, errText(err)), label);
            return { delivered: false, error: errText(err), attempts };
          }
          if (durable) this.persist(() => this.outbox?.progress(durable.id, i, attempts, errText(err)), label);
          this.logger.warn(`notify: send of ${label} to ${route.channel} failed (attempt ${attempts}): ${errText(err)}; retrying in ${delay} ms`);
          await this.sleep(delay);
          if (this.closed) return { delivered: false, skipped: "stopped" };
        }
      }
    }
    if (durable) this.persist(() => this.outbox?.delivered(durable.id, chunks.length, attempts), label);
    return { delivered: true, chunks: chunks.length, attempts };
  }

  /**
   * One send, bounded: a channel that never answers fails after sendTimeoutMs (and is retried like
   * any failure), and close() stops waiting for it at once, so a hung channel cannot hold its chat
   * or the gateway's shutdown. A send that times out may still arrive later: at-least-once.
   */
  private async bounded(send: Promise<void>): Promise<"sent" | "closed"> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the channel did not answer within ${this.sendTimeoutMs >= 1000 ? `${Math.round(this.sendTimeoutMs / 1000)} s` : `${this.sendTimeoutMs} ms`}`)), this.sendTimeoutMs);
    });
    // A send abandoned by the timeout or close() may still reject later: that must not go unhandled.
    send.catch(() => undefined);
    try {
      return await Promise.race([send.then(() => "sent" as const), timeout, this.closing]);
    } finally {
      clearTimeout(timer);
    }
  }

  private persist(write: () => void, label: string): void {
    try {
      write();
    } catch (err) {
      this.logger.error(`notify: could not record the delivery state of ${label}: ${errText(err)}`);
    }
  }

  private async pace(channel: string, key: string): Promise<void> {
    const gap = this.paceMs(channel);
    const last = this.lastSentAt.get(key);
    if (gap <= 0 || last === undefined) return;
    const wait = last + gap - Date.now();
    if (wait > 0) await this.sleep(wait);
  }

  /** A wait that close() cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.waits.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.waits.add(entry);
    });
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

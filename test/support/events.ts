// Awaiting engine events in tests, with a bound and a message that says what never came.
import type { SessionEngine, SessionEvent } from "../../src/engine/index.ts";

export class EventLog<TOwner> {
  readonly events: SessionEvent<TOwner>[] = [];
  private readonly waiters: Array<{ match: (e: SessionEvent<TOwner>) => boolean; resolve: (e: SessionEvent<TOwner>) => void }> = [];
  readonly unsubscribe: () => void;

  constructor(engine: SessionEngine<TOwner>) {
    this.unsubscribe = engine.subscribe((event) => {
      this.events.push(event);
      for (const w of [...this.waiters]) {
        if (w.match(event)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(event);
        }
      }
    });
  }

  /** The first event (already seen or future) that matches; rejects after timeoutMs. */
  waitFor<T extends SessionEvent<TOwner>>(match: (e: SessionEvent<TOwner>) => e is T, timeoutMs?: number, what?: string): Promise<T>;
  waitFor(match: (e: SessionEvent<TOwner>) => boolean, timeoutMs?: number, what?: string): Promise<SessionEvent<TOwner>>;
  waitFor(match: (e: SessionEvent<TOwner>) => boolean, timeoutMs = 30_000, what = "event"): Promise<SessionEvent<TOwner>> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return this.next(match, timeoutMs, what);
  }

  /** The next future event that matches. */
  next(match: (e: SessionEvent<TOwner>) => boolean, timeoutMs = 30_000, what = "event"): Promise<SessionEvent<TOwner>> {
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (e: SessionEvent<TOwner>) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        const seen = this.events.map((e) => `${e.type}:${e.session.status}`).join(", ");
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events so far: ${seen}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  ofType<K extends SessionEvent<TOwner>["type"]>(type: K, sessionId?: string): Extract<SessionEvent<TOwner>, { type: K }>[] {
    return this.events.filter(
      (e): e is Extract<SessionEvent<TOwner>, { type: K }> => e.type === type && (sessionId === undefined || e.session.id === sessionId),
    );
  }
}

export function isEnded<TOwner>(id: string) {
  return (e: SessionEvent<TOwner>): e is Extract<SessionEvent<TOwner>, { type: "ended" }> => e.type === "ended" && e.session.id === id;
}

export function isWaiting<TOwner>(id: string) {
  return (e: SessionEvent<TOwner>): e is Extract<SessionEvent<TOwner>, { type: "waiting" }> => e.type === "waiting" && e.session.id === id;
}

// Per-conversation foreground state: which sessions a conversation watches live, and the last
// output sequence number it has seen of each (catch-up is "everything after it").
import type { Route } from "../config.ts";
import { routeKey } from "./types.ts";

export interface Watcher {
  route: Route;
  sessionId: string;
  lastSeq: number;
}

export class ForegroundRegistry {
  /** sessionId → conversation key → watcher */
  private readonly bySession = new Map<string, Map<string, Watcher>>();
  /** conversation key → session id → last seq seen (kept after going to the background). */
  private readonly seen = new Map<string, Map<string, number>>();

  lastSeen(route: Route, sessionId: string): number {
    return this.seen.get(routeKey(route))?.get(sessionId) ?? 0;
  }

  markSeen(route: Route, sessionId: string, seq: number): void {
    const key = routeKey(route);
    let m = this.seen.get(key);
    if (!m) this.seen.set(key, (m = new Map()));
    if (seq > (m.get(sessionId) ?? 0)) m.set(sessionId, seq);
    const w = this.bySession.get(sessionId)?.get(key);
    if (w && seq > w.lastSeq) w.lastSeq = seq;
  }

  attach(route: Route, sessionId: string): void {
    const key = routeKey(route);
    let m = this.bySession.get(sessionId);
    if (!m) this.bySession.set(sessionId, (m = new Map()));
    m.set(key, { route, sessionId, lastSeq: this.lastSeen(route, sessionId) });
  }

  /** Detaches one session, or every session this conversation watches; returns the detached ids. */
  detach(route: Route, sessionId?: string): string[] {
    const key = routeKey(route);
    const detached: string[] = [];
    for (const [id, m] of this.bySession) {
      if (sessionId !== undefined && id !== sessionId) continue;
      if (m.delete(key)) detached.push(id);
      if (m.size === 0) this.bySession.delete(id);
    }
    return detached;
  }

  isForeground(route: Route, sessionId: string): boolean {
    return this.bySession.get(sessionId)?.has(routeKey(route)) ?? false;
  }

  /** The sessions a conversation watches live. */
  watchersOf(route: Route): Watcher[] {
    const key = routeKey(route);
    return [...this.bySession.values()].flatMap((m) => m.get(key) ?? []);
  }

  watchers(sessionId: string): Watcher[] {
    return [...(this.bySession.get(sessionId)?.values() ?? [])];
  }

  /** Forgets a session entirely (it has left memory). */
  forget(sessionId: string): void {
    this.bySession.delete(sessionId);
    for (const m of this.seen.values()) m.delete(sessionId);
  }
}

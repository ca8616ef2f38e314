// The notification outbox: every lifecycle notice is written here before it is sent, keyed so the
// same notice is never queued twice, with how far its delivery got (chunks sent, attempts), so a
// restart resumes delivery in order and never repeats what a channel already received.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Route } from "../config.ts";
import type { DurableItem, NewDurableItem, Outbox } from "../notify/delivery.ts";
import type { NoticeButton } from "../notify/messages.ts";

/** The outbox's rows are delivery's durable items; delivery defines what it needs stored. */
export type OutboxItem = DurableItem;
type NewOutboxItem = NewDurableItem;

/** Finished rows are kept this long so a late duplicate of a delivered notice is still recognised. */
const KEEP_FINISHED_MS = 7 * 24 * 3_600_000;

export class OutboxStore implements Outbox {
  private readonly stmt: Record<"add" | "pending" | "progress" | "finish" | "prune", StatementSync>;
  private readonly now: () => number;

  constructor(db: DatabaseSync, now: () => number = Date.now) {
    this.now = now;
    this.stmt = {
      add: db.prepare(
        `INSERT INTO outbox (key, route, route_key, text, label, buttons, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(key) DO NOTHING RETURNING id`,
      ),
      pending: db.prepare(
        "SELECT id, key, route, route_key, text, label, buttons, chunks_sent, attempts FROM outbox WHERE state = 'pending' ORDER BY id",
      ),
      progress: db.prepare("UPDATE outbox SET chunks_sent = ?, attempts = ?, last_error = ?, updated_at = ? WHERE id = ?"),
      finish: db.prepare("UPDATE outbox SET state = ?, chunks_sent = ?, attempts = ?, last_error = ?, updated_at = ? WHERE id = ?"),
      prune: db.prepare("DELETE FROM outbox WHERE state != 'pending' AND updated_at < ?"),
    };
    this.stmt.prune.run(this.now() - KEEP_FINISHED_MS);
  }

  /** Queues a notice; undefined when a notice with this key was queued before (delivered or not). */
  add(item: NewOutboxItem): OutboxItem | undefined {
    const at = this.now();
    const buttons = item.buttons?.length ? JSON.stringify(item.buttons) : null;
    const row = this.stmt.add.get(item.key, JSON.stringify(item.route), item.routeKey, item.text, item.label, buttons, at, at) as { id: number } | undefined;
    if (!row) return undefined;
    return { ...item, id: row.id, chunksSent: 0, attempts: 0 };
  }

  /** Notices not yet delivered nor given up, oldest first. */
  pending(): OutboxItem[] {
    type Raw = { id: number; key: string; route: string; route_key: string; text: string; label: string; buttons: string | null; chunks_sent: number; attempts: number };
    return (this.stmt.pending.all() as Raw[]).map((r) => ({
      id: r.id,
      key: r.key,
      route: JSON.parse(r.route) as Route,
      routeKey: r.route_key,
      text: r.text,
      label: r.label,
      buttons: r.buttons ? (JSON.parse(r.buttons) as NoticeButton[]) : undefined,
      chunksSent: r.chunks_sent,
      attempts: r.attempts,
    }));
  }

  progress(id: number, chunksSent: number, attempts: number, lastError: string | undefined): void {
    this.stmt.progress.run(chunksSent, attempts, lastError ?? null, this.now(), id);
  }

  delivered(id: number, chunksSent: number, attempts: number): void {
    this.stmt.finish.run("delivered", chunksSent, attempts, null, this.now(), id);
  }

  gaveUp(id: number, chunksSent: number, attempts: number, reason: string): void {
    this.stmt.finish.run("given_up", chunksSent, attempts, reason, this.now(), id);
  }
}

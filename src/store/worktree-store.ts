// The worktrees the plugin created, in the store's SQLite file: what clean-up may touch, what a
// kept worktree is after a restart, and where a resumed session runs.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { WorktreeRecord, WorktreeRecords } from "../worktrees/index.ts";

export class WorktreeStore implements WorktreeRecords {
  private readonly stmt: Record<"upsert" | "all" | "remove", StatementSync>;

  constructor(db: DatabaseSync) {
    this.stmt = {
      upsert: db.prepare(
        `INSERT INTO worktrees (id, session_id, path, state, created_at, data) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET session_id = excluded.session_id, path = excluded.path, state = excluded.state, data = excluded.data`,
      ),
      all: db.prepare("SELECT data FROM worktrees ORDER BY created_at"),
      remove: db.prepare("DELETE FROM worktrees WHERE id = ?"),
    };
  }

  all(): WorktreeRecord[] {
    return this.stmt.all.all().flatMap((row) => {
      try {
        return [JSON.parse((row as { data: string }).data) as WorktreeRecord];
      } catch {
        return [];
      }
    });
  }

  save(r: WorktreeRecord): void {
    this.stmt.upsert.run(r.id, r.sessionId ?? null, r.path, r.state, r.createdAt, JSON.stringify(r));
  }

  delete(id: string): void {
    this.stmt.remove.run(id);
  }
}

// Usage statistics: every session counted exactly once, on launch and on its one terminal transition.
import type { EndReason, SessionSnapshot, TerminalStatus } from "./types.ts";

export interface SessionCostSummary {
  id: string;
  name: string;
  costUsd: number;
}

export interface StatsSnapshot {
  launched: number;
  live: number;
  byStatus: Record<TerminalStatus, number>;
  totalCostUsd: number;
  /** Cost by UTC day (YYYY-MM-DD) of when it was spent (a session's day is the day it ended). */
  costByDay: Record<string, number>;
  /** The same cost split by model: day → model (`default` when none was chosen) → USD. */
  costByDayModel: Record<string, Record<string, number>>;
  averageDurationMs: number | undefined;
  mostExpensive: SessionCostSummary | undefined;
}

/** The model a session's cost is counted under. */
export function costModelKey(model: string | undefined): string {
  return model ?? DEFAULT_MODEL_KEY;
}
export const DEFAULT_MODEL_KEY = "default";

/** The persisted form: what `StatsRecorder` needs to carry on after a restart. */
export interface StatsState {
  launched: number;
  byStatus: Record<TerminalStatus, number>;
  endedCostUsd: number;
  costByDay: Record<string, number>;
  /** Absent in stats saved before the split by model was kept: those costs count under no model. */
  costByDayModel?: Record<string, Record<string, number>>;
  endedDurationMsTotal: number;
  endedCount: number;
  mostExpensive: SessionCostSummary | undefined;
  /** Ids already counted as ended: guards against counting a session twice. */
  countedIds: string[];
}

export function emptyStatsState(): StatsState {
  return {
    launched: 0,
    byStatus: { completed: 0, failed: 0, killed: 0, interrupted: 0 },
    endedCostUsd: 0,
    costByDay: {},
    costByDayModel: {},
    endedDurationMsTotal: 0,
    endedCount: 0,
    mostExpensive: undefined,
    countedIds: [],
  };
}

function addModelCost(into: Record<string, Record<string, number>>, day: string, model: string, usd: number): void {
  const models = (into[day] ??= {});
  models[model] = (models[model] ?? 0) + usd;
}

const MAX_COUNTED_IDS = 50_000;

export class StatsRecorder {
  private state: StatsState;
  private readonly counted: Set<string>;

  constructor(state: StatsState = emptyStatsState()) {
    this.state = structuredClone(state);
    this.counted = new Set(state.countedIds);
  }

  recordLaunch(): void {
    this.state.launched++;
  }

  /** Records an ended session once; later calls for the same id are ignored. Returns whether it counted. */
  recordEnd(session: SessionSnapshot<unknown>, status: TerminalStatus, _reason: EndReason): boolean {
    if (this.counted.has(session.id)) return false;
    this.counted.add(session.id);
    this.state.countedIds.push(session.id);
    if (this.state.countedIds.length > MAX_COUNTED_IDS) {
      const drop = this.state.countedIds.splice(0, this.state.countedIds.length - MAX_COUNTED_IDS);
      for (const id of drop) this.counted.delete(id);
    }
    const s = this.state;
    s.byStatus[status]++;
    s.endedCount++;
    s.endedDurationMsTotal += session.durationMs;
    s.endedCostUsd += session.costUsd;
    const day = new Date(session.endedAt ?? session.createdAt).toISOString().slice(0, 10);
    s.costByDay[day] = (s.costByDay[day] ?? 0) + session.costUsd;
    if (session.costUsd > 0) addModelCost((s.costByDayModel ??= {}), day, costModelKey(session.model), session.costUsd);
    if (session.costUsd > 0 && (!s.mostExpensive || session.costUsd > s.mostExpensive.costUsd)) {
      s.mostExpensive = { id: session.id, name: session.name, costUsd: session.costUsd };
    }
    return true;
  }

  /** Current figures; the cost of live sessions so far is included. */
  snapshot(live: readonly SessionSnapshot<unknown>[], now: number): StatsSnapshot {
    const s = this.state;
    const costByDay = { ...s.costByDay };
    const costByDayModel: Record<string, Record<string, number>> = {};
    for (const [day, models] of Object.entries(s.costByDayModel ?? {})) costByDayModel[day] = { ...models };
    let liveCost = 0;
    let mostExpensive = s.mostExpensive;
    const today = new Date(now).toISOString().slice(0, 10);
    for (const session of live) {
      liveCost += session.costUsd;
      if (session.costUsd > 0) {
        costByDay[today] = (costByDay[today] ?? 0) + session.costUsd;
        addModelCost(costByDayModel, today, costModelKey(session.model), session.costUsd);
      }
      if (session.costUsd > 0 && (!mostExpensive || session.costUsd > mostExpensive.costUsd)) {
        mostExpensive = { id: session.id, name: session.name, costUsd: session.costUsd };
      }
    }
    return {
      launched: s.launched,
      live: live.length,
      byStatus: { ...s.byStatus },
      totalCostUsd: s.endedCostUsd + liveCost,
      costByDay,
      costByDayModel,
      averageDurationMs: s.endedCount > 0 ? s.endedDurationMsTotal / s.endedCount : undefined,
      mostExpensive,
    };
  }

  exportState(): StatsState {
    return structuredClone(this.state);
  }
}

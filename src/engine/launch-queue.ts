// The order in which queued launches start: first come, first served, fair between agents. Each
// launch gets a start tag one past its agent's previous tag, but never below the tag of the launch
// that started last (an agent that was not waiting joins the current round), and the smallest tag
// starts next (ties by arrival); so an agent that queued ten launches does not hold back another
// agent's one, and within an agent launches keep their order.

export interface QueuedItem {
  id: string;
  /** Who launched it: the fairness is between these keys (the owning agent). */
  agent: string;
}

interface Entry<T extends QueuedItem> {
  item: T;
  tag: number;
  seq: number;
}

export interface QueuePosition {
  /** 1-based: 1 starts next. */
  position: number;
  total: number;
}

export class LaunchQueue<T extends QueuedItem> {
  private entries: Array<Entry<T>> = [];
  private readonly lastTag = new Map<string, number>();
  private startedTag = 0;
  private nextSeq = 1;

  get size(): number {
    return this.entries.length;
  }

  /** Queues `item` behind what its agent already queued; returns where it stands. */
  add(item: T): QueuePosition {
    if (this.entries.some((e) => e.item.id === item.id)) throw new Error(`launch ${item.id} is queued already`);
    const tag = Math.max((this.lastTag.get(item.agent) ?? 0) + 1, this.startedTag);
    this.lastTag.set(item.agent, tag);
    const entry: Entry<T> = { item, tag, seq: this.nextSeq++ };
    // Insert in start order (tag, then arrival): the list is always sorted, so next() is O(1).
    let i = this.entries.length;
    while (i > 0 && compare(this.entries[i - 1]!, entry) > 0) i--;
    this.entries.splice(i, 0, entry);
    return { position: i + 1, total: this.entries.length };
  }

  /** Takes the launch that starts next. */
  next(): T | undefined {
    const entry = this.entries.shift();
    if (!entry) return undefined;
    this.startedTag = Math.max(this.startedTag, entry.tag);
    if (!this.entries.some((e) => e.item.agent === entry.item.agent)) this.lastTag.delete(entry.item.agent);
    return entry.item;
  }

  /** Takes a queued launch out (killed before it started). */
  remove(id: string): T | undefined {
    const i = this.entries.findIndex((e) => e.item.id === id);
    if (i < 0) return undefined;
    const [entry] = this.entries.splice(i, 1);
    return entry?.item;
  }

  position(id: string): QueuePosition | undefined {
    const i = this.entries.findIndex((e) => e.item.id === id);
    return i < 0 ? undefined : { position: i + 1, total: this.entries.length };
  }

  /** Queued launches in start order. */
  items(): T[] {
    return this.entries.map((e) => e.item);
  }
}

function compare<T extends QueuedItem>(a: Entry<T>, b: Entry<T>): number {
  return a.tag - b.tag || a.seq - b.seq;
}

/** The lane of this machine's own slots (maxSessions); a paired node's lane is its node id. */
export const LOCAL_LANE = "";

/**
 * One launch queue per pool of slots ("lanes": this machine's, and each paired node's), so a
 * launch waiting for a full node never holds back one waiting for this machine's slots, and the
 * fairness between agents holds within each lane. A launch may wait in several lanes (a node
 * "auto" launch waits for whichever of its nodes frees a slot first): it starts from the first
 * and leaves the others.
 */
export class LaunchLanes<T extends QueuedItem> {
  private readonly lanes = new Map<string, LaunchQueue<T>>();
  private readonly laneIds = new Map<string, readonly string[]>();

  /** Launches waiting in `lane` (all lanes when omitted; a launch in several lanes counts once). */
  size(lane?: string): number {
    return lane === undefined ? this.laneIds.size : (this.lanes.get(lane)?.size ?? 0);
  }

  /** Queues `item` in every lane it may start from; returns its best place. */
  add(item: T, lanes: readonly string[]): QueuePosition {
    if (lanes.length === 0) throw new Error(`launch ${item.id} names no lane to wait in`);
    if (this.laneIds.has(item.id)) throw new Error(`launch ${item.id} is queued already`);
    const unique = [...new Set(lanes)];
    for (const lane of unique) {
      let q = this.lanes.get(lane);
      if (!q) this.lanes.set(lane, (q = new LaunchQueue<T>()));
      q.add(item);
    }
    this.laneIds.set(item.id, unique);
    return this.position(item.id)!;
  }

  /** Takes the launch that starts next in `lane`, out of every lane it waited in. */
  next(lane: string): T | undefined {
    const item = this.lanes.get(lane)?.next();
    if (!item) return undefined;
    this.leave(item.id, lane);
    return item;
  }

  /** Takes a queued launch out (killed before it started). */
  remove(id: string): T | undefined {
    const lanes = this.laneIds.get(id);
    if (!lanes) return undefined;
    let item: T | undefined;
    for (const lane of lanes) item = this.lanes.get(lane)?.remove(id) ?? item;
    this.leave(id, undefined);
    return item;
  }

  /** Where it stands: its best place over the lanes it waits in. */
  position(id: string): QueuePosition | undefined {
    let best: QueuePosition | undefined;
    for (const lane of this.laneIds.get(id) ?? []) {
      const p = this.lanes.get(lane)?.position(id);
      if (p && (!best || p.position < best.position)) best = p;
    }
    return best;
  }

  /** A queued launch by id. */
  find(id: string): T | undefined {
    const lane = this.laneIds.get(id)?.[0];
    return lane === undefined ? undefined : this.lanes.get(lane)?.items().find((item) => item.id === id);
  }

  /** The lanes `id` waits in. */
  lanesOf(id: string): readonly string[] {
    return this.laneIds.get(id) ?? [];
  }

  /** Lanes with launches waiting. */
  waitingLanes(): string[] {
    return [...this.lanes.entries()].filter(([, q]) => q.size > 0).map(([lane]) => lane);
  }

  private leave(id: string, startedFrom: string | undefined): void {
    for (const lane of this.laneIds.get(id) ?? []) {
      if (lane !== startedFrom) this.lanes.get(lane)?.remove(id);
      if (this.lanes.get(lane)?.size === 0) this.lanes.delete(lane);
    }
    this.laneIds.delete(id);
  }
}

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

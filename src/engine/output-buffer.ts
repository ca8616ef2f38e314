// A bounded per-session output log whose entries carry monotonic sequence numbers, so a reader
// can ask for "everything after N" and is told exactly how much it missed when the buffer trimmed.

export type OutputKind = "text" | "tool_use" | "tool_error" | "result" | "followup" | "permission";

export interface OutputEntry {
  readonly seq: number;
  readonly at: number;
  readonly kind: OutputKind;
  /** The text shown to people: assistant text, a one-line tool summary, the result text, the follow-up. */
  readonly text: string;
  /** For tool_use and tool_error: the tool's name. */
  readonly tool?: string;
}

export interface OutputLimits {
  maxEntries: number;
  maxBytes: number;
}

export interface CatchUp {
  readonly entries: readonly OutputEntry[];
  /** Entries after the requested sequence number that were trimmed before they could be read. */
  readonly missed: number;
  /** The sequence number to pass next time (the newest one known, even if nothing new was returned). */
  readonly lastSeq: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = { maxEntries: 2000, maxBytes: 1_000_000 };

export class OutputBuffer {
  private readonly entries: OutputEntry[] = [];
  private head = 0; // index of the oldest retained entry in `entries`
  private bytes = 0;
  private nextSeq = 1;
  private readonly limits: OutputLimits;

  constructor(limits: OutputLimits = DEFAULT_OUTPUT_LIMITS) {
    if (limits.maxEntries < 1 || limits.maxBytes < 1) {
      throw new RangeError(`output limits must be positive, got ${JSON.stringify(limits)}`);
    }
    this.limits = limits;
  }

  /** Appends an entry and returns it with its sequence number. Over-long text is truncated to fit. */
  append(kind: OutputKind, text: string, at: number, tool?: string): OutputEntry {
    const max = this.limits.maxBytes;
    const fitted = Buffer.byteLength(text) > max ? truncateBytes(text, max) : text;
    const entry: OutputEntry = tool === undefined
      ? { seq: this.nextSeq++, at, kind, text: fitted }
      : { seq: this.nextSeq++, at, kind, text: fitted, tool };
    this.entries.push(entry);
    this.bytes += Buffer.byteLength(fitted);
    this.trim();
    return entry;
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Sequence number of the oldest retained entry (lastSeq + 1 when empty). */
  get firstSeq(): number {
    return this.entries[this.head]?.seq ?? this.nextSeq;
  }

  /** Everything after `seq`, and how many entries after it were trimmed away unseen. */
  after(seq: number): CatchUp {
    const from = Math.max(seq + 1, this.firstSeq);
    const missed = Math.max(0, this.firstSeq - (seq + 1));
    const start = this.head + (from - this.firstSeq);
    return { entries: this.entries.slice(start), missed, lastSeq: this.lastSeq };
  }

  /** The newest `n` entries, oldest first. */
  tail(n: number): readonly OutputEntry[] {
    if (n <= 0) return [];
    return this.entries.slice(Math.max(this.head, this.entries.length - n));
  }

  all(): readonly OutputEntry[] {
    return this.entries.slice(this.head);
  }

  private trim(): void {
    while (this.size > this.limits.maxEntries || (this.bytes > this.limits.maxBytes && this.size > 1)) {
      const dropped = this.entries[this.head];
      if (!dropped) break;
      this.bytes -= Buffer.byteLength(dropped.text);
      this.head++;
    }
    // Compact occasionally so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}

function truncateBytes(text: string, maxBytes: number): string {
  const marker = " …[truncated]";
  const budget = Math.max(0, maxBytes - Buffer.byteLength(marker));
  let out = Buffer.from(text).subarray(0, budget).toString("utf8");
  // A cut in the middle of a multi-byte character decodes to U+FFFD; drop it.
  if (out.endsWith("\uFFFD")) out = out.slice(0, -1);
  return out + marker;
}

// A push-driven async iterable of user messages: the streaming input of one multi-turn Claude Code process.

export class InputQueue<T> implements AsyncIterable<T> {
  private readonly pending: T[] = [];
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private closed = false;

  push(item: T): void {
    if (this.closed) throw new Error("input queue is closed");
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: item, done: false });
    } else {
      this.pending.push(item);
    }
  }

  /** Ends the stream: the consumer sees done after the items already pushed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.waiter && this.pending.length === 0) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: undefined, done: true });
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.pending.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiter = resolve;
        });
      },
      return: () => {
        this.close();
        this.pending.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

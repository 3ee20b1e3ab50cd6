// In-process serialisation of appends per chain; across processes the store's unique keys decide.

export class ChainLocks {
  private readonly tails = new Map<string, Promise<void>>();

  /** Wait for every earlier holder of `key`, then hold it until the returned release is called. */
  async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }

  /** Hold several keys at once; sorted acquisition keeps two batches from deadlocking. */
  async acquireAll(keys: Iterable<string>): Promise<() => void> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    for (const k of sorted) releases.push(await this.acquire(k));
    return () => releases.reverse().forEach((r) => r());
  }
}

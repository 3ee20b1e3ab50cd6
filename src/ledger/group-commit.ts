// Group commit: single appends that arrive while a commit is in flight share the next one.
import type { EventRow, EventStore } from "../store/port.ts";
import { rowKey } from "../store/port.ts";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Waiter {
  row: EventRow;
  resolve: (inserted: boolean) => void;
  reject: (e: unknown) => void;
}

export class GroupCommitter {
  private queue: Waiter[] = [];
  private flushing = false;

  constructor(private readonly store: EventStore, private readonly maxGroup = 512) {}

  /** Resolves after commit: true if inserted, false if a key already existed (caller investigates). */
  submit(row: EventRow): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      // Let the writers that are about to submit (requests parsed in this turn of the event
      // loop, writers just released by the previous commit) join the group before it commits.
      await nextTurn();
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, this.maxGroup);
        try {
          const inserted = await this.store.insertEach(group.map((w) => w.row));
          for (const w of group) w.resolve(inserted.has(rowKey(w.row.tenantId, w.row.eventId)));
        } catch (e) {
          for (const w of group) w.reject(e);
        }
        await nextTurn();
      }
    } finally {
      this.flushing = false;
    }
  }
}

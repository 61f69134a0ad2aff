// The control plane's deadline queue (fastd keeps its peer tasks in one too, src/task.c): a
// binary min-heap of items, each in it at most once at the time it is next due. Queueing,
// moving and removing an item is O(log n) and the earliest is at the top, so the timer wakes
// for what is due and visits nothing else: with 1,000 idle peers, a peer a few times a minute
// instead of every peer every second. Items carry their own place in the heap.

/** What the queue keeps on an item: its due time and where it sits (-1: not queued). */
export interface Deadline {
  queuedAt: number;
  heapSlot: number;
}

export class DeadlineQueue<T extends Deadline> {
  private readonly heap: T[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** The earliest due time; Infinity when nothing is queued. */
  get nextDue(): number {
    return this.heap.length > 0 ? this.heap[0]!.queuedAt : Infinity;
  }

  /** Queues `item` at `due`, moving it when it is queued already; Infinity takes it out. */
  set(item: T, due: number): void {
    if (due === Infinity) {
      this.remove(item);
      return;
    }
    if (item.heapSlot < 0) {
      item.heapSlot = this.heap.length;
      this.heap.push(item);
    }
    const earlier = due < item.queuedAt;
    item.queuedAt = due;
    if (earlier) this.up(item.heapSlot);
    else this.down(item.heapSlot);
  }

  remove(item: T): void {
    const slot = item.heapSlot;
    if (slot < 0) return;
    item.heapSlot = -1;
    item.queuedAt = Infinity;
    const last = this.heap.pop()!;
    if (slot === this.heap.length) return;
    this.heap[slot] = last;
    last.heapSlot = slot;
    this.up(slot);
    this.down(last.heapSlot);
  }

  /** Takes out and returns the earliest item when it is due at `now`; undefined otherwise. */
  popDue(now: number): T | undefined {
    const first = this.heap[0];
    if (first === undefined || first.queuedAt > now) return undefined;
    this.remove(first);
    return first;
  }

  private up(slot: number): void {
    const heap = this.heap;
    const item = heap[slot]!;
    while (slot > 0) {
      const parentSlot = (slot - 1) >> 1;
      const parent = heap[parentSlot]!;
      if (parent.queuedAt <= item.queuedAt) break;
      heap[slot] = parent;
      parent.heapSlot = slot;
      slot = parentSlot;
    }
    heap[slot] = item;
    item.heapSlot = slot;
  }

  private down(slot: number): void {
    const heap = this.heap;
    const item = heap[slot]!;
    const count = heap.length;
    for (;;) {
      let child = 2 * slot + 1;
      if (child >= count) break;
      if (child + 1 < count && heap[child + 1]!.queuedAt < heap[child]!.queuedAt) child++;
      const next = heap[child]!;
      if (next.queuedAt >= item.queuedAt) break;
      heap[slot] = next;
      next.heapSlot = slot;
      slot = child;
    }
    heap[slot] = item;
    item.heapSlot = slot;
  }
}

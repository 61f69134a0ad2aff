// The counters of a worker's I/O objects as the statistics timer sums them: one object per
// live socket or interface, plus the total of those removed, so that figures survive their
// object and the list does not grow with every peer that comes and goes.

/** `T`: an object of number fields only (IoCounters, OffloadCounters). */
export class CounterTotals<T extends { [K in keyof T]: number }> {
  /** The removed objects' total first, then the live objects' counters. */
  readonly list: T[];

  constructor(private readonly removed: T) {
    this.list = [removed];
  }

  add(counters: T): void {
    this.list.push(counters);
  }

  /** `counters` belong to an object that goes: their figures move into the total. */
  remove(counters: T): void {
    const at = this.list.indexOf(counters);
    if (at <= 0) return;
    this.list.splice(at, 1);
    for (const key of Object.keys(counters) as (keyof T)[]) (this.removed[key] as number) += counters[key];
  }
}

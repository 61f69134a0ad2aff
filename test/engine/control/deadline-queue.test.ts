// The deadline queue: items come out in due order, each once, and moving or removing one
// keeps the heap in order (checked against a sorted list over random operations).
import { describe, expect, it } from 'vitest';
import { type Deadline, DeadlineQueue } from '../../../src/engine/control/deadline-queue.ts';

interface Item extends Deadline {
  readonly name: number;
}

const item = (name: number): Item => ({ name, queuedAt: Infinity, heapSlot: -1 });

describe('deadline queue', () => {
  it('gives out only what is due, earliest first; Infinity takes an item out', () => {
    const queue = new DeadlineQueue<Item>();
    const [a, b, c] = [item(1), item(2), item(3)];
    queue.set(a, 30);
    queue.set(b, 10);
    queue.set(c, 20);
    expect(queue.nextDue).toBe(10);
    expect(queue.popDue(5)).toBeUndefined();
    queue.set(c, Infinity);
    expect(c.heapSlot).toBe(-1);
    expect(queue.size).toBe(2);
    expect(queue.popDue(40)).toBe(b);
    expect(queue.popDue(40)).toBe(a);
    expect(queue.popDue(40)).toBeUndefined();
    expect(queue.nextDue).toBe(Infinity);
  });

  it('stays in order over random queueing, moving and removing', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const queue = new DeadlineQueue<Item>();
    const items = Array.from({ length: 200 }, (_, i) => item(i));
    for (let step = 0; step < 5_000; step++) {
      const target = items[Math.floor(random() * items.length)]!;
      if (random() < 0.2) queue.remove(target);
      else queue.set(target, Math.floor(random() * 1_000));
    }
    const expected = items.filter((entry) => entry.heapSlot >= 0).map((entry) => entry.queuedAt).sort((x, y) => x - y);
    expect(queue.size).toBe(expected.length);
    const order: number[] = [];
    while (queue.size > 0) {
      order.push(queue.nextDue);
      expect(queue.popDue(queue.nextDue)!.heapSlot).toBe(-1);
    }
    expect(order).toEqual(expected);
  });
});

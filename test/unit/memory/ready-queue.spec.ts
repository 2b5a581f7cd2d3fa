import { describe, expect, it } from '@jest/globals';
import { ReadyQueue } from '../../../lib/memory/ready-queue.js';

interface Entry {
  priority: number;
  seq: number;
  name: string;
}

function entries(spec: Array<[string, number]>): Entry[] {
  return spec.map(([name, priority], i) => ({ name, priority, seq: i + 1 }));
}

function popAll(queue: ReadyQueue<Entry>): string[] {
  const names: string[] = [];
  for (let entry = queue.pop(); entry !== undefined; entry = queue.pop()) names.push(entry.name);
  return names;
}

describe('ReadyQueue', () => {
  it('pops higher priorities first and equal priorities in the order they were pushed', () => {
    const queue = new ReadyQueue<Entry>();
    for (const entry of entries([['a', 0], ['b', 5], ['c', 0], ['d', -3], ['e', 5], ['f', 1_000_000]])) queue.push(entry);
    expect(queue.size).toBe(6);
    expect(popAll(queue)).toEqual(['f', 'b', 'e', 'a', 'c', 'd']);
    expect(queue.size).toBe(0);
    expect(queue.pop()).toBeUndefined();
  });

  it('puts an entry handed back at its place by seq, ahead of younger ones of its priority', () => {
    const queue = new ReadyQueue<Entry>();
    const [a, b, c, d] = entries([['a', 1], ['b', 1], ['c', 1], ['d', 1]]);
    for (const entry of [a, b, c, d]) queue.push(entry);
    expect(queue.pop()).toBe(a);
    expect(queue.pop()).toBe(b);
    // a and b were set aside; handed back in either order, they run in their original order.
    queue.insert(b);
    queue.insert(a);
    expect(popAll(queue)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('inserts by seq into a level that has not been popped from', () => {
    const queue = new ReadyQueue<Entry>();
    const [a, b, c] = entries([['a', 2], ['b', 2], ['c', 2]]);
    queue.push(a);
    queue.push(c);
    queue.insert(b);
    expect(popAll(queue)).toEqual(['a', 'b', 'c']);
  });

  it('keeps its order across the compaction of a long level', () => {
    const queue = new ReadyQueue<Entry>();
    const all = Array.from({ length: 5000 }, (_, i) => ({ name: String(i), priority: i % 2, seq: i + 1 }));
    for (const entry of all) queue.push(entry);
    const expected = [...all.filter((e) => e.priority === 1), ...all.filter((e) => e.priority === 0)].map((e) => e.name);
    const first = Array.from({ length: 3000 }, () => queue.pop()!.name);
    // More arrive at both levels while the first are consumed.
    const later = Array.from({ length: 10 }, (_, i) => ({ name: `late${i}`, priority: i % 2, seq: 10_000 + i }));
    for (const entry of later) queue.push(entry);
    const rest = popAll(queue);
    expect(first).toEqual(expected.slice(0, 3000));
    expect(rest).toEqual([
      ...expected.slice(3000).filter((name) => all[Number(name)].priority === 1),
      ...later.filter((e) => e.priority === 1).map((e) => e.name),
      ...expected.slice(3000).filter((name) => all[Number(name)].priority === 0),
      ...later.filter((e) => e.priority === 0).map((e) => e.name),
    ]);
  });

  it('drains everything it holds, highest priority first, and is empty after', () => {
    const queue = new ReadyQueue<Entry>();
    for (const entry of entries([['a', 0], ['b', 3], ['c', 0]])) queue.push(entry);
    expect(queue.drain().map((e) => e.name)).toEqual(['b', 'a', 'c']);
    expect(queue.size).toBe(0);
    queue.push({ name: 'd', priority: 0, seq: 9 });
    expect(popAll(queue)).toEqual(['d']);
  });
});

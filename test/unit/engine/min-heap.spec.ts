import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { type HeapEntry, MinHeap } from '../../../lib/engine/min-heap.js';

interface Entry extends HeapEntry {
  name: string;
}

function entry(name: string, key: number, seq: number): Entry {
  return { name, key, seq, heapIndex: -1 };
}

function popAll(heap: MinHeap<Entry>): string[] {
  const names: string[] = [];
  for (let next = heap.pop(); next !== undefined; next = heap.pop()) names.push(next.name);
  return names;
}

function before(a: Entry, b: Entry): boolean {
  return a.key < b.key || (a.key === b.key && a.seq < b.seq);
}

/** Whether the entries' indices fill the heap's array and no child comes before its parent. */
function inHeapOrder(held: ReadonlySet<Entry>): boolean {
  const items: Entry[] = [];
  for (const e of held) items[e.heapIndex] = e;
  if (items.length !== held.size || items.includes(undefined as never)) return false;
  for (let i = 1; i < items.length; i++) if (before(items[i], items[(i - 1) >> 1])) return false;
  return true;
}

describe('MinHeap', () => {
  it('pops by key, then by seq among equal keys, whatever order they were pushed in', () => {
    const heap = new MinHeap<Entry>();
    const pushed = [entry('c2', 3, 2), entry('a', 1, 9), entry('c1', 3, 1), entry('z', -5, 7), entry('c3', 3, 3), entry('b', 2, 4)];
    for (const e of pushed) heap.push(e);
    expect(heap.size).toBe(6);
    expect(popAll(heap)).toEqual(['z', 'a', 'b', 'c1', 'c2', 'c3']);
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
  });

  it('peeks at the smallest without taking it out', () => {
    const heap = new MinHeap<Entry>();
    expect(heap.peek()).toBeUndefined();
    const small = entry('small', 1, 2);
    heap.push(entry('big', 5, 1));
    heap.push(small);
    expect(heap.peek()).toBe(small);
    expect(heap.peek()).toBe(small);
    expect(heap.size).toBe(2);
    expect(heap.pop()).toBe(small);
    expect(heap.peek()?.name).toBe('big');
  });

  it('keeps each entry’s heapIndex at its position, and sets it to -1 once popped', () => {
    const heap = new MinHeap<Entry>();
    const all = Array.from({ length: 20 }, (_, i) => entry(String(i), (i * 7) % 11, i));
    for (const e of all) heap.push(e);
    const positions = all.map((e) => e.heapIndex).sort((a, b) => a - b);
    expect(positions).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const top = heap.pop()!;
    expect(top.heapIndex).toBe(-1);
    expect(all.filter((e) => e !== top).every((e) => e.heapIndex >= 0 && e.heapIndex < heap.size)).toBe(true);
  });

  it('removes an entry from the middle, and the rest still pop in order', () => {
    const heap = new MinHeap<Entry>();
    const all = Array.from({ length: 15 }, (_, i) => entry(`e${i}`, i, i));
    for (const e of all) heap.push(e);
    const middle = all[7];
    expect(middle.heapIndex).toBeGreaterThan(0);
    heap.remove(middle);
    expect(middle.heapIndex).toBe(-1);
    expect(heap.size).toBe(14);
    expect(popAll(heap)).toEqual(all.filter((e) => e !== middle).map((e) => e.name));
  });

  it('treats removing an entry it does not hold as a no-op', () => {
    const heap = new MinHeap<Entry>();
    const held = entry('held', 1, 1);
    heap.push(held);
    const stranger = entry('stranger', 0, 0);
    heap.remove(stranger);
    const popped = entry('popped', 0, 2);
    heap.push(popped);
    heap.pop();
    heap.remove(popped);
    // An entry of another heap that happens to carry an index this heap uses.
    const other = new MinHeap<Entry>();
    const foreign = entry('foreign', 0, 3);
    other.push(foreign);
    heap.remove(foreign);
    expect(heap.size).toBe(1);
    expect(heap.peek()).toBe(held);
    expect(other.peek()).toBe(foreign);
  });

  it('removes the last entry and the top entry', () => {
    const heap = new MinHeap<Entry>();
    const [a, b, c] = [entry('a', 1, 1), entry('b', 2, 2), entry('c', 3, 3)];
    for (const e of [a, b, c]) heap.push(e);
    heap.remove(a);
    expect(heap.peek()).toBe(b);
    heap.remove(c);
    expect(popAll(heap)).toEqual(['b']);
  });

  it('drains everything it holds, resets their heapIndex, and is empty and usable after', () => {
    const heap = new MinHeap<Entry>();
    const all = [entry('a', 2, 1), entry('b', 1, 2), entry('c', 3, 3)];
    for (const e of all) heap.push(e);
    const drained = heap.drain();
    expect(drained.map((e) => e.name).sort()).toEqual(['a', 'b', 'c']);
    expect(all.every((e) => e.heapIndex === -1)).toBe(true);
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    heap.push(entry('d', 0, 4));
    expect(popAll(heap)).toEqual(['d']);
  });

  it('keeps heap order and pops sorted by (key, seq) after any sequence of pushes, removes and pops', () => {
    const op = fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('push' as const), key: fc.integer({ min: -5, max: 5 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('pop' as const) }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150, size: 'max' }), (ops) => {
        const heap = new MinHeap<Entry>();
        const held = new Set<Entry>();
        let seq = 0;
        const byKeyThenSeq = (a: Entry, b: Entry) => a.key - b.key || a.seq - b.seq;
        for (const step of ops) {
          if (step.kind === 'push') {
            const e = entry(String(seq), step.key, seq++);
            heap.push(e);
            held.add(e);
          } else if (step.kind === 'remove' && held.size > 0) {
            const victim = [...held][step.pick % held.size];
            heap.remove(victim);
            held.delete(victim);
            expect(victim.heapIndex).toBe(-1);
          } else if (step.kind === 'pop') {
            let expected: Entry | undefined;
            for (const e of held) if (expected === undefined || before(e, expected)) expected = e;
            expect(heap.pop()).toBe(expected);
            if (expected !== undefined) held.delete(expected);
          }
          if (heap.size !== held.size || !inHeapOrder(held)) {
            throw new Error(`heap out of order after ${JSON.stringify(step)}`);
          }
        }
        const rest: Entry[] = [];
        for (let next = heap.pop(); next !== undefined; next = heap.pop()) rest.push(next);
        expect(rest).toEqual([...held].sort(byKeyThenSeq));
      }),
    );
  });
});

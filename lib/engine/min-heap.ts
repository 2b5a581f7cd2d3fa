/** What a heap holds: ordered by `key`, then by `seq` (both ascending). */
export interface HeapEntry {
  key: number;
  seq: number;
  /** Position in the heap's array, or -1 when not in a heap. */
  heapIndex: number;
}

/**
 * An array-backed binary min-heap with O(log n) push, pop and remove.
 *
 * One comparison for every use in the engine — the ready queue keys records by
 * `-priority`, the timer queues by due time — and `seq` breaks ties, which is
 * what makes the order stable (FIFO within a priority). Entries carry their own
 * index, so removal needs no search and the heap allocates nothing per entry.
 */
export class MinHeap<T extends HeapEntry> {
  #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(entry: T): void {
    const items = this.#items;
    entry.heapIndex = items.length;
    items.push(entry);
    this.#up(entry.heapIndex);
  }

  pop(): T | undefined {
    const items = this.#items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (last !== top) {
      items[0] = last;
      last.heapIndex = 0;
      this.#down(0);
    }
    top.heapIndex = -1;
    return top;
  }

  /** Removes an entry from anywhere in the heap; a no-op for an entry it does not hold. */
  remove(entry: T): void {
    const items = this.#items;
    const index = entry.heapIndex;
    if (index < 0 || items[index] !== entry) return;
    const last = items.pop()!;
    entry.heapIndex = -1;
    if (last === entry) return;
    items[index] = last;
    last.heapIndex = index;
    this.#down(index);
    this.#up(last.heapIndex);
  }

  /** What the heap holds, in no particular order (a view: do not change it). */
  values(): readonly T[] {
    return this.#items;
  }

  /** Empties the heap and hands back what it held, in no particular order. */
  drain(): T[] {
    const items = this.#items;
    this.#items = [];
    for (const entry of items) entry.heapIndex = -1;
    return items;
  }

  #up(index: number): void {
    const items = this.#items;
    const entry = items[index];
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex];
      if (!before(entry, parent)) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = entry;
    entry.heapIndex = index;
  }

  #down(index: number): void {
    const items = this.#items;
    const length = items.length;
    const entry = items[index];
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      const right = child + 1;
      if (right < length && before(items[right], items[child])) child = right;
      const best = items[child];
      if (!before(best, entry)) break;
      items[index] = best;
      best.heapIndex = index;
      index = child;
    }
    items[index] = entry;
    entry.heapIndex = index;
  }
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.key < b.key || (a.key === b.key && a.seq < b.seq);
}

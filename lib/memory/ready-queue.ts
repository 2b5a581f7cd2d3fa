import { type HeapEntry, MinHeap } from '../engine/min-heap.js';

/** What a ready queue holds: its priority, and the order it became ready in (`seq`, ascending). */
export interface ReadyEntry {
  readonly priority: number;
  seq: number;
}

/** The entries of one priority, oldest first: an array used as a queue from `head`. */
class Level<T extends ReadyEntry> implements HeapEntry {
  key: number;
  seq = 0;
  heapIndex = -1;
  items: Array<T | undefined> = [];
  head = 0;

  constructor(readonly priority: number) {
    this.key = 0 - priority;
  }
}

/** The index of the first live entry of `level` whose `seq` is not below `seq` (binary search: a level is in `seq` order). */
function firstAtOrAfter<T extends ReadyEntry>(level: Level<T>, seq: number): number {
  const items = level.items;
  let low = level.head;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (items[middle]!.seq < seq) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Below this many consumed slots a level's array is not worth compacting. */
const COMPACT_AFTER = 1024;

/**
 * The stable priority queue of jobs ready to run: one FIFO per priority level,
 * and a heap of the non-empty levels. Higher priority first; within a level,
 * lower `seq` first.
 *
 * Why not one binary heap of jobs: jobs mostly share a few priorities, so a
 * push or pop here is an array operation (plus O(log levels) when a level
 * empties or appears) instead of O(log n) comparisons that chase pointers
 * through the whole queue — several times cheaper with a thousand jobs
 * waiting, and far cheaper with a million. Order is the same: a job always
 * joins the back of its level, except a job handed back after being set aside
 * (`insert`), which goes back to its place by `seq`.
 */
export class ReadyQueue<T extends ReadyEntry> {
  readonly #levels = new Map<number, Level<T>>();
  readonly #heap = new MinHeap<Level<T>>();
  #last: Level<T> | null = null;
  #levelSeq = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds an entry behind every entry of its priority. */
  push(entry: T): void {
    const level = this.#level(entry.priority);
    level.items.push(entry);
    this.#size++;
  }

  /** Adds an entry at its place by `seq` within its priority (for entries handed back). */
  insert(entry: T): void {
    const level = this.#level(entry.priority);
    const items = level.items;
    const low = firstAtOrAfter(level, entry.seq);
    if (low === items.length) {
      items.push(entry);
    } else if (level.head > 0) {
      // Entries handed back are among the oldest: shift the few before them into the free slot.
      items.copyWithin(level.head - 1, level.head, low);
      level.head--;
      items[low - 1] = entry;
    } else {
      items.splice(low, 0, entry);
    }
    this.#size++;
  }

  pop(): T | undefined {
    const level = this.#heap.peek();
    if (level === undefined) return undefined;
    const items = level.items;
    const entry = items[level.head]!;
    items[level.head++] = undefined;
    this.#size--;
    if (level.head === items.length) {
      this.#heap.pop();
      this.#levels.delete(level.priority);
      if (this.#last === level) this.#last = null;
    } else if (level.head >= COMPACT_AFTER && level.head * 2 >= items.length) {
      items.copyWithin(0, level.head);
      items.length -= level.head;
      level.head = 0;
    }
    return entry;
  }

  /** Takes an entry out from anywhere (O(level size)); false when the queue does not hold it. */
  remove(entry: T): boolean {
    const level = this.#levels.get(entry.priority);
    if (level === undefined) return false;
    const items = level.items;
    const low = firstAtOrAfter(level, entry.seq);
    if (items[low] !== entry) return false;
    items.splice(low, 1);
    this.#size--;
    if (level.head === items.length) {
      this.#heap.remove(level);
      this.#levels.delete(level.priority);
      if (this.#last === level) this.#last = null;
    }
    return true;
  }

  /** Every entry, in the order `pop` would hand them out (a copy). */
  values(): T[] {
    return this.page(undefined, Number.MAX_SAFE_INTEGER);
  }

  /**
   * Up to `limit` entries in the order `pop` would hand them out, strictly
   * after the position `[priority, seq]` (from the first when undefined):
   * levels are skipped whole and the position found by binary search.
   */
  page(after: readonly [number, number] | undefined, limit: number): T[] {
    const levels = [...this.#levels.values()].sort((a, b) => b.priority - a.priority);
    const out: T[] = [];
    for (const level of levels) {
      if (out.length >= limit) break;
      const items = level.items;
      let start = level.head;
      if (after !== undefined) {
        if (level.priority > after[0]) continue;
        // Seqs are integers: the first entry after `after` is the first at or after its seq + 1.
        if (level.priority === after[0]) start = firstAtOrAfter(level, after[1] + 1);
      }
      for (let i = start; i < items.length && out.length < limit; i++) out.push(items[i]!);
    }
    return out;
  }

  /** Empties the queue and hands back what it held, highest priority first. */
  drain(): T[] {
    const out: T[] = [];
    for (let entry = this.pop(); entry !== undefined; entry = this.pop()) out.push(entry);
    return out;
  }

  #level(priority: number): Level<T> {
    const last = this.#last;
    if (last !== null && last.priority === priority) return last;
    let level = this.#levels.get(priority);
    if (level === undefined) {
      level = new Level<T>(priority);
      level.seq = ++this.#levelSeq;
      this.#levels.set(priority, level);
      this.#heap.push(level);
    }
    this.#last = level;
    return level;
  }
}

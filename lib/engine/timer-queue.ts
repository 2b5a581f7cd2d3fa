import type { Clock, TimerHandle } from './clock.js';
import { MAX_TIMER_MS } from './limits.js';
import { type HeapEntry, MinHeap } from './min-heap.js';

/**
 * Many deadlines on one timer: entries wait in a heap ordered by due time
 * (ties in the order they were added) and a single clock timer is armed for
 * the earliest. The timer is re-armed only when an earlier entry arrives, so
 * adding later entries — the common case — costs a heap push and nothing else.
 */
export class TimerQueue<T extends HeapEntry> {
  readonly #clock: Clock;
  readonly #onDue: (entry: T) => void;
  #keepAlive: boolean;
  readonly #heap = new MinHeap<T>();
  #seq = 0;
  #timer: TimerHandle | undefined;
  #armedFor = Infinity;

  /** @param keepAlive whether the armed timer keeps the process alive (changeable with `keepAlive()`). */
  constructor(clock: Clock, onDue: (entry: T) => void, keepAlive: boolean) {
    this.#clock = clock;
    this.#onDue = onDue;
    this.#keepAlive = keepAlive;
  }

  keepAlive(keepAlive: boolean): void {
    this.#keepAlive = keepAlive;
    if (this.#timer !== undefined) this.#clock.ref(this.#timer, keepAlive);
  }

  get size(): number {
    return this.#heap.size;
  }

  add(entry: T, due: number): void {
    entry.key = due;
    entry.seq = ++this.#seq;
    this.#heap.push(entry);
    if (due < this.#armedFor) this.#arm(due);
  }

  /** Takes an entry out; its timer, if armed for it, fires later and finds nothing due. */
  remove(entry: T): void {
    this.#heap.remove(entry);
  }

  /** The entries waiting, in no particular order (`key` is the due time; a view: do not change it). */
  values(): readonly T[] {
    return this.#heap.values();
  }

  /** Empties the queue without firing anything and stops the timer. */
  drain(): T[] {
    this.#disarm();
    return this.#heap.drain();
  }

  #arm(due: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#armedFor = due;
    // Round up: a timer never fires before the entry is due (and #fire re-checks).
    // Node fires a longer timer after 1 ms: past the bound, wake at the bound and re-arm.
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(due - this.#clock.now())));
    this.#timer = this.#clock.setTimeout(this.#fire, ms, !this.#keepAlive);
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const heap = this.#heap;
    const now = this.#clock.now();
    let next = heap.peek();
    while (next !== undefined && next.key <= now) {
      heap.pop();
      this.#onDue(next);
      next = heap.peek();
    }
    // onDue may have armed the timer for an entry it added.
    if (next !== undefined && next.key < this.#armedFor) this.#arm(next.key);
  };
}

import { getEventListeners, setMaxListeners } from 'node:events';
import type { Clock } from './clock.js';
import type { HeapEntry } from './min-heap.js';
import { TimerQueue } from './timer-queue.js';

/**
 * The attempts whose deadlines fall in one slot share one `AbortSignal`, which
 * aborts at the slot's end: at each attempt's own deadline or up to
 * `granularityMs` after it, never before.
 *
 * Why share: creating an `AbortController` costs several microseconds — more
 * than a whole job's budget — while a slot of a few milliseconds serves every
 * attempt that starts in it. A bucket lives while an attempt holds it (or while
 * it is some holder's current bucket, so that back-to-back short attempts reuse
 * it instead of creating a controller each); when the last reference goes, it
 * leaves the timer queue, and its controller, if untouched, serves a later bucket.
 */
export class DeadlineBucket implements HeapEntry {
  key = 0;
  seq = 0;
  heapIndex = -1;
  /** Attempts running on this bucket's signal. */
  live = 0;
  /** Holders whose current bucket this is. */
  holders = 0;
  readonly signal: AbortSignal;

  constructor(readonly controller: AbortController) {
    this.signal = controller.signal;
  }
}

/** How many spare controllers to keep: enough for the slots a burst of short attempts walks through. */
const POOL_SIZE = 32;

function newController(): AbortController {
  const controller = new AbortController();
  // Handlers may add a listener each; with the signal shared, Node's default
  // of ten would print MaxListenersExceededWarning.
  setMaxListeners(0, controller.signal);
  return controller;
}

/** The own properties of a signal nobody has touched (AbortSignal.any adds one to its sources). */
const PRISTINE_KEYS = Reflect.ownKeys(newController().signal).length;

/** Something that starts attempts one after another and keeps its current bucket (a job type). */
export interface BucketHolder {
  bucket: DeadlineBucket | null;
}

export class DeadlineSignals {
  readonly #granularity: number;
  readonly #timers: TimerQueue<DeadlineBucket>;
  readonly #byDue = new Map<number, DeadlineBucket>();
  readonly #onExpire: (bucket: DeadlineBucket) => void;
  /** Controllers of buckets that ended unaborted and untouched, ready for new buckets. */
  readonly #spare: AbortController[] = [];
  /** Attempts holding a bucket, across all buckets. */
  #live = 0;

  /**
   * @param onExpire called after a bucket that still has running attempts
   *   aborts at its deadline, so the owner can fail those attempts.
   */
  constructor(clock: Clock, granularityMs: number, onExpire: (bucket: DeadlineBucket) => void) {
    this.#granularity = granularityMs;
    this.#onExpire = onExpire;
    // The timer keeps the process alive only while an attempt runs: a handler
    // that waits on nothing but its signal still gets its timeout, and an idle
    // engine holds nothing open.
    this.#timers = new TimerQueue(clock, this.#expire, false);
  }

  /** The bucket whose signal aborts at `deadline` (ms) or just after; the caller must `release` it. */
  acquire(deadline: number, holder: BucketHolder): DeadlineBucket {
    const due = Math.ceil(deadline / this.#granularity) * this.#granularity;
    let bucket = holder.bucket;
    if (bucket === null || bucket.key !== due) {
      bucket = this.#byDue.get(due) ?? null;
      if (bucket === null) {
        bucket = new DeadlineBucket(this.#spare.pop() ?? newController());
        this.#byDue.set(due, bucket);
        this.#timers.add(bucket, due);
      }
      bucket.holders++;
      const previous = holder.bucket;
      holder.bucket = bucket;
      if (previous !== null) {
        previous.holders--;
        this.#dropIfUnused(previous);
      }
    }
    bucket.live++;
    if (this.#live++ === 0) this.#timers.keepAlive(true);
    return bucket;
  }

  /** Called once for every `acquire`, when the attempt settles. */
  release(bucket: DeadlineBucket): void {
    bucket.live--;
    if (--this.#live === 0) this.#timers.keepAlive(false);
    this.#dropIfUnused(bucket);
  }

  /** Aborts every signal an attempt still holds (shutdown's deadline). */
  abortAll(reason: unknown): void {
    for (const bucket of this.#byDue.values()) {
      if (bucket.live > 0) bucket.controller.abort(reason);
    }
  }

  /** Forgets every bucket and stops the timer. */
  close(): void {
    this.#live = 0;
    this.#timers.drain();
    this.#byDue.clear();
    this.#spare.length = 0;
  }

  #dropIfUnused(bucket: DeadlineBucket): void {
    if (bucket.live === 0 && bucket.holders === 0 && this.#byDue.get(bucket.key) === bucket) {
      this.#byDue.delete(bucket.key);
      this.#timers.remove(bucket);
      this.#recycle(bucket.controller);
    }
  }

  /**
   * Creating an AbortController is slow, slower still in a mostly idle
   * process, and under load a new slot starts every few ms: reusing
   * controllers took a visible share off CPU per job and submit-to-start
   * latency (figures in docs/ARCHITECTURE.md). A bucket that ends without aborting hands
   * its controller on, but only if nobody listens to its signal and nothing
   * was derived from it (AbortSignal.any), so no listener of a finished
   * attempt can fire for a later one. A handler that kept the bare signal past
   * its attempt may see it abort later, as it already may when its slot is
   * shared with attempts still running.
   */
  #recycle(controller: AbortController): void {
    const signal = controller.signal;
    if (
      this.#spare.length < POOL_SIZE &&
      !signal.aborted &&
      getEventListeners(signal, 'abort').length === 0 &&
      Reflect.ownKeys(signal).length === PRISTINE_KEYS
    ) {
      this.#spare.push(controller);
    }
  }

  readonly #expire = (bucket: DeadlineBucket): void => {
    this.#byDue.delete(bucket.key);
    if (bucket.live === 0) return;
    bucket.controller.abort(timeoutReason());
    this.#onExpire(bucket);
  };
}

function timeoutReason(): DOMException {
  return new DOMException('The job attempt timed out', 'TimeoutError');
}

/**
 * The reference the issue calls a "bare binary heap": a max-heap on
 * (priority desc, submission order asc) of plain records, K async worker loops
 * that pop and await the handler, and `submit` returning a promise settled when
 * the job finishes. No timeouts, no retries, no events: the floor a full-featured
 * queue is measured against.
 */
export type Work = (payload: number) => Promise<void>;

interface HeapJob {
  handler: Work;
  payload: number;
  priority: number;
  seq: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function before(a: HeapJob, b: HeapJob): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq);
}

export class BareHeapQueue {
  readonly #items: HeapJob[] = [];
  readonly #sleepers: Array<() => void> = [];
  #seq = 0;
  #running = 0;
  #started = false;
  #sizeWaiter: { limit: number; resolve: () => void } | null = null;
  #idleWaiter: (() => void) | null = null;

  constructor(private readonly workers: number) {}

  get size(): number {
    return this.#items.length;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (let i = 0; i < this.workers; i++) void this.#loop();
  }

  submit(handler: Work, payload: number, priority: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#push({ handler, payload, priority, seq: this.#seq++, resolve, reject });
      const sleeper = this.#sleepers.pop();
      if (sleeper !== undefined) sleeper();
    });
  }

  onSizeLessThan(limit: number): Promise<void> {
    if (this.#items.length < limit) return Promise.resolve();
    return new Promise((resolve) => (this.#sizeWaiter = { limit, resolve }));
  }

  onIdle(): Promise<void> {
    if (this.#items.length === 0 && this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#idleWaiter = resolve));
  }

  async #loop(): Promise<void> {
    for (;;) {
      const job = this.#pop();
      if (job === undefined) {
        if (this.#running === 0 && this.#idleWaiter !== null) {
          const resolve = this.#idleWaiter;
          this.#idleWaiter = null;
          resolve();
        }
        await new Promise<void>((wake) => this.#sleepers.push(wake));
        continue;
      }
      const waiter = this.#sizeWaiter;
      if (waiter !== null && this.#items.length < waiter.limit) {
        this.#sizeWaiter = null;
        waiter.resolve();
      }
      this.#running++;
      try {
        await job.handler(job.payload);
        job.resolve();
      } catch (error) {
        job.reject(error);
      }
      this.#running--;
    }
  }

  #push(job: HeapJob): void {
    const items = this.#items;
    let index = items.length;
    items.push(job);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(job, items[parent])) break;
      items[index] = items[parent];
      index = parent;
    }
    items[index] = job;
  }

  #pop(): HeapJob | undefined {
    const items = this.#items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    const length = items.length;
    if (length > 0) {
      let index = 0;
      for (;;) {
        let child = 2 * index + 1;
        if (child >= length) break;
        if (child + 1 < length && before(items[child + 1], items[child])) child++;
        if (!before(items[child], last)) break;
        items[index] = items[child];
        index = child;
      }
      items[index] = last;
    }
    return top;
  }
}

import type { Clock } from '../engine/clock.js';
import type { HeapEntry } from '../engine/min-heap.js';
import { nextTick, type ScheduleRequest, scheduleRecord } from '../engine/schedules.js';
import { TimerQueue } from '../engine/timer-queue.js';
import type { ScheduleRecord } from '../interfaces/schedule.interface.js';

/** What the schedules need from the engine: submit a tick's job, and see or remove that job while it is pending. */
export interface TickHost<J> {
  /** Submits one job for a tick (never refused: a schedule has at most one pending job). */
  enqueueTick(request: ScheduleRequest): J;
  /** Whether the job still waits or is delayed (not running, not finished). */
  isPending(job: J): boolean;
  /** Takes a pending job out of the queue (as if never submitted). */
  removePending(job: J): void;
}

/** One schedule on the timer queue: its request, and the job its last tick submitted. */
class MemorySchedule<J> implements HeapEntry {
  key = 0;
  seq = 0;
  heapIndex = -1;
  pending: J | null = null;

  constructor(
    public request: ScheduleRequest,
    /** When it ticks next. */
    public next: number,
  ) {}
}

/**
 * The in-memory engine's schedules: every schedule on one timer (a
 * `TimerQueue`, no interval per schedule). A tick whose previous job still
 * waits submits nothing; ticks missed while the loop was blocked are not
 * replayed. Nothing survives a restart, and `close()` stops every tick.
 */
export class MemorySchedules<J> {
  readonly #clock: Clock;
  readonly #host: TickHost<J>;
  readonly #timers: TimerQueue<MemorySchedule<J>>;
  readonly #byKey = new Map<string, MemorySchedule<J>>();
  #closed = false;

  constructor(clock: Clock, host: TickHost<J>) {
    this.#clock = clock;
    this.#host = host;
    this.#timers = new TimerQueue(clock, this.#onTick, true);
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Creates or replaces a schedule. An `every` schedule replaced by the same interval keeps its next tick. */
  set(request: ScheduleRequest): ScheduleRecord {
    const now = this.#clock.now();
    const existing = this.#byKey.get(request.key);
    let next: number;
    if (existing !== undefined && existing.request.every !== undefined && existing.request.every === request.every) {
      next = existing.next;
    } else {
      next = request.every !== undefined ? now + request.every : nextTick(request, now, now);
    }
    if (existing !== undefined) this.#timers.remove(existing);
    const schedule = new MemorySchedule<J>(request, next);
    // The replaced schedule's pending job still counts as this key's: no second one.
    if (existing !== undefined) schedule.pending = existing.pending;
    this.#byKey.set(request.key, schedule);
    if (!this.#closed) this.#timers.add(schedule, next);
    return scheduleRecord(request.key, request.handler.type, request, next);
  }

  /** Removes a schedule and its pending job; false for an unknown key. */
  delete(key: string): boolean {
    const schedule = this.#byKey.get(key);
    if (schedule === undefined) return false;
    this.#byKey.delete(key);
    this.#timers.remove(schedule);
    if (schedule.pending !== null && this.#host.isPending(schedule.pending)) this.#host.removePending(schedule.pending);
    return true;
  }

  list(): ScheduleRecord[] {
    return [...this.#byKey.values()].map(({ request, next }) => scheduleRecord(request.key, request.handler.type, request, next));
  }

  /** Applies the declared schedules (nothing was kept across the restart, so there is nothing to prune). */
  reconcile(declared: readonly ScheduleRequest[]): void {
    for (const request of declared) this.set(request);
  }

  /** Stops every tick (at shutdown: intake has stopped). The schedules stay listed. */
  close(): void {
    this.#closed = true;
    this.#timers.drain();
  }

  readonly #onTick = (schedule: MemorySchedule<J>): void => {
    const { request } = schedule;
    if (schedule.pending === null || !this.#host.isPending(schedule.pending)) schedule.pending = this.#host.enqueueTick(request);
    const now = this.#clock.now();
    schedule.next = nextTick(request, Math.max(now, schedule.next), schedule.next);
    this.#timers.add(schedule, schedule.next);
  };
}

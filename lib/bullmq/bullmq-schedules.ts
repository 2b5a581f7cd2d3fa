import type { JobSchedulerJson, JobSchedulerTemplateOptions, Queue } from 'bullmq';
import { DEFAULT_TIMEZONE, type ScheduleRequest, scheduleRecord } from '../engine/schedules.js';
import type { RegisteredHandler } from '../engine/jobs-driver.js';
import type { ScheduleRecord } from '../interfaces/schedule.interface.js';
import { isDeclaredSchedule, scheduledJobData } from './job-codec.js';

/** A job type's BullMQ queue, as the schedules see it. */
export interface ScheduleQueue {
  readonly handler: RegisteredHandler;
  readonly queue: Queue;
}

/**
 * Schedules on BullMQ's job schedulers: one scheduler per key, in the queue
 * of its job type. Redis holds them, so every process sees the same ones and
 * a tick becomes one job, run once across the cluster. BullMQ adds a tick's
 * job only once the previous one has started: a job that still waits makes
 * the ticks behind it pass, and missed ticks are not replayed.
 */
export class BullmqSchedules {
  constructor(
    private readonly queues: () => readonly ScheduleQueue[],
    /** BullMQ options of a tick's job (priority, attempts, backoff, removal), as a submit would set them. */
    private readonly jobOptions: (priority: number, maxRetries: number) => JobSchedulerTemplateOptions,
  ) {}

  /** Creates or replaces the scheduler `request.key` in its type's queue, and drops a scheduler of that key from other types' queues. */
  async set(target: ScheduleQueue, request: ScheduleRequest): Promise<ScheduleRecord> {
    const { key, handler, every, cron, timezone } = request;
    await Promise.all(this.queues().filter((other) => other !== target).map((other) => this.#remove(other.queue, key)));
    // BullMQ starts an `every` scheduler at once unless told a start date: the contract says one interval later.
    const repeat = every !== undefined ? { every, tz: timezone, startDate: Date.now() + every } : { pattern: cron!, tz: timezone };
    const timeout = request.timeout !== handler.timeout ? request.timeout : undefined;
    await target.queue.upsertJobScheduler(key, repeat, {
      name: handler.type,
      data: scheduledJobData(request.payload, timeout, request.declared),
      opts: this.jobOptions(request.priority, request.maxRetries),
    });
    const stored = await target.queue.getJobScheduler(key);
    return toRecord(handler.type, stored ?? { key, name: handler.type, every, pattern: cron, tz: timezone, next: Date.now() });
  }

  /** Removes the scheduler `key` from whichever queue holds it, with its pending job; false when none does. */
  async delete(key: string): Promise<boolean> {
    const removed = await Promise.all(this.queues().map(({ queue }) => this.#remove(queue, key)));
    return removed.includes(true);
  }

  async list(): Promise<ScheduleRecord[]> {
    const perQueue = await Promise.all(
      this.queues().map(async ({ handler, queue }) => (await queue.getJobSchedulers(0, -1, true)).map((json) => toRecord(handler.type, json))),
    );
    return perQueue.flat();
  }

  /**
   * Start-up: applies the declared schedules, and removes the declared
   * schedulers of handled types whose code declares none any more. Schedulers
   * made by `schedule()` carry no mark and are left alone.
   */
  async reconcile(declared: readonly ScheduleRequest[]): Promise<void> {
    const declaredTypes = new Set(declared.map((request) => request.handler.type));
    await Promise.all(
      this.queues().map(async ({ handler, queue }) => {
        if (declaredTypes.has(handler.type)) return;
        const stale = await queue.getJobScheduler(handler.type);
        if (stale !== undefined && isDeclaredSchedule(stale.template?.data)) await this.#remove(queue, handler.type);
      }),
    );
    for (const request of declared) {
      const target = this.queues().find((queue) => queue.handler === request.handler);
      if (target !== undefined) await this.set(target, request);
    }
  }

  /**
   * Removes a scheduler and its pending job: BullMQ removes the delayed one;
   * a tick's job that is due and still waiting goes too (a running one stays).
   */
  async #remove(queue: Queue, key: string): Promise<boolean> {
    const stored = await queue.getJobScheduler(key);
    if (stored === undefined) return false;
    await queue.removeJobScheduler(key);
    if (stored.next !== undefined) await queue.remove(`repeat:${key}:${stored.next}`).catch(() => 0);
    return true;
  }
}

function toRecord(type: string, json: JobSchedulerJson): ScheduleRecord {
  const spec = { cron: json.pattern ?? undefined, every: json.every ? Number(json.every) : undefined, timezone: json.tz ?? DEFAULT_TIMEZONE };
  return scheduleRecord(json.key, type, spec, Number(json.next ?? 0));
}

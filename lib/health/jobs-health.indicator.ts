import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { JobQueue, type JobsMetrics, type JobsStatus, type ScheduleRecordJson } from '../index.js';

/** A schedule as the indicator reports it (never its payload): `listSchedules()`'s record, `next` as an ISO 8601 string. */
export type JobsHealthSchedule = ScheduleRecordJson;

/** What the indicator reports under its key: never ids nor payloads. */
export type JobsHealthDetails = JobsMetrics & {
  /** The schedules and their next run, when there are any. */
  schedules?: JobsHealthSchedule[];
  /** The queue's lifecycle state: `running` when healthy. */
  state: JobsStatus['state'];
  /** With a distributed driver: whether its broker answers, and what it reports. */
  broker?: NonNullable<JobsStatus['broker']>;
  /** Why the indicator is down. */
  reason?: string;
};

/**
 * Terminus health indicator for the jobs of this process: list it in the
 * providers of a module that imports `TerminusModule`, then
 * `health.check([() => jobs.isHealthy()])`.
 */
@Injectable()
export class JobsHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly queue: JobQueue,
  ) {}

  /**
   * `up` while the workers run and the queue has room; `down` (never a throw)
   * while shutting down or after, before start, when the queue is full, when
   * every worker is stuck past its timeout, or when the broker is unreachable.
   */
  isHealthy<const Key extends string = 'jobs'>(key: Key = 'jobs' as Key): HealthIndicatorResult<Key> {
    const { state, broker, schedules } = this.queue.status();
    const details: JobsHealthDetails = { ...this.queue.metrics(), state };
    if (broker !== undefined) details.broker = { ...broker };
    if (schedules !== undefined) {
      details.schedules = schedules.map(({ key, type, cron, every, timezone, next }) => ({
        key,
        type,
        ...(cron !== undefined ? { cron } : { every }),
        timezone,
        next: next.toISOString(),
      }));
    }
    const reason = downReason(details);
    const session = this.health.check(key);
    // Spread: an interface has no index signature, a spread object does.
    if (reason === undefined) return session.up({ ...details });
    return session.down({ ...details, reason });
  }
}

function downReason({ state, broker, waiting, delayed, queueSize, stuck, workers }: JobsHealthDetails): string | undefined {
  if (state !== 'running') return `the job queue is ${state === 'created' ? 'not started yet' : 'shutting down'} (state: ${state})`;
  if (broker !== undefined && broker.status === 'down') return 'the broker cannot be reached';
  if (waiting + delayed >= queueSize) return `the queue is full: ${waiting + delayed} of ${queueSize} jobs waiting or delayed`;
  if (stuck >= workers) return `every worker is stuck: ${stuck} attempts past their timeout have not settled`;
  return undefined;
}

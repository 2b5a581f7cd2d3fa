/**
 * Type-level test, checked by `tsc -p test/types` (npm run typecheck): a
 * `JobTypes` augmentation applies to the whole compilation, so it lives apart
 * from the other tests. Each `@ts-expect-error` fails the check if the line
 * compiles.
 */
import { Injectable } from '@nestjs/common';
import { type Job, JobHandler, type JobQueue, type ScheduleRecordJson } from '../../lib/index.js';
import type { JobsHealthSchedule } from '../../lib/health/index.js';

declare module '../../lib/index.js' {
  interface JobTypes {
    email: { to: string; subject?: string };
    report: { id: number };
  }
}

export async function producer(jobs: JobQueue): Promise<void> {
  const job = await jobs.submit('email', { to: 'a@example.com' });
  const to: string = job.payload.to;
  void to;
  await jobs.submit('report', { id: 7 }, { priority: 5 });

  // @ts-expect-error - wrong payload for a declared type
  await jobs.submit('email', { to: 42 });
  // @ts-expect-error - missing payload field
  await jobs.submit('report', {});
  // @ts-expect-error - undeclared job type
  await jobs.submit('sms', { to: 'x' });

  const record = await jobs.schedule('nightly-report', 'report', { id: 1 }, { cron: '0 3 * * *', timezone: 'Europe/Paris' });
  const next: Date = record.next;
  void next;
  // As JSON (health details, the dashboard's API): the same fields, `next` an ISO string.
  const json: ScheduleRecordJson = { ...record, next: record.next.toISOString() };
  const inHealth: JobsHealthSchedule = json;
  void inHealth;
  // @ts-expect-error - as JSON, next is a string, not a Date
  const notJson: ScheduleRecordJson = record;
  void notJson;
  // @ts-expect-error - a schedule's payload is checked like a submit's
  await jobs.schedule('nightly-report', 'report', { id: 'one' }, { every: 60_000 });
  // @ts-expect-error - a schedule ticks by cron or every
  await jobs.schedule('nightly-report', 'report', { id: 1 }, { delay: 5 });
}

@Injectable()
export class ScheduledHandlers {
  @JobHandler('report', { schedule: { every: 60_000 }, rateLimit: { max: 5, duration: 1000 } })
  async hourly(): Promise<void> {}

  // @ts-expect-error - cron and every exclude each other
  @JobHandler('email', { schedule: { cron: '* * * * *', every: 1000 } })
  async both(): Promise<void> {}
}

@Injectable()
export class Handlers {
  @JobHandler('email')
  async send(job: Job<'email'>, signal: AbortSignal): Promise<void> {
    const to: string = job.payload.to;
    void to;
    void signal;
  }

  @JobHandler('report', { timeout: 1000 })
  async report(job: Job<{ id: number }>): Promise<void> {
    // @ts-expect-error - a declared payload's fields keep their types
    const id: string = job.payload.id;
    void id;
  }

  // @ts-expect-error - the handler's job parameter does not match the declared payload
  @JobHandler('report')
  async wrong(job: Job<{ id: string }>): Promise<void> {
    void job;
  }

  // @ts-expect-error - undeclared job type
  @JobHandler('sms')
  async sms(): Promise<void> {}
}

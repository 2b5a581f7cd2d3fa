import { Injectable } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { CronExpressionParser } from 'cron-parser';
import {
  InvalidJobError,
  type Job,
  JobHandler,
  type JobEvent,
  type ScheduleOptions,
  UnknownJobTypeError,
} from '../../lib/index.js';
import { startApp, type TestApp } from '../support/app.js';
import { until } from '../support/bullmq-app.js';
import { type Deferred, deferred } from '../support/deferred.js';
import { driverFixtures } from '../support/drivers.js';

@Injectable()
class ReportService {
  readonly runs: Job[] = [];
  gate: Deferred | null = null;
  @JobHandler('report', { concurrency: 1 })
  async run(job: Job<{ n: number }>): Promise<void> {
    this.runs.push(job);
    if (this.gate !== null) await this.gate.promise;
  }
}

@Injectable()
class OtherService {
  @JobHandler('other')
  run(): void {}
}

@Injectable()
class DeclaringDigest {
  @JobHandler('digest', { schedule: { every: 60_000, payload: { kind: 'daily' } } })
  run(): void {}
}

@Injectable()
class PlainDigest {
  @JobHandler('digest')
  run(): void {}
}

@Injectable()
class SecondsDigest {
  readonly runs: Job[] = [];
  @JobHandler('digest', { schedule: { cron: '* * * * * *', payload: { kind: 'every-second' } } })
  run(job: Job): void {
    this.runs.push(job);
  }
}

const invalid: Array<[string, ScheduleOptions, string]> = [
  ['neither cron nor every', {}, 'schedule: set exactly one of "cron" (a cron expression) or "every"'],
  ['both cron and every', { cron: '* * * * *', every: 1000 }, 'set exactly one of "cron" or "every", not both'],
  ['a cron that does not parse', { cron: '61 * * * *' }, 'schedule: option "cron" must be a cron expression of 5 fields'],
  ['a cron of 7 fields', { cron: '* * * * * * *' }, '(it has 7)'],
  ['a cron alias', { cron: '@daily' }, '(it has 1)'],
  ['every below 1000 ms', { every: 999 }, 'schedule: option "every" must be an integer from 1000 to 2147483647 (ms), got 999.'],
  ['a fractional every', { every: 1000.5 }, 'option "every"'],
  ['an unknown timezone', { every: 1000, timezone: 'Mars/Olympus' }, 'schedule: option "timezone" must be an IANA timezone name'],
  ['a bad priority', { every: 1000, priority: 0.5 }, 'schedule: option "priority"'],
  ['an unknown option', { every: 1000, delay: 5 } as ScheduleOptions, 'schedule: unknown option "delay"'],
];

describe.each(driverFixtures)('$name driver: schedules', (fixture) => {
  let open: TestApp[] = [];
  beforeAll(() => fixture.setup());
  afterAll(() => fixture.teardown());
  afterEach(async () => {
    for (const t of open.splice(0)) await t.close();
  });

  async function app(providers: Array<new (...args: never[]) => unknown>, restart = false): Promise<TestApp> {
    const t = await startApp({ workers: 2, queueSize: 10 }, { providers }, fixture, restart);
    open.push(t);
    return t;
  }

  const startedOf = (t: TestApp, type: string): JobEvent[] => t.events.filter((e) => e.kind === 'started' && e.job.type === type);

  it('an every schedule ticks one interval after schedule(), each tick one job with the payload; the upcoming tick is not a job', async () => {
    const t = await app([ReportService]);
    const before = Date.now();
    const record = await t.jobs.schedule('hourly-report', 'report', { n: 7 }, { every: 1000 });
    const after = Date.now();
    expect(record).toEqual({ key: 'hourly-report', type: 'report', every: 1000, timezone: 'UTC', next: expect.any(Date) });
    expect(record.next.getTime()).toBeGreaterThanOrEqual(before + 1000);
    expect(record.next.getTime()).toBeLessThanOrEqual(after + 1000);
    // Not counted as waiting or delayed, and onIdle does not wait for it.
    await t.jobs.onIdle();
    expect(t.jobs.metrics()).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
    const first = await t.nextEvent((e) => e.kind === 'completed' && e.job.type === 'report');
    expect(first.job.payload).toEqual({ n: 7 });
    expect(Date.now()).toBeGreaterThanOrEqual(record.next.getTime());
    expect(await t.jobs.listSchedules()).toEqual([{ ...record, next: expect.any(Date) }]);
  });

  it('a cron schedule in a timezone ticks when cron-parser says', async () => {
    const t = await app([ReportService]);
    const now = new Date();
    const record = await t.jobs.schedule('paris-morning', 'report', { n: 1 }, { cron: '0 9 * * *', timezone: 'Europe/Paris' });
    const expected = CronExpressionParser.parse('0 9 * * *', { currentDate: now, tz: 'Europe/Paris' }).next().getTime();
    expect(record).toEqual({ key: 'paris-morning', type: 'report', cron: '0 9 * * *', timezone: 'Europe/Paris', next: new Date(expected) });
    expect(await t.jobs.listSchedules()).toEqual([record]);
  });

  it('a 6-field cron (seconds first) ticks every second', async () => {
    const t = await app([ReportService]);
    const record = await t.jobs.schedule('per-second', 'report', { n: 2 }, { cron: '*/1 * * * * *' });
    expect(record.next.getTime() % 1000).toBe(0);
    const done = await t.nextEvent((e) => e.kind === 'completed' && e.job.type === 'report');
    expect(done.job.payload).toEqual({ n: 2 });
  });

  it('scheduling a key again replaces it (upsert), even for another type', async () => {
    const t = await app([ReportService, OtherService]);
    await t.jobs.schedule('nightly', 'report', { n: 1 }, { cron: '0 3 * * *' });
    const replaced = await t.jobs.schedule('nightly', 'other', { n: 2 }, { every: 3_600_000 });
    expect(replaced).toMatchObject({ key: 'nightly', type: 'other', every: 3_600_000, timezone: 'UTC' });
    expect(replaced.cron).toBeUndefined();
    expect(await t.jobs.listSchedules()).toEqual([replaced]);
  });

  it('unschedule removes the schedule and resolves false for an unknown key', async () => {
    const t = await app([ReportService]);
    await t.jobs.schedule('a', 'report', { n: 1 }, { every: 60_000 });
    await t.jobs.schedule('b', 'report', { n: 2 }, { every: 60_000 });
    await expect(t.jobs.unschedule('a')).resolves.toBe(true);
    await expect(t.jobs.unschedule('a')).resolves.toBe(false);
    await expect(t.jobs.unschedule('never-made')).resolves.toBe(false);
    expect((await t.jobs.listSchedules()).map((s) => s.key)).toEqual(['b']);
  });

  it('at most one job of a schedule is pending: ticks behind a waiting one pass; unschedule removes the pending one', async () => {
    const t = await app([ReportService]);
    const service = t.app.get(ReportService);
    service.gate = deferred();
    await t.jobs.schedule('slow', 'report', { n: 3 }, { every: 1000 });
    // Tick 1 runs and holds the type's only slot; tick 2's job is pending behind it
    // (waiting; on BullMQ a due job stays in Redis's delayed set until a worker of its type is free).
    const pending = () => t.jobs.metrics().waiting + t.jobs.metrics().delayed;
    await t.nextEvent((e) => e.kind === 'started' && e.job.type === 'report');
    const tick2 = (await t.jobs.listSchedules())[0].next.getTime();
    await until(() => Date.now() > tick2 + 600 && pending() === 1);
    // Ticks 3 and 4 come while tick 2's job is still pending: they submit nothing.
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expect(pending()).toBe(1);
    await expect(t.jobs.unschedule('slow')).resolves.toBe(true);
    await until(() => pending() === 0);
    service.gate.resolve();
    await t.jobs.onIdle();
    expect(service.runs).toHaveLength(1);
    expect(startedOf(t, 'report')).toHaveLength(1);
  }, 15_000);

  it('rejects an unknown type with UnknownJobTypeError', async () => {
    const t = await app([ReportService]);
    await expect(t.jobs.schedule('k', 'sms', {}, { every: 1000 })).rejects.toThrow(UnknownJobTypeError);
    await expect(t.jobs.schedule('k', 'sms', {}, { every: 1000 })).rejects.toThrow('No handler for job type "sms". Known types: "report".');
  });

  it.each(invalid)('rejects %s with InvalidJobError naming the field, creating nothing', async (_name, options, message) => {
    const t = await app([ReportService]);
    const pending = t.jobs.schedule('k', 'report', { n: 1 }, options);
    await expect(pending).rejects.toThrow(InvalidJobError);
    await expect(pending).rejects.toThrow(message);
    expect(await t.jobs.listSchedules()).toEqual([]);
  });

  it('rejects a key that is not a non-empty string', async () => {
    const t = await app([ReportService]);
    await expect(t.jobs.schedule('', 'report', {}, { every: 1000 })).rejects.toThrow('schedule: "key" must be a string of 1 to 256 characters, got "".');
    await expect(t.jobs.unschedule(42 as unknown as string)).rejects.toThrow('unschedule: "key" must be a string of 1 to 256 characters, got 42.');
  });

  it('a declared schedule has key = type and runs its payload', async () => {
    const t = await app([SecondsDigest]);
    const [record] = await t.jobs.listSchedules();
    expect(record).toMatchObject({ key: 'digest', type: 'digest', cron: '* * * * * *', timezone: 'UTC' });
    const done = await t.nextEvent((e) => e.kind === 'completed' && e.job.type === 'digest');
    expect(done.job.payload).toEqual({ kind: 'every-second' });
  });

  it('start-up removes a declared schedule the code no longer declares, and leaves schedule() ones alone', async () => {
    const first = await app([DeclaringDigest]);
    await first.jobs.schedule('digest-weekly', 'digest', {}, { cron: '0 8 * * 1' });
    expect((await first.jobs.listSchedules()).map((s) => s.key).sort()).toEqual(['digest', 'digest-weekly']);
    await first.close();
    open = open.filter((t) => t !== first);

    // The next release handles "digest" without a schedule.
    const second = await app([PlainDigest], true);
    const keys = (await second.jobs.listSchedules()).map((s) => s.key);
    // The in-memory engine keeps nothing across a restart; a broker keeps what schedule() made.
    expect(keys).toEqual(fixture.capabilities.durableQueue ? ['digest-weekly'] : []);
  });

  it('a declared schedule applied again at the next start stays one schedule', async () => {
    const first = await app([DeclaringDigest]);
    const [before] = await first.jobs.listSchedules();
    await first.close();
    open = open.filter((t) => t !== first);
    const second = await app([DeclaringDigest], true);
    const after = await second.jobs.listSchedules();
    expect(after).toEqual([{ key: 'digest', type: 'digest', every: 60_000, timezone: 'UTC', next: expect.any(Date) }]);
    if (fixture.capabilities.durableQueue) expect(after[0].next).toEqual(before.next);
  });

  it('stops ticking at shutdown', async () => {
    const t = await app([ReportService]);
    await t.jobs.schedule('k', 'report', { n: 1 }, { every: 1000 });
    await t.close();
    open = [];
    await expect(t.jobs.schedule('k2', 'report', { n: 1 }, { every: 1000 })).rejects.toThrow('shutting down');
  });
});

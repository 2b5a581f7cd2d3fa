import { Injectable } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  InvalidJobError,
  type Job,
  JobHandler,
  JobsError,
  QueueFullError,
  type SubmitOptions,
  UnknownJobTypeError,
} from '../../lib/index.js';
import { deferred } from '../support/deferred.js';
import { driverFixtures } from '../support/drivers.js';
import { startApp } from '../support/app.js';

@Injectable()
class HeldService {
  gate = deferred();
  @JobHandler('held')
  async run(_job: Job): Promise<void> {
    await this.gate.promise;
  }
}

const invalid: Array<[string, SubmitOptions, string]> = [
  ['an id with a space', { id: 'a b' }, 'submit: option "id" must be 1–128 characters of A-Z a-z 0-9 _ . - and not all digits, got "a b".'],
  ['an all-digit id', { id: '12345' }, 'got "12345"'],
  ['an empty id', { id: '' }, 'got "".'],
  ['an id of 129 characters', { id: 'x'.repeat(129) }, 'option "id"'],
  ['a fractional priority', { priority: 1.5 }, 'submit: option "priority" must be an integer from -1000000 to 1000000, got 1.5.'],
  ['a priority out of range', { priority: 1_000_001 }, 'got 1000001'],
  ['a NaN timeout', { timeout: Number.NaN }, 'submit: option "timeout" must be an integer from 1 to 2147483647, got NaN.'],
  ['a zero timeout', { timeout: 0 }, 'option "timeout" must be an integer from 1 to 2147483647, got 0'],
  ['a timeout of 2^31 ms', { timeout: 2 ** 31 }, 'option "timeout" must be an integer from 1 to 2147483647, got 2147483648'],
  ['a delay of 1e10 ms', { delay: 1e10 }, 'submit: option "delay" must be an integer from 0 to 2147483647, got 10000000000.'],
  ['a negative maxRetries', { maxRetries: -1 }, 'submit: option "maxRetries" must be an integer >= 0, got -1.'],
  ['a string delay', { delay: '10' as unknown as number }, 'submit: option "delay" must be an integer from 0 to 2147483647, got the string "10": convert it with Number()'],
  ['an unknown option', { prio: 1 } as SubmitOptions, 'submit: unknown option "prio". Known options: id, priority, maxRetries, timeout, delay.'],
];

describe.each(driverFixtures)('$name driver: submit', (fixture) => {
  beforeAll(() => fixture.setup());
  afterAll(() => fixture.teardown());

  it('rejects an unknown type, naming the known ones, as a rejected promise', async () => {
    const t = await startApp({ workers: 1, queueSize: 5 }, { providers: [HeldService] }, fixture);
    const pending = t.jobs.submit('sms', {});
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).rejects.toThrow(UnknownJobTypeError);
    await expect(t.jobs.submit('sms', {})).rejects.toThrow('No handler for job type "sms". Known types: "held".');
    expect(t.jobs.metrics().rejected).toBe(2);
    await t.close();
  });

  it.each(invalid)('rejects %s with InvalidJobError naming the option and value, leaving no trace', async (_name, options, message) => {
    const t = await startApp({ workers: 1, queueSize: 5 }, { providers: [HeldService] }, fixture);
    const pending = t.jobs.submit('held', {}, options);
    await expect(pending).rejects.toThrow(InvalidJobError);
    await expect(pending).rejects.toThrow(message);
    await expect(pending).rejects.toBeInstanceOf(JobsError);
    expect(t.events).toEqual([]);
    expect(t.jobs.metrics()).toMatchObject({ waiting: 0, delayed: 0, active: 0, rejected: 1 });
    await t.close();
  });

  it('rejects with QueueFullError at the bound, and accepts again once there is room', async () => {
    const t = await startApp({ workers: 1, queueSize: 2 }, { providers: [HeldService] }, fixture);
    const running = await t.jobs.submit('held', {});
    await t.nextEvent((event) => event.kind === 'started' && event.job.id === running.id);
    await t.jobs.submit('held', {});
    await t.jobs.submit('held', {}, { delay: 60_000 });
    await expect(t.jobs.submit('held', {})).rejects.toThrow(QueueFullError);
    expect(t.jobs.metrics()).toMatchObject({ waiting: 1, delayed: 1, active: 1, rejected: 1 });
    t.app.get(HeldService).gate.resolve();
    await t.jobs.onSizeLessThan(2);
    await expect(t.jobs.submit('held', {})).resolves.toMatchObject({ type: 'held' });
    await t.close();
  });
});

import { Injectable } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Job, JobHandler, UnrecoverableJobError } from '../../lib/index.js';
import { driverFixtures } from '../support/drivers.js';
import { startApp } from '../support/app.js';

/** Fails its first `failures` attempts, each in a different way, then succeeds. */
@Injectable()
class FlakyService {
  attempts: number[] = [];
  @JobHandler('flaky', { maxRetries: 3, backoff: { delay: 5 } })
  async run(job: Job<{ failures: number }>): Promise<string> {
    this.attempts.push(job.attempts);
    if (job.attempts < job.payload.failures) {
      if (job.attempts === 0) throw new Error('first failure');
      // A non-Error throw is a failure like any other.
      throw 'second failure';
    }
    return 'ok';
  }

  @JobHandler('doomed', { maxRetries: 5 })
  async doomed(): Promise<void> {
    throw new UnrecoverableJobError('the invoice does not exist');
  }

  @JobHandler('slow', { timeout: 40, maxRetries: 1, backoff: { delay: 1 } })
  async slow(_job: Job, signal: AbortSignal): Promise<void> {
    // A handler that honours its signal: it ends as soon as the attempt times out.
    await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  }
}

describe.each(driverFixtures)('$name driver: failures', (fixture) => {
  beforeAll(() => fixture.setup());
  afterAll(() => fixture.teardown());

  it('retries failed attempts (thrown errors and non-Error throws) and reports each', async () => {
    const t = await startApp({ workers: 2, queueSize: 10 }, { providers: [FlakyService] }, fixture);
    const job = await t.jobs.submit('flaky', { failures: 2 });
    await t.nextEvent((event) => event.kind === 'completed' && event.job.id === job.id);
    expect(t.app.get(FlakyService).attempts).toEqual([0, 1, 2]);
    expect(t.kindsOf(job.id)).toEqual(['submitted', 'started', 'retrying', 'started', 'retrying', 'started', 'completed']);
    const retries = t.events.filter((event) => event.kind === 'retrying');
    expect(retries.map((event) => [event.job.attempts, event.error])).toEqual([
      [0, 'first failure'],
      [1, 'second failure'],
    ]);
    expect(retries.every((event) => typeof event.durationMs === 'number')).toBe(true);
    const completed = t.events.find((event) => event.kind === 'completed')!;
    expect(completed.job).toMatchObject({ attempts: 2, error: 'second failure' });
    expect(t.jobs.metrics()).toMatchObject({ processed: 1, retried: 2, failed: 0 });
    expect(t.logger.at('warn').filter((line) => line.includes(job.id))).toHaveLength(2);
    await t.close();
  });

  it('fails a job for good once its retries are spent, and logs it at error', async () => {
    const t = await startApp({ workers: 1, queueSize: 10 }, { providers: [FlakyService] }, fixture);
    const job = await t.jobs.submit('flaky', { failures: 10 }, { maxRetries: 1 });
    const failed = await t.nextEvent((event) => event.kind === 'failed' && event.job.id === job.id);
    expect(failed.error).toBe('second failure');
    expect(failed.job).toMatchObject({ attempts: 1, maxRetries: 1 });
    expect(t.jobs.metrics()).toMatchObject({ failed: 1, retried: 1, processed: 0 });
    expect(t.logger.at('error')).toContain(`Job ${job.id} (flaky) failed after 2 attempt(s): second failure`);
    await t.close();
  });

  it('fails a job at once when its handler throws UnrecoverableJobError', async () => {
    const t = await startApp({ workers: 1, queueSize: 10 }, { providers: [FlakyService] }, fixture);
    const job = await t.jobs.submit('doomed', {});
    const failed = await t.nextEvent((event) => event.kind === 'failed' && event.job.id === job.id);
    expect(failed.error).toBe('the invoice does not exist');
    expect(t.kindsOf(job.id)).toEqual(['submitted', 'started', 'failed']);
    await t.close();
  });

  it('aborts the signal of an attempt at its timeout, fails the attempt and retries it', async () => {
    const t = await startApp({ workers: 1, queueSize: 10 }, { providers: [FlakyService] }, fixture);
    const job = await t.jobs.submit('slow', {});
    const failed = await t.nextEvent((event) => event.kind === 'failed' && event.job.id === job.id);
    expect(failed.error).toBe('Attempt timed out after 40 ms');
    expect(failed.durationMs).toBeGreaterThanOrEqual(40);
    expect(t.kindsOf(job.id)).toEqual(['submitted', 'started', 'retrying', 'started', 'failed']);
    await t.jobs.onIdle();
    expect(t.jobs.metrics().active).toBe(0);
    await t.close();
  });
});

import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { type Job, JobHandler } from '../../../lib/index.js';
import { type BullmqApp, nextEvent, startBullmqApp } from '../../support/bullmq-app.js';
import { describeWithRedis } from '../../support/drivers.js';
import { deleteKeys, type RedisEndpoint, sharedRedis, stopSharedRedis, uniquePrefix } from '../../support/redis.js';

/** When each attempt started and when a failing one threw (Date.now(), the clock BullMQ schedules by). */
@Injectable()
class Timed {
  readonly startedAt: number[] = [];
  readonly failedAt: number[] = [];

  @JobHandler('timed', { maxRetries: 1, backoff: { delay: 100, factor: 1 } })
  run(job: Job<{ failFirst?: boolean }>): void {
    this.startedAt.push(Date.now());
    if (job.payload?.failFirst && job.attempts === 0) {
      this.failedAt.push(Date.now());
      throw new Error('first attempt fails');
    }
  }
}

/**
 * Delays and backoffs run on BullMQ's timers: they must keep the in-memory
 * engine's timing within a few tens of ms. The upper bounds leave room for a
 * loaded machine and still fail clearly on whole-second blocking timeouts (~1 s).
 */
describeWithRedis('BullMQ driver timing on real Redis', () => {
  let redis: RedisEndpoint;
  const prefixes: string[] = [];
  const apps: BullmqApp[] = [];

  beforeAll(async () => {
    redis = await sharedRedis();
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const prefix of prefixes) await deleteKeys(redis.connection, prefix);
    await stopSharedRedis();
  });

  async function start(): Promise<BullmqApp & { timed: Timed }> {
    const prefix = uniquePrefix('timing');
    prefixes.push(prefix);
    const app = await startBullmqApp([Timed], { workers: 2, queueSize: 100, shutdownTimeout: 2000 }, { connection: redis.connection, prefix });
    apps.push(app);
    return Object.assign(app, { timed: app.get(Timed) });
  }

  it('starts a job with delay 300 between 300 and 500 ms after submit', async () => {
    const app = await start();
    const submittedAt = Date.now();
    const job = await app.jobs.submit('timed', {}, { delay: 300 });
    await nextEvent(app, 'completed', job.id);
    const waited = app.timed.startedAt[0] - submittedAt;
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(500);
  });

  it('starts a retry with backoff delay 100 between 100 and 400 ms after the failed attempt', async () => {
    const app = await start();
    const job = await app.jobs.submit('timed', { failFirst: true });
    await nextEvent(app, 'completed', job.id);
    expect(app.timed.startedAt).toHaveLength(2);
    const waited = app.timed.startedAt[1] - app.timed.failedAt[0];
    expect(waited).toBeGreaterThanOrEqual(100);
    expect(waited).toBeLessThan(400);
  });
});

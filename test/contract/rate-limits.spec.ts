import { Injectable } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { type Job, JobHandler } from '../../lib/index.js';
import { startApp, type TestApp } from '../support/app.js';
import { until } from '../support/bullmq-app.js';
import { driverFixtures } from '../support/drivers.js';
import { busiestWindow, WINDOW_TOLERANCE_MS as TOLERANCE_MS } from '../support/rate-windows.js';

@Injectable()
class ApiService {
  readonly starts: number[] = [];
  @JobHandler('api', { rateLimit: { max: 2, duration: 1000 } })
  call(_job: Job): void {
    this.starts.push(Date.now());
  }
}

@Injectable()
class FastService {
  @JobHandler('fast')
  run(): void {}
}

describe.each(driverFixtures)('$name driver: rate limits', (fixture) => {
  const open: TestApp[] = [];
  beforeAll(() => fixture.setup());
  afterAll(() => fixture.teardown());
  afterEach(async () => {
    for (const t of open.splice(0)) await t.close();
  });

  async function app(): Promise<TestApp> {
    const t = await startApp({ workers: 4, queueSize: 50 }, { providers: [ApiService, FastService] }, fixture);
    open.push(t);
    return t;
  }

  it('starts at most `max` attempts per window; the rest wait, spend no attempt and all complete', async () => {
    const t = await app();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await t.jobs.submit('api', { i })).id);
    await until(() => t.jobs.metrics().processed === 6);
    const starts = t.app.get(ApiService).starts;
    expect(starts).toHaveLength(6);
    expect(busiestWindow(starts, 1000)).toBeLessThanOrEqual(2);
    // Six jobs at two per window take three windows.
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(2000 - TOLERANCE_MS);
    for (const id of ids) expect(t.kindsOf(id)).toEqual(expect.arrayContaining(['started', 'completed']));
    expect(t.events.filter((e) => e.kind === 'started').every((e) => e.job.attempts === 0)).toBe(true);
    expect(t.jobs.metrics()).toMatchObject({ processed: 6, failed: 0, retried: 0 });
  }, 15_000);

  it('shows the jobs held by the limit as rateLimited (and waiting) in metrics() and metricsByType()', async () => {
    const t = await app();
    for (let i = 0; i < 5; i++) await t.jobs.submit('api', { i });
    await until(() => t.jobs.metrics().rateLimited > 0);
    const { rateLimited, waiting } = t.jobs.metrics();
    expect(rateLimited).toBeLessThanOrEqual(3);
    expect(waiting).toBeGreaterThanOrEqual(rateLimited);
    expect(t.jobs.metricsByType().api.rateLimited).toBe(rateLimited);
    expect(t.jobs.metricsByType().fast.rateLimited).toBe(0);
    await until(() => t.jobs.metrics().processed === 5);
    await until(() => t.jobs.metrics().rateLimited === 0);
  }, 15_000);

  it('a limited type does not hold up other types (no head-of-line blocking)', async () => {
    const t = await app();
    for (let i = 0; i < 4; i++) await t.jobs.submit('api', { i });
    const fast = await t.jobs.submit('fast', {});
    await t.nextEvent((e) => e.kind === 'completed' && e.job.id === fast.id);
    const api = t.app.get(ApiService);
    // The fast job ran while api's second window had not opened yet.
    expect(api.starts.length).toBeLessThanOrEqual(2);
    await until(() => t.jobs.metrics().processed === 5);
  }, 15_000);
});

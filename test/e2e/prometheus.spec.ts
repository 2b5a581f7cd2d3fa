import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { register, Registry } from 'prom-client';
import { type Job, JobHandler, JobQueue, JobsModule } from 'nestjs-jobs';
import { JobsPrometheusModule, type JobsPrometheusOptions } from 'nestjs-jobs/prometheus';
import { type Deferred, deferred } from '../support/deferred.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';

@Injectable()
class Handlers {
  readonly held: Deferred[] = [];
  readonly started: Deferred[] = [deferred(), deferred(), deferred()];

  @JobHandler('email')
  email(_job: Job<{ to: string }>): Promise<void> {
    const done = deferred();
    this.started[this.held.length]?.resolve();
    this.held.push(done);
    return done.promise;
  }

  @JobHandler('sms', { maxRetries: 0 })
  sms(): never {
    throw new Error('no signal');
  }
}

@Injectable()
class LimitedHandlers {
  @JobHandler('push', { rateLimit: { max: 1, duration: 60_000 } })
  push(): void {}
}

const apps: TestingModule[] = [];

async function startApp(options: JobsPrometheusOptions, workers = 1): Promise<TestingModule> {
  @Module({
    imports: [JobsModule.forRoot({ workers, queueSize: 1, shutdownTimeout: 1_000 }), JobsPrometheusModule.register(options)],
    providers: [Handlers],
  })
  class MetricsAppModule {}
  const app = await Test.createTestingModule({ imports: [MetricsAppModule] }).compile();
  app.useLogger(false);
  await app.init();
  apps.push(app);
  return app;
}

async function scrape(registry: Registry) {
  return parsePrometheusText(await registry.metrics()).samples;
}

afterEach(async () => {
  for (const app of apps.splice(0)) {
    for (const done of app.get(Handlers).held) done.resolve();
    await app.close();
  }
});

describe('JobsPrometheusModule', () => {
  it('shows the jobs held by a rate limit in nestjs_jobs_rate_limited, per type', async () => {
    const registry = new Registry();
    @Module({
      imports: [JobsModule.forRoot({ workers: 4, queueSize: 10, shutdownTimeout: 1_000 }), JobsPrometheusModule.register({ registry })],
      providers: [Handlers, LimitedHandlers],
    })
    class LimitedAppModule {}
    const app = await Test.createTestingModule({ imports: [LimitedAppModule] }).compile();
    app.useLogger(false);
    await app.init();
    apps.push(app);
    const jobs = app.get(JobQueue);
    const firstDone = new Promise<void>((resolve) => jobs.events$.subscribe((e) => e.kind === 'completed' && resolve()));
    await jobs.submit('push', {});
    await firstDone;
    await jobs.submit('push', {});
    await jobs.submit('push', {});
    const samples = await scrape(registry);
    expect(sampleValue(samples, 'nestjs_jobs_rate_limited', { type: 'push' })).toBe(2);
    expect(sampleValue(samples, 'nestjs_jobs_waiting', { type: 'push' })).toBe(2);
    expect(sampleValue(samples, 'nestjs_jobs_rate_limited', { type: 'email' })).toBe(0);
  });

  it('counts completions per type and reads queue depths at scrape time', async () => {
    const registry = new Registry();
    const app = await startApp({ registry });
    const jobs = app.get(JobQueue);
    const handlers = app.get(Handlers);
    await jobs.submit('email', { to: 'a@example.com' });
    await handlers.started[0]!.promise;
    await jobs.submit('email', { to: 'b@example.com' });
    await expect(jobs.submit('email', { to: 'c@example.com' })).rejects.toThrow(/full/);
    let samples = await scrape(registry);
    expect(sampleValue(samples, 'nestjs_jobs_active', { type: 'email' })).toBe(1);
    expect(sampleValue(samples, 'nestjs_jobs_waiting', { type: 'email' })).toBe(1);
    expect(sampleValue(samples, 'nestjs_jobs_rejected_total')).toBe(1);
    handlers.held[0]!.resolve();
    await handlers.started[1]!.promise;
    handlers.held[1]!.resolve();
    await jobs.onIdle();
    samples = await scrape(registry);
    expect(sampleValue(samples, 'nestjs_jobs_completed_total', { type: 'email' })).toBe(2);
    expect(sampleValue(samples, 'nestjs_jobs_run_seconds_count', { type: 'email' })).toBe(2);
    expect(sampleValue(samples, 'nestjs_jobs_wait_seconds_count', { type: 'email' })).toBe(2);
    expect(sampleValue(samples, 'nestjs_jobs_active', { type: 'email' })).toBe(0);
    expect(sampleValue(samples, 'nestjs_jobs_rejected_total')).toBe(1);
  });

  it('counts manual retries apart from automatic ones, per type', async () => {
    const registry = new Registry();
    const app = await startApp({ registry });
    const jobs = app.get(JobQueue);
    const failures: string[] = [];
    jobs.events$.subscribe((event) => event.kind === 'failed' && failures.push(event.job.id));
    await jobs.submit('sms', null, { id: 'text-1' });
    await jobs.onIdle();
    expect(failures).toEqual(['text-1']);
    await jobs.retryJob('text-1');
    await jobs.onIdle();
    const samples = await scrape(registry);
    expect(sampleValue(samples, 'nestjs_jobs_retried_manually_total', { type: 'sms' })).toBe(1);
    expect(sampleValue(samples, 'nestjs_jobs_retried_total', { type: 'sms' })).toBeUndefined();
    expect(sampleValue(samples, 'nestjs_jobs_failed_total', { type: 'sms' })).toBe(2);
  });

  it('counts the jobs abandoned by the drain', async () => {
    const registry = new Registry();
    const app = await startApp({ registry });
    const jobs = app.get(JobQueue);
    await jobs.submit('email', { to: 'a@example.com' }, { delay: 60_000 });
    await app.close();
    apps.pop();
    expect(sampleValue(await scrape(registry), 'nestjs_jobs_abandoned_total', { type: 'email' })).toBe(1);
  });

  it('reuses its metrics when a second app registers on the same registry, and keeps counting', async () => {
    const registry = new Registry();
    const first = await startApp({ registry });
    await first.get(JobQueue).submit('email', { to: 'a@example.com' });
    await first.get(Handlers).started[0]!.promise;
    first.get(Handlers).held[0]!.resolve();
    await first.get(JobQueue).onIdle();
    await first.close();
    apps.pop();

    const second = await startApp({ registry });
    await second.get(JobQueue).submit('email', { to: 'b@example.com' });
    await second.get(Handlers).started[0]!.promise;
    const samples = await scrape(registry);
    expect(sampleValue(samples, 'nestjs_jobs_completed_total', { type: 'email' })).toBe(1);
    expect(sampleValue(samples, 'nestjs_jobs_active', { type: 'email' })).toBe(1);
    expect(registry.getMetricsAsArray().filter((metric) => metric.name === 'nestjs_jobs_active')).toHaveLength(1);
  });

  it('registers its metrics again on a registry that was cleared between apps', async () => {
    const registry = new Registry();
    await (await startApp({ registry })).close();
    apps.pop();
    registry.clear();
    const app = await startApp({ registry });
    await app.get(JobQueue).submit('email', { to: 'a@example.com' });
    await app.get(Handlers).started[0]!.promise;
    expect(sampleValue(await scrape(registry), 'nestjs_jobs_active', { type: 'email' })).toBe(1);
  });

  it("uses prom-client's default registry when given none", async () => {
    await startApp({});
    expect(register.getSingleMetric('nestjs_jobs_completed_total')).toBeDefined();
    expect(sampleValue(parsePrometheusText(await register.metrics()).samples, 'nestjs_jobs_waiting', { type: 'email' })).toBe(0);
  });

  it('measures the wait on the queue\'s own clock: a wall-clock step records no hour-long wait', async () => {
    const registry = new Registry();
    const app = await startApp({ registry });
    const jobs = app.get(JobQueue);
    // The wall clock jumps an hour ahead (NTP, a VM resumed) between accept and start.
    const now = Date.now();
    const step = jest.spyOn(Date, 'now').mockImplementation(() => now + 3_600_000);
    try {
      await jobs.submit('email', { to: 'a@example.com' });
      await app.get(Handlers).started[0]!.promise;
    } finally {
      step.mockRestore();
    }
    const samples = await scrape(registry);
    expect(sampleValue(samples, 'nestjs_jobs_wait_seconds_count', { type: 'email' })).toBe(1);
    expect(sampleValue(samples, 'nestjs_jobs_wait_seconds_sum', { type: 'email' })).toBeLessThan(5);
  });
});

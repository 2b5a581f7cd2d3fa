import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { TerminusModule } from '@nestjs/terminus';
import { afterEach, describe, expect, it } from '@jest/globals';
import { type Job, JobHandler, JobQueue, JobsModule, type JobsModuleOptions } from 'nestjs-jobs';
import { JobsHealthIndicator } from 'nestjs-jobs/health';
import type { DriverHealth, JobsDriver, QueueCounts } from '../../lib/engine/jobs-driver.js';
import { JOBS_CLOCK, JOBS_DRIVER } from '../../lib/jobs.constants.js';
import { type Deferred, deferred, flush } from '../support/deferred.js';
import { FakeClock } from '../support/fake-clock.js';

@Injectable()
class HeldHandlers {
  readonly held: Deferred[] = [];
  started = deferred();

  @JobHandler('sync')
  sync(_job: Job<{ secret: string }>): Promise<void> {
    const done = deferred();
    this.held.push(done);
    this.started.resolve();
    return done.promise;
  }

  /** Ignores its signal: past its timeout it stays stuck until released. */
  @JobHandler('stubborn', { timeout: 1_000 })
  stubborn(): Promise<void> {
    return this.sync(undefined as never);
  }

  releaseAll(): void {
    for (const done of this.held) done.resolve();
  }
}

function appModule(options: JobsModuleOptions) {
  @Module({
    imports: [JobsModule.forRoot(options), TerminusModule.forRoot({ logger: false })],
    providers: [HeldHandlers, JobsHealthIndicator],
  })
  class HealthAppModule {}
  return HealthAppModule;
}

let open: TestingModule | undefined;

async function compile(options: JobsModuleOptions, clock?: FakeClock): Promise<TestingModule> {
  let builder = Test.createTestingModule({ imports: [appModule(options)] });
  if (clock !== undefined) builder = builder.overrideProvider(JOBS_CLOCK).useValue(clock);
  open = await builder.compile();
  open.useLogger(false);
  return open;
}

afterEach(async () => {
  open?.get(HeldHandlers).releaseAll();
  await open?.close();
  open = undefined;
});

describe('JobsHealthIndicator', () => {
  it('is up while the workers run and the queue has room, with the metrics laid flat under the key', async () => {
    const app = await compile({ workers: 2, queueSize: 10 });
    await app.init();
    await app.get(JobQueue).submit('sync', { secret: 'hunter2' });
    await app.get(HeldHandlers).started.promise;
    const result = app.get(JobsHealthIndicator).isHealthy();
    expect(result).toEqual({
      jobs: {
        status: 'up',
        processed: 0,
        failed: 0,
        retried: 0,
        retriedManually: 0,
        abandoned: 0,
        rejected: 0,
        avgDurationMs: 0,
        waiting: 0,
        delayed: 0,
        active: 1,
        workers: 2,
        queueSize: 10,
        stuck: 0,
        rateLimited: 0,
        state: 'running',
      },
    });
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });

  it('lists the schedules with their next run, never their payloads', async () => {
    const app = await compile({ workers: 1, queueSize: 10 });
    await app.init();
    const queue = app.get(JobQueue);
    const nightly = await queue.schedule('nightly-sync', 'sync', { secret: 'hunter2' }, { cron: '0 3 * * *', timezone: 'Europe/Berlin' });
    const result = app.get(JobsHealthIndicator).isHealthy();
    expect(result.jobs.schedules).toEqual([
      { key: 'nightly-sync', type: 'sync', cron: '0 3 * * *', timezone: 'Europe/Berlin', next: nightly.next.toISOString() },
    ]);
    expect(JSON.stringify(result)).not.toContain('hunter2');
    await queue.unschedule('nightly-sync');
    expect(app.get(JobsHealthIndicator).isHealthy().jobs.schedules).toBeUndefined();
  });

  it('reports under the key it is given', async () => {
    const app = await compile({ workers: 1, queueSize: 1 });
    await app.init();
    expect(app.get(JobsHealthIndicator).isHealthy('queue')).toMatchObject({ queue: { status: 'up' } });
  });

  it('is down before the workers start', async () => {
    const app = await compile({ workers: 1, queueSize: 1 });
    expect(app.get(JobsHealthIndicator).isHealthy()).toMatchObject({
      jobs: { status: 'down', state: 'created', reason: expect.stringMatching(/not started/) },
    });
  });

  it('is down when the queue is full, and up again once there is room', async () => {
    const app = await compile({ workers: 1, queueSize: 2 });
    await app.init();
    const jobs = app.get(JobQueue);
    const handlers = app.get(HeldHandlers);
    await jobs.submit('sync', { secret: 'a' });
    await handlers.started.promise;
    await jobs.submit('sync', { secret: 'b' });
    await jobs.submit('sync', { secret: 'c' }, { delay: 60_000 });
    const indicator = app.get(JobsHealthIndicator);
    expect(indicator.isHealthy()).toMatchObject({
      jobs: { status: 'down', waiting: 1, delayed: 1, queueSize: 2, reason: 'the queue is full: 2 of 2 jobs waiting or delayed' },
    });
    handlers.held[0]!.resolve();
    await flush();
    expect(indicator.isHealthy()).toMatchObject({ jobs: { status: 'up', waiting: 0, delayed: 1, active: 1 } });
  });

  it('is down while draining and after close, never throwing', async () => {
    const app = await compile({ workers: 1, queueSize: 5 });
    await app.init();
    const handlers = app.get(HeldHandlers);
    await app.get(JobQueue).submit('sync', { secret: 'a' });
    await handlers.started.promise;
    const indicator = app.get(JobsHealthIndicator);
    const closing = app.close();
    open = undefined;
    await flush();
    expect(indicator.isHealthy()).toMatchObject({
      jobs: { status: 'down', state: 'draining', active: 1, reason: expect.stringMatching(/shutting down/) },
    });
    handlers.releaseAll();
    await closing;
    expect(indicator.isHealthy()).toMatchObject({ jobs: { status: 'down', state: 'closed', processed: 1 } });
  });

  it('is down when every worker is stuck on an attempt past its timeout', async () => {
    const clock = new FakeClock();
    const app = await compile({ workers: 1, queueSize: 5 }, clock);
    await app.init();
    await app.get(JobQueue).submit('stubborn', {});
    await app.get(HeldHandlers).started.promise;
    const indicator = app.get(JobsHealthIndicator);
    expect(indicator.isHealthy()).toMatchObject({ jobs: { status: 'up', stuck: 0, active: 1 } });
    await clock.advance(1_100);
    expect(indicator.isHealthy()).toMatchObject({
      jobs: { status: 'down', stuck: 1, active: 1, reason: expect.stringMatching(/every worker is stuck/) },
    });
  });

  describe('with a distributed driver', () => {
    function stubDriver(broker: DriverHealth['broker']): JobsDriver {
      const counts: QueueCounts = { waiting: 0, delayed: 0, active: 0, stuck: 0, rateLimited: 0 };
      return {
        start: () => undefined,
        submit: () => Promise.reject(new Error('not used')),
        counts: () => counts,
        countsByType: () => [],
        health: () => ({ state: 'running', broker }),
        onIdle: () => Promise.resolve(),
        onSizeLessThan: () => Promise.resolve(),
        close: () => Promise.resolve(),
        getJob: () => Promise.resolve(undefined),
        listJobs: () => Promise.resolve({ jobs: [], next: undefined }),
        jobCounts: () => Promise.resolve({}),
        retryJob: () => Promise.reject(new Error('not used')),
        retryJobs: () => Promise.resolve(0),
        removeJob: () => Promise.resolve(false),
        schedule: () => Promise.reject(new Error('not used')),
        unschedule: () => Promise.resolve(false),
        listSchedules: () => Promise.resolve([]),
        reconcileSchedules: () => Promise.resolve(),
      };
    }

    async function withBroker(broker: DriverHealth['broker']) {
      open = await Test.createTestingModule({ imports: [appModule({ workers: 1, queueSize: 5 })] })
        .overrideProvider(JOBS_DRIVER)
        .useValue(stubDriver(broker))
        .compile();
      await open.init();
      return open.get(JobsHealthIndicator).isHealthy();
    }

    it("is up with the broker's state in its details while the broker answers", async () => {
      expect(await withBroker({ status: 'up', latencyMs: 1 })).toMatchObject({
        jobs: { status: 'up', broker: { status: 'up', latencyMs: 1 } },
      });
    });

    it('is down when the broker cannot be reached', async () => {
      expect(await withBroker({ status: 'down', error: 'ECONNREFUSED' })).toMatchObject({
        jobs: { status: 'down', broker: { status: 'down', error: 'ECONNREFUSED' }, reason: 'the broker cannot be reached' },
      });
    });
  });
});

import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { describe, expect, it } from '@jest/globals';
import { bullmqDriver } from 'nestjs-jobs/bullmq';
import { createJobsTester, type JobsTester, RUN_ALL_ATTEMPT_LIMIT } from 'nestjs-jobs/testing';
import {
  type Job,
  type JobEvent,
  JobHandler,
  JobQueue,
  JobsError,
  JobsModule,
  type JobsModuleOptions,
  UnrecoverableJobError,
} from '../../lib/index.js';
import { NestRecordingLogger } from '../support/app.js';

/** A user's handlers: mail that fails on demand, a report that honours its signal, a fan-out that submits more jobs. */
@Injectable()
class MailService {
  readonly sent: string[] = [];
  failuresLeft = 0;

  @JobHandler('email', { maxRetries: 3 })
  async send(job: Job<{ to: string }>): Promise<string> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('SMTP 451: try again later');
    }
    if (job.payload.to.endsWith('@invalid')) throw new UnrecoverableJobError(`No such domain for ${job.id}`);
    this.sent.push(job.payload.to);
    return `sent to ${job.payload.to}`;
  }
}

@Injectable()
class ReportService {
  aborted = 0;
  @JobHandler('report', { timeout: 5_000, maxRetries: 0 })
  async build(_job: Job, signal: AbortSignal): Promise<void> {
    await new Promise((_resolve, reject) =>
      signal.addEventListener('abort', () => {
        this.aborted++;
        reject(signal.reason);
      }),
    );
  }
}

@Injectable()
class NewsletterService {
  constructor(private readonly jobs: JobQueue) {}

  @JobHandler('newsletter')
  async fanOut(job: Job<{ to: string[] }>): Promise<number> {
    for (const to of job.payload.to) await this.jobs.submit('email', { to });
    return job.payload.to.length;
  }

  /** Re-submits itself for ever: what runAll's guard is for. */
  @JobHandler('echo')
  async echo(job: Job<{ n: number }>): Promise<void> {
    await this.jobs.submit('echo', { n: job.payload.n + 1 });
  }
}

const handlers = [MailService, ReportService, NewsletterService];

/** Nothing listens here: any attempt to reach Redis would fail and log. */
const NOWHERE = { host: '127.0.0.1', port: 1, maxRetriesPerRequest: 1, connectTimeout: 200 };

/** A BullMQ driver factory that counts how often it is asked to make a driver. */
function countedBullmq() {
  const factory = bullmqDriver({ connection: NOWHERE, prefix: 'never-used' });
  const counted = { made: 0, factory: { ...factory, create: (...args: Parameters<typeof factory.create>) => (counted.made++, factory.create(...args)) } };
  return counted;
}

const configs: Record<string, () => { module: unknown; made: () => number }> = {
  'the in-memory driver, by forRoot': () => ({ module: JobsModule.forRoot({ workers: 2, queueSize: 100 }), made: () => 0 }),
  'BullMQ, by forRoot': () => {
    const bullmq = countedBullmq();
    return { module: JobsModule.forRoot({ workers: 2, queueSize: 100, driver: bullmq.factory }), made: () => bullmq.made };
  },
  'BullMQ, by forRootAsync': () => {
    const bullmq = countedBullmq();
    return {
      module: JobsModule.forRootAsync({
        useFactory: async (): Promise<JobsModuleOptions> => ({ workers: 2, queueSize: 100, driver: bullmq.factory }),
      }),
      made: () => bullmq.made,
    };
  },
};

interface Started {
  tester: JobsTester;
  moduleRef: TestingModule;
  jobs: JobQueue;
  logger: NestRecordingLogger;
  events: JobEvent[];
}

/** The user's AppModule, unchanged, under the tester. */
async function start(jobsModule: unknown, mode: 'manual' | 'auto' = 'manual'): Promise<Started> {
  @Module({ imports: [jobsModule as never], providers: handlers })
  class AppModule {}
  const tester = createJobsTester({ mode, startAt: Date.UTC(2026, 0, 1) });
  const logger = new NestRecordingLogger();
  const moduleRef = await tester.override(Test.createTestingModule({ imports: [AppModule] })).setLogger(logger).compile();
  await moduleRef.init();
  const jobs = moduleRef.get(JobQueue);
  const events: JobEvent[] = [];
  jobs.events$.subscribe((event) => events.push(event));
  return { tester, moduleRef, jobs, logger, events };
}

describe.each(Object.entries(configs))('the tester on an app configured with %s', (_name, config) => {
  it('runs jobs only when asked, in priority order, and never makes the configured driver', async () => {
    const { module, made } = config();
    const { tester, moduleRef, jobs, logger } = await start(module);
    const low = await jobs.submit('email', { to: 'low@example.com' });
    const high = await jobs.submit('email', { to: 'high@example.com' }, { priority: 10 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(tester.jobs().map((job) => [job.id, job.state])).toEqual([
      [low.id, 'waiting'],
      [high.id, 'waiting'],
    ]);
    expect(moduleRef.get(MailService).sent).toEqual([]);

    const first = await tester.runNext();
    expect(first).toMatchObject({ id: high.id, state: 'completed', attemptsMade: 1, attempts: 0, result: 'sent to high@example.com' });
    expect(first?.finishedAt).toEqual(new Date(Date.UTC(2026, 0, 1)));
    expect(await tester.runNext()).toMatchObject({ id: low.id, state: 'completed' });
    expect(await tester.runNext()).toBeUndefined();
    expect(moduleRef.get(MailService).sent).toEqual(['high@example.com', 'low@example.com']);
    expect(jobs.metrics()).toMatchObject({ processed: 2, waiting: 0, workers: 2, queueSize: 100 });

    await moduleRef.close();
    expect(made()).toBe(0);
    expect(logger.at('error')).toEqual([]);
    expect(logger.lines.filter((line) => /ECONNREFUSED|Redis|ioredis/i.test(line.message))).toEqual([]);
  });

  it('moves retries through their backoff on the test clock', async () => {
    const { tester, moduleRef, jobs } = await start(config().module);
    moduleRef.get(MailService).failuresLeft = 1;
    const job = await jobs.submit('email', { to: 'ada@example.com' });

    expect(await tester.runNext()).toMatchObject({ id: job.id, state: 'delayed', attemptsMade: 1, attempts: 1, error: 'SMTP 451: try again later' });
    expect(await tester.runNext()).toBeUndefined();
    await tester.advance(999);
    expect(tester.jobs({ state: 'delayed' })).toHaveLength(1);
    await tester.advance(1);
    expect(tester.jobs()[0]).toMatchObject({ state: 'waiting' });
    expect(await tester.runNext()).toMatchObject({ state: 'completed', attemptsMade: 2, attempts: 1 });
    await moduleRef.close();
  });
});

describe('runAll', () => {
  it('runs every job, handlers’ jobs included, through delays and backoffs, and resolves with those that finished', async () => {
    const { tester, moduleRef, jobs } = await start(configs['BullMQ, by forRoot']!().module);
    moduleRef.get(MailService).failuresLeft = 2;
    await jobs.submit('newsletter', { to: ['a@example.com', 'b@example.com'] });
    await jobs.submit('email', { to: 'later@example.com' }, { delay: 60_000 });
    await jobs.submit('email', { to: 'x@invalid' });

    const finished = await tester.runAll();
    // FIFO: the newsletter, then x@invalid and a@ fail once (SMTP) and wait 1 s, b@ is sent; after 1 s x@invalid
    // fails for good and a@ is sent; the delayed job runs a minute in.
    expect(finished.map((job) => [job.type === 'email' ? job.payload.to : job.type, job.state, job.attemptsMade])).toEqual([
      ['newsletter', 'completed', 1],
      ['b@example.com', 'completed', 1],
      ['x@invalid', 'failed', 2],
      ['a@example.com', 'completed', 2],
      ['later@example.com', 'completed', 1],
    ]);
    expect(tester.now()).toEqual(new Date(Date.UTC(2026, 0, 1, 0, 1)));
    expect(moduleRef.get(MailService).sent.sort()).toEqual(['a@example.com', 'b@example.com', 'later@example.com']);
    expect(tester.jobs({ state: 'failed' })).toEqual([expect.objectContaining({ payload: { to: 'x@invalid' }, error: expect.stringMatching(/^No such domain/) })]);
    expect(tester.jobs({ type: 'newsletter' })).toEqual([expect.objectContaining({ result: 2 })]);
    await moduleRef.close();
  });

  it(`rejects with a JobsError after ${RUN_ALL_ATTEMPT_LIMIT} attempts in one call`, async () => {
    const { tester, moduleRef, jobs } = await start(JobsModule.forRoot({ workers: 1, queueSize: 10 }));
    await jobs.submit('echo', { n: 0 });
    const error = await tester.runAll().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobsError);
    expect((error as Error).message).toBe(
      `tester.runAll(): more than ${RUN_ALL_ATTEMPT_LIMIT} attempts in one call, so it stopped: a handler may be submitting jobs without end, ` +
        'or a job may keep failing. Step with tester.runNext() and look at tester.jobs().',
    );
    expect(tester.jobs({ state: 'completed' })).toHaveLength(RUN_ALL_ATTEMPT_LIMIT);
    expect(tester.jobs({ state: 'waiting' })).toHaveLength(1);
    await moduleRef.close();
  }, 30_000);
});

describe('the test clock', () => {
  it('aborts a handler’s signal at its timeout when advanced while runNext waits on it', async () => {
    const { tester, moduleRef, jobs } = await start(JobsModule.forRoot({ workers: 1, queueSize: 10 }));
    const job = await jobs.submit('report', {});
    const running = tester.runNext();
    expect(tester.jobs()[0]).toMatchObject({ state: 'active', attemptsMade: 1 });
    await tester.advance(4_999);
    expect(moduleRef.get(ReportService).aborted).toBe(0);
    await tester.advance(1);
    expect(await running).toMatchObject({ id: job.id, state: 'failed', error: 'Attempt timed out after 5000 ms' });
    expect(moduleRef.get(ReportService).aborted).toBe(1);
    await moduleRef.close();
  });

  it('says so when a job is ready but every worker is busy, instead of waiting for ever', async () => {
    const { tester, moduleRef, jobs } = await start(JobsModule.forRoot({ workers: 1, queueSize: 10 }));
    await jobs.submit('report', {});
    await jobs.submit('email', { to: 'ada@example.com' });
    const report = tester.runNext();
    await expect(tester.runNext()).rejects.toThrow(
      'tester.runNext(): a job is ready but all 1 worker(s) are busy with attempts that have not settled. ' +
        'Let them finish, or move the clock to their timeout with tester.advance(ms).',
    );
    await tester.advance(5_000);
    expect(await report).toMatchObject({ type: 'report', state: 'failed' });
    expect(await tester.runNext()).toMatchObject({ type: 'email', state: 'completed' });
    await moduleRef.close();
  });
});

describe('schemas under the tester', () => {
  /** Which payload versions this release reads. */
  const reads = { upTo: 2 };

  @Injectable()
  class ImportService {
    readonly seen: unknown[] = [];
    @JobHandler('import', {
      maxRetries: 3,
      schema: {
        '~standard': {
          version: 1,
          vendor: 'test',
          validate: (value: unknown) => {
            const version = (value as { version?: unknown }).version;
            return typeof version === 'number' && version <= reads.upTo
              ? { value: { ...(value as object), checked: true } }
              : { issues: [{ message: 'unsupported version', path: ['version'] }] };
          },
        },
      },
    })
    run(job: Job): void {
      this.seen.push(job.payload);
    }
  }

  it('fails a stored job that no longer matches at its attempt (which counts), and gives the handler the output', async () => {
    @Module({ imports: [JobsModule.forRoot({ workers: 1, queueSize: 10 })], providers: [ImportService] })
    class ImportModule {}
    const tester = createJobsTester();
    const moduleRef = await tester.override(Test.createTestingModule({ imports: [ImportModule] })).setLogger(new NestRecordingLogger()).compile();
    await moduleRef.init();
    const jobs = moduleRef.get(JobQueue);
    reads.upTo = 2;
    await jobs.submit('import', { version: 2 });
    await jobs.submit('import', { version: 2 });
    expect(await tester.runNext()).toMatchObject({ state: 'completed', payload: { version: 2 } });

    reads.upTo = 1; // as if a newer release read a job an older one wrote
    const failed = await tester.runNext();
    expect(failed).toMatchObject({ state: 'failed', attemptsMade: 1, attempts: 0, payload: { version: 2 } });
    expect(failed?.error).toMatch(/^The stored payload does not match the schema of @JobHandler\("import"\) on ImportService\.run: version: unsupported version\./);
    expect(moduleRef.get(ImportService).seen).toEqual([{ version: 2, checked: true }]);

    await expect(jobs.submit('import', { version: 2 })).rejects.toMatchObject({ issues: [{ path: ['version'], message: 'unsupported version' }] });
    expect(tester.jobs()).toHaveLength(2);
    expect(jobs.metrics()).toMatchObject({ processed: 1, failed: 1, retried: 0, rejected: 1 });
    await moduleRef.close();
  });
});

describe("'auto' mode", () => {
  it('runs jobs as they are submitted, with delays on the test clock', async () => {
    const { tester, moduleRef, jobs, events } = await start(configs['BullMQ, by forRootAsync']!().module, 'auto');
    const now = await jobs.submit('email', { to: 'now@example.com' });
    await jobs.submit('email', { to: 'tomorrow@example.com' }, { delay: 86_400_000 });
    await jobs.onSizeLessThan(2);
    expect(events.some((event) => event.kind === 'completed' && event.job.id === now.id)).toBe(true);
    expect(tester.jobs().map((job) => job.state)).toEqual(['completed', 'delayed']);

    expect((await tester.runAll()).map((job) => job.payload)).toEqual([{ to: 'tomorrow@example.com' }]);
    expect(tester.now()).toEqual(new Date(Date.UTC(2026, 0, 2)));
    await expect(tester.runNext()).rejects.toThrow("tester.runNext() runs one job in 'manual' mode");
    await moduleRef.close();
  });
});

describe('closing and misuse', () => {
  it('closes at once, abandoning the jobs not run, without waiting on the test clock', async () => {
    const { moduleRef, jobs, events, logger } = await start(JobsModule.forRoot({ workers: 1, queueSize: 10, shutdownTimeout: 60_000 }));
    const waiting = await jobs.submit('email', { to: 'a@example.com' });
    const delayed = await jobs.submit('email', { to: 'b@example.com' }, { delay: 1_000 });
    await moduleRef.close();
    expect(events.filter((event) => event.kind === 'abandoned').map((event) => event.job.id)).toEqual([waiting.id, delayed.id]);
    expect(logger.at('error')).toEqual([`Abandoned 2 job(s) at shutdown: ${waiting.id}, ${delayed.id}`]);
  });

  it('says what to do when used before override() or before init()', async () => {
    const tester = createJobsTester();
    await expect(tester.runNext()).rejects.toThrow('tester.runNext(): no application uses this tester yet.');
    expect(tester.jobs()).toEqual([]);
    @Module({ imports: [JobsModule.forRoot({ workers: 1, queueSize: 10 })], providers: [MailService] })
    class AppModule {}
    const moduleRef = await tester.override(Test.createTestingModule({ imports: [AppModule] })).compile();
    await expect(tester.runAll()).rejects.toThrow('tester.runAll(): the application is not initialised, so no job can run. Call await moduleRef.init()');
    expect(() => createJobsTester({ mode: 'sometimes' as never })).toThrow("createJobsTester: option \"mode\" must be 'manual' or 'auto', got sometimes.");
    await moduleRef.close();
  });
});

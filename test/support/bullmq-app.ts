import { Injectable, type ModuleMetadata, type Provider, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll } from '@jest/globals';
import type { RedisOptions } from 'ioredis';
import { type BullmqDriverOptions, bullmqDriver } from '../../lib/bullmq/index.js';
import { type Job, type JobEvent, JobHandler, JobQueue, JobsModule, type JobsModuleOptions } from '../../lib/index.js';
import { NestRecordingLogger } from './app.js';
import { deferred, type Deferred } from './deferred.js';
import type { DriverHealth } from '../../lib/engine/jobs-driver.js';
import { JOBS_DRIVER } from '../../lib/jobs.constants.js';
import { deleteKeys, type RedisEndpoint, sharedRedis, stopSharedRedis, uniquePrefix } from './redis.js';

/** One application on the BullMQ driver, and what a test looks at. */
export interface BullmqApp {
  app: TestingModule;
  jobs: JobQueue;
  events: JobEvent[];
  /** Nest's logger while this app is the newest one started (Nest's logger is process-wide). */
  logger: NestRecordingLogger;
  get<T>(type: Type<T>): T;
  close(): Promise<void>;
}

export async function startBullmqApp(
  providers: Provider[],
  options: Omit<JobsModuleOptions, 'driver'>,
  driver: Partial<BullmqDriverOptions> & { connection: RedisOptions; prefix: string },
  imports: NonNullable<ModuleMetadata['imports']> = [],
): Promise<BullmqApp> {
  const logger = new NestRecordingLogger();
  const app = await Test.createTestingModule({
    imports: [JobsModule.forRoot({ ...options, driver: bullmqDriver(driver) }), ...imports],
    providers,
  })
    .setLogger(logger)
    .compile();
  await app.init();
  const jobs = app.get(JobQueue);
  const events: JobEvent[] = [];
  jobs.events$.subscribe((event) => events.push(event));
  return { app, jobs, events, logger, get: (type) => app.get(type), close: () => app.close() };
}

/** Resolves with the first event of `kind` (for job `id`, if given) that `jobs` emits, including ones already seen. */
export function nextEvent(app: BullmqApp, kind: JobEvent['kind'], id?: string): Promise<JobEvent> {
  return firstEvent(app, (event) => event.kind === kind && (id === undefined || event.job.id === id));
}

/** The first event matching, already seen or still to come. */
export function firstEvent(app: BullmqApp, match: (event: JobEvent) => boolean): Promise<JobEvent> {
  const seen = app.events.find(match);
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const subscription = app.jobs.events$.subscribe((event) => {
      if (!match(event)) return;
      subscription.unsubscribe();
      resolve(event);
    });
  });
}

/** Holds each job until the test releases it; records what ran, in order. */
@Injectable()
export class Work {
  readonly ran: Array<{ id: string; payload: any; attempts: number }> = [];
  readonly gates = new Map<string, Deferred>();
  running = 0;
  maxRunning = 0;
  /** Running attempts, and the most seen at once, per job type and per job id. */
  readonly runningBy = new Map<string, number>();
  readonly maxRunningBy = new Map<string, number>();
  failures = new Map<string, unknown[]>();
  signals: AbortSignal[] = [];

  gate(key: string): Deferred {
    let gate = this.gates.get(key);
    if (gate === undefined) this.gates.set(key, (gate = deferred()));
    return gate;
  }

  async run(job: Job, signal: AbortSignal, gateKey?: string): Promise<void> {
    this.ran.push({ id: job.id, payload: job.payload, attempts: job.attempts });
    this.signals.push(signal);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    for (const key of [job.type, job.id]) {
      const now = (this.runningBy.get(key) ?? 0) + 1;
      this.runningBy.set(key, now);
      this.maxRunningBy.set(key, Math.max(now, this.maxRunningBy.get(key) ?? 0));
    }
    try {
      if (gateKey !== undefined) await this.gate(gateKey).promise;
      const planned = this.failures.get(job.id);
      if (planned !== undefined && planned.length > 0) throw planned.shift();
    } finally {
      this.running--;
      for (const key of [job.type, job.id]) this.runningBy.set(key, this.runningBy.get(key)! - 1);
    }
  }
}

@Injectable()
export class Handlers {
  constructor(private readonly work: Work) {}

  @JobHandler('plain')
  plain(job: Job, signal: AbortSignal) {
    return this.work.run(job, signal);
  }

  @JobHandler('held', { maxRetries: 0 })
  held(job: Job, signal: AbortSignal) {
    return this.work.run(job, signal, job.id);
  }

  /** Ignores its signal: settles only when the test opens the gate of its id and attempt. */
  @JobHandler('stubborn', { timeout: 50, maxRetries: 1, backoff: { delay: 0 } })
  stubborn(job: Job, signal: AbortSignal) {
    return this.work.run(job, signal, `${job.id}:${job.attempts}`);
  }

  @JobHandler('capped', { concurrency: 1 })
  capped(job: Job, signal: AbortSignal) {
    return this.work.run(job, signal, job.id);
  }

  @JobHandler('flaky', { maxRetries: 2, backoff: { delay: 5, factor: 1 } })
  flaky(job: Job, signal: AbortSignal) {
    return this.work.run(job, signal);
  }
}


/** Resolves once `condition` holds, looking every few ms (for states that change in the background). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** The driver's own view, for health and state. */
export function driverOf(app: BullmqApp): { health(): DriverHealth } {
  return app.app.get(JOBS_DRIVER);
}

/** What a spec file on the shared Redis keeps: its apps are closed (held jobs released) and its keys deleted after the file. */
export interface SharedRedisSuite {
  readonly redis: RedisEndpoint;
  /** A fresh key prefix, deleted after the file. */
  newPrefix(label: string): string;
  /** Starts an app with the Work and Handlers providers, closed after the file. */
  start(options: Omit<JobsModuleOptions, 'driver'>, driver: Partial<BullmqDriverOptions> & { prefix: string }): Promise<BullmqApp & { work: Work }>;
}

export function useSharedRedis(): SharedRedisSuite {
  let redis: RedisEndpoint | undefined;
  const prefixes: string[] = [];
  const apps: BullmqApp[] = [];
  beforeAll(async () => {
    redis = await sharedRedis();
  });
  afterAll(async () => {
    for (const app of apps) {
      for (const gate of app.get(Work).gates.values()) gate.resolve();
      await app.close();
    }
    for (const prefix of prefixes) await deleteKeys(redis!.connection, prefix);
    await stopSharedRedis();
  });
  return {
    get redis() {
      return redis!;
    },
    newPrefix(label) {
      const prefix = uniquePrefix(label);
      prefixes.push(prefix);
      return prefix;
    },
    async start(options, driver) {
      const app = await startBullmqApp([Work, Handlers], options, { connection: redis!.connection, ...driver });
      apps.push(app);
      return Object.assign(app, { work: app.get(Work) });
    },
  };
}

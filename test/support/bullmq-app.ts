import type { Provider, Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { RedisOptions } from 'ioredis';
import { type BullmqDriverOptions, bullmqDriver } from '../../lib/bullmq/index.js';
import { type JobEvent, JobQueue, JobsModule, type JobsModuleOptions } from '../../lib/index.js';

/** One application on the BullMQ driver, and what a test looks at. */
export interface BullmqApp {
  app: TestingModule;
  jobs: JobQueue;
  events: JobEvent[];
  get<T>(type: Type<T>): T;
  close(): Promise<void>;
}

export async function startBullmqApp(
  providers: Provider[],
  options: Omit<JobsModuleOptions, 'driver'>,
  driver: Partial<BullmqDriverOptions> & { connection: RedisOptions; prefix: string },
): Promise<BullmqApp> {
  const app = await Test.createTestingModule({
    imports: [JobsModule.forRoot({ ...options, driver: bullmqDriver(driver) })],
    providers,
  }).compile();
  await app.init();
  const jobs = app.get(JobQueue);
  const events: JobEvent[] = [];
  jobs.events$.subscribe((event) => events.push(event));
  return { app, jobs, events, get: (type) => app.get(type), close: () => app.close() };
}

/** Resolves with the first event of `kind` (for job `id`, if given) that `jobs` emits, including ones already seen. */
export function nextEvent(app: BullmqApp, kind: JobEvent['kind'], id?: string): Promise<JobEvent> {
  const match = (event: JobEvent) => event.kind === kind && (id === undefined || event.job.id === id);
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

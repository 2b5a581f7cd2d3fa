import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Job, JobHandler, JobQueue, JobsModule } from '../lib/index.js';
import type { Contender, ContenderSetup } from './contenders.js';

/**
 * The whole product: `JobQueue.submit` in a Nest application context, a
 * `@JobHandler` provider with a per-attempt timeout, a priority on every
 * submit, and a subscriber on `events$` (so every event object is built).
 */
export async function nestQueue({ workers, queueSize, work, paused, rateLimit }: ContenderSetup): Promise<Contender> {
  // Paused: the handler parks every attempt, so the workers fill up and the rest stays queued.
  const held: Promise<void> | null = paused ? new Promise<void>(() => undefined) : null;

  @Injectable()
  class BenchJobs {
    @JobHandler('bench', { timeout: 30_000, ...(rateLimit === undefined ? {} : { rateLimit: { ...rateLimit } }) })
    run(job: Job<number>): Promise<void> {
      return held ?? work(job.payload);
    }
  }

  @Module({ imports: [JobsModule.forRoot({ workers, queueSize })], providers: [BenchJobs] })
  class BenchModule {}

  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const queue = app.get(JobQueue);
  let events = 0;
  queue.events$.subscribe(() => {
    events++;
  });
  return {
    submit(payload, priority) {
      void queue.submit('bench', payload, { priority });
    },
    waiting: () => queue.metrics().waiting,
    onSizeLessThan: (limit) => queue.onSizeLessThan(limit),
    onIdle: () => queue.onIdle(),
    start() {},
    processed() {
      // Three events per completed job (submitted, started, completed) reached the subscriber.
      const { processed } = queue.metrics();
      if (events < 3 * processed) throw new Error(`events$ delivered ${events} events for ${processed} jobs`);
      return processed;
    },
  };
}


/**
 * The BullMQ driver's job store on a large failed set: the time of
 * `listJobs` for a page of 50 with 100 000 kept failed jobs (first page, a
 * page deep in via its cursor, one type's page) and of `getJob`, from a
 * producer-only app.
 *
 *   tsc -p bench/tsconfig.json && node .build/bench/job-store-bullmq.js [kept]
 *
 * The failed sets are filled directly (a pipeline of HSET + ZADD per job, the
 * fields BullMQ writes when a job fails), since failing 100 000 jobs through
 * workers would take minutes. Redis on 127.0.0.1:6379; keys live under a
 * fresh prefix and are deleted afterwards.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { bullmqDriver } from '../lib/bullmq/index.js';
import { JobHandler, JobQueue, JobsModule } from '../lib/index.js';
import { deleteKeys } from '../test/support/redis.js';

const KEPT = Number(process.argv[2] ?? 100_000);
const connection = { host: '127.0.0.1', port: 6379 };
const prefix = `njbench-store-${process.pid}`;

@Injectable()
class Handlers {
  @JobHandler('a')
  a(): void {}

  @JobHandler('b')
  b(): void {}
}

@Module({
  imports: [
    JobsModule.forRoot({
      workers: 1,
      queueSize: 100,
      retention: { failed: { count: KEPT } },
      driver: bullmqDriver({ connection, prefix, role: 'producer' }),
    }),
  ],
  providers: [Handlers],
})
class BenchModule {}

async function fill(redis: Redis): Promise<void> {
  const now = Date.now();
  let pipeline = redis.pipeline();
  for (let i = 0; i < KEPT; i++) {
    const type = i % 2 === 0 ? 'a' : 'b';
    const id = `job-${i}`;
    const finishedOn = now - KEPT + i;
    pipeline.hset(`${prefix}:${type}:${id}`, {
      name: type,
      data: JSON.stringify({ n: i }),
      opts: JSON.stringify({ attempts: 1, removeOnComplete: true, removeOnFail: { count: KEPT, age: 604_800 }, nestjsJobs: {} }),
      timestamp: finishedOn - 5,
      processedOn: finishedOn - 2,
      finishedOn,
      attemptsMade: 1,
      attemptsStarted: 1,
      priority: 1_000_001,
      failedReason: 'declined',
      stacktrace: '[]',
    });
    pipeline.zadd(`${prefix}:${type}:failed`, finishedOn, id);
    if (i % 5000 === 4999) {
      await pipeline.exec();
      pipeline = redis.pipeline();
    }
  }
  await pipeline.exec();
}

async function timed(label: string, run: () => Promise<unknown>, rounds = 50): Promise<void> {
  for (let i = 0; i < 5; i++) await run();
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await run();
  console.log(`  ${label.padEnd(52)} ${((performance.now() - started) / rounds).toFixed(2)} ms`);
}

const redis = new Redis(connection);
await fill(redis);
const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
await app.init();
const jobs = app.get(JobQueue);
try {
  const counts = await jobs.jobCounts();
  if (counts.a.failed + counts.b.failed !== KEPT) throw new Error(`kept ${counts.a.failed + counts.b.failed} of ${KEPT}`);
  let deep: string | undefined;
  for (let i = 0; i < 50; i++) deep = (await jobs.listJobs({ state: 'failed', limit: 1000, cursor: deep })).next;
  console.log(`BullMQ driver, ${KEPT} kept failed jobs in 2 types (node ${process.version}, local Redis)`);
  await timed('listJobs failed, limit 50, first page', () => jobs.listJobs({ state: 'failed' }));
  await timed('listJobs failed, limit 50, after 50 000 (cursor)', () => jobs.listJobs({ state: 'failed', cursor: deep }));
  await timed('listJobs failed, type a, limit 50, first page', () => jobs.listJobs({ state: 'failed', type: 'a' }));
  await timed('getJob of a kept job', () => jobs.getJob('job-5000'));
  await timed('jobCounts', () => jobs.jobCounts());
  const used = await redis.info('memory');
  console.log(`  Redis used_memory with them: ${/used_memory_human:(\S+)/.exec(used)?.[1]}`);
} finally {
  await app.close();
  redis.disconnect();
  await deleteKeys(connection, prefix);
}

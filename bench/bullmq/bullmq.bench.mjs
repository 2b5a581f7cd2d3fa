/**
 * Throughput of the BullMQ driver against plain BullMQ, on the same Redis, in one run.
 *
 *   npm run bench:bullmq            (builds, then runs this file)
 *   node bench/bullmq/bullmq.bench.mjs [jobs] [concurrency] [rounds]   (after npm run build)
 *
 * Each round fills a fresh queue with no-op jobs, then times one worker
 * process (this one) draining it, from the first job started to the last done: plain BullMQ with a Worker of the given
 * concurrency, and the driver with `workers` of the same value. Rounds
 * alternate to spread machine noise; the ratio compares the medians.
 * Redis: REDIS_URL, else 127.0.0.1:6379. Keys live under a fresh prefix and
 * are deleted afterwards.
 */
import 'reflect-metadata';
import { Injectable, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { JobHandler, JobQueue, JobsModule } from '../../dist/index.js';
import { bullmqDriver } from '../../dist/bullmq/index.js';

const JOBS = Number(process.argv[2] ?? 20_000);
const CONCURRENCY = Number(process.argv[3] ?? 50);
const ROUNDS = Number(process.argv[4] ?? 5);
const CHUNK = 1000;
const connection = process.env.REDIS_URL ? urlOptions(process.env.REDIS_URL) : { host: '127.0.0.1', port: 6379 };
const runId = `njbench-${process.pid}-${Date.now().toString(36)}`;

function urlOptions(url) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined,
  };
}

/** Plain BullMQ: addBulk in chunks, then a Worker drains the queue. */
async function plainRound(round) {
  const prefix = `${runId}-plain-${round}`;
  const queue = new Queue('noop', { connection, prefix });
  for (let i = 0; i < JOBS; i += CHUNK) {
    const chunk = [];
    for (let j = i; j < Math.min(JOBS, i + CHUNK); j++) chunk.push({ name: 'noop', data: { i: j }, opts: { removeOnComplete: true, removeOnFail: true } });
    await queue.addBulk(chunk);
  }
  let done = 0;
  let started = 0;
  let cpu;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const worker = new Worker(
    'noop',
    async () => {
      if (started === 0) {
        started = performance.now();
        cpu = process.cpuUsage();
      }
    },
    { connection: { ...connection, maxRetriesPerRequest: null }, prefix, concurrency: CONCURRENCY },
  );
  worker.on('completed', () => ++done === JOBS && finish());
  await finished;
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await worker.close();
  await queue.close();
  await deleteKeys(prefix);
  return { rate: JOBS / seconds, cpuUs: (used.user + used.system) / JOBS };
}

let completed = 0;
let firstStarted = 0;
let firstCpu;
let onAllCompleted = () => undefined;

class NoopHandler {
  run() {
    if (firstStarted === 0) {
      firstStarted = performance.now();
      firstCpu = process.cpuUsage();
    }
  }
}
Injectable()(NoopHandler);
JobHandler('noop')(NoopHandler.prototype, 'run', Object.getOwnPropertyDescriptor(NoopHandler.prototype, 'run'));

async function app(prefix, role) {
  class BenchModule {}
  Module({
    imports: [JobsModule.forRoot({ workers: CONCURRENCY, queueSize: JOBS * 2, driver: bullmqDriver({ connection, prefix, role }) })],
    providers: [NoopHandler],
  })(BenchModule);
  return NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
}

/** The driver: a producer app submits (in chunks of concurrent submits), then a worker app drains the queue. */
async function driverRound(round) {
  const prefix = `${runId}-driver-${round}`;
  const producer = await app(prefix, 'producer');
  const jobs = producer.get(JobQueue);
  for (let i = 0; i < JOBS; i += CHUNK) {
    const chunk = [];
    for (let j = i; j < Math.min(JOBS, i + CHUNK); j++) chunk.push(jobs.submit('noop', { i: j }));
    await Promise.all(chunk);
  }
  completed = 0;
  firstStarted = 0;
  const finished = new Promise((resolve) => (onAllCompleted = resolve));
  const worker = await app(prefix, 'worker');
  // Counted like BullMQ's 'completed' event: when the job is done in Redis, not when the handler returns.
  worker.get(JobQueue).events$.subscribe((event) => event.kind === 'completed' && ++completed === JOBS && onAllCompleted());
  await finished;
  const seconds = (performance.now() - firstStarted) / 1000;
  const used = process.cpuUsage(firstCpu);
  await worker.close();
  await producer.close();
  await deleteKeys(prefix);
  return { rate: JOBS / seconds, cpuUs: (used.user + used.system) / JOBS };
}

async function deleteKeys(prefix) {
  const client = new Redis(connection);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
  client.disconnect();
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

Logger.overrideLogger(['error']);
const plain = [];
const driver = [];
for (let round = 0; round < ROUNDS; round++) {
  plain.push(await plainRound(round));
  driver.push(await driverRound(round));
  const [p, d] = [plain.at(-1), driver.at(-1)];
  console.log(
    `round ${round + 1}: plain BullMQ ${Math.round(p.rate)} jobs/s (${p.cpuUs.toFixed(0)} µs CPU/job), ` +
      `driver ${Math.round(d.rate)} jobs/s (${d.cpuUs.toFixed(0)} µs CPU/job)`,
  );
}
const rate = (runs) => median(runs.map((run) => run.rate));
const cpu = (runs) => median(runs.map((run) => run.cpuUs));
console.log(
  `\n${JOBS} no-op jobs, concurrency ${CONCURRENCY}, median of ${ROUNDS}: plain BullMQ ${Math.round(rate(plain))} jobs/s, ` +
    `driver ${Math.round(rate(driver))} jobs/s: throughput ratio ${(rate(driver) / rate(plain)).toFixed(2)} (target >= 0.95); ` +
    `client CPU per job ${cpu(plain).toFixed(0)} vs ${cpu(driver).toFixed(0)} µs (ratio ${(cpu(plain) / cpu(driver)).toFixed(2)})`,
);

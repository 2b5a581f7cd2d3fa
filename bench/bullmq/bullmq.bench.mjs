/**
 * Throughput of the BullMQ driver against plain BullMQ, on the same Redis, in one run.
 *
 *   npm run bench:bullmq            (builds, then runs this file)
 *   node bench/bullmq/bullmq.bench.mjs [jobs] [concurrency] [rounds]   (after npm run build)
 *
 * Three contenders drain the same number of no-op jobs from a filled queue,
 * timed from the first job started to the last done, with one worker process
 * (this one):
 *
 * - plain BullMQ: a Worker of the given concurrency, jobs added with no
 *   options but removal on completion;
 * - plain BullMQ with the driver's job options: the same, but every job
 *   carries what the driver gives each job (a priority, attempts and a custom
 *   backoff, failed-job retention, the `nestjsJobs` option), so the ratio
 *   against it is the driver's own cost;
 * - the driver: a producer app submits, then a worker app with `workers` of
 *   the same value drains.
 *
 * Every round runs each contender once, in an order that rotates from round to
 * round; ratios are taken between the medians. Besides the rate, the client's
 * CPU per job (this process, all threads) and Redis's CPU per job (its
 * `INFO cpu`, meaningful when nothing else uses that Redis) are shown.
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

const JOBS = Number(process.argv[2] ?? 50_000);
const CONCURRENCY = Number(process.argv[3] ?? 50);
const ROUNDS = Number(process.argv[4] ?? 5);
const CHUNK = 1000;
const connection = process.env.REDIS_URL ? urlOptions(process.env.REDIS_URL) : { host: '127.0.0.1', port: 6379 };
const runId = `njbench-${process.pid}-${Date.now().toString(36)}`;
const monitor = new Redis(connection);

function urlOptions(url) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined,
  };
}

/**
 * The options the driver gives a job submitted with the defaults (priority 0,
 * maxRetries 3, the default retention), as `docs/BULLMQ.md` describes them.
 * `checkMirror` compares their keys with a job the driver wrote.
 */
const DRIVER_LIKE_OPTIONS = {
  priority: 1_000_001,
  attempts: 4,
  backoff: { type: 'nestjs-jobs' },
  removeOnComplete: true,
  removeOnFail: { count: 1000, age: 604_800 },
  nestjsJobs: {},
};

/** Seconds of CPU Redis has used so far (user + system). */
async function redisCpu() {
  const info = await monitor.info('cpu');
  const field = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** Starts the clocks at the first job; `stop` returns the figures. */
function meter() {
  let started = 0;
  let cpu;
  let redisAtStart;
  return {
    start() {
      if (started !== 0) return;
      started = performance.now();
      cpu = process.cpuUsage();
      redisAtStart = redisCpu();
    },
    async stop() {
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      const redisUsed = (await redisCpu()) - (await redisAtStart);
      return { rate: JOBS / seconds, cpuUs: (used.user + used.system) / JOBS, redisUs: (redisUsed * 1e6) / JOBS };
    },
  };
}

/** Plain BullMQ: addBulk in chunks, then a Worker drains the queue. */
async function plainRound(prefix, withDriverOptions) {
  const queue = new Queue('noop', { connection, prefix });
  for (let i = 0; i < JOBS; i += CHUNK) {
    const chunk = [];
    for (let j = i; j < Math.min(JOBS, i + CHUNK); j++) {
      const opts = withDriverOptions ? { ...DRIVER_LIKE_OPTIONS, jobId: `bench0jobid-${j.toString(36)}` } : { removeOnComplete: true, removeOnFail: true };
      chunk.push({ name: 'noop', data: { i: j }, opts });
    }
    await queue.addBulk(chunk);
  }
  let done = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const clock = meter();
  const worker = new Worker('noop', async () => clock.start(), {
    connection: { ...connection, maxRetriesPerRequest: null },
    prefix,
    concurrency: CONCURRENCY,
    ...(withDriverOptions ? { settings: { backoffStrategy: () => 0 } } : {}),
  });
  worker.on('completed', () => ++done === JOBS && finish());
  await finished;
  const figures = await clock.stop();
  await worker.close();
  await queue.close();
  await deleteKeys(prefix);
  return figures;
}

let driverClock = meter();
let completed = 0;
let onAllCompleted = () => undefined;

class NoopHandler {
  run() {
    driverClock.start();
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

let mirrorChecked = false;

/** Warns when the driver's jobs carry options the plain contender with the driver's options does not (or the reverse). */
async function checkMirror(prefix) {
  if (mirrorChecked) return;
  mirrorChecked = true;
  const queue = new Queue('noop', { connection, prefix });
  const [job] = await queue.getJobs(['prioritized', 'wait'], 0, 0);
  await queue.close();
  const theirs = Object.keys(job?.opts ?? {}).filter((key) => key !== 'jobId').sort().join(',');
  const ours = Object.keys(DRIVER_LIKE_OPTIONS).sort().join(',');
  if (theirs !== ours) console.warn(`warning: the driver's job options are now {${theirs}}; the bench mirrors {${ours}}: update DRIVER_LIKE_OPTIONS`);
}

/** The driver: a producer app submits (in chunks of concurrent submits), then a worker app drains the queue. */
async function driverRound(prefix) {
  const producer = await app(prefix, 'producer');
  const jobs = producer.get(JobQueue);
  for (let i = 0; i < JOBS; i += CHUNK) {
    const chunk = [];
    for (let j = i; j < Math.min(JOBS, i + CHUNK); j++) chunk.push(jobs.submit('noop', { i: j }));
    await Promise.all(chunk);
  }
  await checkMirror(prefix);
  completed = 0;
  driverClock = meter();
  const finished = new Promise((resolve) => (onAllCompleted = resolve));
  const worker = await app(prefix, 'worker');
  // Counted like BullMQ's 'completed' event: once per job done, from the events stream users read.
  worker.get(JobQueue).events$.subscribe((event) => event.kind === 'completed' && ++completed === JOBS && onAllCompleted());
  await finished;
  const figures = await driverClock.stop();
  await worker.close();
  await producer.close();
  await deleteKeys(prefix);
  return figures;
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

const CONTENDERS = [
  { key: 'plain', title: 'plain BullMQ', run: (prefix) => plainRound(prefix, false) },
  { key: 'options', title: "plain BullMQ, driver's job options", run: (prefix) => plainRound(prefix, true) },
  { key: 'driver', title: 'nestjs-jobs BullMQ driver', run: (prefix) => driverRound(prefix) },
];

Logger.overrideLogger(['error']);
const runs = Object.fromEntries(CONTENDERS.map(({ key }) => [key, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < CONTENDERS.length; i++) {
    const contender = CONTENDERS[(i + round) % CONTENDERS.length];
    runs[contender.key].push(await contender.run(`${runId}-${contender.key}-${round}`));
  }
  const line = CONTENDERS.map(({ key, title }) => {
    const run = runs[key].at(-1);
    return `${title} ${Math.round(run.rate)} jobs/s (${run.cpuUs.toFixed(0)} µs CPU/job)`;
  });
  console.log(`round ${round + 1}: ${line.join(', ')}`);
}
monitor.disconnect();

const figure = (key, field) => median(runs[key].map((run) => run[field]));
const rate = (key) => figure(key, 'rate');
console.log(`\n${JOBS} no-op jobs, concurrency ${CONCURRENCY}, median of ${ROUNDS} rounds:\n`);
console.log('| contender | jobs/s | client CPU/job | Redis CPU/job |');
console.log('|---|---|---|---|');
for (const { key, title } of CONTENDERS) {
  console.log(`| ${title} | ${Math.round(rate(key))} | ${figure(key, 'cpuUs').toFixed(0)} µs | ${figure(key, 'redisUs').toFixed(0)} µs |`);
}
console.log(
  `\ndriver / plain BullMQ: ${(rate('driver') / rate('plain')).toFixed(2)} (target >= 0.95)` +
    `\ndriver / plain BullMQ with the driver's job options: ${(rate('driver') / rate('options')).toFixed(2)} (the driver's own cost)` +
    `\nplain BullMQ with the driver's job options / plain BullMQ: ${(rate('options') / rate('plain')).toFixed(2)} (what those options cost in BullMQ)`,
);

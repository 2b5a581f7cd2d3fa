/**
 * The in-memory job store's costs, in this process:
 *   - heap bytes per kept failed job, next to heap bytes per queued job;
 *   - the time of `listJobs` for a page of 50 with 100 000 kept failed jobs
 *     (the first page, a page deep in via its cursor, one type's page, and a
 *     cursor whose record has since left the store).
 * Usage: tsc -p bench/tsconfig.json && node --expose-gc .build/bench/job-store.js [kept]
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { systemClock } from '../lib/engine/clock.js';
import { JobKernel } from '../lib/engine/job-kernel.js';
import { JobMonitor } from '../lib/engine/job-monitor.js';
import type { HandlerLookup, RegisteredHandler } from '../lib/engine/jobs-driver.js';
import { UnrecoverableJobError } from '../lib/engine/jobs.errors.js';
import { resolveHandlerOptions, resolveJobsOptions } from '../lib/jobs-options.js';
import { MemoryJobsDriver } from '../lib/memory/memory-jobs.driver.js';

const KEPT = Number(process.argv[2] ?? 100_000);
const quiet = { debug() {}, log() {}, warn() {}, error() {} };

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with node --expose-gc');
  collect();
  collect();
}

function engine(handlers: Record<string, () => unknown>) {
  const options = resolveJobsOptions({ workers: 64, queueSize: 10_000_000, retention: { failed: { count: KEPT } } });
  const byType = new Map<string, RegisteredHandler>();
  for (const [type, invoke] of Object.entries(handlers)) {
    byType.set(type, { index: byType.size, type, name: `Bench.${type}`, invoke, ...resolveHandlerOptions(type, { maxRetries: 0 }, options) });
  }
  const lookup: HandlerLookup = { get: (type) => byType.get(type), all: () => [...byType.values()] };
  const monitor = new JobMonitor(quiet);
  const driver = new MemoryJobsDriver({ options, handlers: lookup, monitor, logger: quiet, clock: systemClock, random: Math.random });
  return { driver, kernel: new JobKernel(options, lookup, monitor, driver) };
}

/** Keeps measured engines reachable until measured. */
const held: unknown[] = [];

const fail = () => {
  throw new UnrecoverableJobError('declined');
};

async function bytesPerQueued(n: number): Promise<number> {
  const { kernel } = engine({ t: () => undefined });
  await nextTurn();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) void kernel.submit('t', i, undefined);
  await nextTurn();
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / n;
  if (kernel.metrics().waiting !== n) throw new Error(`only ${kernel.metrics().waiting} of ${n} jobs are queued`);
  held.push(kernel);
  return bytes;
}

async function keptStore(n: number) {
  const made = engine({ a: fail, b: fail });
  made.driver.start();
  await nextTurn();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) {
    void made.kernel.submit(i % 2 === 0 ? 'a' : 'b', i, undefined);
    if (i % 10_000 === 9_999) await made.kernel.onIdle();
  }
  await made.kernel.onIdle();
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / n;
  return { ...made, bytes };
}

async function timed(label: string, run: () => Promise<unknown>, rounds = 200): Promise<void> {
  for (let i = 0; i < 20; i++) await run();
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await run();
  const micros = ((performance.now() - started) / rounds) * 1000;
  console.log(`  ${label.padEnd(52)} ${micros.toFixed(1)} µs`);
}

const queued = await bytesPerQueued(KEPT);
const store = await keptStore(KEPT);
const counts = await store.kernel.jobCounts();
if (counts.a.failed + counts.b.failed !== KEPT) throw new Error(`kept ${counts.a.failed + counts.b.failed} of ${KEPT}`);
console.log(`memory driver, ${KEPT} jobs (node ${process.version})`);
console.log(`  heap per queued job                                  ${queued.toFixed(0)} B`);
console.log(`  heap per kept failed job                             ${store.bytes.toFixed(0)} B`);

const { kernel } = store;
let deep: string | undefined;
let deepLast = '';
for (let i = 0; i < 50; i++) {
  const page = await kernel.listJobs({ state: 'failed', limit: 1000, cursor: deep });
  deep = page.next;
  deepLast = page.jobs.at(-1)!.id;
}
await timed('listJobs failed, limit 50, first page', () => kernel.listJobs({ state: 'failed' }));
await timed('listJobs failed, limit 50, after 50 000 (cursor)', () => kernel.listJobs({ state: 'failed', cursor: deep }));
await timed('listJobs failed, type a, limit 50, first page', () => kernel.listJobs({ state: 'failed', type: 'a' }));
await timed('getJob of a kept job', () => kernel.getJob(deepLast));
await kernel.removeJob(deepLast);
await timed('listJobs failed, limit 50, after 50 000, record left', () => kernel.listJobs({ state: 'failed', cursor: deep }), 20);

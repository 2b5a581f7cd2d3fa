import fastq from 'fastq';
import PQueue from 'p-queue';
import { systemClock } from '../lib/engine/clock.js';
import { JobKernel } from '../lib/engine/job-kernel.js';
import { JobMonitor } from '../lib/engine/job-monitor.js';
import type { RegisteredHandler } from '../lib/engine/jobs-driver.js';
import type { JobsLogger } from '../lib/engine/jobs-logger.js';
import { MemoryJobsDriver } from '../lib/memory/memory-jobs.driver.js';
import type { Job, RateLimitOptions } from '../lib/index.js';
import { JOBS_DEFAULTS, resolveJobsOptions } from '../lib/jobs-options.js';
import { BareHeapQueue, type Work } from './reference-heap.js';
import type { ContenderName } from './spec.js';

/** One queue under test, driven the same way as the others. */
export interface Contender {
  /** Submits one job and lets it go (the returned promise is the contender's own business). */
  submit(payload: number, priority: number): void;
  /** Jobs accepted and not yet started. */
  waiting(): number;
  onSizeLessThan(limit: number): Promise<void>;
  onIdle(): Promise<void>;
  /** Starts the workers of a contender created paused. */
  start(): void;
  /** What the contender itself reports as done, for a sanity check (undefined: not tracked). */
  processed(): number | undefined;
}

export interface ContenderSetup {
  workers: number;
  queueSize: number;
  work: Work;
  /** Created with its workers stopped, so that submitted jobs stay queued. */
  paused: boolean;
  /** A rate limit on the job type (the engine contenders only). */
  rateLimit?: Readonly<RateLimitOptions>;
}

export function createContender(name: ContenderName, setup: ContenderSetup): Promise<Contender> | Contender {
  switch (name) {
    case 'nest':
      // Loaded only here, so the other contenders' processes carry no Nest.
      return import('./nest-contender.js').then(({ nestQueue }) => nestQueue(setup));
    case 'engine':
      return bareEngine(setup);
    case 'heap':
      return bareHeap(setup);
    case 'fastq':
      return fastQueue(setup);
    case 'pqueue':
      return pQueue(setup);
  }
}

const silent: JobsLogger = { debug() {}, log() {}, warn() {}, error() {} };

/** The engine alone: the kernel on the in-memory driver with a hand-built context, no Nest, no event subscriber. */
function bareEngine({ workers, queueSize, work, paused, rateLimit }: ContenderSetup): Contender {
  const handler: RegisteredHandler = Object.freeze({
    index: 0,
    type: 'bench',
    name: 'Bench.run',
    invoke: (job: Job<number>) => work(job.payload),
    maxRetries: JOBS_DEFAULTS.maxRetries,
    timeout: 30_000,
    backoff: JOBS_DEFAULTS.backoff,
    concurrency: Infinity,
    retention: JOBS_DEFAULTS.retention,
    schema: undefined,
    ...(rateLimit === undefined ? {} : { rateLimit }),
  });
  const monitor = new JobMonitor(silent);
  const options = resolveJobsOptions({ workers, queueSize });
  const handlers = { get: (type: string) => (type === 'bench' ? handler : undefined), all: () => [handler] };
  const driver = new MemoryJobsDriver({ options, handlers, monitor, logger: silent, clock: systemClock, random: Math.random });
  const kernel = new JobKernel(options, handlers, monitor, driver);
  if (!paused) void kernel.start();
  return {
    submit(payload, priority) {
      void kernel.submit('bench', payload, priority === 0 ? undefined : { priority });
    },
    waiting: () => kernel.metrics().waiting,
    onSizeLessThan: (limit) => kernel.onSizeLessThan(limit),
    onIdle: () => kernel.onIdle(),
    start: () => void kernel.start(),
    processed: () => monitor.counters.processed,
  };
}

function bareHeap({ workers, work, paused }: ContenderSetup): Contender {
  const queue = new BareHeapQueue(workers);
  if (!paused) queue.start();
  return {
    submit(payload, priority) {
      void queue.submit(work, payload, priority);
    },
    waiting: () => queue.size,
    onSizeLessThan: (limit) => queue.onSizeLessThan(limit),
    onIdle: () => queue.onIdle(),
    start: () => queue.start(),
    processed: () => undefined,
  };
}

/** fastq has no priorities (it is FIFO) and no size waiter: the worker resolves one when a job finishes. */
function fastQueue({ workers, work, paused }: ContenderSetup): Contender {
  let sizeWaiter: { limit: number; resolve: () => void } | null = null;
  const afterJob = (): void => {
    if (sizeWaiter !== null && queue.length() < sizeWaiter.limit) {
      const { resolve } = sizeWaiter;
      sizeWaiter = null;
      resolve();
    }
  };
  const worker = (payload: number): Promise<void> => {
    const done = work(payload);
    return sizeWaiter === null ? done : done.then(afterJob);
  };
  const queue = fastq.promise(worker, workers);
  if (paused) queue.pause();
  return {
    submit(payload) {
      void queue.push(payload);
    },
    waiting: () => queue.length(),
    onSizeLessThan(limit) {
      if (queue.length() < limit) return Promise.resolve();
      return new Promise((resolve) => (sizeWaiter = { limit, resolve }));
    },
    onIdle: () => (queue.idle() ? Promise.resolve() : queue.drained()),
    start: () => queue.resume(),
    processed: () => undefined,
  };
}

function pQueue({ workers, work, paused }: ContenderSetup): Contender {
  const queue = new PQueue({ concurrency: workers, autoStart: !paused });
  return {
    submit(payload, priority) {
      void queue.add(() => work(payload), { priority });
    },
    waiting: () => queue.size,
    onSizeLessThan: (limit) => queue.onSizeLessThan(limit),
    onIdle: () => queue.onIdle(),
    start: () => queue.start(),
    processed: () => undefined,
  };
}

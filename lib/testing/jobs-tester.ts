import type { TestingModuleBuilder } from '@nestjs/testing';
import { COMPLETED, FAILED } from '../engine/attempt-runner.js';
import type { JobRequest } from '../engine/job-request.js';
import type { DriverContext } from '../engine/jobs-driver.js';
import { JobsError } from '../engine/jobs.errors.js';
import type { Job, JobRecord, JobState } from '../interfaces/job.interface.js';
import { JOBS_CLOCK, JOBS_DRIVER, JOBS_DRIVER_CONTEXT } from '../jobs.constants.js';
import { MemoryJobsDriver } from '../memory/memory-jobs.driver.js';
import { JobTracker, type Tracked } from './job-tracker.js';
import { TestClock } from './test-clock.js';
import {
  attachedTwice,
  invalidAdvance,
  invalidMode,
  manualOnly,
  notAttached,
  notInitialised,
  tooManyAttempts,
  workersBusy,
} from './testing.messages.js';

/** `'manual'`: jobs run only through `runNext()` / `runAll()`. `'auto'`: as in production, with time on the test clock. */
export type JobsTesterMode = 'manual' | 'auto';

/** Options of `createJobsTester`. */
export interface JobsTesterOptions {
  /** Default `'manual'`. */
  mode?: JobsTesterMode;
  /** Where the test clock starts. Default: the real time when the tester is made. */
  startAt?: Date | number;
}

/** Which jobs `tester.jobs()` lists. */
export interface JobsFilter {
  type?: string;
  state?: JobState;
}

/** Most attempts one `runAll()` makes before it gives up. */
export const RUN_ALL_ATTEMPT_LIMIT = 10_000;

/** The in-memory driver, reporting to the tester what it does. */
class TestJobsDriver extends MemoryJobsDriver {
  constructor(
    context: DriverContext,
    manual: boolean,
    private readonly tracker: JobTracker,
  ) {
    super(context, { manual, abandonOnClose: true, signalGranularityMs: 1 });
  }

  override submit(request: JobRequest): Promise<Job> {
    this.tracker.submitting(request.delay);
    try {
      return super.submit(request);
    } finally {
      this.tracker.submitDone();
    }
  }

  override attemptEnded(record: Parameters<MemoryJobsDriver['attemptEnded']>[0], job: Job, verdict: number, result: unknown, now: number): void {
    super.attemptEnded(record, job, verdict, result, now);
    const outcome = verdict === COMPLETED ? 'completed' : verdict === FAILED ? 'failed' : 'retry';
    this.tracker.attemptEnded(job, outcome, verdict, result);
  }
}

/**
 * Runs an application's jobs in a test: swaps whatever driver the app
 * configured (BullMQ included, by `forRoot` or `forRootAsync`) for the
 * in-memory one on a test clock, keeping every other option and the
 * handlers. Nothing connects to a broker.
 */
export class JobsTester {
  readonly #mode: JobsTesterMode;
  readonly #clock: TestClock;
  readonly #tracker: JobTracker;
  #driver: TestJobsDriver | null = null;
  #workers = 0;

  constructor(options: JobsTesterOptions = {}) {
    const mode = options.mode ?? 'manual';
    if (mode !== 'manual' && mode !== 'auto') throw new JobsError(invalidMode(mode));
    this.#mode = mode;
    const start = options.startAt === undefined ? Date.now() : new Date(options.startAt).getTime();
    this.#clock = new TestClock(start);
    this.#tracker = new JobTracker(() => this.#clock.now());
  }

  /** The mode it was made with. */
  get mode(): JobsTesterMode {
    return this.#mode;
  }

  /** The test clock's time. */
  now(): Date {
    return new Date(this.#clock.now());
  }

  /**
   * Replaces the app's driver and clock on `builder` (what `Test.createTestingModule` returns)
   * and returns it, to chain `.compile()`. The configured driver is never made.
   */
  override<B extends TestingModuleBuilder>(builder: B): B {
    builder.overrideProvider(JOBS_CLOCK).useValue(this.#clock);
    builder.overrideProvider(JOBS_DRIVER).useFactory({ factory: (context: DriverContext) => this.#attach(context), inject: [JOBS_DRIVER_CONTEXT] });
    return builder;
  }

  /** Every job submitted so far, in submit order, with its current state (synchronous). */
  jobs(filter?: JobsFilter): JobRecord[] {
    return this.#tracker.list(filter);
  }

  /**
   * Runs the next ready job (by priority) through one attempt and resolves
   * with its record after it: `completed`, `failed`, or `delayed` (or
   * `waiting`) for a retry. Undefined when no job is ready. Manual mode.
   */
  async runNext(): Promise<JobRecord | undefined> {
    const driver = this.#ready('runNext');
    if (this.#mode === 'auto') throw new JobsError(manualOnly());
    const job = driver.runNext();
    if (job === undefined) {
      if (driver.counts().waiting > 0 && driver.counts().active >= this.#workers) throw new JobsError(workersBusy(this.#workers));
      return undefined;
    }
    return this.#tracker.attemptOf(job);
  }

  /**
   * Runs ready jobs and moves the test clock through delays and backoffs
   * until nothing waits or is delayed (jobs submitted by handlers included).
   * Resolves with the jobs that finished, in the order they did. More than
   * 10 000 attempts in one call reject with a `JobsError`.
   */
  async runAll(): Promise<JobRecord[]> {
    const driver = this.#ready('runAll');
    const tracker = this.#tracker;
    const finished: Tracked[] = [];
    const startedBefore = tracker.started;
    const previous = tracker.onFinished;
    tracker.onFinished = (tracked) => finished.push(tracked);
    try {
      for (;;) {
        const attempts = tracker.started - startedBefore;
        if (this.#mode === 'manual') {
          if (driver.counts().waiting > 0) {
            if (attempts >= RUN_ALL_ATTEMPT_LIMIT) throw new JobsError(tooManyAttempts(RUN_ALL_ATTEMPT_LIMIT));
            const job = driver.runNext();
            if (job !== undefined) {
              await tracker.attemptOf(job);
              continue;
            }
          }
        } else {
          if (attempts > RUN_ALL_ATTEMPT_LIMIT) throw new JobsError(tooManyAttempts(RUN_ALL_ATTEMPT_LIMIT));
          // Jobs start on their own, a microtask after they become ready.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const { delayed, active } = driver.counts();
        if (active > 0) {
          // A handler that waits for its signal needs advance() to reach its timeout.
          await tracker.anyAttemptEnd();
        } else if (delayed > 0) {
          const due = this.#clock.nextDue();
          if (due === undefined) break;
          await this.#clock.advance(Math.max(0, due - this.#clock.now()));
        } else {
          break;
        }
      }
    } finally {
      tracker.onFinished = previous;
    }
    return finished.map((tracked) => tracker.record(tracked));
  }

  /**
   * Moves the test clock by `ms`, firing in order every timer that comes due:
   * delays, backoffs, attempt timeouts (the handler's signal aborts). In
   * manual mode jobs become ready but none runs. May be called while
   * `runNext()` waits on a handler.
   */
  async advance(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new JobsError(invalidAdvance(ms));
    await this.#clock.advance(ms);
  }

  #attach(context: DriverContext): TestJobsDriver {
    if (this.#driver !== null) throw new JobsError(attachedTwice());
    this.#workers = context.options.workers;
    this.#driver = new TestJobsDriver(context, this.#mode === 'manual', this.#tracker);
    context.monitor.events$.subscribe(this.#tracker.event);
    return this.#driver;
  }

  #ready(method: string): TestJobsDriver {
    if (this.#driver === null) throw new JobsError(notAttached(method));
    if (this.#driver.health().state === 'created') throw new JobsError(notInitialised(method));
    return this.#driver;
  }
}

/** A tester for one application: `createJobsTester({ mode: 'manual' })` (the default) or `{ mode: 'auto' }`. */
export function createJobsTester(options?: JobsTesterOptions): JobsTester {
  return new JobsTester(options);
}

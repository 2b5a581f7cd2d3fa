import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { JobQueue, QueueFullError } from 'nestjs-jobs';
import { type ResolvedSampleOptions, SAMPLE_OPTIONS } from './sample-options.js';

/** Ten jobs a second, in a steady mix: mostly quick ones, some slow flaky reports. */
const TICK_MS = 100;
const MIX = ['notification', 'email', 'notification', 'report', 'email', 'notification', 'email', 'notification', 'report', 'email'];

/** Submits the demo's mix of jobs while the app runs (`JOBS_DEMO=0` turns it off). */
@Injectable()
export class DemoProducer implements OnApplicationBootstrap, OnModuleDestroy {
  #timer: NodeJS.Timeout | undefined;
  #count = 0;

  constructor(
    private readonly jobs: JobQueue,
    @Inject(SAMPLE_OPTIONS) private readonly options: ResolvedSampleOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.demo) this.#timer = setInterval(() => this.#submitOne(), TICK_MS);
  }

  // Runs before the jobs' drain, so the demo stops before intake closes.
  onModuleDestroy(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #submitOne(): void {
    const n = ++this.#count;
    const type = MIX[n % MIX.length];
    const submitted =
      type === 'notification'
        ? this.jobs.submit('notification', { userId: n }, { priority: 10 })
        : type === 'email'
          ? this.jobs.submit('email', { to: `user${n}@example.com` }, { priority: 5 })
          : this.jobs.submit('report', { month: '2026-11' });
    // A full queue is the demo outrunning the workers: metrics() counts it as rejected.
    submitted.catch((error: unknown) => {
      if (!(error instanceof QueueFullError)) this.onModuleDestroy();
    });
  }
}

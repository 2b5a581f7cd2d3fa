import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { type JobEvent, JobQueue } from 'nestjs-jobs';
import type { Subscription } from 'rxjs';
import { type ResolvedSampleOptions, SAMPLE_OPTIONS } from './sample-options.js';

interface TypeTally {
  completed: number;
  failed: number;
  retried: number;
  /** Accepted and not started yet (delayed and awaiting a retry included). */
  waiting: number;
  active: number;
}

/**
 * What a person watching the sample sees: one compact line a second, per job
 * type, and a one-line summary once the drain is over. With `trace`, one
 * machine-readable line per job outcome (`job-outcome completed <id>`).
 */
@Injectable()
export class ProgressReporter implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  readonly #tally = new Map<string, TypeTally>();
  /** Ids of running attempts: an abandoned job was either running or waiting. */
  readonly #running = new Set<string>();
  #subscription: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #lastTally = '';

  constructor(
    private readonly jobs: JobQueue,
    @Inject(SAMPLE_OPTIONS) private readonly options: ResolvedSampleOptions,
  ) {}

  onModuleInit(): void {
    this.#subscription = this.jobs.events$.subscribe((event) => this.#record(event));
  }

  onApplicationBootstrap(): void {
    if (!this.options.progress) return;
    this.#startedAt = Date.now();
    this.options.print('Progress every second, per type: completed/failed/retried, then waiting/active');
    this.#timer = setInterval(() => this.#printProgress(), 1000);
  }

  onModuleDestroy(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.options.print('Shutting down: draining the job queue...');
  }

  // After the drain (it runs in the jobs module's onModuleDestroy): the totals are final.
  onApplicationShutdown(): void {
    this.#subscription?.unsubscribe();
    const { processed, failed, abandoned } = this.jobs.metrics();
    this.options.print(`Drained: ${processed} completed, ${failed} failed, ${abandoned} abandoned`);
  }

  /** The progress line: `[  3s] email 25/0/0 1/2 · report 4/0/2 3/2 · ... · rejected 0`. */
  progressLine(): string {
    const seconds = Math.round((Date.now() - this.#startedAt) / 1000);
    return `[${String(seconds).padStart(3)}s] ${this.#tallyLine()}`;
  }

  #tallyLine(): string {
    const types = [...this.#tally].map(
      ([type, t]) => `${type} ${t.completed}/${t.failed}/${t.retried} ${t.waiting}/${t.active}`,
    );
    return `${types.join(' · ') || 'no jobs yet'} · rejected ${this.jobs.metrics().rejected}`;
  }

  #printProgress(): void {
    const tally = this.#tallyLine();
    // An idle app (JOBS_DEMO=0) stays quiet instead of repeating itself.
    if (tally === this.#lastTally) return;
    this.#lastTally = tally;
    this.options.print(this.progressLine());
  }

  #record({ kind, job }: JobEvent): void {
    let tally = this.#tally.get(job.type);
    if (tally === undefined) {
      tally = { completed: 0, failed: 0, retried: 0, waiting: 0, active: 0 };
      this.#tally.set(job.type, tally);
    }
    switch (kind) {
      case 'submitted':
        tally.waiting++;
        return;
      case 'started':
        tally.waiting--;
        tally.active++;
        this.#running.add(job.id);
        return;
      case 'retrying':
        tally.retried++;
        tally.active--;
        tally.waiting++;
        this.#running.delete(job.id);
        return;
      case 'completed':
      case 'failed':
        tally[kind]++;
        tally.active--;
        this.#running.delete(job.id);
        break;
      case 'abandoned':
        if (this.#running.delete(job.id)) tally.active--;
        else tally.waiting--;
        break;
    }
    if (this.options.trace) this.options.print(`job-outcome ${kind} ${job.id}`);
  }
}

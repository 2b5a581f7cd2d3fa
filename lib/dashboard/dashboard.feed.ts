import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { JobQueue, type JobRecord, type JobsMetrics, type JobStateCounts, type JobsStatus, type ScheduleRecordJson } from '../index.js';
import { DASHBOARD_OPTIONS } from './dashboard.constants.js';
import type { ResolvedDashboardOptions } from './jobs-dashboard.options.js';

/** Width of one rate bucket, and how many the charts show (5 minutes). */
export const BUCKET_MS = 10_000;
export const BUCKETS = 30;
/** Events are counted while pages poll, and for this long after the last one asked. */
export const WATCH_MS = BUCKET_MS * BUCKETS;
/** How long one snapshot serves every open page: one set of queries per second, however many pages poll. */
export const SNAPSHOT_TTL_MS = 1_000;
/** Failed jobs per page of the list. */
export const FAILED_PAGE = 20;

/** A failed job as the dashboard sends it: `payload` only with `showPayloads`. */
export interface FailedJobView {
  id: string;
  type: string;
  error?: string;
  attemptsMade: number;
  maxRetries: number;
  createdAt: string;
  finishedAt?: string;
  payload?: unknown;
}

/** One page of failed jobs; `next` is the cursor of the next. */
export interface FailedPageView {
  jobs: FailedJobView[];
  next?: string;
}

/** One job type's row: counts cluster-wide, rates from this process's events (oldest bucket first). */
export interface TypeView {
  type: string;
  counts: JobStateCounts;
  completed: number[];
  failed: number[];
}

/** What the page polls. */
export interface DashboardSnapshot {
  at: string;
  readOnly: boolean;
  showPayloads: boolean;
  bucketMs: number;
  status: JobsStatus;
  metrics: JobsMetrics;
  types: TypeView[];
  /** Since when the rates are counted: events are counted only while pages are open. */
  ratesSince: string;
  failed: FailedPageView;
  /** `listSchedules()`, `next` as an ISO 8601 string. */
  schedules: ScheduleRecordJson[];
}

interface Rates {
  completed: Uint32Array;
  failed: Uint32Array;
}

/**
 * Counts completed and failed jobs per type and 10-s bucket from `events$`, and
 * keeps one snapshot of the queue for every page that polls within a second.
 * It listens to `events$` only while pages poll (and WATCH_MS after): with
 * nobody looking, the queue builds no event objects for it.
 */
@Injectable()
export class DashboardFeed implements OnModuleDestroy {
  readonly #rates = new Map<string, Rates>();
  /** The bucket (ms since epoch / BUCKET_MS) the newest slot of every ring holds. */
  #bucket = 0;
  #subscription: Subscription | undefined;
  #watchingSince = 0;
  #lastAsked = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #snapshot: { at: number; value: Promise<DashboardSnapshot> } | undefined;

  constructor(
    private readonly queue: JobQueue,
    @Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions,
  ) {}

  onModuleDestroy(): void {
    this.#stopWatching();
  }

  /** The shared snapshot: a fresh one at most once per SNAPSHOT_TTL_MS. */
  snapshot(): Promise<DashboardSnapshot> {
    const now = Date.now();
    this.#watch(now);
    if (this.#snapshot === undefined || now - this.#snapshot.at >= SNAPSHOT_TTL_MS) {
      const value = this.#read();
      this.#snapshot = { at: now, value };
      // A failed read is not kept: the next poll asks again.
      value.catch(() => {
        if (this.#snapshot?.value === value) this.#snapshot = undefined;
      });
    }
    return this.#snapshot.value;
  }

  /** After a retry or a remove, the next poll reads afresh. */
  invalidate(): void {
    this.#snapshot = undefined;
  }

  /** A page of failed jobs, of one type or all, from a cursor. */
  async failedPage(type: string | undefined, cursor: string | undefined): Promise<FailedPageView> {
    const page = await this.queue.listJobs({ state: 'failed', type, cursor, limit: FAILED_PAGE });
    return page.next === undefined ? { jobs: page.jobs.map(this.#view) } : { jobs: page.jobs.map(this.#view), next: page.next };
  }

  async #read(): Promise<DashboardSnapshot> {
    const [counts, failed, schedules] = await Promise.all([
      this.queue.jobCounts(),
      this.failedPage(undefined, undefined),
      this.queue.listSchedules(),
    ]);
    this.#advance();
    const types = Object.keys(counts)
      .sort()
      .map((type): TypeView => {
        const rates = this.#rates.get(type);
        return {
          type,
          counts: counts[type],
          completed: rates ? Array.from(rates.completed) : new Array<number>(BUCKETS).fill(0),
          failed: rates ? Array.from(rates.failed) : new Array<number>(BUCKETS).fill(0),
        };
      });
    return {
      at: new Date().toISOString(),
      readOnly: this.options.readOnly,
      showPayloads: this.options.showPayloads,
      bucketMs: BUCKET_MS,
      status: this.queue.status(),
      metrics: this.queue.metrics(),
      types,
      ratesSince: new Date(this.#watchingSince).toISOString(),
      failed,
      schedules: schedules.map(({ key, type, cron, every, timezone, next }) => ({ key, type, cron, every, timezone, next: next.toISOString() })),
    };
  }

  #watch(now: number): void {
    this.#lastAsked = now;
    if (this.#subscription !== undefined) return;
    this.#watchingSince = now;
    this.#bucket = Math.floor(now / BUCKET_MS);
    this.#subscription = this.queue.events$.subscribe((event) => {
      if (event.kind !== 'completed' && event.kind !== 'failed') return;
      this.#advance();
      let rates = this.#rates.get(event.job.type);
      if (rates === undefined) {
        rates = { completed: new Uint32Array(BUCKETS), failed: new Uint32Array(BUCKETS) };
        this.#rates.set(event.job.type, rates);
      }
      rates[event.kind][BUCKETS - 1]++;
    });
    this.#armIdleTimer(WATCH_MS);
  }

  #armIdleTimer(delay: number): void {
    this.#idleTimer = setTimeout(() => {
      const idle = Date.now() - this.#lastAsked;
      if (idle >= WATCH_MS) this.#stopWatching();
      else this.#armIdleTimer(WATCH_MS - idle);
    }, delay);
    // A dashboard nobody looks at must not keep the process alive.
    this.#idleTimer.unref?.();
  }

  #stopWatching(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    this.#rates.clear();
  }

  /** Moves every ring to the current bucket, zeroing the buckets that passed without events. */
  #advance(): void {
    const bucket = Math.floor(Date.now() / BUCKET_MS);
    const shift = Math.min(bucket - this.#bucket, BUCKETS);
    if (shift <= 0) return;
    this.#bucket = bucket;
    for (const rates of this.#rates.values()) {
      for (const ring of [rates.completed, rates.failed]) {
        ring.copyWithin(0, shift);
        ring.fill(0, BUCKETS - shift);
      }
    }
  }

  readonly #view = (job: JobRecord): FailedJobView => {
    const view: FailedJobView = {
      id: job.id,
      type: job.type,
      error: job.error,
      attemptsMade: job.attemptsMade,
      maxRetries: job.maxRetries,
      createdAt: job.createdAt.toISOString(),
      finishedAt: job.finishedAt?.toISOString(),
    };
    if (this.options.showPayloads) view.payload = job.payload;
    return view;
  };
}

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Subject } from 'rxjs';
import type { JobEvent, JobPage, JobQueue, JobStateCounts } from '../../../lib/index.js';
import { BUCKET_MS, BUCKETS, DashboardFeed, WATCH_MS } from '../../../lib/dashboard/dashboard.feed.js';
import { resolveDashboardOptions } from '../../../lib/dashboard/jobs-dashboard.options.js';

const ZERO: JobStateCounts = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 };
/** A bucket boundary, so the test knows which bucket every event lands in. */
const START = 1_800_000_000_000;

/** JobQueue's public API as the feed reads it, counting the reads. */
function fakeQueue() {
  const events = new Subject<JobEvent>();
  const reads = { counts: 0, lists: 0 };
  let failNext = false;
  const queue = {
    events$: events.asObservable(),
    jobCounts: async () => {
      reads.counts++;
      if (failNext) {
        failNext = false;
        throw new Error('Redis is down');
      }
      return { email: ZERO, report: ZERO };
    },
    listJobs: async (): Promise<JobPage> => {
      reads.lists++;
      return {
        jobs: [
          {
            id: 'r1',
            type: 'report',
            payload: { secret: 1 },
            priority: 0,
            attempts: 2,
            attemptsMade: 3,
            maxRetries: 2,
            createdAt: new Date(START - 5000),
            finishedAt: new Date(START - 1000),
            state: 'failed',
            error: 'boom',
          },
        ],
      };
    },
    listSchedules: async () => [],
    status: () => ({ state: 'running' as const }),
    metrics: () => ({}) as ReturnType<JobQueue['metrics']>,
  };
  const emit = (kind: 'completed' | 'failed' | 'started', type: string): void =>
    events.next({ kind, job: { type } } as unknown as JobEvent);
  return { queue: queue as unknown as JobQueue, reads, emit, failOnce: () => (failNext = true), watched: () => events.observed };
}

describe('DashboardFeed', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: START });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  function feedOn(fake: ReturnType<typeof fakeQueue>, showPayloads = false): DashboardFeed {
    return new DashboardFeed(fake.queue, resolveDashboardOptions({ authorize: () => true, showPayloads }));
  }

  it('counts completed and failed per type and 10-s bucket, newest last, and moves them along with time', async () => {
    const fake = fakeQueue();
    const feed = feedOn(fake);
    await feed.snapshot();
    fake.emit('completed', 'email');
    fake.emit('completed', 'email');
    fake.emit('started', 'email');
    fake.emit('failed', 'report');
    jest.setSystemTime(START + BUCKET_MS);
    fake.emit('completed', 'email');

    feed.invalidate();
    const snapshot = await feed.snapshot();
    expect(snapshot.types.map((row) => row.type)).toEqual(['email', 'report']);
    expect(snapshot.types[0].completed.slice(-2)).toEqual([2, 1]);
    expect(snapshot.types[1].failed.slice(-2)).toEqual([1, 0]);
    expect(snapshot.types[0].completed).toHaveLength(BUCKETS);
    expect(snapshot.ratesSince).toBe(new Date(START).toISOString());

    // Past the window, every bucket is zero again.
    jest.setSystemTime(START + BUCKET_MS * (BUCKETS + 5));
    feed.invalidate();
    const later = (await feed.snapshot()).types;
    expect(later[0].completed.every((n) => n === 0)).toBe(true);
    expect(later[1].failed.every((n) => n === 0)).toBe(true);
    feed.onModuleDestroy();
  });

  it('listens to events only while pages poll: not before the first, and not WATCH_MS after the last', async () => {
    const fake = fakeQueue();
    const feed = feedOn(fake);
    expect(fake.watched()).toBe(false);
    await feed.snapshot();
    expect(fake.watched()).toBe(true);
    // A page keeps polling: still listening after the window, counted from the last poll.
    jest.advanceTimersByTime(WATCH_MS - 1000);
    feed.invalidate();
    await feed.snapshot();
    jest.advanceTimersByTime(WATCH_MS - 1);
    expect(fake.watched()).toBe(true);
    jest.advanceTimersByTime(1);
    expect(fake.watched()).toBe(false);
    // Counted again from the next poll on, with nothing left from before.
    fake.emit('completed', 'email');
    feed.invalidate();
    const again = await feed.snapshot();
    expect(again.types[0].completed.every((n) => n === 0)).toBe(true);
    expect(again.ratesSince).toBe(new Date(START + 2 * WATCH_MS - 1000).toISOString());
    feed.onModuleDestroy();
    expect(fake.watched()).toBe(false);
  });

  it('reads the queue once per second however many pages ask, and again after a change', async () => {
    const fake = fakeQueue();
    const feed = feedOn(fake);
    await Promise.all(Array.from({ length: 100 }, () => feed.snapshot()));
    expect(fake.reads).toEqual({ counts: 1, lists: 1 });
    jest.setSystemTime(START + 999);
    await feed.snapshot();
    expect(fake.reads.counts).toBe(1);
    jest.setSystemTime(START + 1000);
    await feed.snapshot();
    expect(fake.reads.counts).toBe(2);
    feed.invalidate();
    await feed.snapshot();
    expect(fake.reads.counts).toBe(3);
  });

  it('does not keep a failed read: the next page asks the queue again', async () => {
    const fake = fakeQueue();
    const feed = feedOn(fake);
    fake.failOnce();
    await expect(feed.snapshot()).rejects.toThrow('Redis is down');
    await expect(feed.snapshot()).resolves.toMatchObject({ status: { state: 'running' } });
    expect(fake.reads.counts).toBe(2);
  });

  it('sends a failed job without its payload unless showPayloads', async () => {
    const hidden = await feedOn(fakeQueue()).snapshot();
    expect(hidden.failed.jobs).toEqual([
      { id: 'r1', type: 'report', error: 'boom', attemptsMade: 3, maxRetries: 2, createdAt: new Date(START - 5000).toISOString(), finishedAt: new Date(START - 1000).toISOString() },
    ]);
    const shown = await feedOn(fakeQueue(), true).snapshot();
    expect(shown.failed.jobs[0].payload).toEqual({ secret: 1 });
  });
});

import { describe, expect, it } from '@jest/globals';
import type { Job, JobEvent } from '../../../lib/index.js';
import { JobMonitor } from '../../../lib/engine/job-monitor.js';

const silent = { debug() {}, log() {}, warn() {}, error() {} };
const job = (id: string): Job => Object.freeze({ id, type: 't', payload: null, priority: 0, attempts: 0, maxRetries: 0, createdAt: new Date(0), error: undefined });

describe('JobMonitor events$', () => {
  it('sends each event to every subscriber there is, and none to one that unsubscribed', () => {
    const monitor = new JobMonitor(silent);
    const first: JobEvent[] = [];
    const second: JobEvent[] = [];
    const a = monitor.events$.subscribe((event) => first.push(event));
    monitor.events$.subscribe((event) => second.push(event));
    monitor.submitted(job('1'));
    a.unsubscribe();
    monitor.completed(job('1'), 3);
    expect(first.map((e) => e.kind)).toEqual(['submitted']);
    expect(second).toEqual([
      { kind: 'submitted', job: job('1'), error: undefined, durationMs: undefined },
      { kind: 'completed', job: job('1'), error: undefined, durationMs: 3 },
    ]);
  });

  it('like a Subject: a subscriber added during an event gets the next one, one removed gets no more', () => {
    const monitor = new JobMonitor(silent);
    const seen: string[] = [];
    const a = monitor.events$.subscribe(() => {
      seen.push('a');
      b.unsubscribe();
      monitor.events$.subscribe(() => seen.push('late'));
    });
    const b = monitor.events$.subscribe(() => seen.push('b'));
    monitor.started(job('1'), 0);
    expect(seen).toEqual(['a']);
    a.unsubscribe();
    monitor.started(job('2'), 0);
    expect(seen).toEqual(['a', 'late']);
  });

  it('completes its subscribers once, and completes at once those who subscribe after', () => {
    const monitor = new JobMonitor(silent);
    let completions = 0;
    const received: JobEvent[] = [];
    monitor.events$.subscribe({ next: (event) => received.push(event), complete: () => completions++ });
    monitor.complete();
    monitor.complete();
    monitor.submitted(job('1'));
    let lateCompleted = false;
    monitor.events$.subscribe({ next: (event) => received.push(event), complete: () => (lateCompleted = true) });
    monitor.submitted(job('2'));
    expect(completions).toBe(1);
    expect(lateCompleted).toBe(true);
    expect(received).toEqual([]);
  });
});

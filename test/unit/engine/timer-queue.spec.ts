import { describe, expect, it } from '@jest/globals';
import type { TimerHandle } from '../../../lib/engine/clock.js';
import type { HeapEntry } from '../../../lib/engine/min-heap.js';
import { MAX_TIMER_MS } from '../../../lib/engine/limits.js';
import { TimerQueue } from '../../../lib/engine/timer-queue.js';
import { FakeClock } from '../../support/fake-clock.js';

/** A FakeClock that also records what the queue asks of it. */
class RecordingClock extends FakeClock {
  readonly armed: Array<{ ms: number; unref: boolean }> = [];
  readonly refs: boolean[] = [];

  override setTimeout(callback: () => void, ms: number, unref = false): TimerHandle {
    this.armed.push({ ms, unref });
    return super.setTimeout(callback, ms, unref);
  }

  override ref(handle: TimerHandle, keepAlive: boolean): void {
    this.refs.push(keepAlive);
    super.ref(handle, keepAlive);
  }
}

interface Entry extends HeapEntry {
  name: string;
}

function entry(name: string): Entry {
  return { name, key: 0, seq: 0, heapIndex: -1 };
}

function setup(keepAlive = true, onDue?: (e: Entry, queue: TimerQueue<Entry>) => void) {
  const clock = new RecordingClock(0);
  const fired: Array<{ name: string; at: number }> = [];
  const queue: TimerQueue<Entry> = new TimerQueue<Entry>(
    clock,
    (e) => {
      fired.push({ name: e.name, at: clock.now() });
      onDue?.(e, queue);
    },
    keepAlive,
  );
  const names = () => fired.map((f) => f.name);
  return { clock, queue, fired, names };
}

describe('TimerQueue', () => {
  it('fires entries at their due times, in due order, ties in the order they were added', async () => {
    const { clock, queue, fired } = setup();
    queue.add(entry('a'), 300);
    queue.add(entry('b'), 100);
    queue.add(entry('c'), 200);
    queue.add(entry('d'), 100);
    expect(queue.size).toBe(4);
    await clock.advance(1000);
    expect(fired).toEqual([
      { name: 'b', at: 100 },
      { name: 'd', at: 100 },
      { name: 'c', at: 200 },
      { name: 'a', at: 300 },
    ]);
    expect(queue.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('never fires an entry before it is due, a fractional due time included', async () => {
    const { clock, queue, names } = setup();
    queue.add(entry('a'), 100.5);
    await clock.advance(100);
    expect(names()).toEqual([]);
    await clock.advance(1);
    expect(names()).toEqual(['a']);
  });

  it('keeps one clock timer, re-armed only when an earlier entry arrives', async () => {
    const { clock, queue, names } = setup();
    queue.add(entry('a'), 500);
    expect(clock.armed.map((t) => t.ms)).toEqual([500]);
    queue.add(entry('later'), 800);
    queue.add(entry('same'), 500);
    expect(clock.armed.map((t) => t.ms)).toEqual([500]);
    expect(clock.pendingTimers).toBe(1);
    queue.add(entry('earlier'), 200);
    expect(clock.armed.map((t) => t.ms)).toEqual([500, 200]);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(200);
    expect(names()).toEqual(['earlier']);
    // After firing, one timer for the next entry, and only one.
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(600);
    expect(names()).toEqual(['earlier', 'a', 'same', 'later']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not fire a removed entry, the one the timer is armed for included', async () => {
    const { clock, queue, names } = setup();
    const first = entry('first');
    const middle = entry('middle');
    queue.add(first, 100);
    queue.add(middle, 200);
    queue.add(entry('last'), 300);
    queue.remove(first);
    queue.remove(middle);
    expect(queue.size).toBe(1);
    await clock.advance(250);
    expect(names()).toEqual([]);
    await clock.advance(50);
    expect(names()).toEqual(['last']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('drains without firing, stops its timer, and arms again for what is added after', async () => {
    const { clock, queue, names } = setup();
    const [a, b] = [entry('a'), entry('b')];
    queue.add(a, 100);
    queue.add(b, 50);
    const drained = queue.drain();
    expect(new Set(drained)).toEqual(new Set([a, b]));
    expect(queue.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(1000);
    expect(names()).toEqual([]);
    queue.add(entry('c'), clock.now() + 10);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(10);
    expect(names()).toEqual(['c']);
  });

  it('fires an entry that onDue adds, at its own due time', async () => {
    const { clock, queue, fired } = setup(true, (e, q) => {
      if (e.name === 'a') q.add(entry('added'), clock.now() + 50);
    });
    queue.add(entry('a'), 100);
    queue.add(entry('b'), 1000);
    await clock.advance(1000);
    expect(fired).toEqual([
      { name: 'a', at: 100 },
      { name: 'added', at: 150 },
      { name: 'b', at: 1000 },
    ]);
  });

  it('never asks the clock for a timer longer than 2^31 − 1 ms, and fires a far entry exactly when due', async () => {
    const { clock, queue, fired } = setup();
    const due = 1e10;
    queue.add(entry('far'), due);
    await clock.advance(due - 1);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([{ name: 'far', at: due }]);
    expect(clock.armed.length).toBeGreaterThanOrEqual(Math.ceil(due / MAX_TIMER_MS));
    for (const { ms } of clock.armed) expect(ms).toBeLessThanOrEqual(2_147_483_647);
    expect(clock.pendingTimers).toBe(0);
  });

  it('passes keepAlive through: an unref’d timer when false, and ref changes on the armed timer', () => {
    const idle = setup(false);
    idle.queue.keepAlive(true); // no timer yet: nothing to ref
    expect(idle.clock.refs).toEqual([]);
    idle.queue.add(entry('a'), 100);
    expect(idle.clock.armed).toEqual([{ ms: 100, unref: false }]);
    idle.queue.keepAlive(false);
    expect(idle.clock.refs).toEqual([false]);
    idle.queue.add(entry('b'), 50);
    expect(idle.clock.armed[1]).toEqual({ ms: 50, unref: true });

    const alive = setup(true);
    alive.queue.add(entry('a'), 100);
    expect(alive.clock.armed).toEqual([{ ms: 100, unref: false }]);
    alive.queue.keepAlive(false);
    expect(alive.clock.refs).toEqual([false]);
    alive.queue.keepAlive(true);
    expect(alive.clock.refs).toEqual([false, true]);
  });

  it('arms an unref’d timer from the start when constructed with keepAlive false', () => {
    const { clock, queue } = setup(false);
    queue.add(entry('a'), 100);
    expect(clock.armed).toEqual([{ ms: 100, unref: true }]);
  });
});

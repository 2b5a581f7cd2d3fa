import type { RateLimitOptions } from '../interfaces/schedule.interface.js';
import { invalidOption, notAnObject, unknownOption } from './engine.messages.js';
import { integerRange, isInteger, MAX_TIMER_MS } from './limits.js';

/** `RateLimiter.tryStart()`: the start opened a new window (arm its close), was taken in the open one, or was refused. */
export const WINDOW_OPENED = 0;
export const TAKEN = 1;
export const WINDOW_FULL = 2;

/**
 * A job type's rate limit in one process, in fixed windows as BullMQ's
 * limiter counts them: a window opens at the first start after the previous
 * one closed, and admits `max` starts until its owner calls `close()`,
 * `duration` ms later (on its timer). No clock read per start: only a start
 * that opens a window needs the time, to arm the close.
 */
export class RateLimiter {
  readonly max: number;
  readonly duration: number;
  #open = false;
  #started = 0;

  constructor({ max, duration }: Readonly<RateLimitOptions>) {
    this.max = max;
    this.duration = duration;
  }

  /** Takes a start if the window has room, opening one when none is open. */
  tryStart(): number {
    if (!this.#open) {
      this.#open = true;
      this.#started = 1;
      return WINDOW_OPENED;
    }
    if (this.#started < this.max) {
      this.#started++;
      return TAKEN;
    }
    return WINDOW_FULL;
  }

  /** The window's `duration` has passed: the next start opens another. */
  close(): void {
    this.#open = false;
    this.#started = 0;
  }

  /** Whether a start now would be refused. */
  get isFull(): boolean {
    return this.#open && this.#started >= this.max;
  }
}

const RATE_LIMIT_KEYS = ['max', 'duration'];

/** Reads `@JobHandler({ rateLimit })`; returns the limit, or what is wrong (naming the field). */
export function rateLimitOption(where: string, raw: unknown): Readonly<RateLimitOptions> | string {
  const at = `${where} option "rateLimit"`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return notAnObject(at, raw);
  for (const key in raw) if (!RATE_LIMIT_KEYS.includes(key)) return unknownOption(at, key, RATE_LIMIT_KEYS);
  const { max, duration } = raw as Partial<RateLimitOptions>;
  if (!isInteger(max, 1)) return invalidOption(where, 'rateLimit.max', max, integerRange(1));
  if (!isInteger(duration, 1, MAX_TIMER_MS)) return invalidOption(where, 'rateLimit.duration', duration, `${integerRange(1, MAX_TIMER_MS)} (ms)`);
  return Object.freeze({ max, duration });
}

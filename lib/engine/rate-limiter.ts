import type { RateLimitOptions } from '../interfaces/schedule.interface.js';
import { invalidOption, notAnObject, unknownOption } from './engine.messages.js';
import { integerRange, isInteger, MAX_TIMER_MS } from './limits.js';

/**
 * A job type's rate limit in one process, in fixed windows as BullMQ's
 * limiter counts them: a window opens at the first start after the previous
 * one closed, and admits `max` starts until `duration` ms have passed.
 */
export class RateLimiter {
  readonly max: number;
  readonly duration: number;
  #closesAt = -Infinity;
  #started = 0;

  constructor({ max, duration }: Readonly<RateLimitOptions>) {
    this.max = max;
    this.duration = duration;
  }

  /** Takes a start at `now` if the window has room (opening a new window if the last one closed). */
  tryStart(now: number): boolean {
    if (now >= this.#closesAt) {
      this.#closesAt = now + this.duration;
      this.#started = 1;
      return true;
    }
    if (this.#started < this.max) {
      this.#started++;
      return true;
    }
    return false;
  }

  /** Whether a start at `now` would be refused. */
  isFull(now: number): boolean {
    return now < this.#closesAt && this.#started >= this.max;
  }

  /** When the current window closes (and the next start may open another). */
  get closesAt(): number {
    return this.#closesAt;
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

import type { SubmitOptions } from '../interfaces/job.interface.js';
import { invalidJobId, invalidOption, notAnObject, unknownOption } from './engine.messages.js';
import type { RegisteredHandler } from './jobs-driver.js';
import { integerRange, isInteger, MAX_TIMER_MS, PRIORITY_MAX, PRIORITY_MIN } from './limits.js';

/**
 * One submit, its options read once and completed from the handler's: what a
 * driver enqueues. Reading each option once means a getter on the caller's
 * object cannot change a value after it was checked.
 */
export interface JobRequest {
  readonly handler: RegisteredHandler;
  readonly payload: unknown;
  /** The caller's id (an idempotency key), or undefined for a generated one. */
  readonly id: string | undefined;
  readonly priority: number;
  readonly maxRetries: number;
  readonly timeout: number;
  /** Ms before the job may run; 0 for none. */
  readonly delay: number;
}

const SUBMIT_KEYS: ReadonlySet<string> = new Set(['id', 'priority', 'maxRetries', 'timeout', 'delay']);
const JOB_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const ALL_DIGITS = /^[0-9]+$/;

/** Ids every driver can carry: 1–128 of `A-Z a-z 0-9 _ . -`, not all digits. */
export function isValidJobId(id: unknown): id is string {
  return typeof id === 'string' && JOB_ID.test(id) && !ALL_DIGITS.test(id);
}

/** Reads and checks a submit's options; returns the request, or what is wrong. */
export function jobRequest(handler: RegisteredHandler, payload: unknown, options: SubmitOptions | undefined): JobRequest | string {
  if (options === undefined) {
    return { handler, payload, id: undefined, priority: 0, maxRetries: handler.maxRetries, timeout: handler.timeout, delay: 0 };
  }
  if (typeof options !== 'object' || options === null) return notAnObject('submit', options);
  const { id, priority, maxRetries, timeout, delay } = options;
  if (id !== undefined && !isValidJobId(id)) return invalidJobId(id);
  if (priority !== undefined && !isInteger(priority, PRIORITY_MIN, PRIORITY_MAX)) {
    return invalidOption('submit', 'priority', priority, integerRange(PRIORITY_MIN, PRIORITY_MAX));
  }
  if (maxRetries !== undefined && !isInteger(maxRetries, 0)) return invalidOption('submit', 'maxRetries', maxRetries, integerRange(0));
  if (timeout !== undefined && !isInteger(timeout, 1, MAX_TIMER_MS)) {
    return invalidOption('submit', 'timeout', timeout, integerRange(1, MAX_TIMER_MS));
  }
  if (delay !== undefined && !isInteger(delay, 0, MAX_TIMER_MS)) return invalidOption('submit', 'delay', delay, integerRange(0, MAX_TIMER_MS));
  for (const key in options) {
    if (!SUBMIT_KEYS.has(key)) return unknownOption('submit', key, [...SUBMIT_KEYS]);
  }
  return {
    handler,
    payload,
    id,
    priority: priority ?? 0,
    maxRetries: maxRetries ?? handler.maxRetries,
    timeout: timeout ?? handler.timeout,
    delay: delay ?? 0,
  };
}

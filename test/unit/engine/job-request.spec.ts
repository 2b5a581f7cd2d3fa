import { describe, expect, it } from '@jest/globals';
import { isValidJobId, type JobRequest, jobRequest } from '../../../lib/engine/job-request.js';
import type { RegisteredHandler } from '../../../lib/engine/jobs-driver.js';
import type { SubmitOptions } from '../../../lib/interfaces/job.interface.js';

const handler: RegisteredHandler = {
  index: 0,
  type: 'email',
  name: 'MailService.send',
  invoke: async () => undefined,
  maxRetries: 5,
  timeout: 10_000,
  backoff: { delay: 1000, factor: 2, maxDelay: 300_000, jitter: 0 },
  concurrency: Infinity,
  schema: undefined,
  retention: { completed: { count: 0, age: Infinity }, failed: { count: 1000, age: 604_800_000 } },
};
const payload = { to: 'a@example.com' };
const MAX_MS = 2_147_483_647;

/** A request, or the test fails with the message it got instead. */
function request(options: unknown): JobRequest {
  const result = jobRequest(handler, payload, options as SubmitOptions);
  if (typeof result === 'string') throw new Error(`expected a request, got: ${result}`);
  return result;
}

/** The message, or the test fails. */
function refusal(options: unknown): string {
  const result = jobRequest(handler, payload, options as SubmitOptions);
  if (typeof result !== 'string') throw new Error(`expected a refusal of ${JSON.stringify(options)}`);
  return result;
}

describe('jobRequest', () => {
  it('takes the handler’s maxRetries and timeout, priority 0, no delay and no id, when given no options', () => {
    const expected = { handler, payload, id: undefined, priority: 0, maxRetries: 5, timeout: 10_000, delay: 0 };
    expect(request(undefined)).toEqual(expected);
    expect(request({})).toEqual(expected);
  });

  it('carries every option given, over the handler’s', () => {
    expect(request({ id: 'welcome-42', priority: -7, maxRetries: 0, timeout: 1, delay: 250 })).toEqual({
      handler,
      payload,
      id: 'welcome-42',
      priority: -7,
      maxRetries: 0,
      timeout: 1,
      delay: 250,
    });
  });

  it('reads each option exactly once, so a getter cannot change a value after it was checked', () => {
    const reads: Record<string, number> = {};
    const flaky = <T>(name: string, first: T): (() => unknown) => {
      reads[name] = 0;
      return () => (reads[name]++ === 0 ? first : 'x');
    };
    const getters = {
      id: flaky('id', 'job-1'),
      priority: flaky('priority', 5),
      maxRetries: flaky('maxRetries', 2),
      timeout: flaky('timeout', 500),
      delay: flaky('delay', 100),
    };
    const options = Object.defineProperties(
      {},
      Object.fromEntries(Object.entries(getters).map(([key, get]) => [key, { get, enumerable: true }])),
    );
    const result = request(options);
    expect(result).toMatchObject({ id: 'job-1', priority: 5, maxRetries: 2, timeout: 500, delay: 100 });
    expect(reads).toEqual({ id: 1, priority: 1, maxRetries: 1, timeout: 1, delay: 1 });
  });

  it('refuses an unknown option by name, listing the known ones', () => {
    expect(refusal({ priority: 1, prio: 1 })).toBe(
      'submit: unknown option "prio". Known options: id, priority, maxRetries, timeout, delay.',
    );
  });

  it('refuses options that are not an object', () => {
    expect(refusal(null)).toBe('submit: options must be an object, got null.');
    expect(refusal(5)).toBe('submit: options must be an object, got 5.');
    expect(refusal('fast')).toBe('submit: options must be an object, got "fast".');
  });

  it.each([
    ['empty', ''],
    ['with a space', 'has space'],
    ['all digits', '12345'],
    ['129 characters long', 'a'.repeat(129)],
    ['with non-ASCII letters', 'ünïcode'],
    ['with a slash', 'a/b'],
    ['a number', 42],
  ])('refuses a bad id: %s', (_, id) => {
    expect(refusal({ id })).toMatch(/^submit: option "id" must be 1–128 characters .*, got /);
  });

  it('accepts ids every driver can carry', () => {
    for (const id of ['a', '0x1', 'job-1.a_b', 'A'.repeat(128), '12a']) {
      expect(isValidJobId(id)).toBe(true);
      expect(request({ id }).id).toBe(id);
    }
  });

  it.each([
    ['priority', 1_000_001, 'an integer from -1000000 to 1000000'],
    ['priority', -1_000_001, 'an integer from -1000000 to 1000000'],
    ['priority', 1.5, 'an integer from -1000000 to 1000000'],
    ['priority', 'high', 'an integer from -1000000 to 1000000'],
    ['maxRetries', -1, 'an integer >= 0'],
    ['maxRetries', Number.NaN, 'an integer >= 0'],
    ['timeout', 0, `an integer from 1 to ${MAX_MS}`],
    ['timeout', 2 ** 31, `an integer from 1 to ${MAX_MS}`],
    ['timeout', Infinity, `an integer from 1 to ${MAX_MS}`],
    ['delay', -1, `an integer from 0 to ${MAX_MS}`],
    ['delay', 2 ** 31, `an integer from 0 to ${MAX_MS}`],
  ])('refuses %s %p, naming the option, the bound and the value', (option, value, expected) => {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    expect(refusal({ [option]: value })).toBe(`submit: option "${option}" must be ${expected}, got ${shown}.`);
  });

  it('says to convert a numeric string with Number()', () => {
    expect(refusal({ priority: '5' })).toBe(
      'submit: option "priority" must be an integer from -1000000 to 1000000, got the string "5": convert it with Number() ' +
        '(values read from ConfigService or process.env are strings).',
    );
  });

  it('accepts the bounds themselves', () => {
    expect(request({ priority: 1_000_000, timeout: MAX_MS, delay: MAX_MS })).toMatchObject({
      priority: 1_000_000,
      timeout: MAX_MS,
      delay: MAX_MS,
    });
    expect(request({ priority: -1_000_000, timeout: 1, delay: 0, maxRetries: 0 })).toMatchObject({
      priority: -1_000_000,
      timeout: 1,
      delay: 0,
      maxRetries: 0,
    });
  });
});

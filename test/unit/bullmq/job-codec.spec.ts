import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { checkEnvelope, checkJob, fromBullPriority, keptResult, measurePayload, metaOf, payloadOf, toBullPriority } from '../../../lib/bullmq/job-codec.js';
import { PRIORITY_MAX, PRIORITY_MIN } from '../../../lib/engine/limits.js';

/** BullMQ's priorities: 1..2^21-1 are prioritised (lower first); 0 would mean "none" and run before them all. */
const BULL_MAX = 2 ** 21 - 1;

describe('BullMQ job codec', () => {
  it('maps every priority of ours into BullMQ\'s prioritised range, higher first, and back', () => {
    expect(toBullPriority(PRIORITY_MAX)).toBe(1);
    expect(toBullPriority(PRIORITY_MIN)).toBe(2_000_001);
    expect(toBullPriority(PRIORITY_MIN)).toBeLessThanOrEqual(BULL_MAX);
    fc.assert(
      fc.property(fc.integer({ min: PRIORITY_MIN, max: PRIORITY_MAX }), fc.integer({ min: PRIORITY_MIN, max: PRIORITY_MAX }), (a, b) => {
        expect(toBullPriority(a)).toBeGreaterThanOrEqual(1);
        expect(fromBullPriority(toBullPriority(a))).toBe(a);
        // Ours runs higher first; BullMQ runs lower first.
        if (a > b) expect(toBullPriority(a)).toBeLessThan(toBullPriority(b));
      }),
    );
    expect(fromBullPriority(0)).toBe(0);
    expect(fromBullPriority(undefined)).toBe(0);
  });

  it('measures JSON bytes, and names what JSON cannot carry', () => {
    expect(measurePayload({ a: 'é' })).toBe(Buffer.byteLength('{"a":"é"}'));
    expect(measurePayload(null)).toBe(4);
    expect(measurePayload(undefined)).toBe('the payload is undefined');
    expect(measurePayload({ n: 1n })).toEqual(expect.stringMatching(/BigInt/));
    expect(measurePayload({ f: () => 1 })).toBe('a function cannot be sent');
    expect(measurePayload([Symbol('s')])).toBe('a symbol cannot be sent');
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(measurePayload(cycle)).toEqual(expect.stringMatching(/circular/));
  });

  it('accepts only envelopes this driver writes', () => {
    expect(checkEnvelope({ p: null })).toBeUndefined();
    expect(checkEnvelope({ p: 1, t: 50, k: 'x' })).toBeUndefined();
    expect(checkEnvelope(null)).toBe('its data is not an object');
    expect(checkEnvelope([1])).toBe('its data is not an object');
    expect(checkEnvelope({ payload: 1 })).toBe('its data has no payload field "p"');
    expect(checkEnvelope({ p: 1, t: 0 })).toBe('its timeout "t" is not an integer >= 1');
    expect(checkEnvelope(JSON.parse('{"__proto__":{"p":1}}'))).toBe('its data has no payload field "p"');
  });

  it('reads the data as the payload when the job carries the nestjsJobs option, and the old envelope when it does not', () => {
    const read = (data: unknown, opts: object) => checkJob(data, opts) ?? { payload: payloadOf(data, opts), ...metaOf(data, opts) };
    expect(read({ to: 'a' }, { nestjsJobs: {} })).toEqual({ payload: { to: 'a' } });
    expect(read(null, { nestjsJobs: { t: 50, k: 'n1' } })).toEqual({ payload: null, t: 50, k: 'n1' });
    // Jobs written by the previous format: the payload in { p, t?, k? }.
    expect(read({ p: { to: 'a' }, t: 9, k: 'n0' }, {})).toEqual({ payload: { to: 'a' }, p: { to: 'a' }, t: 9, k: 'n0' });
    expect(read({ to: 'a' }, {})).toBe('its data has no payload field "p"');
    expect(read({}, { nestjsJobs: 'x' })).toBe('its option "nestjsJobs" is not an object');
    expect(read({}, { nestjsJobs: { t: 0 } })).toBe('its timeout "nestjsJobs.t" is not an integer >= 1');
  });

  it('keeps a result only when it can travel as JSON', () => {
    expect(keptResult({ rows: 3 })).toEqual({ rows: 3 });
    expect(keptResult(() => 1)).toBeUndefined();
    expect(keptResult(10n)).toBeUndefined();
    expect(keptResult(undefined)).toBeUndefined();
  });
});

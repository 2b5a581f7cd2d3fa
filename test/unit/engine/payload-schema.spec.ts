import { describe, expect, it } from '@jest/globals';
import { checkPayload, describeIssues, type PayloadCheck } from '../../../lib/engine/payload-schema.js';
import type { JobSchema } from '../../../lib/interfaces/job-schema.interface.js';

function schema(validate: (value: unknown) => unknown): JobSchema {
  return { '~standard': { version: 1, vendor: 'test', validate: validate as JobSchema['~standard']['validate'] } };
}

describe('checkPayload', () => {
  it('returns a sync check synchronously, with the schema output', () => {
    const check = checkPayload(schema((value) => ({ value: { wrapped: value } })), 1);
    expect(check).toEqual({ value: { wrapped: 1 }, issues: undefined });
  });

  it('flattens { key } segments and plain keys into one path, symbols by their description', () => {
    const tag = Symbol('tag');
    const check = checkPayload(
      schema(() => ({ issues: [{ message: 'bad', path: [{ key: 'items' }, 2, { key: tag }] }, { message: 'root' }] })),
      {},
    ) as PayloadCheck;
    expect(check.issues).toEqual([
      { path: ['items', 2, 'Symbol(tag)'], message: 'bad' },
      { path: [], message: 'root' },
    ]);
    expect(describeIssues(check.issues!)).toBe('items[2].Symbol(tag): bad; (payload): root');
  });

  it('turns a throwing validate, a rejecting one and a result that is not one into one issue each', async () => {
    expect(checkPayload(schema(() => { throw new Error('boom'); }), 1)).toEqual({ value: undefined, issues: [{ path: [], message: 'boom' }] });
    await expect(checkPayload(schema(async () => { throw new Error('later'); }), 1)).resolves.toEqual({
      value: undefined,
      issues: [{ path: [], message: 'later' }],
    });
    expect(checkPayload(schema(() => 'yes'), 1)).toEqual({
      value: undefined,
      issues: [{ path: [], message: 'The schema\'s validate returned "yes", not a Standard Schema result' }],
    });
  });

  it('names at most five issues in a message, pointing at the rest', () => {
    const issues = Array.from({ length: 7 }, (_, i) => ({ path: [`f${i}`], message: 'required' }));
    expect(describeIssues(issues)).toBe(
      'f0: required; f1: required; f2: required; f3: required; f4: required; and 2 more (see error.issues)',
    );
  });
});

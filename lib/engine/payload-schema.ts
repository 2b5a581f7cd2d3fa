import type { JobPayloadIssue, JobSchema, JobSchemaResult } from '../interfaces/job-schema.interface.js';
import { describe } from './engine.messages.js';
import { errorMessage } from './error-message.js';

/** A payload checked against a handler's schema: the schema's output, or what it found wrong. */
export interface PayloadCheck {
  readonly value: unknown;
  /** Set when the payload is invalid. */
  readonly issues: readonly JobPayloadIssue[] | undefined;
}

type RawIssue = Extract<JobSchemaResult<unknown>, { issues: unknown }>['issues'][number];

/**
 * Runs a Standard Schema's `validate`: the check, or a promise of it when the
 * schema is async. A `validate` that throws (or rejects) is one issue with
 * its message; the payload's values never reach a message.
 */
export function checkPayload(schema: JobSchema, payload: unknown): PayloadCheck | Promise<PayloadCheck> {
  let result: unknown;
  try {
    result = schema['~standard'].validate(payload);
  } catch (error) {
    return thrown(error);
  }
  if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') return Promise.resolve(result).then(toCheck, thrown);
  return toCheck(result);
}

function toCheck(result: unknown): PayloadCheck {
  if (typeof result !== 'object' || result === null) {
    return { value: undefined, issues: [{ path: [], message: `The schema's validate returned ${describe(result)}, not a Standard Schema result` }] };
  }
  const { issues, value } = result as { issues?: readonly RawIssue[]; value?: unknown };
  if (!issues) return { value, issues: undefined };
  return { value: undefined, issues: issues.map(flattenIssue) };
}

function thrown(error: unknown): PayloadCheck {
  return { value: undefined, issues: [{ path: [], message: errorMessage(error) }] };
}

/** Standard Schema paths mix keys and `{ key }` segments: users get plain keys (symbols by their description). */
function flattenIssue(issue: RawIssue): JobPayloadIssue {
  const path: Array<string | number> = [];
  for (const segment of issue.path ?? []) {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    path.push(typeof key === 'symbol' ? String(key) : key);
  }
  return { path, message: typeof issue.message === 'string' ? issue.message : String(issue.message) };
}

/** Shown issues per message; `issues` on the error has them all. */
const ISSUES_IN_MESSAGE = 5;

/** `to: Invalid email; items[2].sku: Required` — paths and the schema's messages, never the values. */
export function describeIssues(issues: readonly JobPayloadIssue[]): string {
  const shown = issues.slice(0, ISSUES_IN_MESSAGE).map((issue) => `${pathText(issue.path)}: ${issue.message}`);
  const more = issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more (see error.issues)` : '');
}

function pathText(path: ReadonlyArray<string | number>): string {
  if (path.length === 0) return '(payload)';
  let text = '';
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : text === '' ? key : `.${key}`;
  return text;
}

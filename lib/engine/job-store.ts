import type { JobRecord, JobState, ListJobsOptions } from '../interfaces/job.interface.js';
import { invalidListField, malformedCursor, unknownListType } from './engine.messages.js';
import type { HandlerLookup, RegisteredHandler } from './jobs-driver.js';
import { isInteger } from './limits.js';

/**
 * The job store's argument checking, once for every driver: `listJobs`'
 * state, type, limit and cursor, and the cursor's encoding. A driver pages by
 * a position of its own (a few numbers and strings); the kernel wraps it in
 * an opaque cursor bound to the state and type it was made for.
 */

/** Every state `listJobs` takes. */
export const JOB_STATES: readonly JobState[] = ['waiting', 'delayed', 'active', 'completed', 'failed'];

export const LIST_LIMIT_DEFAULT = 50;
export const LIST_LIMIT_MAX = 1000;

/** Where a page ended, in a driver's own terms: it lists what comes strictly after it. */
export type PagePosition = ReadonlyArray<string | number>;

/** A checked `listJobs` call. */
export interface ListQuery {
  readonly state: JobState;
  /** Only this type's jobs; undefined for every type. */
  readonly type: RegisteredHandler | undefined;
  readonly limit: number;
  /** Where the previous page ended; undefined for the first page. */
  readonly after: PagePosition | undefined;
}

/** A page as a driver returns it: `next` is where it ended, undefined on the last page. */
export interface DriverPage {
  readonly jobs: JobRecord[];
  readonly next: PagePosition | undefined;
}

const LIST_KEYS: ReadonlySet<string> = new Set(['state', 'type', 'limit', 'cursor']);
const CURSOR_VERSION = 1;

/** Reads `listJobs`' options; returns the query, or what is wrong (naming the field). */
export function readListQuery(raw: unknown, handlers: HandlerLookup): ListQuery | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return invalidListField('options', raw, 'an object such as { state: "failed" }');
  }
  const { state, type, limit, cursor } = raw as Partial<ListJobsOptions>;
  if (!JOB_STATES.includes(state as JobState)) return invalidListField('state', state, `one of ${JOB_STATES.join(', ')}`);
  const handler = readType('listJobs', type, handlers);
  if (typeof handler === 'string') return handler;
  if (limit !== undefined && !isInteger(limit, 1, LIST_LIMIT_MAX)) {
    return invalidListField('limit', limit, `an integer from 1 to ${LIST_LIMIT_MAX}`);
  }
  for (const key in raw) {
    if (!LIST_KEYS.has(key)) return invalidListField(key, (raw as Record<string, unknown>)[key], 'absent (known: state, type, limit, cursor)');
  }
  let after: PagePosition | undefined;
  if (cursor !== undefined) {
    after = decodeCursor(cursor, state as JobState, type);
    if (after === undefined) return malformedCursor(cursor);
  }
  return { state: state as JobState, type: handler, limit: limit ?? LIST_LIMIT_DEFAULT, after };
}

/** An optional `type` argument: undefined for every type, the handler, or what is wrong. */
export function readType(where: string, type: unknown, handlers: HandlerLookup): RegisteredHandler | undefined | string {
  if (type === undefined) return undefined;
  const handler = typeof type === 'string' ? handlers.get(type) : undefined;
  if (handler === undefined) return unknownListType(where, type, handlers.all().map((h) => h.type));
  return handler;
}

/** The opaque cursor for a page's end: base64url JSON of the state, type and the driver's position. */
export function encodeCursor(state: JobState, type: string | undefined, position: PagePosition): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, state, type ?? null, position])).toString('base64url');
}

function decodeCursor(cursor: unknown, state: JobState, type: string | undefined): PagePosition | undefined {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 4096) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(decoded) || decoded.length !== 4) return undefined;
  const [version, forState, forType, position] = decoded as unknown[];
  if (version !== CURSOR_VERSION || forState !== state || forType !== (type ?? null)) return undefined;
  if (!Array.isArray(position) || position.length === 0) return undefined;
  for (const part of position) {
    if (typeof part === 'string') continue;
    if (typeof part !== 'number' || !Number.isFinite(part)) return undefined;
  }
  return position as PagePosition;
}

/**
 * How a job travels through Redis: an ordinary BullMQ job whose `data` is the
 * user's payload (so BullMQ's own tools and bull-board read it), named after
 * its type, with what the driver needs beside it in the job option
 * `nestjsJobs` `{ t?, k? }` (`t`: a per-submit timeout, `k`: the nonce that
 * tells a keyed submit whether it created the job or found one), which
 * BullMQ stores and hands back untouched. Jobs written before carry the
 * payload in an envelope `{ p, t?, k? }` as their data, and still run.
 * Our priority maps into BullMQ's.
 */
import { PRIORITY_MAX } from '../engine/limits.js';

/** The job option holding the driver's fields. */
export const META_OPTION = 'nestjsJobs';

/** The driver's fields of a job, in its `nestjsJobs` option. */
export interface JobMeta {
  t?: number;
  k?: string;
}

/** BullMQ runs lower numbers first and puts 0 (no priority) before every prioritised job, so every job gets 1..2 000 001. */
const PRIORITY_BASE = PRIORITY_MAX + 1;

export function toBullPriority(priority: number): number {
  return PRIORITY_BASE - priority;
}

export function fromBullPriority(priority: number | undefined): number {
  return priority !== undefined && priority > 0 ? PRIORITY_BASE - priority : 0;
}

/** The format before the payload became the job's data (still read). */
export interface Envelope {
  p: unknown;
  t?: number;
  k?: string;
  /** Set on the jobs of a schedule declared by `@JobHandler({ schedule })`: start-up may remove that schedule. */
  d?: 1;
}

/** The data a job scheduler stamps on each tick's job (every scheduler's data is written here, and only here). */
export function scheduledJobData(payload: unknown, timeout: number | undefined, declared: boolean): Envelope {
  const envelope: Envelope = { p: payload };
  if (timeout !== undefined) envelope.t = timeout;
  if (declared) envelope.d = 1;
  return envelope;
}

/** Whether a scheduler's job data marks it as declared by a handler. */
export function isDeclaredSchedule(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as Envelope).d === 1;
}

/** Functions and symbols would vanish silently from JSON: refuse them instead. */
function strict(this: unknown, _key: string, value: unknown): unknown {
  const kind = typeof value;
  if (kind === 'function' || kind === 'symbol') throw new TypeError(`a ${kind} cannot be sent`);
  return value;
}

/** The payload's JSON size in bytes, or a reason it cannot travel as JSON. */
export function measurePayload(payload: unknown): number | string {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload, strict);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  if (json === undefined) return 'the payload is undefined';
  return Buffer.byteLength(json);
}

/** A job's BullMQ name is its type: one written under another name into a type's queue is not ours to run. */
export function checkName(name: string, type: string): string | undefined {
  if (name === type) return undefined;
  return `its name is ${JSON.stringify(name)}, not its queue's job type ${JSON.stringify(type)}`;
}

/** Reads an envelope from Redis; returns what is wrong with it, if anything. */
export function checkEnvelope(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'its data is not an object';
  if (!Object.hasOwn(data, 'p')) return 'its data has no payload field "p"';
  return checkTimeout((data as Envelope).t, 't');
}

function checkTimeout(t: unknown, field: string): string | undefined {
  if (t !== undefined && !(typeof t === 'number' && Number.isInteger(t) && t >= 1)) return `its timeout "${field}" is not an integer >= 1`;
  return undefined;
}

function isNewFormat(opts: object): boolean {
  return (opts as Record<string, unknown>)[META_OPTION] !== undefined;
}

/**
 * Checks a job read from Redis: with a `nestjsJobs` option its data is the
 * payload; without one, the data must be an envelope of the old format.
 * Returns what is wrong with it, if anything.
 */
export function checkJob(data: unknown, opts: object): string | undefined {
  if (!isNewFormat(opts)) return checkEnvelope(data);
  const meta = (opts as Record<string, unknown>)[META_OPTION];
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return `its option "${META_OPTION}" is not an object`;
  return checkTimeout((meta as JobMeta).t, `${META_OPTION}.t`);
}

/** The payload of a job (checked with `checkJob`), whichever format wrote it. */
export function payloadOf(data: unknown, opts: object): unknown {
  return isNewFormat(opts) ? data : (data as Envelope | null)?.p;
}

/** The driver's fields of a job (checked with `checkJob`): its `nestjsJobs` option, or the old envelope. Allocates nothing. */
export function metaOf(data: unknown, opts: object): JobMeta {
  const meta = isNewFormat(opts) ? (opts as Record<string, unknown>)[META_OPTION] : data;
  return typeof meta === 'object' && meta !== null ? (meta as JobMeta) : {};
}

/** A handler's result as BullMQ keeps it: JSON, or nothing when it cannot be JSON (the job still completes). */
export function keptResult(result: unknown): unknown {
  return typeof measurePayload(result) === 'number' ? result : undefined;
}

/**
 * How a job travels through Redis. The payload rides in an envelope `{ p, t?, k? }`
 * (`t`: a per-submit timeout, `k`: the nonce that tells a keyed submit whether
 * it created the job or found one), and our priority maps into BullMQ's.
 */
import { PRIORITY_MAX } from '../engine/limits.js';

/** BullMQ runs lower numbers first and puts 0 (no priority) before every prioritised job, so every job gets 1..2 000 001. */
const PRIORITY_BASE = PRIORITY_MAX + 1;

export function toBullPriority(priority: number): number {
  return PRIORITY_BASE - priority;
}

export function fromBullPriority(priority: number | undefined): number {
  return priority !== undefined && priority > 0 ? PRIORITY_BASE - priority : 0;
}

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
  const t = (data as Envelope).t;
  if (t !== undefined && !(typeof t === 'number' && Number.isInteger(t) && t >= 1)) return 'its timeout "t" is not an integer >= 1';
  return undefined;
}

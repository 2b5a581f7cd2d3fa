/** Messages of the BullMQ driver: what was wrong, the value, what to do. */
import { describe } from '../engine/engine.messages.js';

export const WHERE = 'bullmqDriver';

export const payloadNotJson = (type: string, reason: string) =>
  `submit(${JSON.stringify(type)}): the payload cannot travel as JSON to Redis (${reason}). ` +
  'Send plain data: objects, arrays, strings, finite numbers, booleans, null (a Date becomes a string).';

export const payloadTooLarge = (type: string, bytes: number, max: number) =>
  `submit(${JSON.stringify(type)}): the payload is ${bytes} bytes as JSON, over maxPayloadBytes ${max}. ` +
  'Store large data elsewhere and send a reference, or raise maxPayloadBytes.';

export const brokerUnavailable = (reason: string) =>
  `Redis cannot be reached, so the job was not queued (${reason}). Retry later; health() reports the broker's state.`;

export const brokerTimedOut = (reason: string) =>
  `Redis did not answer in time (${reason}): the job may or may not have been queued. ` +
  'Submit it again with the same id to be sure it runs once.';


export const malformedJob = (id: string | undefined, reason: string) =>
  `Job ${id ?? '(no id)'} in Redis is malformed (${reason}): it was not written by this driver. It failed without running.`;

export const stalledTooOften = (reason: string, maxStalledCount: number) =>
  `its worker stopped renewing its lock (the process died or its event loop was blocked) more than ` +
  `maxStalledCount (${maxStalledCount}) time(s), so BullMQ's stalled check failed it (${reason}). ` +
  'Make the handler idempotent and its process stable, or raise maxStalledCount.';

export const returnedToQueue = (ids: readonly string[]) =>
  `Returned ${ids.length} unfinished job(s) to the queue at the shutdown deadline; they run again elsewhere: ${ids.join(', ')}`;

export const notReturnedToQueue = (ids: readonly string[], reason: string, lockDuration: number, maxStalledCount: number) =>
  `Could not confirm that ${ids.length} unfinished job(s) went back to the queue at the shutdown deadline (${reason}): ${ids.join(', ')}. ` +
  `Unless Redis still took the move, each stays active there until its lock expires (lockDuration ${lockDuration} ms after its last renewal); ` +
  `then the stalled check of a running worker puts it back to waiting, counting a stall (past maxStalledCount ${maxStalledCount}, it fails instead).`;

export const brokerDown = (reason: string) => `Redis connection lost (${reason}); retrying in the background.`;

export const brokerUp = () => 'Redis connection ready.';

export const invalidConnection = (value: unknown) =>
  `${WHERE}: option "connection" must be an object of ioredis connection options (host, port, password, db, tls, …), got ${describe(value)}.`;

export const schedulesNotApplied = (reason: string) =>
  `The schedules declared with @JobHandler({ schedule }) were not applied at start-up: ${reason}. ` +
  'They are applied at the next start; check that Redis answers.';

/** Every message a user reads, in one place: what was wrong, the value, what to do. */

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

export const invalidOption = (where: string, option: string, value: unknown, expected: string) =>
  `${where}: option "${option}" must be ${expected}, got ${describe(value)}.`;

export const missingOption = (where: string, option: string, expected: string) =>
  `${where}: option "${option}" is required; set it to ${expected}.`;

export const unknownOption = (where: string, option: string, known: readonly string[]) =>
  `${where}: unknown option "${option}". Known options: ${known.join(', ')}.`;

export const notAnObject = (where: string, value: unknown) =>
  `${where}: options must be an object, got ${describe(value)}.`;

export const invalidDriver = (value: unknown) =>
  `JobsModule: option "driver" must be a driver made by its subpath's factory (e.g. bullmqDriver() from "nestjs-jobs/bullmq"), or left out for the in-memory engine; got ${describe(value)}.`;

export const duplicateHandler = (type: string, first: string, second: string) =>
  `Two handlers for job type "${type}": ${first} and ${second}. Keep one @JobHandler("${type}") per application.`;

export const scopedHandler = (type: string, where: string, scope: string) =>
  `@JobHandler("${type}") on ${where}: the provider is ${scope}, but a job has no request to scope it to. ` +
  `Make the provider a singleton (the default scope), or move the handler to one.`;

export const invalidHandlerType = (where: string, type: unknown) =>
  `@JobHandler on ${where}: the job type must be a non-empty string, got ${describe(type)}.`;

export const unknownJobType = (type: string, known: readonly string[]) =>
  `No handler for job type ${describe(type)}. ` +
  (known.length === 0
    ? 'No @JobHandler was found: decorate a method of a provider in a module of this application.'
    : `Known types: ${known.map((t) => JSON.stringify(t)).join(', ')}.`);

export const invalidJobId = (id: unknown) =>
  `submit: option "id" must be 1–128 characters of A-Z a-z 0-9 _ . - and not all digits, got ${describe(id)}.`;

export const queueFull = (queueSize: number) =>
  `The queue is full: ${queueSize} jobs are waiting or delayed (queueSize ${queueSize}). ` +
  'Wait for room with jobs.onSizeLessThan(n), or raise queueSize.';

export const queueClosed = () => 'The queue is shutting down and accepts no more jobs.';

export const attemptTimedOut = (timeout: number) => `Attempt timed out after ${timeout} ms`;

export const shuttingDownReason = () => 'The queue is shutting down: the attempt was aborted';

export const noShutdownHooks = () =>
  'Shutdown hooks are not enabled, so SIGTERM ends the process without draining running jobs. ' +
  'Call app.enableShutdownHooks() before app.listen() (or right after createApplicationContext()).';

export const abandonedJobs = (ids: readonly string[]) =>
  `Abandoned ${ids.length} job(s) at shutdown: ${ids.join(', ')}`;

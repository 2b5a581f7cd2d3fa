/** The messages the engine and every driver share: what was wrong, the value, what to do. */

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
  isNumericString(value)
    ? `${where}: option "${option}" must be ${expected}, got the string ${JSON.stringify(value)}: convert it with Number() ` +
      '(values read from ConfigService or process.env are strings).'
    : `${where}: option "${option}" must be ${expected}, got ${describe(value)}.`;

/** "8", " 2.5 ", "1e3": what a configuration source hands over for a number. */
function isNumericString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));
}

export const missingOption = (where: string, option: string, expected: string) =>
  `${where}: option "${option}" is required; set it to ${expected}.`;

export const unknownOption = (where: string, option: string, known: readonly string[]) =>
  `${where}: unknown option "${option}". Known options: ${known.join(', ')}.`;

export const notAnObject = (where: string, value: unknown) => `${where}: options must be an object, got ${describe(value)}.`;

export const invalidJobId = (id: unknown) =>
  `submit: option "id" must be 1–128 characters of A-Z a-z 0-9 _ . - and not all digits, got ${describe(id)}.`;

export const unknownJobType = (type: string, known: readonly string[]) =>
  `No handler for job type ${describe(type)}. ` +
  (known.length === 0
    ? 'No @JobHandler was found: decorate a method of a provider in a module of this application.'
    : `Known types: ${known.map((t) => JSON.stringify(t)).join(', ')}.`);

export const invalidSizeLimit = (limit: unknown) =>
  `onSizeLessThan: "limit" must be an integer >= 1 (the wait ends when waiting + delayed drops below it), got ${describe(limit)}.`;

export const queueFull = (queueSize: number) =>
  `The queue is full: ${queueSize} jobs are waiting or delayed (queueSize ${queueSize}). ` +
  'Wait for room with jobs.onSizeLessThan(n), or raise queueSize.';

export const queueClosed = () => 'The queue is shutting down and accepts no more jobs.';

export const attemptTimedOut = (timeout: number) => `Attempt timed out after ${timeout} ms`;

export const shuttingDownReason = () => 'The queue is shutting down: the attempt was aborted';

/** How many ids one "abandoned" line names; every id still goes out as an `abandoned` event. */
export const ABANDONED_IDS_LOGGED = 20;

export const abandonedJobs = (count: number, sample: readonly string[]) =>
  `Abandoned ${count} job(s) at shutdown: ${sample.join(', ')}` +
  (count > sample.length ? ` and ${count - sample.length} more (each has an "abandoned" event)` : '');

export const invalidPayload = (type: string, handler: string, issues: string) =>
  `submit: the payload of job type "${type}" does not match the schema of @JobHandler("${type}") on ${handler}: ${issues}. Nothing was queued.`;

export const payloadNoLongerValid = (type: string, handler: string, issues: string) =>
  `The stored payload does not match the schema of @JobHandler("${type}") on ${handler}: ${issues}. ` +
  'The job failed for good without running its handler (it was submitted by an older release or from outside this app).';

export const submitBeforeInit = (type: string) =>
  `submit(${describe(type)}) was called before the application was initialised: handlers are found when the modules initialise. ` +
  'Submit from onModuleInit or later (not from a constructor), and in tests call await app.init() (or moduleRef.init()) first.';

export const invalidListField = (field: string, value: unknown, expected: string) =>
  `listJobs: "${field}" must be ${expected}, got ${describe(value)}.`;

export const malformedCursor = (value: unknown) =>
  `listJobs: "cursor" must be the "next" of a previous page of the same state and type, got ${describe(value)}. ` +
  'Start again without a cursor.';

export const unknownListType = (where: string, type: unknown, known: readonly string[]) =>
  `${where}: "type" must be a job type this process handles (${known.map((t) => JSON.stringify(t)).join(', ') || 'none'}), ` +
  `got ${describe(type)}.`;

export const invalidLookupId = (where: string, id: unknown) =>
  `${where}: "id" must be a job id (1–128 characters of A-Z a-z 0-9 _ . -), got ${describe(id)}.`;

export const jobNotFound = (id: string) => `No job with id ${JSON.stringify(id)}, live or kept: it never existed, or it was removed or aged out.`;

export const notRetriable = (id: string, state: string) =>
  `Job ${JSON.stringify(id)} is ${state}: only a failed job can be retried.`;

export const notRemovable = (id: string) =>
  `Job ${JSON.stringify(id)} is active: a running job cannot be removed. Wait for it to finish, then remove it.`;

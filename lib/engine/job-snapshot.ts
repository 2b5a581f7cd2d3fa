import type { Job, JobRecord, JobState } from '../interfaces/job.interface.js';

/** The frozen snapshot users see of a job: one shape for every driver. */
export function jobSnapshot(
  id: string,
  type: string,
  payload: unknown,
  priority: number,
  attempts: number,
  maxRetries: number,
  createdAt: Date,
  error: string | undefined,
): Job {
  return Object.freeze({ id, type, payload, priority, attempts, maxRetries, createdAt, error });
}

/** The snapshot of a job whose attempts or last error moved on. */
export function nextSnapshot(job: Job, attempts: number, error: string | undefined): Job {
  return jobSnapshot(job.id, job.type, job.payload, job.priority, attempts, job.maxRetries, job.createdAt, error);
}

/** The job as its handler sees it: the same snapshot with the schema's output as payload. */
export function withPayload(job: Job, payload: unknown): Job {
  return jobSnapshot(job.id, job.type, payload, job.priority, job.attempts, job.maxRetries, job.createdAt, job.error);
}

/** The frozen record the job store reports: a job's fields and where it is. */
export function jobRecord(
  job: Job,
  state: JobState,
  attemptsMade: number,
  result: unknown,
  finishedAt: Date | undefined,
): JobRecord {
  const { id, type, payload, priority, attempts, maxRetries, createdAt, error } = job;
  return Object.freeze({ id, type, payload, priority, attempts, maxRetries, createdAt, error, state, attemptsMade, result, finishedAt });
}

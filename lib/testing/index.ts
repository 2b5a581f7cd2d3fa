export { createJobsTester, JobsTester, RUN_ALL_ATTEMPT_LIMIT } from './jobs-tester.js';
export type { JobsFilter, JobsTesterMode, JobsTesterOptions } from './jobs-tester.js';
export type { JobRecord, JobState } from '../index.js';

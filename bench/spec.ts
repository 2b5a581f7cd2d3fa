/** What the runner and the per-configuration processes share. */

export const CONTENDERS = ['nest', 'engine', 'heap', 'fastq', 'pqueue'] as const;
export type ContenderName = (typeof CONTENDERS)[number];

export const LABELS: Record<ContenderName, string> = {
  nest: 'JobQueue (Nest)',
  engine: 'bare engine',
  heap: 'bare heap',
  fastq: 'fastq',
  pqueue: 'p-queue',
};

export const RESULT_MARK = '@@bench-result ';

export type WorkloadName = 'steady' | 'steadyRandom' | 'drain' | 'latency' | 'heapBytes' | 'scaling' | 'enqueue';
export type HandlerName = 'noop' | 'yield';

export interface CaseSpec {
  workload: WorkloadName;
  contender: ContenderName;
  workers: number;
  handler: HandlerName;
  /** Jobs (steady, drain, enqueue, heapBytes), or jobs already queued (scaling). */
  n: number;
  /** latency: jobs per second and seconds; scaling: jobs inserted on top of `n`. */
  rate?: number;
  seconds?: number;
  inserts?: number;
  /** Sets a rate limit on the job type that never binds: what the limiter costs when it is on. */
  rateLimit?: boolean;
}

/** A rate limit no benchmark reaches: a trillion starts a second. */
export const UNBINDING_RATE_LIMIT = Object.freeze({ max: 1e12, duration: 1000 });

export interface CaseResult {
  /** The workload's headline figure: jobs/s, bytes/job, ms (p99), µs/insert, or seconds. */
  value: number;
  [detail: string]: number;
}


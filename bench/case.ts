/**
 * Runs one configuration — one workload, one contender — in this (fresh)
 * process and prints its result as one JSON line after RESULT_MARK.
 * Usage: node --expose-gc .build/bench/case.js '<json CaseSpec>'
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type Contender, createContender } from './contenders.js';
import type { Work } from './reference-heap.js';
import { type CaseResult, type CaseSpec, RESULT_MARK, UNBINDING_RATE_LIMIT } from './spec.js';

const BOUND = 1000;
const LEVELS = 10;

let done = 0;
let latencies: Float64Array | null = null;
let latencyCount = 0;

function record(payload: number): void {
  done++;
  if (latencies !== null && latencyCount < latencies.length) latencies[latencyCount++] = performance.now() - payload;
}

const noop: Work = async (payload) => {
  record(payload);
};

const yieldOnce: Work = async (payload) => {
  record(payload);
  await nextTurn();
};

/** Deterministic priorities (0..LEVELS-1), the same sequence for every contender. */
function priorities(count: number, seed = 12345): Uint8Array {
  const out = new Uint8Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state % LEVELS;
  }
  return out;
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with node --expose-gc');
  collect();
  collect();
}

async function steady(queue: Contender, n: number, levels: Uint8Array | null): Promise<CaseResult> {
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    if (queue.waiting() >= BOUND) await queue.onSizeLessThan(BOUND);
    queue.submit(i, levels === null ? 0 : levels[i]);
  }
  await queue.onIdle();
  const seconds = (performance.now() - started) / 1000;
  return { value: n / seconds, seconds };
}

async function drain(queue: Contender, n: number): Promise<CaseResult> {
  const started = performance.now();
  for (let i = 0; i < n; i++) queue.submit(i, 0);
  const enqueued = performance.now();
  await queue.onIdle();
  const ended = performance.now();
  return { value: n / ((ended - started) / 1000), enqueueSeconds: (enqueued - started) / 1000, seconds: (ended - started) / 1000 };
}

async function heapBytes(queue: Contender, n: number): Promise<CaseResult> {
  // Let a paused Nest queue park its first attempts before the baseline.
  await nextTurn();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) queue.submit(i, 0);
  await nextTurn();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (queue.waiting() < n - 1000) throw new Error(`only ${queue.waiting()} of ${n} jobs are queued`);
  return { value: (after - before) / n, totalMB: (after - before) / 1e6 };
}

function warmUp(total: number): number {
  return Math.min(20_000, total);
}

/** Submits at a fixed rate (batches on a 1 ms timer), then reports submit-to-start percentiles and CPU per job. */
async function latency(queue: Contender, rate: number, seconds: number): Promise<CaseResult> {
  // Warm-up: the same path, unmeasured, so the JIT has compiled it.
  const total = Math.round(rate * seconds);
  for (let i = 0; i < warmUp(total); i++) queue.submit(performance.now(), 0);
  await queue.onIdle();

  latencies = new Float64Array(total);
  latencyCount = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await new Promise<void>((resolve) => {
    let sent = 0;
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000));
      while (sent < due) {
        queue.submit(performance.now(), 0);
        sent++;
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, 1);
  });
  await queue.onIdle();
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = latencies.slice(0, latencyCount).sort();
  latencies = null;
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    value: at(0.99),
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    max: sorted[sorted.length - 1],
    cpuUsPerJob: (cpu.user + cpu.system) / total,
    cpuUserUsPerJob: cpu.user / total,
    achievedRate: total / ((performance.now() - started) / 1000),
  };
}

/** With `n` jobs queued at the lowest priority, the cost of inserting more at random higher ones. */
function scaling(queue: Contender, n: number, inserts: number): CaseResult {
  for (let i = 0; i < n; i++) queue.submit(i, 0);
  const levels = priorities(inserts);
  const started = performance.now();
  for (let i = 0; i < inserts; i++) queue.submit(i, 1 + levels[i]);
  const elapsed = performance.now() - started;
  return { value: (elapsed * 1000) / inserts };
}

/** Enqueueing `n` jobs with random priorities into an idle queue: seconds. */
function enqueue(queue: Contender, n: number): CaseResult {
  const levels = priorities(n);
  const started = performance.now();
  for (let i = 0; i < n; i++) queue.submit(i, levels[i]);
  return { value: (performance.now() - started) / 1000 };
}

async function run(spec: CaseSpec): Promise<CaseResult> {
  const paused = spec.workload === 'heapBytes' || spec.workload === 'scaling' || spec.workload === 'enqueue';
  const queueSize = Math.max(2 * (spec.n + (spec.inserts ?? 0)), 2 * BOUND, 100_000);
  const work = spec.handler === 'yield' ? yieldOnce : noop;
  const rateLimit = spec.rateLimit === true ? UNBINDING_RATE_LIMIT : undefined;
  const queue = await createContender(spec.contender, { workers: spec.workers, queueSize, work, paused, rateLimit });
  let result: CaseResult;
  switch (spec.workload) {
    case 'steady':
      result = await steady(queue, spec.n, null);
      break;
    case 'steadyRandom':
      result = await steady(queue, spec.n, priorities(spec.n));
      break;
    case 'drain':
      result = await drain(queue, spec.n);
      break;
    case 'latency':
      result = await latency(queue, spec.rate!, spec.seconds!);
      break;
    case 'heapBytes':
      return heapBytes(queue, spec.n);
    case 'scaling':
      return scaling(queue, spec.n, spec.inserts!);
    case 'enqueue':
      return enqueue(queue, spec.n);
  }
  // Every job ran exactly once, as the contender itself counts it where it can.
  const total = Math.round((spec.rate ?? 0) * (spec.seconds ?? 0));
  const expected = spec.workload === 'latency' ? warmUp(total) + total : spec.n;
  const reported = queue.processed();
  if (done < expected || (reported !== undefined && reported !== done)) {
    throw new Error(`${spec.contender}: ${done} jobs ran, contender reports ${reported}, expected ${expected}`);
  }
  return result;
}

const spec = JSON.parse(process.argv[2]) as CaseSpec;
run(spec).then(
  (result) => {
    process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
    // Paused queues still hold jobs: leave without draining them.
    process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

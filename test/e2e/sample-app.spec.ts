import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import { filter } from 'rxjs/operators';
import { JobQueue } from 'nestjs-jobs';
import { AppModule } from '../../sample-app/app.module.js';
import { ProgressReporter } from '../../sample-app/progress.reporter.js';
import { type SampleOptions, sampleOptionsFromEnv } from '../../sample-app/sample-options.js';
import { SampleWork } from '../../sample-app/sample-work.js';
import { HeldWork } from '../support/held-work.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';

interface Sample {
  app: INestApplication;
  url: string;
  work: HeldWork;
  lines: string[];
  jobs: JobQueue;
}

let current: Sample | undefined;

/** The sample app on an ephemeral loopback port, its work held open by the test. */
async function startSample(options: SampleOptions = {}): Promise<Sample> {
  const lines: string[] = [];
  const work = new HeldWork();
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.register({ print: (line) => lines.push(line), ...options })],
  })
    .overrideProvider(SampleWork)
    .useValue(work)
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  current = { app, url: await app.getUrl(), work, lines, jobs: app.get(JobQueue) };
  return current;
}

afterEach(async () => {
  current?.work.finish();
  await current?.app.close();
  current = undefined;
});

function post(url: string, body: unknown, raw?: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) });
}

describe('sample app: POST /jobs/:type', () => {
  it('answers 202 with the accepted job, which then runs', async () => {
    const { url, work, jobs } = await startSample();
    const response = await post(`${url}/jobs/email`, { payload: { to: 'ada@example.com' }, priority: 7 });
    expect(response.status).toBe(202);
    const job = (await response.json()) as Record<string, unknown>;
    expect(job).toMatchObject({ type: 'email', payload: { to: 'ada@example.com' }, priority: 7, attempts: 0 });
    expect(typeof job.id).toBe('string');
    expect(new Date(job.createdAt as string).getTime()).not.toBeNaN();
    await work.started(1);
    expect(work.runs[0]!.type).toBe('email');
    work.releaseAll();
    await jobs.onIdle();
    const metrics = await (await fetch(`${url}/jobs/metrics`)).json();
    expect(metrics).toMatchObject({ processed: 1, failed: 0, waiting: 0, active: 0, workers: 4, queueSize: 100 });
  });

  it('takes a delay: the job waits as delayed', async () => {
    const { url, jobs } = await startSample();
    expect((await post(`${url}/jobs/report`, { payload: { month: '2026-11' }, delay: 60_000 })).status).toBe(202);
    expect(jobs.metrics()).toMatchObject({ delayed: 1, waiting: 0, active: 0 });
  });

  it.each([
    ['an unknown type', '/jobs/fax', { payload: {} }, undefined, /No handler for job type "fax". Known types: "email", "report", "notification"/],
    ['a missing payload', '/jobs/email', { priority: 1 }, undefined, /"payload" must be a JSON object, got nothing/],
    ['a payload that is not an object', '/jobs/email', { payload: 'hi' }, undefined, /"payload" must be a JSON object, got "hi"/],
    ['a body that is not an object', '/jobs/email', [1, 2], undefined, /The body must be a JSON object/],
    ['an unknown field', '/jobs/email', { payload: {}, retries: 9 }, undefined, /Unknown field\(s\) retries/],
    ['a priority that is not a number', '/jobs/email', { payload: {}, priority: 'high' }, undefined, /"priority" must be a number, got "high"/],
    ['a priority out of range', '/jobs/email', { payload: {}, priority: 5_000_000 }, undefined, /"priority" must be an integer from -10 to 10 on this endpoint, got 5000000/],
    ['a priority above what this endpoint allows', '/jobs/email', { payload: {}, priority: 11 }, undefined, /"priority" must be an integer from -10 to 10 on this endpoint, got 11/],
    ['a negative delay', '/jobs/email', { payload: {}, delay: -5 }, undefined, /"delay".*got -5/],
    // A day-long delay from anyone on the network would fill the queue and keep readiness down for a day.
    ['a delay of one day', '/jobs/report', { payload: {}, delay: 86_400_000 }, undefined, /"delay" must be an integer from 0 to 60000 on this endpoint, got 86400000/],
    ['malformed JSON', '/jobs/email', undefined, '{"payload": ', /JSON/],
  ])('answers 400 with a clear message for %s', async (_case, path, body, raw, message) => {
    const { url, jobs } = await startSample();
    const response = await post(`${url}${path}`, body, raw);
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { statusCode: number; message: string };
    expect(answer.statusCode).toBe(400);
    expect(answer.message).toMatch(message);
    expect(jobs.metrics()).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
  });

  it('answers 503 with Retry-After: 1 when the queue is full', async () => {
    const { url, work, jobs } = await startSample({ jobs: { workers: 1, queueSize: 1 } });
    expect((await post(`${url}/jobs/email`, { payload: { to: 'a@example.com' } })).status).toBe(202);
    await work.started(1);
    expect((await post(`${url}/jobs/email`, { payload: { to: 'b@example.com' } })).status).toBe(202);
    const refused = await post(`${url}/jobs/email`, { payload: { to: 'c@example.com' } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/full/) });
    expect(jobs.metrics()).toMatchObject({ rejected: 1, waiting: 1, active: 1 });
  });
});

describe('sample app: health', () => {
  it('is ready and live while the jobs run with room, with the metrics as details and no payload', async () => {
    const { url } = await startSample();
    await post(`${url}/jobs/email`, { payload: { to: 'secret@example.com' } });
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    const body = await ready.text();
    expect(JSON.parse(body)).toMatchObject({
      status: 'ok',
      info: { jobs: { status: 'up', state: 'running', stuck: 0, workers: 4, queueSize: 100, processed: 0, active: 1 } },
    });
    expect(body).not.toContain('secret@example.com');
    const live = await fetch(`${url}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok' });
  });

  it('is not ready (503) while the queue is full, and still live', async () => {
    const { url, work } = await startSample({ jobs: { workers: 1, queueSize: 1 } });
    await post(`${url}/jobs/email`, { payload: {} });
    await work.started(1);
    await post(`${url}/jobs/email`, { payload: {} });
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      status: 'error',
      error: { jobs: { status: 'down', waiting: 1, queueSize: 1, reason: expect.stringMatching(/queue is full/) } },
    });
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
  });

  it('goes down while a drain is under way, refuses new jobs with 503, then finishes the held job', async () => {
    const sample = await startSample();
    const { app, url, work, lines } = sample;
    await post(`${url}/jobs/report`, { payload: { month: '2026-11' } });
    await work.started(1);
    const closing = app.close();
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ error: { jobs: { status: 'down', state: 'draining', active: 1 } } });
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    const refused = await post(`${url}/jobs/email`, { payload: {} });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/shutting down/) });
    work.releaseAll();
    await closing;
    current = undefined;
    expect(lines).toContain('Drained: 1 completed, 0 failed, 0 abandoned');
  });
});

describe('sample app: GET /metrics', () => {
  it('serves Prometheus text with per-type series and no label but type', async () => {
    const { url, work, jobs } = await startSample({ jobs: { workers: 1, queueSize: 10, backoff: { delay: 1 } } });
    // email: attempt 1 fails and is retried, attempt 2 fails for good.
    await jobs.submit('email', { to: 'x@example.com' }, { maxRetries: 1 });
    await work.started(1);
    await post(`${url}/jobs/notification`, { payload: { userId: 1 } });
    await post(`${url}/jobs/fax`, { payload: {} });

    let { samples } = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
    // Queue depths per handled type, zeros included.
    expect(sampleValue(samples, 'nestjs_jobs_active', { type: 'email' })).toBe(1);
    expect(sampleValue(samples, 'nestjs_jobs_waiting', { type: 'email' })).toBe(0);
    expect(sampleValue(samples, 'nestjs_jobs_waiting', { type: 'notification' })).toBe(1);
    expect(sampleValue(samples, 'nestjs_jobs_delayed', { type: 'report' })).toBe(0);
    expect(sampleValue(samples, 'nestjs_jobs_waiting', { type: 'fax' })).toBeUndefined();

    work.runs[0]!.done.reject(new Error('smtp down'));
    await work.started(2);
    expect(work.runs[1]!.type).toBe('notification');
    work.runs[1]!.done.resolve();
    await work.started(3);
    work.runs[2]!.done.reject(new Error('smtp still down'));
    await jobs.onIdle();

    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const parsed = parsePrometheusText(await response.text());
    samples = parsed.samples;
    expect(sampleValue(samples, 'nestjs_jobs_completed_total', { type: 'notification' })).toBe(1);
    expect(sampleValue(samples, 'nestjs_jobs_completed_total', { type: 'email' })).toBeUndefined();
    expect(sampleValue(samples, 'nestjs_jobs_failed_total', { type: 'email' })).toBe(1);
    expect(sampleValue(samples, 'nestjs_jobs_retried_total', { type: 'email' })).toBe(1);
    expect(sampleValue(samples, 'nestjs_jobs_rejected_total')).toBe(1);
    expect(sampleValue(samples, 'nestjs_jobs_run_seconds_count', { type: 'email' })).toBe(2);
    expect(sampleValue(samples, 'nestjs_jobs_run_seconds_count', { type: 'notification' })).toBe(1);
    expect(sampleValue(samples, 'nestjs_jobs_wait_seconds_count', { type: 'email' })).toBe(1);
    expect(sampleValue(samples, 'nestjs_jobs_wait_seconds_bucket', { type: 'notification', le: '+Inf' })).toBe(1);
    expect(sampleValue(samples, 'nestjs_jobs_active', { type: 'email' })).toBe(0);
    for (const sample of samples) {
      expect(Object.keys(sample.labels).filter((label) => label !== 'type' && label !== 'le')).toEqual([]);
    }
    expect(Object.fromEntries([...parsed.types].filter(([name]) => name.startsWith('nestjs_jobs_')))).toEqual({
      nestjs_jobs_completed_total: 'counter',
      nestjs_jobs_failed_total: 'counter',
      nestjs_jobs_retried_manually_total: 'counter',
      nestjs_jobs_retried_total: 'counter',
      nestjs_jobs_abandoned_total: 'counter',
      nestjs_jobs_rejected_total: 'counter',
      nestjs_jobs_waiting: 'gauge',
      nestjs_jobs_delayed: 'gauge',
      nestjs_jobs_active: 'gauge',
      nestjs_jobs_rate_limited: 'gauge',
      nestjs_jobs_wait_seconds: 'histogram',
      nestjs_jobs_run_seconds: 'histogram',
    });
  });
});

describe('sample app: demo producer and progress line', () => {
  it('submits the demo mix when asked to', async () => {
    const { jobs, work } = await startSample({ demo: true });
    const first = await firstValueFrom(jobs.events$.pipe(filter((event) => event.kind === 'submitted')));
    expect(['email', 'report', 'notification']).toContain(first.job.type);
    await work.started(1);
  });

  it('reads its switches from the environment: the demo is on unless JOBS_DEMO=0', () => {
    expect(sampleOptionsFromEnv({})).toEqual({ jobs: {}, demo: true, progress: true, trace: false });
    expect(sampleOptionsFromEnv({ JOBS_DEMO: '0', JOBS_PROGRESS: '0', JOBS_TRACE: '1', JOBS_WORKERS: '2', JOBS_SHUTDOWN_TIMEOUT: '500' })).toEqual({
      jobs: { workers: 2, shutdownTimeout: 500 },
      demo: false,
      progress: false,
      trace: true,
    });
  });

  it('shows completed/failed/retried and waiting/active per type, and the totals when drained', async () => {
    const { app, url, work, jobs, lines } = await startSample({ jobs: { workers: 1, queueSize: 10 }, trace: true });
    const reporter = app.get(ProgressReporter);
    expect(reporter.progressLine()).toMatch(/no jobs yet · rejected 0$/);
    const accepted = [];
    for (const type of ['email', 'email', 'notification']) {
      accepted.push(((await (await post(`${url}/jobs/${type}`, { payload: {} })).json()) as { id: string }).id);
    }
    await work.started(1);
    expect(reporter.progressLine()).toMatch(/email 0\/0\/0 1\/1 · notification 0\/0\/0 1\/0 · rejected 0$/);
    work.runs[0]!.done.resolve();
    await work.started(2);
    expect(reporter.progressLine()).toMatch(/email 1\/0\/0 0\/1 · notification 0\/0\/0 1\/0 · rejected 0$/);
    work.releaseAll();
    await work.started(3);
    work.releaseAll();
    await jobs.onIdle();
    await app.close();
    current = undefined;
    expect(lines.filter((line) => line.startsWith('job-outcome ')).sort()).toEqual(
      accepted.map((id) => `job-outcome completed ${id}`).sort(),
    );
    expect(lines).toContain('Drained: 3 completed, 0 failed, 0 abandoned');
  });
});

describe('sample app: the dashboard', () => {
  it('serves /dashboard with its token only, and leaves POST /jobs/:type to the sample API', async () => {
    const { url, work } = await startSample({ dashboardToken: 'sample-token' });
    expect((await fetch(`${url}/dashboard`)).status).toBe(403);
    expect((await fetch(`${url}/dashboard?token=wrong`)).status).toBe(403);
    const page = await fetch(`${url}/dashboard?token=sample-token`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const snapshot = (await (await fetch(`${url}/dashboard/api/snapshot`, { headers: { authorization: 'Bearer sample-token' } })).json()) as {
      types: Array<{ type: string }>;
    };
    expect(snapshot.types.map((row) => row.type)).toContain('email');
    expect((await post(`${url}/jobs/email`, { payload: { to: 'ada@example.com' } })).status).toBe(202);
    await work.started(1);
  });
});

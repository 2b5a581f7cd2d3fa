import { Injectable } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import * as v from 'valibot';
import { z } from 'zod';
import { InvalidJobError, type Job, JobHandler, type JobSchema } from '../../lib/index.js';
import { deferred } from '../support/deferred.js';
import { driverFixtures } from '../support/drivers.js';
import { startApp } from '../support/app.js';

const signup = z.object({ to: z.email(), tags: z.array(z.string()).default([]) });

const order = v.object({ items: v.array(v.object({ sku: v.string(), quantity: v.pipe(v.number(), v.integer(), v.minValue(1)) })) });

/** A hand-written async Standard Schema: trims the name; `refuse` makes it reject payloads it accepted before. */
const renameRules: { refuse: boolean; throwWith: string; gate: Promise<void> | null } = { refuse: false, throwWith: '', gate: null };
const rename: StandardSchemaV1<{ name: string }, { name: string }> = {
  '~standard': {
    version: 1,
    vendor: 'hand-written',
    async validate(value) {
      await (renameRules.gate ?? Promise.resolve());
      if (renameRules.throwWith) throw new Error(renameRules.throwWith);
      const name = (value as { name?: unknown } | null)?.name;
      if (renameRules.refuse || typeof name !== 'string') return { issues: [{ message: 'name must be a string', path: [{ key: 'name' }] }] };
      return { value: { name: name.trim() } };
    },
  },
};

// The package's schema type accepts Standard Schema's own, and the libraries' schemas.
const typed: JobSchema[] = [rename, signup, order];

@Injectable()
class ValidatedService {
  readonly seen: unknown[] = [];

  @JobHandler('signup', { schema: signup })
  welcome(job: Job<z.output<typeof signup>>): void {
    this.seen.push(job.payload);
  }

  @JobHandler('order', { schema: order, maxRetries: 3 })
  ship(job: Job<v.InferOutput<typeof order>>): void {
    this.seen.push(job.payload);
  }

  @JobHandler('rename', { schema: rename, maxRetries: 3 })
  rename(job: Job<{ name: string }>): void {
    this.seen.push(job.payload);
  }
}

describe.each(driverFixtures)('$name driver: payload validation (Standard Schema)', (fixture) => {
  beforeAll(() => fixture.setup());
  afterAll(() => fixture.teardown());

  it('hands the handler the schema output (zod 4) while events carry what was submitted', async () => {
    const t = await startApp({ workers: 1, queueSize: 5 }, { providers: [ValidatedService] }, fixture);
    const job = await t.jobs.submit('signup', { to: 'ada@example.com' });
    expect(job.payload).toEqual({ to: 'ada@example.com' });
    const completed = await t.nextEvent((event) => event.kind === 'completed' && event.job.id === job.id);
    expect(t.app.get(ValidatedService).seen).toEqual([{ to: 'ada@example.com', tags: [] }]);
    expect(completed.job.payload).toEqual({ to: 'ada@example.com' });
    expect(typed).toHaveLength(3);
    await t.close();
  });

  it('refuses an invalid payload at submit (zod 4): issues with paths, no value echoed, nothing queued, counted as rejected', async () => {
    const t = await startApp({ workers: 1, queueSize: 5 }, { providers: [ValidatedService] }, fixture);
    const error = await t.jobs.submit('signup', { to: 'not-an-email', tags: [7] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidJobError);
    const invalid = error as InvalidJobError;
    expect(invalid.issues.map((issue) => issue.path)).toEqual([['to'], ['tags', 0]]);
    expect(invalid.issues.every((issue) => typeof issue.message === 'string' && issue.message.length > 0)).toBe(true);
    expect(invalid.message).toContain(
      'submit: the payload of job type "signup" does not match the schema of @JobHandler("signup") on ValidatedService.welcome: to: ',
    );
    expect(invalid.message).toContain('; tags[0]: ');
    expect(invalid.message).not.toContain('not-an-email');
    expect(t.jobs.metrics()).toMatchObject({ rejected: 1, waiting: 0, delayed: 0, active: 0 });
    expect(t.events).toEqual([]);
    await t.close();
  });

  it('refuses an invalid payload at submit (valibot), with nested array paths flattened to keys', async () => {
    const t = await startApp({ workers: 1, queueSize: 5 }, { providers: [ValidatedService] }, fixture);
    const pending = t.jobs.submit('order', { items: [{ sku: 'a', quantity: 1 }, { sku: 'b', quantity: 0 }] });
    await expect(pending).rejects.toBeInstanceOf(InvalidJobError);
    const invalid = (await pending.catch((e: unknown) => e)) as InvalidJobError;
    expect(invalid.issues).toEqual([{ path: ['items', 1, 'quantity'], message: expect.any(String) }]);
    expect(invalid.message).toContain('items[1].quantity: ');

    const job = await t.jobs.submit('order', { items: [{ sku: 'a', quantity: 2 }] });
    await t.nextEvent((event) => event.kind === 'completed' && event.job.id === job.id);
    expect(t.app.get(ValidatedService).seen).toEqual([{ items: [{ sku: 'a', quantity: 2 }] }]);
    expect(t.jobs.metrics()).toMatchObject({ rejected: 1, processed: 1 });
    await t.close();
  });

  it('awaits an async schema at submit and before the attempt; a validate that throws is one issue with its message', async () => {
    const t = await startApp({ workers: 1, queueSize: 5 }, { providers: [ValidatedService] }, fixture);
    renameRules.refuse = false;
    renameRules.throwWith = '';
    const job = await t.jobs.submit('rename', { name: '  Ada  ' });
    await t.nextEvent((event) => event.kind === 'completed' && event.job.id === job.id);
    expect(t.app.get(ValidatedService).seen).toEqual([{ name: 'Ada' }]);

    await expect(t.jobs.submit('rename', { name: 42 })).rejects.toMatchObject({
      name: 'InvalidJobError',
      issues: [{ path: ['name'], message: 'name must be a string' }],
    });
    renameRules.throwWith = 'schema service unreachable';
    try {
      await expect(t.jobs.submit('rename', { name: 'Bo' })).rejects.toMatchObject({
        issues: [{ path: [], message: 'schema service unreachable' }],
      });
    } finally {
      renameRules.throwWith = '';
    }
    expect(t.jobs.metrics()).toMatchObject({ rejected: 2, processed: 1 });
    await t.close();
  });

  it('refuses a submit whose async schema settles after shutdown began, with QueueClosedError', async () => {
    const t = await startApp({ workers: 1, queueSize: 5 }, { providers: [ValidatedService] }, fixture);
    const gate = deferred();
    renameRules.gate = gate.promise;
    try {
      const pending = t.jobs.submit('rename', { name: 'Ada' });
      const closed = new Promise<void>((resolve) => t.jobs.events$.subscribe({ complete: resolve }));
      const closing = t.close();
      await closed;
      gate.resolve();
      await expect(pending).rejects.toThrow('The queue is shutting down and accepts no more jobs.');
      await closing;
    } finally {
      renameRules.gate = null;
    }
    expect(t.jobs.metrics()).toMatchObject({ rejected: 1, waiting: 0, abandoned: 0 });
    expect(t.app.get(ValidatedService).seen).toEqual([]);
  });

  it('fails a job for good, without calling its handler, when its stored payload no longer matches before an attempt', async () => {
    const t = await startApp({ workers: 1, queueSize: 5 }, { providers: [ValidatedService] }, fixture);
    renameRules.refuse = false;
    const job = await t.jobs.submit('rename', { name: 'Ada' }, { delay: 30 });
    // The schema changes while the job waits: as if a newer release read a job an older one wrote.
    renameRules.refuse = true;
    try {
      const failed = await t.nextEvent((event) => event.kind === 'failed' && event.job.id === job.id);
      expect(failed.error).toBe(
        'The stored payload does not match the schema of @JobHandler("rename") on ValidatedService.rename: name: name must be a string. ' +
          'The job failed for good without running its handler (it was submitted by an older release or from outside this app).',
      );
      expect(failed.job).toMatchObject({ attempts: 0, maxRetries: 3, payload: { name: 'Ada' } });
    } finally {
      renameRules.refuse = false;
    }
    expect(t.kindsOf(job.id)).toEqual(['submitted', 'started', 'failed']);
    expect(t.app.get(ValidatedService).seen).toEqual([]);
    expect(t.jobs.metrics()).toMatchObject({ failed: 1, retried: 0, processed: 0 });
    await t.close();
  });
});

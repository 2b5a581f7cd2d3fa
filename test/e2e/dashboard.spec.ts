import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { JobsConfigurationError } from '../../lib/index.js';
import { JobsDashboardModule } from '../../lib/dashboard/index.js';
import { bullmqDriver, describeWithRedis } from '../support/drivers.js';
import { ADAPTERS, type AdapterName, type DashboardApp, startDashboardApp, TOKEN } from '../support/dashboard-app.js';

/** Every route the dashboard answers, and one it does not. */
const ROUTES: ReadonlyArray<[method: string, path: string]> = [
  ['GET', '/jobs'],
  ['GET', '/jobs/'],
  ['GET', '/jobs/api/snapshot'],
  ['GET', '/jobs/api/failed?type=charge'],
  ['POST', '/jobs/api/jobs/c1/retry'],
  ['POST', '/jobs/api/jobs/c1/remove'],
  ['POST', '/jobs/api/types/charge/retry-failed'],
  ['GET', '/jobs/no/such/route'],
  ['DELETE', '/jobs/api/jobs/c1'],
  ['OPTIONS', '/jobs/api/jobs/c1/retry'],
];

/** A response's JSON body, as the page reads it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function json(response: Response): Promise<any> {
  return response.json();
}

const AUTH = { authorization: `Bearer ${TOKEN}` };
/** What the page's own fetch sends on a change. */
const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin', 'x-jobs-dashboard': '1' };

describe.each(ADAPTERS)('dashboard over HTTP on %s', (adapter: AdapterName) => {
  let t: DashboardApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function start(options: Parameters<typeof startDashboardApp>[0] = {}, globalPrefix?: string): Promise<DashboardApp> {
    t = await startDashboardApp(options, { adapter, globalPrefix });
    return t;
  }

  function call(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${t!.origin}${path}`, init);
  }

  it('answers 403 on every route under path without authorization, and the body names no job, type, error or payload', async () => {
    await start();
    await t!.failCharge('c1', '4000-SECRET');
    for (const [method, path] of ROUTES) {
      for (const headers of [{}, { authorization: 'Bearer wrong' }] as Array<Record<string, string>>) {
        const response = await call(path, { method, headers: { ...headers, ...SAME_ORIGIN } });
        const body = await response.text();
        expect({ method, path, status: response.status }).toEqual({ method, path, status: 403 });
        expect(body).not.toMatch(/charge|c1|4000-SECRET|declined|<html/i);
      }
    }
    // Nothing was changed by the refused requests.
    expect((await t!.jobs.getJob('c1'))?.state).toBe('failed');
  });

  it('refuses when authorize throws or answers a truthy non-boolean, and logs the throw', async () => {
    await start({
      authorize: (request) => {
        if (request.headers['x-mode'] === 'throw') throw new Error('session store down');
        return 'yes' as unknown as boolean;
      },
    });
    expect((await call('/jobs/api/snapshot', { headers: { 'x-mode': 'throw' } })).status).toBe(403);
    expect((await call('/jobs/api/snapshot')).status).toBe(403);
    expect(t!.logger.at('error').join('\n')).toContain('authorize threw, so the request was refused: session store down');
  });

  it('serves the page and its data with the token as ?token= (what the page passes on) or a header; 404 for other routes', async () => {
    await start();
    await t!.failCharge('c1');
    const page = await call(`/jobs?token=${TOKEN}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('<title>Jobs</title>');
    expect((await call(`/jobs/?token=${TOKEN}`)).status).toBe(200);
    // No route Nest had to rewrite (its wildcard warnings), on either adapter.
    expect(t!.logger.at('warn').filter((line) => !line.startsWith('Shutdown hooks'))).toEqual([]);

    const snapshot = await json(await call('/jobs/api/snapshot', { headers: AUTH }));
    expect(snapshot.types.map((row: { type: string }) => row.type)).toEqual(['charge', 'report']);
    expect(snapshot.types[0].counts).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 1 });
    expect(snapshot.failed.jobs).toEqual([
      expect.objectContaining({ id: 'c1', type: 'charge', error: 'card 4242 declined', attemptsMade: 1, maxRetries: 1 }),
    ]);
    expect(snapshot.status.state).toBe('running');
    expect(snapshot.metrics.failed).toBe(1);
    expect(snapshot.schedules).toEqual([]);
    expect((await call('/jobs/no/such/route', { headers: AUTH })).status).toBe(404);
  });

  it('sends the schedules with their next run', async () => {
    await start();
    await t!.jobs.schedule('nightly', 'report', { rows: 1 }, { cron: '0 3 * * *' });
    await t!.jobs.schedule('sweep', 'report', { rows: 2 }, { every: 300_000, timezone: 'Europe/Paris' });
    const snapshot = await json(await call('/jobs/api/snapshot', { headers: AUTH }));
    expect(snapshot.schedules).toEqual(
      expect.arrayContaining([
        { key: 'nightly', type: 'report', cron: '0 3 * * *', timezone: 'UTC', next: expect.stringMatching(/T03:00:00\.000Z$/) },
        { key: 'sweep', type: 'report', every: 300_000, timezone: 'Europe/Paris', next: expect.any(String) },
      ]),
    );
    expect(snapshot.schedules).toHaveLength(2);
  });

  it('retries, removes and retries all failed of a type from the same origin', async () => {
    await start();
    await t!.failCharge('c1');
    await t!.failCharge('c2');
    await t!.failCharge('c3');
    t!.shop.healed.add('c1');
    const completed = new Promise<void>((resolve) => {
      t!.jobs.events$.subscribe((event) => event.kind === 'completed' && event.job.id === 'c1' && resolve());
    });
    const retry = await call('/jobs/api/jobs/c1/retry', { method: 'POST', headers: { ...AUTH, ...SAME_ORIGIN } });
    expect([retry.status, await json(retry)]).toEqual([200, { id: 'c1', state: 'waiting' }]);
    await completed;

    const remove = await call('/jobs/api/jobs/c2/remove', { method: 'POST', headers: { ...AUTH, ...SAME_ORIGIN } });
    expect(remove.status).toBe(200);
    expect(await t!.jobs.getJob('c2')).toBeUndefined();
    const again = await call('/jobs/api/jobs/c2/remove', { method: 'POST', headers: { ...AUTH, ...SAME_ORIGIN } });
    expect([again.status, (await json(again)).message]).toEqual([404, 'No job with id "c2" to remove.']);

    const failedAgain = new Promise<void>((resolve) => {
      t!.jobs.events$.subscribe((event) => event.kind === 'failed' && event.job.id === 'c3' && resolve());
    });
    const all = await call('/jobs/api/types/charge/retry-failed', { method: 'POST', headers: { ...AUTH, ...SAME_ORIGIN } });
    expect(await json(all)).toEqual({ type: 'charge', retried: 1 });
    await failedAgain;
    const unknown = await call('/jobs/api/types/nope/retry-failed', { method: 'POST', headers: { ...AUTH, ...SAME_ORIGIN } });
    expect(unknown.status).toBe(400);
    expect((await json(unknown)).message).toContain('nope');
  });

  it('refuses a change from another origin (CSRF) even when authorized, and changes nothing', async () => {
    await start();
    await t!.failCharge('c1');
    const attempts: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'cross-site', 'x-jobs-dashboard': '1' },
      { 'sec-fetch-site': 'same-site', 'x-jobs-dashboard': '1' },
      { origin: 'http://evil.example', 'x-jobs-dashboard': '1' },
      { origin: 'null', 'x-jobs-dashboard': '1' },
      // A plain form post: no custom header.
      { 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' },
    ];
    for (const headers of attempts) {
      const response = await call('/jobs/api/jobs/c1/retry', { method: 'POST', headers: { ...AUTH, ...headers } });
      expect(response.status).toBe(403);
      expect((await json(response)).message).toMatch(/^Refused: .*Changes to jobs are accepted only from the dashboard page itself/);
    }
    expect((await t!.jobs.getJob('c1'))?.state).toBe('failed');
    expect(t!.jobs.metrics().retriedManually).toBe(0);
  });

  it('with readOnly, the server refuses every change, even from the page itself', async () => {
    await start({ readOnly: true });
    await t!.failCharge('c1');
    for (const path of ['/jobs/api/jobs/c1/retry', '/jobs/api/jobs/c1/remove', '/jobs/api/types/charge/retry-failed']) {
      const response = await call(path, { method: 'POST', headers: { ...AUTH, ...SAME_ORIGIN } });
      expect([response.status, (await json(response)).message]).toEqual([403, 'Refused: this dashboard is read-only (readOnly: true).']);
    }
    expect((await t!.jobs.getJob('c1'))?.state).toBe('failed');
    const snapshot = await json(await call('/jobs/api/snapshot', { headers: AUTH }));
    expect(snapshot.readOnly).toBe(true);
  });

  it('sends payloads nowhere unless showPayloads, and in the snapshot and the failed pages with it', async () => {
    await start();
    await t!.failCharge('c1', 'PAYLOAD-MARK');
    for (const path of ['/jobs/api/snapshot', '/jobs/api/failed', '/jobs/api/failed?type=charge']) {
      const body = await (await call(path, { headers: AUTH })).text();
      expect(body).toContain('"id":"c1"');
      // The error message quotes the card, so look for the payload field itself.
      expect(body).not.toContain('"payload"');
    }
    await t!.close();
    await start({ showPayloads: true });
    await t!.failCharge('c1', 'PAYLOAD-MARK');
    for (const path of ['/jobs/api/snapshot', '/jobs/api/failed?type=charge']) {
      const body = await json(await call(path, { headers: AUTH }));
      const jobs = path.includes('snapshot') ? body.failed.jobs : body.jobs;
      expect(jobs[0].payload).toEqual({ card: 'PAYLOAD-MARK' });
    }
  });

  it('the page and everything it loads come from the app: no http:// or https:// anywhere in it', async () => {
    await start();
    const html = await (await call(`/jobs?token=${TOKEN}`)).text();
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)="(?!data:)/i);
    expect(Buffer.byteLength(html)).toBeLessThan(32 * 1024);
  });

  it('serves under a custom path only', async () => {
    await start({ path: '/admin/queue/' });
    expect((await call('/admin/queue/api/snapshot', { headers: AUTH })).status).toBe(200);
    expect((await call('/admin/queue/api/snapshot')).status).toBe(403);
    expect((await call('/jobs/api/snapshot', { headers: AUTH })).status).toBe(404);
  });

  it('serves under the app global prefix, authorizing every route there', async () => {
    await start({}, 'api/v1');
    expect((await call(`/api/v1/jobs?token=${TOKEN}`)).status).toBe(200);
    expect((await call(`/api/v1/jobs/?token=${TOKEN}`)).status).toBe(200);
    expect((await call('/api/v1/jobs/api/snapshot', { headers: AUTH })).status).toBe(200);
    for (const path of ['/api/v1/jobs', '/api/v1/jobs/api/snapshot', '/api/v1/jobs/nothing/here']) {
      expect((await call(path)).status).toBe(403);
    }
  });
});

describeWithRedis('dashboard on the BullMQ driver', () => {
  let t: DashboardApp | undefined;
  beforeAll(() => bullmqDriver.setup());
  afterAll(() => bullmqDriver.teardown());
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('counts from Redis, lists the failed job without its payload, and retries it from the page', async () => {
    t = await startDashboardApp({}, { fixture: bullmqDriver });
    await t.failCharge('b1', 'REDIS-PAYLOAD');
    const snapshot = await json(await fetch(`${t.origin}/jobs/api/snapshot`, { headers: AUTH }));
    expect(snapshot.types.find((row: { type: string }) => row.type === 'charge').counts.failed).toBe(1);
    expect(snapshot.failed.jobs.map((job: { id: string; error: string }) => [job.id, job.error])).toEqual([['b1', 'card REDIS-PAYLOAD declined']]);
    expect(JSON.stringify(snapshot)).not.toContain('"payload"');
    expect(snapshot.status.broker.status).toBe('up');

    t.shop.healed.add('b1');
    const completed = new Promise<void>((resolve) => {
      t!.jobs.events$.subscribe((event) => event.kind === 'completed' && event.job.id === 'b1' && resolve());
    });
    const retry = await fetch(`${t.origin}/jobs/api/jobs/b1/retry`, { method: 'POST', headers: { ...AUTH, ...SAME_ORIGIN } });
    expect(retry.status).toBe(200);
    await completed;
    const after = await json(await fetch(`${t.origin}/jobs/api/snapshot`, { headers: AUTH }));
    expect(after.failed.jobs).toEqual([]);
  });
});

describe('JobsDashboardModule.register', () => {
  it('fails naming authorize when it is not a function', () => {
    expect(() => JobsDashboardModule.register({} as never)).toThrow(JobsConfigurationError);
    expect(() => JobsDashboardModule.register({ authorize: true } as never)).toThrow(
      /^JobsDashboardModule: authorize must be a function \(request\) => boolean \| Promise<boolean>, got true\./,
    );
  });

  it('fails naming path, readOnly or showPayloads with the value given', () => {
    const authorize = (): boolean => true;
    expect(() => JobsDashboardModule.register({ authorize, path: 'a b' })).toThrow(/path must be a URL path .* got "a b"/);
    expect(() => JobsDashboardModule.register({ authorize, readOnly: 'yes' as never })).toThrow('readOnly must be true or false, got "yes"');
    expect(() => JobsDashboardModule.register({ authorize, showPayloads: 1 as never })).toThrow('showPayloads must be true or false, got 1');
  });
});

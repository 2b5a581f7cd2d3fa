import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type DashboardApp, startDashboardApp, TOKEN } from '../support/dashboard-app.js';

/** Debian's Chromium: Playwright's own download cannot work here. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where screenshots go: docs/ (shown in the README) with UPDATE_SCREENSHOTS=1, else .build/ so a test run leaves the tree clean. */
const SHOTS = fileURLToPath(new URL(process.env.UPDATE_SCREENSHOTS === '1' ? '../../docs/' : '../../.build/screenshots/', import.meta.url));

describe('dashboard in a real browser (Chromium)', () => {
  let browser: Browser;
  let t: DashboardApp | undefined;
  let page: Page | undefined;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await page?.context().close();
    page = undefined;
    await t?.close();
    t = undefined;
  });

  async function open(
    options: Parameters<typeof startDashboardApp>[0] = {},
    view: { width: number; height: number; colorScheme?: 'light' | 'dark' } = { width: 1280, height: 800 },
  ): Promise<Page> {
    t ??= await startDashboardApp(options);
    const context = await browser.newContext({ viewport: { width: view.width, height: view.height }, colorScheme: view.colorScheme ?? 'light' });
    page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    await page.goto(`${t.origin}/jobs?token=${TOKEN}`);
    await page.locator('body[data-loaded="true"]').waitFor();
    // No script error and no CSP violation (which Chromium reports on the console).
    expect(problems).toEqual([]);
    return page;
  }

  it('shows a failed job with its type and error, and a Retry click runs it again', async () => {
    t = await startDashboardApp();
    await t.failCharge('order-17', '4000-0002');
    const p = await open();
    const row = p.getByRole('group', { name: 'Failed job order-17' });
    await expect(row.textContent()).resolves.toContain('card 4000-0002 declined');
    await expect(row.locator('.type').textContent()).resolves.toBe('charge');
    await expect(row.textContent()).resolves.toContain('1 attempt of 2');
    // The payload is not in the page without showPayloads.
    await expect(row.getByText('payload').count()).resolves.toBe(0);

    t.shop.healed.add('order-17');
    const completed = new Promise<void>((resolve) => {
      t!.jobs.events$.subscribe((event) => event.kind === 'completed' && event.job.id === 'order-17' && resolve());
    });
    await row.getByRole('button', { name: 'Retry job order-17' }).click();
    await completed;
    // The row goes once the retry is in; the list says there is nothing left.
    await row.waitFor({ state: 'detached' });
    await p.getByText('No failed jobs kept.').waitFor();
    const firstDataMs = Number(await p.locator('body').getAttribute('data-first-data-ms'));
    expect(firstDataMs).toBeGreaterThan(0);
    process.stdout.write(`dashboard: first data ${firstDataMs} ms after navigation start\n`);
  });

  it('works the same on Fastify: the page loads under its policy, shows the failed job, and Retry runs it', async () => {
    t = await startDashboardApp({}, { adapter: 'fastify' });
    await t.failCharge('fy-1', '6011');
    const p = await open();
    const row = p.getByRole('group', { name: 'Failed job fy-1' });
    await expect(row.textContent()).resolves.toContain('card 6011 declined');
    t.shop.healed.add('fy-1');
    const completed = new Promise<void>((resolve) => {
      t!.jobs.events$.subscribe((event) => event.kind === 'completed' && event.job.id === 'fy-1' && resolve());
    });
    await row.getByRole('button', { name: 'Retry job fy-1' }).click();
    await completed;
    await row.waitFor({ state: 'detached' });
  });

  it('shows a job that fails after the page loaded, without a reload, and counts it per type', async () => {
    const p = await open();
    await p.getByText('No failed jobs kept.').waitFor();
    await t!.failCharge('late-1', '5555');
    // The page polls every 2 s: wait for the row, not for a time.
    const row = p.getByRole('group', { name: 'Failed job late-1' });
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('card 5555 declined');
    const card = p.locator('article.card', { hasText: 'charge' });
    await expect(card.locator('.counts .failed dd').textContent()).resolves.toBe('1');
  });

  it('with readOnly, shows the failed jobs and not one button to change them', async () => {
    t = await startDashboardApp({ readOnly: true });
    await t.failCharge('ro-1');
    const p = await open();
    await p.getByRole('group', { name: 'Failed job ro-1' }).waitFor();
    await expect(p.getByRole('button', { name: /retry|remove/i }).count()).resolves.toBe(0);
  });

  it('with showPayloads, shows the payload of a failed job', async () => {
    t = await startDashboardApp({ showPayloads: true });
    await t.failCharge('pl-1', 'VISIBLE-CARD');
    const p = await open();
    const row = p.getByRole('group', { name: 'Failed job pl-1' });
    await row.getByText('payload').click();
    await expect(row.locator('pre').textContent()).resolves.toContain('"card": "VISIBLE-CARD"');
  });

  it('is usable by keyboard: Tab reaches the Retry and Remove buttons, and Remove asks before it removes', async () => {
    t = await startDashboardApp();
    await t.failCharge('kb-1');
    const p = await open();
    const remove = p.getByRole('button', { name: 'Remove job kb-1' });
    let focused = '';
    for (let i = 0; i < 20 && focused !== 'Remove job kb-1'; i++) {
      await p.keyboard.press('Tab');
      focused = (await p.locator(':focus').getAttribute('aria-label')) ?? '';
    }
    expect(focused).toBe('Remove job kb-1');
    await p.keyboard.press('Enter');
    await expect(remove.textContent()).resolves.toBe('Remove?');
    expect(await t.jobs.getJob('kb-1')).toBeDefined();
    await p.keyboard.press('Enter');
    await p.getByRole('group', { name: 'Failed job kb-1' }).waitFor({ state: 'detached' });
    expect(await t.jobs.getJob('kb-1')).toBeUndefined();
  });

  it('lists the schedules with their next run', async () => {
    t = await startDashboardApp();
    await t.jobs.schedule('nightly-report', 'report', { rows: 1 }, { cron: '0 3 * * *', timezone: 'Europe/Paris' });
    await t.jobs.schedule('charge-sweep', 'report', { rows: 2 }, { every: 300_000 });
    const p = await open();
    const rows = p.locator('#schedules .row');
    await expect(rows.count()).resolves.toBe(2);
    const texts = await rows.allTextContents();
    expect(texts.some((text) => /^reportnightly-report0 3 \* \* \* \(Europe\/Paris\)next /.test(text))).toBe(true);
    expect(texts.some((text) => /^reportcharge-sweepevery 5 minnext /.test(text))).toBe(true);
  });

  it('says there are no schedules when there are none', async () => {
    const p = await open();
    await p.getByText('No schedules.').waitFor();
  });

  it('saves screenshots: wide and narrow in light, wide in dark', async () => {
    t = await startDashboardApp({}, { jobs: { workers: 4 } });
    await t.jobs.schedule('nightly-report', 'report', { rows: 0 }, { cron: '0 3 * * *', timezone: 'Europe/Paris' });
    // A page open first: the rates count from then on.
    await open();
    await Promise.all(Array.from({ length: 40 }, (_, i) => t!.jobs.submit('report', { rows: i })));
    await t.jobs.onIdle();
    await t.failCharge('order-1042', '4000-0000-0000-0002');
    await t.failCharge('order-1043', '4000-0000-0000-0119');
    await t.failCharge('order-1051', '4000-0000-0000-9995');
    await page!.context().close();
    mkdirSync(SHOTS, { recursive: true });
    for (const [name, view] of [
      ['dashboard-wide.png', { width: 1280, height: 800 }],
      ['dashboard-narrow.png', { width: 390, height: 844 }],
      ['dashboard-dark.png', { width: 1280, height: 800, colorScheme: 'dark' as const }],
    ] as const) {
      const p = await open({}, view);
      await p.getByRole('group', { name: 'Failed job order-1051' }).waitFor();
      await p.locator('.rate-c b', { hasText: '40' }).waitFor();
      await p.screenshot({ path: `${SHOTS}${name}`, fullPage: view.width < 600 });
      // A PNG of the viewport's width (Chromium's device scale 1).
      const png = readFileSync(`${SHOTS}${name}`);
      expect([png.subarray(1, 4).toString(), png.readUInt32BE(16)]).toEqual(['PNG', view.width]);
      await p.context().close();
      page = undefined;
    }
  });
});

import { describe, expect, it } from '@jest/globals';
import { builtFixture, startChild } from '../support/child.js';

describe('in a real process', () => {
  it('drains on SIGTERM: every accepted job ends completed, failed or abandoned, once, and the process exits 0', async () => {
    const app = startChild(builtFixture('sigterm-app'));
    await app.waitFor('READY');
    const sentAt = Date.now();
    app.child.kill('SIGTERM');
    const { code, signal } = await app.exited;
    const elapsed = Date.now() - sentAt;
    expect({ code, signal }).toEqual({ code: 0, signal: null });

    const lines = app.stdout().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
    const accepted: string[] = lines.find((line) => line.accepted).accepted;
    const ends = new Map<string, string[]>();
    for (const { kind, id } of lines.filter((line) => line.kind)) {
      if (['completed', 'failed', 'abandoned'].includes(kind)) ends.set(id, [...(ends.get(id) ?? []), kind]);
    }
    expect(accepted).toHaveLength(201);
    for (const id of accepted) expect({ id, ends: ends.get(id)?.length }).toEqual({ id, ends: 1 });
    expect(ends.size).toBe(accepted.length);
    const kinds = [...ends.values()].flat();
    expect(kinds).toContain('completed');
    expect(kinds).toContain('failed');
    // The stubborn jobs outlived shutdownTimeout and the far-delayed one never came due.
    const abandoned = [...ends].filter(([, [kind]]) => kind === 'abandoned').map(([id]) => id);
    expect(abandoned.length).toBeGreaterThanOrEqual(2);
    // ...and logged: their count, and a bounded sample of their ids (each id has its event above).
    expect(app.stderr()).toContain(`Abandoned ${abandoned.length} job(s) at shutdown`);
    expect(abandoned.filter((id) => app.stderr().includes(id)).length).toBe(Math.min(abandoned.length, 20));
    // Shutdown returned at its deadline (500 ms), not when the stubborn handlers would have.
    expect(elapsed).toBeLessThan(30_000);
  });

  it('never surfaces a handler failure as an unhandled rejection or uncaught exception', async () => {
    const app = startChild(builtFixture('failing-handlers-app'));
    const { code } = await app.exited;
    expect({ code, stderr: app.stderr() }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(app.stdout().trim().split('\n').at(-1)!);
    expect(report).toEqual({ failed: 9, problems: [] });
  });
});

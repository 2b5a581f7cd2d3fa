import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

/** The sample app as built JavaScript (npm test builds .build/ and dist/ first). */
const MAIN = fileURLToPath(new URL('../../.build/sample-app/main.js', import.meta.url));
const SHUTDOWN_TIMEOUT_MS = 300;
const BURST = 40;

/** Collects a child's output and resolves when a line matches. */
class Output {
  text = '';
  #waiters: { pattern: RegExp; resolve: (match: RegExpMatchArray) => void }[] = [];

  constructor(child: ChildProcess) {
    const append = (chunk: Buffer) => {
      this.text += chunk.toString();
      this.#waiters = this.#waiters.filter((waiter) => {
        const match = this.text.match(waiter.pattern);
        if (match !== null) waiter.resolve(match);
        return match === null;
      });
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
  }

  waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    const match = this.text.match(pattern);
    if (match !== null) return Promise.resolve(match);
    return new Promise((resolve) => this.#waiters.push({ pattern, resolve }));
  }

  outcomes(): Map<string, string[]> {
    const byId = new Map<string, string[]>();
    for (const [, kind, id] of this.text.matchAll(/^job-outcome (\w+) (\S+)$/gm)) {
      byId.set(id!, [...(byId.get(id!) ?? []), kind!]);
    }
    return byId;
  }
}

describe('the sample app as a process', () => {
  it('drains on SIGTERM mid-load: every accepted job ends completed, failed or abandoned, and it exits 0', async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        PORT: '0',
        HOST: '127.0.0.1',
        JOBS_DEMO: '0',
        JOBS_PROGRESS: '0',
        JOBS_TRACE: '1',
        JOBS_WORKERS: '2',
        JOBS_SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    // Guards against a hang only: a drain bounded by its timeout ends long before.
    const hangGuard = setTimeout(() => child.kill('SIGKILL'), SHUTDOWN_TIMEOUT_MS + 15_000);
    try {
      const output = new Output(child);
      const [, url] = await Promise.race([
        output.waitFor(/listening on (http:\/\/\S+)/),
        exited.then(() => {
          throw new Error(`The sample app exited before listening:\n${output.text}`);
        }),
      ]);

      const types = ['report', 'email', 'notification', 'report'];
      const responses = await Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          fetch(`${url}/jobs/${types[i % types.length]}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ payload: { n: i } }),
          }),
        ),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(BURST).fill(202));
      const accepted = await Promise.all(responses.map(async (response) => ((await response.json()) as { id: string }).id));
      const endedBeforeSignal = output.outcomes().size;

      child.kill('SIGTERM');
      const [code, signal] = await exited;

      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(endedBeforeSignal).toBeLessThan(BURST);
      const outcomes = output.outcomes();
      expect([...outcomes.keys()].sort()).toEqual([...accepted].sort());
      const tally = { completed: 0, failed: 0, abandoned: 0 };
      for (const [id, kinds] of outcomes) {
        expect({ id, kinds }).toEqual({ id, kinds: [expect.stringMatching(/^(completed|failed|abandoned)$/)] });
        tally[kinds[0] as keyof typeof tally]++;
      }
      expect(output.text).toContain(
        `Drained: ${tally.completed} completed, ${tally.failed} failed, ${tally.abandoned} abandoned`,
      );
    } finally {
      clearTimeout(hangGuard);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built JavaScript of a test fixture (npm test builds it with `npm run build:test`). */
export function builtFixture(name: string): string {
  const file = join(root, '.build', 'test', 'fixtures', `${name}.js`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run build:test" first (npm test does).`);
  return file;
}

export interface RunningChild {
  child: ChildProcess;
  /** Everything printed so far on stdout. */
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout has printed `text`. */
  waitFor(text: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startChild(file: string, env: NodeJS.ProcessEnv = {}): RunningChild {
  const child = spawn(process.execPath, [file], { env: { ...process.env, NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (let i = waiters.length - 1; i >= 0; i--) if (out.includes(waiters[i].text)) waiters.splice(i, 1)[0].resolve();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor: (text) =>
      out.includes(text)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ text, resolve });
            void exited.then(({ code }) => reject(new Error(`child exited (${code}) before printing ${text}:\n${out}\n${err}`)));
          }),
    exited,
  };
}

import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BullmqDriverOptions } from '../../lib/bullmq/index.js';
import type { ChildMessage, ParentMessage, StoreCall } from '../fixtures/bullmq-node.js';
import { deleteKeys, type RedisEndpoint, sharedRedis, stopSharedRedis, uniquePrefix } from './redis.js';

const FIXTURE = fileURLToPath(new URL('../../.build/test/fixtures/bullmq-node.js', import.meta.url));

/** An application process on the BullMQ driver (test/fixtures/bullmq-node.ts), and what it reported. */
export class ChildNode {
  readonly messages: ChildMessage[] = [];
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #ref = 0;
  #listeners = new Set<(message: ChildMessage) => void>();

  private constructor(readonly process: ChildProcess) {
    process.on('message', (message: ChildMessage) => {
      this.messages.push(message);
      for (const listener of this.#listeners) listener(message);
    });
    process.stdout?.on('data', (chunk) => this.output.push(String(chunk)));
    process.stderr?.on('data', (chunk) => this.output.push(String(chunk)));
    this.exited = new Promise((resolve) => process.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(config: { driver: BullmqDriverOptions; workers: number; shutdownTimeout?: number; declare?: boolean }): Promise<ChildNode> {
    if (!existsSync(FIXTURE)) throw new Error(`${FIXTURE} is missing: run "npm run build:test" first (npm test does).`);
    const child = fork(FIXTURE, [], {
      env: { ...process.env, NJT_CONFIG: JSON.stringify({ shutdownTimeout: 5000, ...config }) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const node = new ChildNode(child);
    await Promise.race([
      node.next((m) => m.type === 'ready'),
      node.exited.then(() => Promise.reject(new Error(`child exited before ready:\n${node.output.join('')}`))),
    ]);
    return node;
  }

  get pid(): number {
    return this.process.pid!;
  }

  send(message: ParentMessage): void {
    this.process.send(message);
  }

  /** The first message (already received or to come) that matches. */
  next(match: (message: ChildMessage) => boolean): Promise<ChildMessage> {
    const seen = this.messages.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const listener = (message: ChildMessage) => {
        if (!match(message)) return;
        this.#listeners.delete(listener);
        resolve(message);
      };
      this.#listeners.add(listener);
    });
  }

  event(kind: string, id: string): Promise<ChildMessage> {
    return this.next((m) => m.type === 'event' && m.kind === kind && m.id === id);
  }

  events(kind: string): Array<Extract<ChildMessage, { type: 'event' }>> {
    return this.messages.filter((m): m is Extract<ChildMessage, { type: 'event' }> => m.type === 'event' && m.kind === kind);
  }

  async submit(jobType: string, payload: unknown, options?: Record<string, unknown>): Promise<Extract<ChildMessage, { type: 'submitted' | 'rejected' }>> {
    const ref = ++this.#ref;
    this.send({ type: 'submit', ref, jobType, payload, options });
    return (await this.next((m) => (m.type === 'submitted' || m.type === 'rejected') && m.ref === ref)) as Extract<
      ChildMessage,
      { type: 'submitted' | 'rejected' }
    >;
  }

  /** `schedule()` in the app; resolves with its `listSchedules()` after, or the rejection. */
  async schedule(key: string, jobType: string, payload: unknown, options: Record<string, unknown>): Promise<ChildMessage> {
    const ref = ++this.#ref;
    this.send({ type: 'schedule', ref, key, jobType, payload, options });
    return this.next((m) => (m.type === 'scheduled' || m.type === 'rejected') && m.ref === ref);
  }

  /** The app's `listSchedules()`. */
  async listSchedules(): Promise<Array<{ key: string; type: string; next: string }>> {
    const ref = ++this.#ref;
    this.send({ type: 'listSchedules', ref });
    const reply = await this.next((m) => m.type === 'scheduled' && m.ref === ref);
    return (reply as Extract<ChildMessage, { type: 'scheduled' }>).schedules;
  }

  /** The app's `metrics()`. */
  async metrics(): Promise<Record<string, number>> {
    const ref = ++this.#ref;
    this.send({ type: 'metrics', ref });
    const reply = await this.next((m) => m.type === 'metrics' && m.ref === ref);
    return (reply as Extract<ChildMessage, { type: 'metrics' }>).metrics;
  }

  /** Calls a job-store method of the app's `JobQueue`; resolves with its value (JSON: dates as strings) or its error. */
  async store(call: StoreCall, arg?: unknown): Promise<Extract<ChildMessage, { type: 'stored' }>> {
    const ref = ++this.#ref;
    this.send({ type: 'store', ref, call, arg });
    return (await this.next((m) => m.type === 'stored' && m.ref === ref)) as Extract<ChildMessage, { type: 'stored' }>;
  }

  /** Asks the app to close; resolves with how the process then ended (on its own). */
  async close(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.process.exitCode === null && this.process.connected) this.send({ type: 'close' });
    return this.exited;
  }

  kill(signal: NodeJS.Signals): void {
    this.process.kill(signal);
  }
}

/**
 * A suite of application processes on the shared test Redis: the processes a
 * test started are killed after it, and every prefix's keys deleted after the suite.
 */
export function useChildNodes(label: string) {
  let redis: RedisEndpoint | undefined;
  const prefixes: string[] = [];
  let nodes: ChildNode[] = [];

  beforeAll(async () => {
    redis = await sharedRedis();
  });

  afterEach(async () => {
    for (const node of nodes) node.kill('SIGKILL');
    await Promise.all(nodes.map((node) => node.exited));
    nodes = [];
  });

  afterAll(async () => {
    for (const prefix of prefixes) await deleteKeys(redis!.connection, prefix);
    await stopSharedRedis();
  });

  return {
    /** The shared Redis's connection options (after the suite's set-up). */
    get connection(): BullmqDriverOptions['connection'] {
      return redis!.connection;
    },
    /** A fresh key prefix, deleted after the suite. */
    newPrefix(): string {
      const prefix = uniquePrefix(label);
      prefixes.push(prefix);
      return prefix;
    },
    /** Starts a process, killed after the test. */
    async start(options: Parameters<typeof ChildNode.start>[0]): Promise<ChildNode> {
      const started = await ChildNode.start(options);
      nodes.push(started);
      return started;
    },
  };
}

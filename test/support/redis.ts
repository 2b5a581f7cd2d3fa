import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis for the tests: REDIS_URL if set, else 127.0.0.1:6379, else a
 * redis-server started on a free loopback port. Tests that break Redis start
 * their own server and never touch the shared one.
 */
export interface RedisEndpoint {
  connection: RedisOptions;
  /** How it was found, for the report. */
  source: string;
}

function fromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  const options: RedisOptions = { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || 6379) };
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  const db = parsed.pathname.replace('/', '');
  if (db) options.db = Number(db);
  return options;
}

function answers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG') || data.toString().startsWith('-NOAUTH')));
  });
}

/** Whether a redis-server binary is on the PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

let shared: Promise<RedisEndpoint> | null = null;
let ownServer: RedisServer | null = null;

/** The Redis every non-breaking test uses (started once per test file when nothing answers). */
export function sharedRedis(): Promise<RedisEndpoint> {
  return (shared ??= (async () => {
    if (process.env.REDIS_URL) return { connection: fromUrl(process.env.REDIS_URL), source: 'REDIS_URL' };
    if (await answers(6379)) return { connection: { host: '127.0.0.1', port: 6379 }, source: '127.0.0.1:6379' };
    ownServer = await startRedisServer();
    return { connection: { host: '127.0.0.1', port: ownServer.port }, source: `redis-server on port ${ownServer.port}` };
  })());
}

/** Stops the server `sharedRedis()` started, if it started one. */
export async function stopSharedRedis(): Promise<void> {
  await ownServer?.stop();
  ownServer = null;
  shared = null;
}

/** Whether any Redis can be had: REDIS_URL, the default port, or a redis-server binary. */
export async function redisAvailable(): Promise<boolean> {
  return Boolean(process.env.REDIS_URL) || (await answers(6379)) || hasRedisServer();
}

let prefixes = 0;

/** A key prefix no other test file, app or run shares. */
export function uniquePrefix(label: string): string {
  return `njt-${label}-${process.pid}-${Date.now().toString(36)}-${++prefixes}`;
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(connection: RedisOptions, prefix: string): Promise<void> {
  const client = new Redis({ ...connection, lazyConnect: true });
  await client.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server of a test's own, on a free loopback port: the one to pause, kill and restart. */
export interface RedisServer {
  readonly port: number;
  readonly connection: RedisOptions;
  /** SIGSTOP: the server holds connections open but answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Stops the server (SIGKILL), keeping its data directory. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (data kept with appendonly). */
  restart(): Promise<void>;
  /** Stops it and removes its data. */
  stop(): Promise<void>;
}

export async function startRedisServer(options: { appendonly?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'njt-redis-'));
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir,
    '--appendonly', options.appendonly ? 'yes' : 'no', '--appendfsync', 'always',
    '--maxmemory-policy', 'noeviction',
  ];
  let child: ChildProcess | null = null;
  const launch = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    for (let i = 0; i < 100 && !(await answers(port)); i++) await new Promise((r) => setTimeout(r, 20));
    if (!(await answers(port))) throw new Error(`redis-server did not start on port ${port}`);
  };
  const kill = async () => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGCONT');
      running.kill('SIGKILL');
    });
  };
  await launch();
  return {
    port,
    connection: { host: '127.0.0.1', port },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

import { Redis, type RedisOptions } from 'ioredis';

/**
 * An ioredis client that remembers the copies made of it. A BullMQ Worker
 * given a client duplicates it for its own connection and its blocking one;
 * while Redis is away, the Worker's `close()` waits on them forever and they
 * keep reconnecting, so shutdown drops them itself.
 */
export class TrackedRedis extends Redis {
  readonly #copies = new Set<Redis>();

  override duplicate(override?: Partial<RedisOptions>): Redis {
    const copy = super.duplicate(override);
    this.#copies.add(copy);
    copy.once('end', () => this.#copies.delete(copy));
    return copy;
  }

  /** Drops every copy's connection at once: no QUIT, no reconnecting, commands in flight are abandoned. */
  disconnectCopies(): void {
    for (const copy of this.#copies) copy.disconnect();
    this.#copies.clear();
  }
}

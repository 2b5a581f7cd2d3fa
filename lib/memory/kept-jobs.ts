import type { Job } from '../interfaces/job.interface.js';
import type { KeepPolicy } from '../engine/jobs-driver.js';

/**
 * A finished job the in-memory store keeps. It sits in two lists, newest
 * first: its type's (eviction by count and age happens at that list's old
 * end) and its state's across types (paging without a type).
 */
export class KeptJob {
  /** Order of finishing, across types: a page ends at a `seq`. */
  seq = 0;
  older: KeptJob | null = null;
  newer: KeptJob | null = null;
  olderAll: KeptJob | null = null;
  newerAll: KeptJob | null = null;
  store: KeptJobs | null = null;

  constructor(
    /** The snapshot of its last attempt (`error` set when it failed). */
    readonly job: Job,
    readonly typeIndex: number,
    readonly timeout: number,
    /** The id was the user's (an idempotency key). */
    readonly keyed: boolean,
    readonly result: unknown,
    readonly finishedAt: number,
  ) {}
}

class TypeList {
  newest: KeptJob | null = null;
  oldest: KeptJob | null = null;
  size = 0;
  constructor(readonly policy: KeepPolicy) {}
}

/**
 * The kept jobs of one state (completed or failed), per type, bounded by
 * each type's retention: O(1) insertion and removal, eviction by count at
 * insertion and by age lazily (a lookup never sees a record past its age, and
 * no timer runs per record). Ids are indexed by the caller's map, which
 * `evict` keeps in step.
 */
export class KeptJobs {
  readonly #types: Array<TypeList | undefined> = [];
  #newest: KeptJob | null = null;
  #oldest: KeptJob | null = null;
  #seq = 0;
  readonly #byId: Map<string, KeptJob>;

  constructor(
    readonly state: 'completed' | 'failed',
    byId: Map<string, KeptJob>,
  ) {
    this.#byId = byId;
  }

  /** Keeps `kept` as its type's newest, then evicts past the type's count. */
  add(kept: KeptJob, policy: KeepPolicy): void {
    const list = (this.#types[kept.typeIndex] ??= new TypeList(policy));
    kept.seq = ++this.#seq;
    kept.store = this;
    kept.older = list.newest;
    if (list.newest !== null) list.newest.newer = kept;
    else list.oldest = kept;
    list.newest = kept;
    list.size++;
    kept.olderAll = this.#newest;
    if (this.#newest !== null) this.#newest.newerAll = kept;
    else this.#oldest = kept;
    this.#newest = kept;
    this.#byId.set(kept.job.id, kept);
    while (list.size > policy.count) this.remove(list.oldest!);
  }

  /** Takes a record out of both lists and the id index. */
  remove(kept: KeptJob): void {
    const list = this.#types[kept.typeIndex]!;
    if (kept.older !== null) kept.older.newer = kept.newer;
    else list.oldest = kept.newer;
    if (kept.newer !== null) kept.newer.older = kept.older;
    else list.newest = kept.older;
    list.size--;
    if (kept.olderAll !== null) kept.olderAll.newerAll = kept.newerAll;
    else this.#oldest = kept.newerAll;
    if (kept.newerAll !== null) kept.newerAll.olderAll = kept.olderAll;
    else this.#newest = kept.olderAll;
    kept.older = kept.newer = kept.olderAll = kept.newerAll = null;
    kept.store = null;
    if (this.#byId.get(kept.job.id) === kept) this.#byId.delete(kept.job.id);
  }

  /** Whether a record is past its type's age at `now`. */
  expired(kept: KeptJob, now: number): boolean {
    return now - kept.finishedAt >= this.#types[kept.typeIndex]!.policy.age;
  }

  /** Evicts a type's records past their age (all types when `typeIndex` is undefined): they sit at the old end. */
  prune(now: number, typeIndex?: number): void {
    if (typeIndex !== undefined) {
      const list = this.#types[typeIndex];
      if (list === undefined) return;
      const age = list.policy.age;
      while (list.oldest !== null && now - list.oldest.finishedAt >= age) this.remove(list.oldest);
      return;
    }
    for (let index = 0; index < this.#types.length; index++) if (this.#types[index] !== undefined) this.prune(now, index);
  }

  /** Records kept of a type (call `prune` first). */
  size(typeIndex: number): number {
    return this.#types[typeIndex]?.size ?? 0;
  }

  /**
   * Up to `limit` records, newest first, strictly older than the record with
   * `afterSeq` (all from the newest when undefined); `afterId` finds that
   * record in O(1) while it is still kept. Call `prune` first.
   */
  page(typeIndex: number | undefined, limit: number, afterSeq: number | undefined, afterId: string | undefined): KeptJob[] {
    const all = typeIndex === undefined;
    let node: KeptJob | null;
    if (afterSeq === undefined) {
      node = all ? this.#newest : (this.#types[typeIndex]?.newest ?? null);
    } else {
      const from = afterId === undefined ? undefined : this.#byId.get(afterId);
      if (from !== undefined && from.store === this && from.seq === afterSeq && (all || from.typeIndex === typeIndex)) {
        node = all ? from.olderAll : from.older;
      } else {
        // The page's last record left the store since: walk from the newest to where it was.
        node = all ? this.#newest : (this.#types[typeIndex]?.newest ?? null);
        while (node !== null && node.seq >= afterSeq) node = all ? node.olderAll : node.older;
      }
    }
    const out: KeptJob[] = [];
    while (node !== null && out.length < limit) {
      out.push(node);
      node = all ? node.olderAll : node.older;
    }
    return out;
  }

  /** Every record (of a type), newest first. Call `prune` first. */
  values(typeIndex: number | undefined): KeptJob[] {
    return this.page(typeIndex, Number.MAX_SAFE_INTEGER, undefined, undefined);
  }
}

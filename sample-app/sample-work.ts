import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';

/** About how long each job type takes, in ms (±20%). */
const DURATION_MS: Record<string, number> = { email: 100, report: 500, notification: 50 };
/** Share of report attempts that fail with a transient error, so that retries show. */
const REPORT_FAILURE_RATE = 0.3;

/**
 * The simulated work behind the handlers: tests replace it (overrideProvider)
 * to hold jobs open with deferred promises.
 */
@Injectable()
export class SampleWork {
  /** Resolves when the work is done; rejects when `signal` aborts (timeout or shutdown deadline). */
  async run(type: string, signal: AbortSignal): Promise<void> {
    const duration = (DURATION_MS[type] ?? 100) * (0.8 + Math.random() * 0.4);
    await sleep(duration, undefined, { signal });
    if (type === 'report' && Math.random() < REPORT_FAILURE_RATE) {
      throw new Error('the report service is busy (simulated transient failure)');
    }
  }
}

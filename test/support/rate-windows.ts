/** Ms of slack for timer and clock granularity when checking windows measured on the wall clock. */
export const WINDOW_TOLERANCE_MS = 25;

/**
 * The most starts any fixed window held, as BullMQ's limiter defines them: a
 * window opens at the first start after the previous one closed (less the
 * tolerance, for starts measured on clocks of other processes).
 */
export function busiestWindow(starts: readonly number[], duration: number, tolerance = WINDOW_TOLERANCE_MS): number {
  let most = 0;
  let closesAt = -Infinity;
  let count = 0;
  for (const start of [...starts].sort((a, b) => a - b)) {
    if (start >= closesAt - tolerance) {
      closesAt = start + duration;
      count = 0;
    }
    most = Math.max(most, ++count);
  }
  return most;
}

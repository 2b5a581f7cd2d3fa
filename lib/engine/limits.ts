/** Bounds every driver shares, checked where options enter. */

/** The longest a Node timer can wait (2^31 − 1 ms): Node fires a longer one after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

export const PRIORITY_MIN = -1_000_000;
export const PRIORITY_MAX = 1_000_000;

/** More attempts at once than any one process can use; a bound that names the option beats an out-of-memory crash. */
export const MAX_WORKERS = 100_000;

export function isInteger(value: unknown, min: number, max: number = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** The words for a bound in messages: "an integer >= 1", "an integer from 1 to 2147483647". */
export function integerRange(min: number, max: number = Number.MAX_SAFE_INTEGER): string {
  return max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
}

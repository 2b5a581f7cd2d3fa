/** A readable message for anything a handler may throw: Errors, strings, null, objects with a broken toString. */
export function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return error.message || error.name;
    if (typeof error === 'string') return error;
    if (error === null || error === undefined) return `Handler threw ${error}`;
    if (typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
      return (error as { message: string }).message;
    }
    return `Handler threw ${String(error)}`;
  } catch {
    return 'Handler threw a value that cannot be described';
  }
}

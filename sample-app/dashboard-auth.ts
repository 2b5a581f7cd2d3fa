import { createHash, timingSafeEqual } from 'node:crypto';
import type { DashboardRequest } from 'nestjs-jobs/dashboard';

/**
 * The sample's `authorize`: the token as `?token=` (the address printed at
 * start-up; the page passes it on to its API) or as `Authorization: Bearer`.
 */
export function dashboardAuthorize(token: string): (request: DashboardRequest) => boolean {
  const expected = digest(token);
  return (request) => {
    const header = request.headers.authorization;
    const given =
      typeof header === 'string' && header.startsWith('Bearer ')
        ? header.slice('Bearer '.length)
        : new URL(request.url, 'http://localhost').searchParams.get('token');
    // Digests have one length, so the comparison takes the same time whatever was sent.
    return given !== null && timingSafeEqual(digest(given), expected);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

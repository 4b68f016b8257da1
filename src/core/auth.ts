import { timingSafeEqual } from 'node:crypto';
import { BrokerError } from '../spi/errors.js';
import type { Credentials, Principal } from '../spi/core.js';

export interface UserEntry {
  username: string;
  password: string;
}

const ANONYMOUS: Principal = Object.freeze({ name: 'anonymous', anonymous: true });

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks credentials against the configured users. With no username given, the caller is
 * anonymous, allowed only when `allowAnonymous` is set.
 */
export function authenticate(users: readonly UserEntry[], allowAnonymous: boolean, c: Credentials): Principal {
  if (c.username === undefined || c.username === '') {
    if (allowAnonymous) return ANONYMOUS;
    throw new BrokerError('NOT_AUTHORIZED', 'credentials are required');
  }
  const user = users.find((u) => u.username === c.username);
  if (user && sameSecret(user.password, c.password ?? '')) return { name: user.username, anonymous: false };
  // Unknown users are accepted as themselves only when no users are configured and anonymous access is on.
  if (!user && users.length === 0 && allowAnonymous) return { name: c.username, anonymous: false };
  throw new BrokerError('NOT_AUTHORIZED', 'invalid username or password');
}

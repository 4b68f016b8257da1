import { BrokerError } from '../spi/errors.js';
import type { Address } from '../spi/message.js';

/** ActiveMQ naming: `.` separates levels; `*` matches one level, `>` this level and all below. */
export const LEVEL_SEPARATOR = '.';
export const ONE_LEVEL = '*';
export const ANY_LEVELS = '>';
/** Bounds the work of matching hostile names (e.g. MQTT topics with thousands of levels). */
export const MAX_ADDRESS_LEVELS = 128;
export const MAX_ADDRESS_LENGTH = 4096;

export function splitLevels(name: string): string[] {
  return name.split(LEVEL_SEPARATOR);
}

export function hasWildcard(name: string): boolean {
  for (const level of splitLevels(name)) if (level === ONE_LEVEL || level === ANY_LEVELS) return true;
  return false;
}

/**
 * Checks a name used to send or consume. Wildcards are allowed only when `filter` is set (a
 * subscription: to topics, or as ActiveMQ allows, to every queue the wildcard names), and `>`
 * only as the last level.
 */
export function validateAddress(address: Address, filter: boolean): void {
  const { name } = address;
  if (typeof name !== 'string' || name.length === 0) throw new BrokerError('INVALID_ADDRESS', 'empty destination name');
  if (name.length > MAX_ADDRESS_LENGTH) throw new BrokerError('INVALID_ADDRESS', 'destination name too long');
  const levels = splitLevels(name);
  if (levels.length > MAX_ADDRESS_LEVELS) {
    throw new BrokerError('INVALID_ADDRESS', `destination has more than ${MAX_ADDRESS_LEVELS} levels`);
  }
  levels.forEach((level, i) => {
    const wildcard = level === ONE_LEVEL || level === ANY_LEVELS;
    if (!wildcard) return;
    if (!filter || address.temporary) {
      throw new BrokerError('INVALID_ADDRESS', `wildcards are only allowed in subscriptions: ${name}`);
    }
    if (level === ANY_LEVELS && i !== levels.length - 1) {
      throw new BrokerError('INVALID_ADDRESS', `'>' must be the last level: ${name}`);
    }
  });
}

export function sameAddress(a: Address | undefined, b: Address | undefined): boolean {
  return a === b || (!!a && !!b && a.name === b.name && a.routing === b.routing);
}

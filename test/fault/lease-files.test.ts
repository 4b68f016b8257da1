import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalPair } from '../../src/drill/local-pair.js';
import { fetchRole, sleep, type PairNode } from '../../src/drill/pair.js';
import { closePair, createPair, eventually, roleBecomes, startPair, TEST_LEASE_MS } from './fault-pair.js';

let pair: LocalPair | undefined;
afterEach(async (ctx) => {
  await closePair(pair, ctx.task.result?.state === 'fail');
  pair = undefined;
});

const leaseFile = (p: LocalPair): string => join(p.dataDir, 'ha', 'lease');

type Tamper = (file: string) => void;
const TAMPERING: Array<[string, Tamper]> = [
  ['deleted', (file) => unlinkSync(file)],
  ['corrupted', (file) => writeFileSync(file, '{"epoch": 7, "own\u0000 garbage')],
];

/** Both roles, as `name: role@epoch`. */
async function roles(p: LocalPair): Promise<string[]> {
  const answers = await Promise.all(p.nodes.map((n) => fetchRole(n)));
  return p.nodes.map((n, i) => `${n.name}: ${answers[i]?.role}@${answers[i]?.epoch}`);
}

describe('the lease file tampered with by hand', () => {
  for (const [how, tamper] of TAMPERING) {
    it(`${how} while the pair runs: the active rewrites it at its next renewal; no takeover`, async () => {
      pair = await startPair();
      const { epoch } = await pair.ready([], 30_000);
      const before = await roles(pair);
      tamper(leaseFile(pair));
      // Within a renewal the file is whole again, naming the active's epoch.
      const rewritten = await eventually(() => {
        try {
          return JSON.parse(readFileSync(leaseFile(pair!), 'utf8')) as { epoch: number };
        } catch {
          return undefined;
        }
      }, 2000, 'the lease rewritten');
      expect(rewritten.epoch).toBe(epoch);
      // The standby saw the lease change (to unreadable, then back): activity, not expiry.
      for (let i = 0; i < 2 * TEST_LEASE_MS; i += 250) {
        expect(await roles(pair)).toEqual(before);
        await sleep(250);
      }
    }, 60_000);

    it(`${how} while the pair is down: the first process back waits one lease period, then takes over at the next epoch`, async () => {
      pair = await createPair();
      for (const n of pair.nodes) pair.start(n);
      const { epoch } = await pair.ready([], 30_000);
      for (const n of pair.nodes) pair.signal(n, 'SIGKILL');
      await Promise.all(pair.nodes.map((n) => pair!.whenExited(n)));
      tamper(leaseFile(pair));
      const a: PairNode = pair.nodes[0];
      pair.start(a);
      const first = await eventually(() => fetchRole(a), 30_000, 'a answers');
      const since = performance.now();
      expect(first.role).toBe('standby');
      const active = await roleBecomes(a, 'active', 30_000);
      expect(performance.now() - since).toBeGreaterThanOrEqual(TEST_LEASE_MS * 0.8);
      expect(active.epoch).toBe(epoch + 1);
      expect(existsSync(leaseFile(pair))).toBe(true);
    }, 60_000);
  }
});

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observe/logger.js';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('redacts passwords, passcodes and authorization wherever they sit', () => {
    const { lines, stream } = capture();
    const logger = createLogger('info', stream).child({ component: 'stomp' });
    logger.info({ password: 'p1', headers: { login: 'u', passcode: 'p2' }, req: { headers: { authorization: 'Basic p3' } } }, 'connect');
    logger.info({ config: { core: { users: [{ username: 'a', password: 'p4' }] } } }, 'config');
    const text = lines.join('');
    for (const secret of ['p1', 'p2', 'p3', 'p4']) expect(text).not.toContain(secret);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ component: 'stomp', password: '[redacted]', headers: { login: 'u', passcode: '[redacted]' } });
  });

  it('is as quiet as its level', () => {
    const { lines, stream } = capture();
    const logger = createLogger('warn', stream);
    logger.info('hidden');
    logger.warn('shown');
    expect(lines).toHaveLength(1);
    expect(createLogger('silent', stream).isLevelEnabled('fatal')).toBe(false);
  });
});

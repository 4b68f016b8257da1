import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadTlsMaterial } from '../../src/config/tls-material.js';

let dataDir: string;
let lines: Array<Record<string, unknown>>;
const logger = () => pino({ level: 'info' }, new Writable({
  write(chunk, _enc, done) {
    lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
    done();
  },
}));
const unset = { certFile: null, keyFile: null };

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'wharf-tls-'));
  lines = [];
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('loadTlsMaterial', () => {
  it('creates a self-signed certificate for localhost in <dataDir>/tls and says where', async () => {
    const m = await loadTlsMaterial({ dataDir, tls: unset }, logger());
    const certFile = join(dataDir, 'tls', 'self-signed-cert.pem');
    expect(m.selfSigned).toBe(true);
    expect(m.certFile).toBe(certFile);

    const x509 = new X509Certificate(m.cert);
    expect(x509.subject).toBe('CN=localhost');
    expect(x509.subjectAltName).toContain('DNS:localhost');
    expect(x509.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const days = (Date.parse(x509.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(360);
    expect(days).toBeLessThan(367);
    expect((await stat(join(dataDir, 'tls', 'self-signed-key.pem'))).mode & 0o777).toBe(0o600);

    const info = lines.filter((l) => l.certFile === certFile);
    expect(info).toHaveLength(1);
    expect(info[0]).toMatchObject({ level: 30, created: true });
  });

  it('reuses the certificate on later starts', async () => {
    const first = await loadTlsMaterial({ dataDir, tls: unset }, logger());
    const second = await loadTlsMaterial({ dataDir, tls: unset }, logger());
    expect(second.cert).toBe(first.cert);
    expect(second.key).toBe(first.key);
    expect(lines.at(-1)).toMatchObject({ created: false });
  });

  it('replaces a pair that does not match', async () => {
    const first = await loadTlsMaterial({ dataDir, tls: unset }, logger());
    const other = await mkdtemp(join(tmpdir(), 'wharf-tls-'));
    try {
      const foreign = await loadTlsMaterial({ dataDir: other, tls: unset }, logger());
      await writeFile(join(dataDir, 'tls', 'self-signed-key.pem'), foreign.key);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
    const again = await loadTlsMaterial({ dataDir, tls: unset }, logger());
    expect(again.cert).not.toBe(first.cert);
    expect(new X509Certificate(again.cert).subject).toBe('CN=localhost');
  });

  it('uses configured files, and names the key of a file it cannot read', async () => {
    const made = await loadTlsMaterial({ dataDir, tls: unset }, logger());
    const certFile = join(dataDir, 'cert.pem');
    const keyFile = join(dataDir, 'key.pem');
    await writeFile(certFile, made.cert);
    await writeFile(keyFile, made.key);
    const m = await loadTlsMaterial({ dataDir, tls: { certFile, keyFile } }, logger());
    expect(m).toEqual({ cert: made.cert, key: made.key, certFile, selfSigned: false });

    const missing = loadTlsMaterial({ dataDir, tls: { certFile, keyFile: join(dataDir, 'nope.pem') } }, logger());
    await expect(missing).rejects.toBeInstanceOf(ConfigError);
    await expect(missing).rejects.toThrow(/tls\.keyFile: cannot read .*nope\.pem/);
  });
});

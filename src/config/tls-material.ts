import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { generate } from 'selfsigned';
import { ConfigError } from './config-error.js';

export interface TlsMaterial {
  /** PEM certificate (chain) the TLS listeners present. */
  cert: string;
  /** PEM private key. */
  key: string;
  certFile: string;
  selfSigned: boolean;
}

export interface TlsSettings {
  dataDir: string;
  tls: { certFile: string | null; keyFile: string | null };
}

/** A certificate within this many ms of its end is replaced by a fresh self-signed one. */
const RENEW_BEFORE_MS = 24 * 60 * 60 * 1000;
const VALIDITY_DAYS = 365;

/**
 * The certificate and key for the TLS and WSS listeners: the configured files, or else a
 * self-signed certificate for localhost kept in `<dataDir>/tls/` and reused on later starts.
 */
export async function loadTlsMaterial(settings: TlsSettings, logger: Logger): Promise<TlsMaterial> {
  const { certFile, keyFile } = settings.tls;
  if (certFile !== null && keyFile !== null) {
    const [cert, key] = await Promise.all([readPem(certFile, 'tls.certFile'), readPem(keyFile, 'tls.keyFile')]);
    return { cert, key, certFile, selfSigned: false };
  }
  const dir = join(settings.dataDir, 'tls');
  const paths = { cert: join(dir, 'self-signed-cert.pem'), key: join(dir, 'self-signed-key.pem') };
  const existing = await readExisting(paths);
  const material = existing ?? (await createSelfSigned(dir, paths));
  logger.info({ certFile: paths.cert, created: !existing }, 'TLS listeners use a self-signed certificate for localhost; set tls.certFile and tls.keyFile for a real one');
  return { ...material, certFile: paths.cert, selfSigned: true };
}

async function readPem(file: string, key: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`${key}: cannot read ${file}: ${(e as Error).message}`]);
  }
}

async function readExisting(paths: { cert: string; key: string }): Promise<{ cert: string; key: string } | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(paths.cert, 'utf8'), readFile(paths.key, 'utf8')]);
    const x509 = new X509Certificate(cert);
    const fresh = Date.parse(x509.validTo) - Date.now() > RENEW_BEFORE_MS;
    return fresh && x509.checkPrivateKey(createPrivateKey(key)) ? { cert, key } : undefined;
  } catch {
    return undefined; // missing, unreadable or not a pair: make a new one
  }
}

async function createSelfSigned(dir: string, paths: { cert: string; key: string }): Promise<{ cert: string; key: string }> {
  const notBeforeDate = new Date();
  const notAfterDate = new Date(notBeforeDate.getTime() + VALIDITY_DAYS * 24 * 60 * 60 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  await mkdir(dir, { recursive: true });
  // Written under temporary names and renamed, so a crash never leaves half a pair to reuse.
  await writeFile(`${paths.key}.tmp`, pems.private, { mode: 0o600 });
  await writeFile(`${paths.cert}.tmp`, pems.cert);
  await rename(`${paths.key}.tmp`, paths.key);
  await rename(`${paths.cert}.tmp`, paths.cert);
  return { cert: pems.cert, key: pems.private };
}

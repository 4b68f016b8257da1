import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError, configKeys, defaultConfig, envNameOf, layerFromObject, loadConfig, maskSecrets, resolveConfig,
} from '../../src/config/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wharf-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** The issues a failing load reports. */
function issuesOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('are the documented ones', () => {
    const c = loadConfig({});
    expect(c.brokerName).toBe('wharf');
    expect(c.dataDir).toBe('./data');
    expect(c.log.level).toBe('warn');
    expect(c.store.kind).toBe('journal');
    expect(c.ha.enabled).toBe(true);
    expect(c.admin).toEqual({ enabled: true, host: '127.0.0.1', port: 8162 });
    const ports = {
      'stomp.tcp': 61613, 'stomp.tls': 61614, 'mqtt.tcp': 1883, 'mqtt.tls': 8883, 'amqp.tcp': 5672, 'amqp.tls': 5671,
      'openwire.tcp': 61616, 'openwire.tls': 61617,
    };
    for (const [path, port] of Object.entries(ports)) {
      const [p, t] = path.split('.') as ['stomp', 'tcp'];
      expect(c[p][t]).toEqual({ enabled: true, host: '0.0.0.0', port });
    }
    expect(c.ws.port).toBe(61618);
    expect(c.wss.port).toBe(61619);
    expect(c.core).toMatchObject({ maxRedeliveries: 6, deadLetterQueue: 'ActiveMQ.DLQ', deadLetterNonPersistent: false, users: [], allowAnonymous: true });
    expect(c.tls).toEqual({ certFile: null, keyFile: null });
  });

  it('are fresh copies', () => {
    const a = defaultConfig();
    a.core.users.push({ username: 'x', password: 'y' });
    expect(defaultConfig().core.users).toEqual([]);
  });
});

describe('environment variable names', () => {
  it('are WHARF_ plus the key path in upper snake case, one per key', () => {
    expect(envNameOf('stomp.tcp.port')).toBe('WHARF_STOMP_TCP_PORT');
    expect(envNameOf('dataDir')).toBe('WHARF_DATA_DIR');
    expect(envNameOf('limits.maxWebSocketMessageBytes')).toBe('WHARF_LIMITS_MAX_WEB_SOCKET_MESSAGE_BYTES');
    expect(new Set(configKeys.map((k) => k.envName)).size).toBe(configKeys.length);
  });
});

describe('precedence: defaults < file < environment < flags', () => {
  it('lets each later source win, key by key', async () => {
    const yaml = await file('wharf.yaml', [
      'brokerName: from-file',
      'dataDir: /var/lib/file',
      'stomp:',
      '  tcp:',
      '    port: 1001',
      '  defaultPrefetch: 5',
      'core:',
      '  maxRedeliveries: 2',
    ].join('\n'));
    const c = loadConfig({
      args: ['--config', yaml, '--stomp.tcp.port', '3003', '--log.level=debug'],
      env: { WHARF_STOMP_TCP_PORT: '2002', WHARF_DATA_DIR: '/var/lib/env', WHARF_CORE_ALLOW_ANONYMOUS: 'false', PATH: '/bin' },
    });
    expect(c.stomp.tcp.port).toBe(3003); // flag beats env and file
    expect(c.dataDir).toBe('/var/lib/env'); // env beats file
    expect(c.brokerName).toBe('from-file'); // file beats default
    expect(c.stomp.defaultPrefetch).toBe(5);
    expect(c.core.maxRedeliveries).toBe(2);
    expect(c.core.allowAnonymous).toBe(false);
    expect(c.log.level).toBe('debug');
    expect(c.stomp.tls.port).toBe(61614); // untouched default
  });

  it('reads JSON files too', async () => {
    const json = await file('wharf.json', JSON.stringify({ admin: { enabled: false }, core: { users: [{ username: 'app', password: 'pw' }] } }));
    const c = loadConfig({ args: [`--config=${json}`] });
    expect(c.admin.enabled).toBe(false);
    expect(c.core.users).toEqual([{ username: 'app', password: 'pw' }]);
  });

  it('parses numbers, booleans and JSON lists from text', () => {
    const c = loadConfig({
      args: ['--ws.enabled', 'false', '--admin.enabled', '--limits.heartbeatGraceFactor', '2.5'],
      env: { WHARF_CORE_USERS: '[{"username":"a","password":"b"}]', WHARF_WSS_ENABLED: 'no', WHARF_LIMITS_MAX_CONNECTIONS: ' 20 ' },
    });
    expect(c.ws.enabled).toBe(false);
    expect(c.admin.enabled).toBe(true);
    expect(c.wss.enabled).toBe(false);
    expect(c.limits.heartbeatGraceFactor).toBe(2.5);
    expect(c.limits.maxConnections).toBe(20);
    expect(c.core.users).toEqual([{ username: 'a', password: 'b' }]);
  });

  it('reads destination policies as a JSON list and names a bad entry', () => {
    const c = loadConfig({ env: { WHARF_CORE_POLICIES: '[{"match":"orders.>","maxRedeliveries":3,"deadLetterQueue":"DLQ.{name}","visibilityTimeoutMs":30000}]' } });
    expect(c.core.policies).toEqual([{ match: 'orders.>', maxRedeliveries: 3, deadLetterQueue: 'DLQ.{name}', visibilityTimeoutMs: 30000 }]);
    expect(issuesOf(() => loadConfig({ env: { WHARF_CORE_POLICIES: '[{"match":"a","visibilityTimeoutMs":1.5}]' } }))[0]).toMatch(
      /entry 0: visibilityTimeoutMs must be a whole number/);
    expect(issuesOf(() => loadConfig({ env: { WHARF_CORE_POLICIES: '[{"match":"a","maxRedeliveries":-1}]' } }))[0]).toMatch(
      /^core\.policies: entry 0: maxRedeliveries must be a whole number/);
    expect(issuesOf(() => loadConfig({ env: { WHARF_CORE_POLICIES: '[{"match":"a","dlq":"x"}]' } }))[0]).toMatch(/entry 0: unknown field dlq/);
    expect(issuesOf(() => loadConfig({ env: { WHARF_CORE_POLICIES: '[{"maxRedeliveries":1}]' } }))[0]).toMatch(/entry 0: match must be/);
  });

  it('sets an optional key from a file and unsets it with empty text', async () => {
    const yaml = await file('tls.yaml', 'tls:\n  certFile: /c.pem\n  keyFile: /k.pem\n');
    expect(loadConfig({ args: ['--config', yaml] }).tls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem' });
    const c = loadConfig({ args: ['--config', yaml], env: { WHARF_TLS_CERT_FILE: '', WHARF_TLS_KEY_FILE: '' } });
    expect(c.tls).toEqual({ certFile: null, keyFile: null });
  });
});

describe('validation', () => {
  it('names the key, the problem and the source of a bad value', () => {
    expect(issuesOf(() => loadConfig({ env: { WHARF_STOMP_TCP_PORT: 'abc' } }))).toEqual([
      'stomp.tcp.port: expected an integer from 0 to 65535, got "abc" (environment variable WHARF_STOMP_TCP_PORT)',
    ]);
    expect(issuesOf(() => loadConfig({ args: ['--stomp.tcp.port', '70000'] }))).toEqual([
      'stomp.tcp.port: expected an integer from 0 to 65535, got 70000 (flag --stomp.tcp.port)',
    ]);
    expect(issuesOf(() => loadConfig({ args: ['--log.level', 'loud'] }))[0]).toBe(
      'log.level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud" (flag --log.level)',
    );
    expect(issuesOf(() => loadConfig({ env: { WHARF_CORE_ALLOW_ANONYMOUS: 'maybe' } }))[0]).toMatch(/^core\.allowAnonymous: expected true or false, got "maybe"/);
    expect(issuesOf(() => loadConfig({ env: { WHARF_CORE_USERS: '[{"username":"a"}]' } }))[0]).toBe(
      'core.users: entry 0: password must be a string (environment variable WHARF_CORE_USERS)',
    );
  });

  it('reports unknown keys in files, environment variables and flags, all at once', async () => {
    const yaml = await file('unknown.yaml', 'stomp:\n  tcp:\n    prot: 1\nbogus: true\nadmin: 5\n');
    const issues = issuesOf(() => loadConfig({ args: ['--config', yaml, '--stomp.tcp.prot', '1', 'stray'], env: { WHARF_NOPE: '1' } }));
    expect(issues).toEqual(expect.arrayContaining([
      `stomp.tcp.prot: unknown key (config file ${yaml})`,
      `bogus: unknown key (config file ${yaml})`,
      `admin: expected a section with keys enabled, host, port, got number (config file ${yaml})`,
      'WHARF_NOPE: unknown environment variable (no configuration key maps to it)',
      'unknown flag --stomp.tcp.prot (see "wharf --help" for the keys)',
      'unexpected argument "stray" (flags look like --stomp.tcp.port 61613)',
    ]));
    expect(issues).toHaveLength(6);
  });

  it('reports values of the wrong type in a file, and file problems', async () => {
    const yaml = await file('types.yaml', 'stomp:\n  tcp:\n    port: "61613"\ncore:\n  users: nobody\n');
    expect(issuesOf(() => loadConfig({ args: ['--config', yaml] }))).toEqual([
      `stomp.tcp.port: expected an integer from 0 to 65535, got "61613" (config file ${yaml})`,
      `core.users: expected a list of {username, password} (JSON in environment variables and flags), got "nobody" (config file ${yaml})`,
    ]);
    const missing = join(dir, 'missing.yaml');
    expect(issuesOf(() => loadConfig({ args: ['--config', missing] }))[0]).toMatch(/^cannot read config file .*missing\.yaml: ENOENT/);
    const broken = await file('broken.json', '{"a":');
    expect(issuesOf(() => loadConfig({ args: ['--config', broken] }))[0]).toMatch(/^cannot parse config file .*broken\.json/);
    expect(issuesOf(() => loadConfig({ args: ['--config'] }))).toEqual(['--config needs a file name']);
    expect(issuesOf(() => loadConfig({ args: ['--brokerName'] }))).toEqual(['brokerName: flag --brokerName needs a value']);
  });

  it('checks rules that span keys', () => {
    expect(issuesOf(() => loadConfig({ env: { WHARF_TLS_CERT_FILE: '/c.pem' } }))).toEqual([
      'tls.certFile, tls.keyFile: set both or neither (neither: a self-signed certificate is used)',
    ]);
    expect(issuesOf(() => loadConfig({ args: ['--mqtt.tcp.port', '61613'] }))).toEqual([
      'stomp.tcp.port, mqtt.tcp.port: both listeners use port 61613',
    ]);
    expect(issuesOf(() => loadConfig({ args: ['--limits.maxMessageBytes', String(64 * 1024 * 1024)] }))[0]).toMatch(
      /^limits\.maxFrameBytes: \d+ is less than limits\.maxMessageBytes/,
    );
    expect(issuesOf(() => loadConfig({ args: ['--stomp.heartbeatMaxMs', '500'] }))[0]).toMatch(/^stomp\.heartbeatMaxMs: 500 is less than stomp\.heartbeatMinMs/);
  });

  it('allows the same port on different hosts, on disabled listeners and for port 0', () => {
    expect(() => loadConfig({ args: ['--mqtt.tcp.port', '61613', '--mqtt.tcp.host', '127.0.0.1', '--stomp.tcp.host', '127.0.0.2'] })).not.toThrow();
    expect(() => loadConfig({ args: ['--mqtt.tcp.port', '61613', '--mqtt.tcp.enabled', 'false'] })).not.toThrow();
    expect(() => loadConfig({ args: ['--mqtt.tcp.port', '0', '--stomp.tcp.port', '0'] })).not.toThrow();
  });

  it('checks programmatic overrides against the schema too', () => {
    const issues = issuesOf(() => resolveConfig([layerFromObject({ stomp: { tcp: { port: -1 } }, nope: 1 }, 'overrides')]));
    expect(issues).toEqual(['nope: unknown key (overrides)', 'stomp.tcp.port: expected an integer from 0 to 65535, got -1 (overrides)']);
  });

  it('puts every problem in the error message', () => {
    expect(() => loadConfig({ env: { WHARF_ADMIN_PORT: 'x' } })).toThrow('invalid configuration:\n  - admin.port: expected an integer');
  });
});

describe('maskSecrets', () => {
  it('hides passwords and nothing else', () => {
    const c = loadConfig({ env: { WHARF_CORE_USERS: '[{"username":"app","password":"s3cret"}]' } });
    const shown = maskSecrets(c) as typeof c;
    expect(shown.core.users).toEqual([{ username: 'app', password: '********' }]);
    expect(JSON.stringify(shown)).not.toContain('s3cret');
    expect(shown.stomp).toEqual(c.stomp);
    expect(c.core.users[0]!.password).toBe('s3cret');
  });
});

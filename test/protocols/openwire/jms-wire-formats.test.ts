import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerRegistry } from '../../../src/broker.js';
import { createOpenWireAdapter } from '../../../protocols/openwire/index.js';
import { openListeners } from '../../../protocols/transports/index.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { MEMORY, compileScenarios, describeRun, removeCompiled, runScenario } from './java-client.js';

/** A registry whose OpenWire adapter gets extra settings (the config schema has none of them). */
function registryWith(settings: Record<string, unknown>): BrokerRegistry {
  return {
    adapters: { openwire: (ctx) => createOpenWireAdapter({ ...ctx, config: { ...ctx.config, ...settings } }) },
    openListeners,
  };
}

async function expectPass(uri: string, scenario: string, props: Record<string, string> = {}): Promise<void> {
  const r = await runScenario(uri, scenario, [], props);
  expect(r.code, describeRun(r)).toBe(0);
  expect(r.stdout).toContain(`PASS ${scenario}`);
}

const CORE_SCENARIOS = ['queue-headers', 'message-types', 'transactions', 'durable', 'request-reply'];

describe('wire format variants with the ActiveMQ client', () => {
  beforeAll(() => compileScenarios(), 60_000);
  afterAll(() => removeCompiled());

  describe('a broker that advertises tight encoding, value caching and stack traces', () => {
    let broker: TestBroker;
    beforeAll(async () => {
      broker = await startTestBroker(MEMORY, registryWith({ tightEncodingEnabled: true, cacheEnabled: true, stackTraceEnabled: true }));
    });
    afterAll(() => broker?.stop());
    for (const scenario of CORE_SCENARIOS) {
      it(`tight + cache: ${scenario}`, () => expectPass(`tcp://127.0.0.1:${broker.ports.openwire!.tcp}`, scenario), 60_000);
    }
  });

  describe('older OpenWire versions and keep-alives', () => {
    let broker: TestBroker;
    beforeAll(async () => {
      broker = await startTestBroker(MEMORY, registryWith({ maxInactivityDurationMs: 1200, maxInactivityInitialDelayMs: 500 }));
    });
    afterAll(() => broker?.stop());
    for (const version of [9, 10, 11]) {
      for (const scenario of ['queue-headers', 'message-types', 'durable']) {
        it(`version ${version}: ${scenario}`, () =>
          expectPass(`tcp://127.0.0.1:${broker.ports.openwire!.tcp}?wireFormat.version=${version}`, scenario), 60_000);
      }
    }
    it('stays up while idle for three inactivity periods (KeepAliveInfo both ways)', () =>
      expectPass(`tcp://127.0.0.1:${broker.ports.openwire!.tcp}`, 'keepalive', { 'idle.ms': '4000' }), 60_000);
  });

  describe('a broker with users and no anonymous access', () => {
    let broker: TestBroker;
    beforeAll(async () => {
      broker = await startTestBroker({ ...MEMORY, core: { users: [{ username: 'app', password: 's3cret' }], allowAnonymous: false } });
    });
    afterAll(() => broker?.stop());
    it('accepts the right password, answers a wrong one and none with JMSSecurityException', () =>
      runScenario(`tcp://127.0.0.1:${broker.ports.openwire!.tcp}`, 'auth', ['app', 's3cret', 'wrong']).then((r) => {
        expect(r.code, describeRun(r)).toBe(0);
      }), 60_000);
  });

  describe('TLS listener', () => {
    let broker: TestBroker;
    let dir: string;
    beforeAll(async () => {
      broker = await startTestBroker(MEMORY);
      dir = mkdtempSync(join(tmpdir(), 'wharf-jms-tls-'));
      writeFileSync(join(dir, 'ca.pem'), broker.tlsCa);
      execFileSync('keytool', [
        '-importcert', '-noprompt', '-alias', 'wharf', '-file', join(dir, 'ca.pem'), '-keystore', join(dir, 'trust.p12'),
        '-storetype', 'PKCS12', '-storepass', 'changeit',
      ]);
    });
    afterAll(async () => {
      await broker?.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    it('ssl:// with the broker certificate trusted', () =>
      expectPass(`ssl://localhost:${broker.ports.openwire!.tls}`, 'queue-headers', {
        'javax.net.ssl.trustStore': join(dir, 'trust.p12'),
        'javax.net.ssl.trustStorePassword': 'changeit',
        'javax.net.ssl.trustStoreType': 'PKCS12',
      }), 60_000);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { MEMORY, compileScenarios, describeRun, removeCompiled, runScenario } from './java-client.js';

/** JMS scenarios with ActiveMQ 5.17's own Java client against Wharf (docs/openwire.md; issue 7). */
describe('ActiveMQ JMS client against the OpenWire adapter', () => {
  let broker: TestBroker;
  let uri: string;

  beforeAll(async () => {
    await compileScenarios();
    broker = await startTestBroker(MEMORY);
    uri = `tcp://127.0.0.1:${broker.ports.openwire!.tcp}`;
  }, 60_000);

  afterAll(async () => {
    await broker?.stop();
    removeCompiled();
  });

  const scenarios = [
    'queue-headers', 'message-types', 'topics', 'ack-auto', 'ack-client', 'ack-dups-ok', 'ack-individual', 'transactions',
    'dead-letter', 'durable', 'selectors', 'request-reply', 'expiration', 'priority', 'async-sends', 'prefetch-zero',
    'producer-window', 'client-id', 'large-message', 'compression', 'oneway-errors',
  ];
  for (const scenario of scenarios) {
    it(scenario, async () => {
      const r = await runScenario(uri, scenario);
      expect(r.code, describeRun(r)).toBe(0);
      expect(r.stdout).toContain(`PASS ${scenario}`);
    }, 60_000);
  }
});

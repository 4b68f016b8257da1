import { describe, expect, it } from 'vitest';
import { describeRun, runScenario, useJavaClientBroker } from './java-client.js';

/** JMS scenarios with ActiveMQ 5.17's own Java client against Wharf (docs/openwire.md; issue 7). */
describe('ActiveMQ JMS client against the OpenWire adapter', () => {
  const fixture = useJavaClientBroker();

  const scenarios = [
    'queue-headers', 'message-types', 'topics', 'ack-auto', 'ack-client', 'prefetched-not-redelivered', 'wildcard-queue', 'ack-dups-ok', 'ack-individual', 'transactions',
    'dead-letter', 'durable', 'selectors', 'browser', 'scheduled', 'consumer-options', 'request-reply', 'expiration', 'priority', 'async-sends', 'prefetch-zero',
    'producer-window', 'client-id', 'large-message', 'compression', 'oneway-errors',
  ];
  for (const scenario of scenarios) {
    it(scenario, async () => {
      const r = await runScenario(fixture.uri, scenario);
      expect(r.code, describeRun(r)).toBe(0);
      expect(r.stdout).toContain(`PASS ${scenario}`);
    }, 60_000);
  }
});

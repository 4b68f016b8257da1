import { describe, expect, it } from 'vitest';
import { describeRun, spawnScenario, useJavaClientBroker, type JavaRun } from './java-client.js';
import { TcpProxy } from './tcp-proxy.js';

/**
 * The `failover:` transport across a dropped TCP connection to the same broker: the client
 * reconnects and replays its state (ConnectionInfo with the same id, sessions, consumers,
 * producers, temp destinations, the open transaction with its old command ids). With the
 * broker side left open, the reconnect must take over the stale connection.
 */
describe('failover reconnect with the ActiveMQ client', () => {
  const fixture = useJavaClientBroker();

  for (const stale of [true, false]) {
    it(stale ? 'takes over a stale connection (broker side still open)' : 'replays after a clean drop', async () => {
      const proxy = new TcpProxy(fixture.broker.ports.openwire!.tcp!);
      const port = await proxy.start();
      try {
        const child = await spawnScenario(`failover:(tcp://127.0.0.1:${port})?initialReconnectDelay=50&maxReconnectDelay=200`, 'failover');
        let stdout = '';
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (stdout.includes('KILL\n') && !stdout.includes('#killed')) {
            stdout += '#killed\n';
            setTimeout(() => {
              proxy.dropClients(stale);
              child.stdin.write('KILLED\n');
            }, 300);
          }
        });
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        const run: JavaRun = { code, stdout, stderr };
        expect(code, describeRun(run)).toBe(0);
        expect(stdout).toContain('PASS failover');
        expect(proxy.accepted).toBeGreaterThanOrEqual(2);
      } finally {
        await proxy.stop();
      }
    }, 60_000);
  }
});

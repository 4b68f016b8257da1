import type { AdapterFactory, ProtocolAdapter, TransportConnection } from '../../src/spi/index.js';
import { BrokerContext } from './broker-context.js';
import { readOpenWireConfig } from './config.js';
import { OpenWireConnection } from './connection.js';

/**
 * The OpenWire adapter: unchanged ActiveMQ 5.x JMS clients (tcp:// and failover:// URIs) on
 * Wharf. Our own codec (codec/), one OpenWireConnection per transport connection.
 */
export const createOpenWireAdapter: AdapterFactory = (context) => {
  const broker = new BrokerContext(
    context.core, readOpenWireConfig(context.config), context.logger,
  );
  const connections = new Set<OpenWireConnection>();
  const adapter: ProtocolAdapter = {
    name: 'openwire',
    webSocketProtocols: [],
    accept(transport: TransportConnection): void {
      connections.add(new OpenWireConnection(transport, broker, (c) => connections.delete(c)));
    },
    get connectionCount(): number {
      return connections.size;
    },
    async close(): Promise<void> {
      await Promise.all([...connections].map((c) => c.end()));
    },
  };
  return adapter;
};

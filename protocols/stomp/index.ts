import { ConnectionSet, type AdapterFactory, type ProtocolAdapter, type TransportConnection } from '../../src/spi/index.js';
import { readStompConfig } from './config.js';
import { StompConnection } from './connection.js';

/**
 * The STOMP 1.0 / 1.1 / 1.2 adapter, behaving as ActiveMQ 5.x's STOMP transport where the
 * specification leaves room. Over WebSocket it serves the subprotocols STOMP clients ask for.
 */
export const createStompAdapter: AdapterFactory = (context) => {
  const config = readStompConfig(context.config);
  const log = context.logger.child({ adapter: 'stomp' });
  const connections = new ConnectionSet<StompConnection>();
  let nextConnection = 1;

  const adapter: ProtocolAdapter = {
    name: 'stomp',
    webSocketProtocols: ['v12.stomp', 'v11.stomp', 'v10.stomp', 'stomp'],
    accept(transport: TransportConnection): void {
      const connection = new StompConnection(transport, {
        core: context.core,
        config,
        log: log.child({ conn: nextConnection++ }),
      });
      connections.add(connection);
    },
    get connectionCount(): number {
      return connections.size;
    },
    async close(): Promise<void> {
      await connections.closeAll();
    },
  };
  return adapter;
};

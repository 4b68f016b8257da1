import { ConnectionSet, type AdapterFactory, type ProtocolAdapter, type TransportConnection } from '../../src/spi/index.js';
import { readAmqpConfig } from './config.js';
import { AmqpConnection } from './connection.js';

/** Version in our open frame's `version` property. */
const VERSION = '0.1.0';

/**
 * The AMQP 1.0 adapter: rhea as the engine and codec behind a frame guard, mapped onto the core
 * as ActiveMQ 5.x maps AMQP onto its broker. Over WebSocket it serves the subprotocol `amqp`.
 */
export const createAmqpAdapter: AdapterFactory = (context) => {
  const config = readAmqpConfig(context.config);
  const log = context.logger.child({ adapter: 'amqp' });
  const connections = new ConnectionSet<AmqpConnection>();
  let nextConnection = 1;

  const adapter: ProtocolAdapter = {
    name: 'amqp',
    webSocketProtocols: ['amqp'],
    accept(transport: TransportConnection): void {
      const connection = new AmqpConnection(transport, {
        core: context.core,
        config,
        log: log.child({ conn: nextConnection++ }),
        containerId: context.core.brokerName,
        version: VERSION,
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

/**
 * The registry: the one file in src/ that imports protocols/. Adapters are keyed by protocol
 * name, which is also their configuration section (`stomp.*`) and listener prefix (`stomp.tcp`).
 */
import { createAmqpAdapter } from '../../protocols/amqp/index.js';
import { createMqttAdapter } from '../../protocols/mqtt/index.js';
import { createOpenWireAdapter } from '../../protocols/openwire/index.js';
import { createStompAdapter } from '../../protocols/stomp/index.js';
import { openListeners } from '../../protocols/transports/index.js';
import type { BrokerRegistry } from '../broker.js';

export const registry: BrokerRegistry = {
  adapters: { stomp: createStompAdapter, openwire: createOpenWireAdapter, amqp: createAmqpAdapter, mqtt: createMqttAdapter },
  openListeners,
};

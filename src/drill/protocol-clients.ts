import { amqpClient } from './amqp/amqp-client.js';
import type { DrillProtocolClient } from './drill-protocol.js';
import { mqttClient } from './mqtt/mqtt-client.js';
import { stompClient } from './stomp/stomp-client.js';

/** The protocols the drill drives, by the name of their configuration section. New clients join here. */
export const drillProtocolClients: Readonly<Record<string, DrillProtocolClient>> = {
  stomp: stompClient,
  amqp: amqpClient,
  mqtt: mqttClient,
};

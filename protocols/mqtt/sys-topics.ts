import type { PublishFields } from './message-mapping.js';

/** Counters the adapter keeps for `$SYS` (plain fields: bumped on hot paths). */
export interface MqttTraffic {
  /** Application PUBLISH packets received from clients. */
  received: number;
  /** PUBLISH packets sent to clients (resends included). */
  sent: number;
}

export interface SysSnapshot {
  startedAt: number;
  clientsConnected: number;
  sessions: number;
  retained: number;
  traffic: MqttTraffic;
}

/**
 * Mosquitto-style `$SYS/broker/...` topics, published retained (so a new subscriber gets the
 * latest values at once) at QoS 0 every `mqtt.sysIntervalMs`. Leading wildcards do not match
 * `$` topics, so only clients that subscribe to `$SYS/...` by name see them.
 */
export function sysMessages(s: SysSnapshot, now: number): PublishFields[] {
  const values: Array<[string, string | number]> = [
    ['uptime', `${Math.floor((now - s.startedAt) / 1000)} seconds`],
    ['clients/connected', s.clientsConnected],
    ['sessions/count', s.sessions],
    ['retained messages/count', s.retained],
    ['messages/received', s.traffic.received],
    ['messages/sent', s.traffic.sent],
  ];
  return values.map(([name, value]) => ({
    topic: `$SYS/broker/${name}`, payload: Buffer.from(String(value)), qos: 0, retain: true,
  }));
}

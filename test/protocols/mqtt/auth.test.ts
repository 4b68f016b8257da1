import type { IConnackPacket } from 'mqtt-packet';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MqttHarness } from './mqtt-harness.js';
import { RawClient } from './raw-client.js';

let h: MqttHarness;
beforeAll(async () => {
  h = await MqttHarness.start({}, { users: [{ username: 'device', password: 's3cret' }], allowAnonymous: false });
});
afterAll(async () => h?.stop());

async function connack(level: 4 | 5, credentials: { username?: string; password?: Buffer }): Promise<number> {
  const raw = await RawClient.open(h.port, level);
  raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: level, clean: true, keepalive: 0, clientId: `auth-${level}`, ...credentials });
  const ack = await raw.next<IConnackPacket>('connack');
  const code = level === 5 ? ack.reasonCode! : ack.returnCode!;
  if (code !== 0) await raw.waitClosed();
  raw.close();
  return code;
}

test('CONNECT authenticates against the core: accepted, bad credentials, none given', async () => {
  expect(await connack(4, { username: 'device', password: Buffer.from('s3cret') })).toBe(0);
  expect(await connack(5, { username: 'device', password: Buffer.from('s3cret') })).toBe(0);
  expect(await connack(4, { username: 'device', password: Buffer.from('wrong') })).toBe(4); // bad user name or password
  expect(await connack(5, { username: 'device', password: Buffer.from('wrong') })).toBe(0x86);
  expect(await connack(4, {})).toBe(5); // not authorized
  expect(await connack(5, {})).toBe(0x87);
});

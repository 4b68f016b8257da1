import net from 'node:net';
import { generate, parser, type IConnackPacket, type Packet } from 'mqtt-packet';
import { CoalescedWriter } from '../coalesced-writer.js';

/**
 * A lean MQTT client for load generation: writes coalesced per tick, PUBLISH packets cut from a
 * template (only the packet id and the send time change), incoming PUBLISHes read in place
 * (`onPublish`), other packets through mqtt-packet's parser. Not a general client — the tests
 * use MQTT.js and paho.
 */
export class MqttLoadClient {
  private readonly writer: CoalescedWriter;
  private rest: Buffer | undefined;
  private readonly parser;
  onPacket: (p: Packet) => void = () => {};
  onPublish: (packetId: number, qos: number, payload: Buffer) => void = () => {};
  readonly closed: Promise<void>;

  private constructor(
    readonly socket: net.Socket,
    readonly level: 4 | 5,
  ) {
    socket.setNoDelay(true);
    this.writer = new CoalescedWriter(socket);
    this.parser = parser({ protocolVersion: level });
    this.parser.on('packet', (packet: Packet) => this.onPacket(packet));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  private onData(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let at = 0;
    while (at + 2 <= buf.length) {
      let remaining = 0;
      let i = 1;
      let multiplier = 1;
      for (; i <= 4 && at + i < buf.length; i++) {
        remaining += (buf[at + i]! & 0x7f) * multiplier;
        multiplier *= 128;
        if ((buf[at + i]! & 0x80) === 0) break;
      }
      if (at + i >= buf.length) break;
      const end = at + i + 1 + remaining;
      if (end > buf.length) break;
      if (buf[at]! >> 4 === 3) this.readPublish(buf[at]!, buf.subarray(at + i + 1, end));
      else this.parser.parse(buf.subarray(at, end));
      at = end;
    }
    this.rest = at < buf.length ? buf.subarray(at) : undefined;
  }

  private readPublish(header: number, body: Buffer): void {
    const qos = (header >> 1) & 3;
    let pos = 2 + body.readUInt16BE(0);
    const packetId = qos > 0 ? body.readUInt16BE(pos) : 0;
    if (qos > 0) pos += 2;
    if (this.level === 5) {
      let length = 0;
      let multiplier = 1;
      let byte: number;
      do {
        byte = body[pos++]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
      } while (byte & 0x80);
      pos += length;
    }
    this.onPublish(packetId, qos, body.subarray(pos));
  }

  static async connect(
    port: number,
    options: { clientId: string; clean?: boolean; level?: 4 | 5; keepalive?: number; host?: string },
  ): Promise<MqttLoadClient> {
    const level = options.level ?? 4;
    const socket = net.connect(port, options.host ?? '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new MqttLoadClient(socket, level);
    const connack = new Promise<IConnackPacket>((resolve) => {
      client.onPacket = (p) => {
        if (p.cmd === 'connack') resolve(p);
      };
    });
    client.send({
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: level, clean: options.clean ?? true,
      keepalive: options.keepalive ?? 0, clientId: options.clientId,
    });
    const ack = await connack;
    const code = ack.returnCode ?? ack.reasonCode ?? 0;
    if (code !== 0) throw new Error(`CONNACK ${code}`);
    return client;
  }

  send(packet: Packet): void {
    this.sendRaw(generate(packet, { protocolVersion: this.level }));
  }

  /** Queues bytes; everything queued in one tick goes out in one write. */
  sendRaw(bytes: Buffer): void {
    this.writer.write(bytes);
  }

  /** SUBSCRIBE and wait for SUBACK. */
  async subscribe(topic: string, qos: 0 | 1 | 2): Promise<void> {
    const previous = this.onPacket;
    await new Promise<void>((resolve) => {
      this.onPacket = (p) => (p.cmd === 'suback' ? resolve() : previous(p));
      this.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos }] });
    });
    this.onPacket = previous;
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    this.send({ cmd: 'disconnect' });
    this.writer.flush();
    this.socket.end();
    await this.closed;
  }
}

/** Where the send time sits in a template PUBLISH: the first 8 payload bytes (a double, ms). */
export interface PublishTemplate {
  bytes: Buffer;
  packetIdAt: number;
  timeAt: number;
}

/** A PUBLISH of `payloadBytes` (≥ 8) to `topic`, to be copied and patched per message. */
export function publishTemplate(topic: string, payloadBytes: number, qos: 0 | 1 | 2, level: 4 | 5): PublishTemplate {
  const bytes = generate({
    cmd: 'publish', topic, payload: Buffer.alloc(payloadBytes, 0x61), qos, messageId: qos > 0 ? 1 : undefined, dup: false, retain: false,
    ...(level === 5 ? { properties: {} } : {}),
  } as Packet, { protocolVersion: level });
  const timeAt = bytes.length - payloadBytes;
  const packetIdAt = qos > 0 ? timeAt - (level === 5 ? 3 : 2) : -1;
  return { bytes, packetIdAt, timeAt };
}

export function stampPublish(t: PublishTemplate, packetId: number, nowMs: number): Buffer {
  const b = Buffer.from(t.bytes);
  if (t.packetIdAt >= 0) b.writeUInt16BE(packetId, t.packetIdAt);
  b.writeDoubleLE(nowMs, t.timeAt);
  return b;
}

export function sentAt(payload: Buffer): number {
  return payload.readDoubleLE(0);
}

/** A PUBACK for `packetId` (3.1.1 form; 5.0 accepts it too: reason code 0 may be left out). */
export function pubackBytes(packetId: number): Buffer {
  return Buffer.from([0x40, 0x02, packetId >> 8, packetId & 0xff]);
}

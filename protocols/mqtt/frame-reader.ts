import { MqttProtocolError, REASON, malformed } from './errors.js';

/**
 * Cuts an MQTT byte stream into whole packets, at any chunk boundary, before anything is
 * decoded: fixed header byte, Remaining Length (1–4 bytes, 7 bits each), then that many bytes.
 * A packet announced larger than `maxPacketBytes` is refused from its header alone, so a peer
 * can never make us buffer more than that (it is the Maximum Packet Size we advertise,
 * [MQTT-3.2.2-15]). Whole packets inside one chunk are handed out as ranges of it, without
 * copying and without a Buffer view each.
 */
export type OnPacket = (buf: Buffer, start: number, end: number) => void;

export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Total length of the packet being assembled, once its header is complete; 0 before. */
  private need = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Bytes held for an incomplete packet. */
  get bufferedBytes(): number {
    return this.size;
  }

  /** Feeds bytes; calls `onPacket` for every complete packet. Throws MqttProtocolError. */
  push(chunk: Buffer, onPacket: OnPacket): void {
    if (this.size === 0) {
      this.scan(chunk, onPacket);
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.need === 0) {
      const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, Math.min(this.size, 5));
      this.need = this.packetLength(head, 0);
    }
    if (this.need === 0 || this.size < this.need) return;
    const all = Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.size = 0;
    this.need = 0;
    this.scan(all, onPacket);
  }

  /** Emits the whole packets in `buf` and keeps the incomplete rest. */
  private scan(buf: Buffer, onPacket: OnPacket): void {
    let offset = 0;
    while (offset < buf.length) {
      const length = this.packetLength(buf, offset);
      if (length === 0 || offset + length > buf.length) {
        const rest = buf.subarray(offset);
        this.chunks = [rest];
        this.size = rest.length;
        this.need = length;
        return;
      }
      onPacket(buf, offset, offset + length);
      offset += length;
    }
  }

  /** The full length of the packet starting at `offset`, or 0 if its header is not complete yet. */
  private packetLength(buf: Buffer, offset: number): number {
    let remaining = 0;
    let multiplier = 1;
    for (let i = 1; i <= 4; i++) {
      if (offset + i >= buf.length) return 0;
      const byte = buf[offset + i]!;
      remaining += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        const total = 1 + i + remaining;
        if (total > this.maxPacketBytes) {
          throw new MqttProtocolError(REASON.PACKET_TOO_LARGE, `packet of ${total} bytes exceeds ${this.maxPacketBytes}`);
        }
        return total;
      }
      multiplier *= 128;
    }
    throw malformed('Remaining Length longer than 4 bytes'); // §1.5.5: at most 4 bytes
  }
}

import type { Socket } from 'node:net';

/** Queues writes and sends everything queued in one tick as one socket write (fewer syscalls). */
export class CoalescedWriter {
  private out: Array<string | Buffer> = [];
  private scheduled = false;

  constructor(private readonly socket: Socket) {}

  write(data: string | Buffer): void {
    this.out.push(data);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.out.length === 0) return;
    const parts = this.out;
    this.out = [];
    if (parts.length === 1) this.socket.write(parts[0]!);
    else if (parts.every((p) => typeof p === 'string')) this.socket.write(parts.join(''));
    else this.socket.write(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));
  }
}

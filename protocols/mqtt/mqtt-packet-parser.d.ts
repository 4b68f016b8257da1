/** The parser class inside mqtt-packet (CommonJS, untyped): the subset packet-codec.ts extends. */
declare module 'mqtt-packet/parser.js' {
  import { EventEmitter } from 'node:events';

  class Parser extends EventEmitter {
    parser(options?: Record<string, unknown>): this;
    parse(buffer: Buffer): number;
    error: Error | null;
    settings: Record<string, unknown>;
    protected _list: { length: number; slice(start: number, end: number): Buffer };
    protected _pos: number;
    protected packet: { length: number };
    protected _parseNum(): number;
    protected _resetState(): void;
  }
  export = Parser;
}

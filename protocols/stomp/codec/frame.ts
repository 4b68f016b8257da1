/** STOMP frames as the codec sees them. */

export type StompVersion = '1.0' | '1.1' | '1.2';

/** Highest first: the order in which accept-version is negotiated. */
export const SUPPORTED_VERSIONS: readonly StompVersion[] = ['1.2', '1.1', '1.0'];

/**
 * A decoded frame before header unescaping. Escaping depends on the negotiated version, which is
 * not known while the CONNECT frame (never escaped) and frames pipelined behind it are decoded, so
 * the connection unescapes at dispatch time.
 */
export interface RawFrame {
  command: string;
  /** In wire order; repeated names kept (the first one wins when they are read). */
  headers: Array<[string, string]>;
  body: Buffer;
}

/** A frame ready for a handler: headers unescaped, first occurrence of each name kept. */
export interface InboundFrame {
  command: string;
  headers: Map<string, string>;
  body: Buffer;
}

export type HeaderList = ReadonlyArray<readonly [string, string]>;

/** Takes a frame's headers one at a time, in wire order (an encoder, or a list being built). */
export interface HeaderSink {
  header(name: string, value: string): void;
}

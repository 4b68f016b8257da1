/**
 * A frame that cannot be decoded or encoded: bad length, unknown type code, truncated data,
 * malformed string. The connection that produced it is closed; never a reason to crash.
 */
export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

import { CodecError } from './codec-error.js';
import type { WireFormatInfo } from './commands.js';
import { longToNumber } from './long.js';
import { MAX_VERSION, MIN_VERSION } from './schema.js';
import { decodePrimitiveMap, encodePrimitiveMap, type MapEntry, type TypedValue } from './primitive-map.js';
import type { FormatOptions } from './open-wire-format.js';
import { T } from './type-codes.js';

/** `ActiveMQ` */
export const MAGIC = Buffer.from('ActiveMQ', 'latin1');

/** What this side advertises in its WireFormatInfo. */
export interface WireFormatSettings {
  version: number;
  tightEncodingEnabled: boolean;
  cacheEnabled: boolean;
  cacheSize: number;
  stackTraceEnabled: boolean;
  tcpNoDelayEnabled: boolean;
  maxInactivityDurationMs: number;
  maxInactivityInitialDelayMs: number;
  maxFrameBytes: number;
  providerName: string;
  providerVersion: string;
  platformDetails: string;
}

/** The outcome of the exchange, as the receiving side computes it (docs/openwire.md §3.3). */
export interface Negotiated {
  format: FormatOptions;
  /** Read-inactivity timeout; 0 switches keep-alives and the inactivity check off. */
  maxInactivityDurationMs: number;
  maxInactivityInitialDelayMs: number;
  /** The peer's own limit on frames it accepts (`Infinity` when it has none). */
  peerMaxFrameBytes: number;
  /** Every option the peer sent (unknown keys included). */
  peerOptions: ReadonlyMap<string, TypedValue>;
}

export function buildWireFormatInfo(s: WireFormatSettings): WireFormatInfo {
  const entries: MapEntry[] = [
    ['TightEncodingEnabled', { t: 'boolean', v: s.tightEncodingEnabled }],
    ['CacheEnabled', { t: 'boolean', v: s.cacheEnabled }],
    ['CacheSize', { t: 'int', v: s.cacheSize }],
    ['SizePrefixDisabled', { t: 'boolean', v: false }],
    ['StackTraceEnabled', { t: 'boolean', v: s.stackTraceEnabled }],
    ['TcpNoDelayEnabled', { t: 'boolean', v: s.tcpNoDelayEnabled }],
    ['MaxInactivityDuration', { t: 'long', v: s.maxInactivityDurationMs }],
    ['MaxInactivityDurationInitalDelay', { t: 'long', v: s.maxInactivityInitialDelayMs }],
    ['MaxFrameSize', { t: 'long', v: s.maxFrameBytes }],
    ['MaxFrameSizeEnabled', { t: 'boolean', v: true }],
    ['ProviderName', { t: 'string', v: s.providerName }],
    ['ProviderVersion', { t: 'string', v: s.providerVersion }],
    ['PlatformDetails', { t: 'string', v: s.platformDetails }],
  ];
  return { typeCode: T.WIREFORMAT_INFO, magic: MAGIC, version: s.version, marshalledProperties: encodePrimitiveMap(entries) };
}

export function wireFormatOptions(info: WireFormatInfo): Map<string, TypedValue> {
  return new Map(info.marshalledProperties ? decodePrimitiveMap(info.marshalledProperties) : []);
}

function bool(options: ReadonlyMap<string, TypedValue>, key: string, fallback: boolean): boolean {
  const v = options.get(key);
  return v?.t === 'boolean' ? v.v : fallback;
}

function num(options: ReadonlyMap<string, TypedValue>, key: string, fallback: number): number {
  const v = options.get(key);
  if (v?.t === 'long') return longToNumber(v.v);
  if (v?.t === 'int' || v?.t === 'short' || v?.t === 'byte') return v.v;
  return fallback;
}

function minPositive(a: number, b: number): number {
  if (a <= 0) return b;
  if (b <= 0) return a;
  return Math.min(a, b);
}

/** Combines our settings with the peer's WireFormatInfo; throws CodecError when they cannot talk. */
export function negotiate(ours: WireFormatSettings, theirs: WireFormatInfo): Negotiated {
  if (!theirs.magic || Buffer.compare(Buffer.from(theirs.magic), MAGIC) !== 0) {
    throw new CodecError('Remote wire format magic is invalid');
  }
  const options = wireFormatOptions(theirs);
  const version = minPositive(ours.version, theirs.version);
  if (version < MIN_VERSION || version > MAX_VERSION) {
    throw new CodecError(`OpenWire version ${theirs.version} is not supported (${MIN_VERSION}–${MAX_VERSION})`);
  }
  // Missing booleans default to false, as ActiveMQ reads them.
  const format: FormatOptions = {
    version,
    tightEncoding: ours.tightEncodingEnabled && bool(options, 'TightEncodingEnabled', false),
    cacheEnabled: ours.cacheEnabled && bool(options, 'CacheEnabled', false),
    cacheSize: Math.min(ours.cacheSize, num(options, 'CacheSize', ours.cacheSize)),
    stackTraceEnabled: ours.stackTraceEnabled && bool(options, 'StackTraceEnabled', false),
  };
  // SizePrefixDisabled is an AND too, and we always advertise false: every frame has its size.
  const theirFrame = num(options, 'MaxFrameSize', 0);
  return {
    format,
    maxInactivityDurationMs: Math.min(ours.maxInactivityDurationMs, num(options, 'MaxInactivityDuration', ours.maxInactivityDurationMs)),
    maxInactivityInitialDelayMs: Math.min(
      ours.maxInactivityInitialDelayMs, num(options, 'MaxInactivityDurationInitalDelay', ours.maxInactivityInitialDelayMs)),
    peerMaxFrameBytes: theirFrame > 0 ? theirFrame : Infinity,
    peerOptions: options,
  };
}

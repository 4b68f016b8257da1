import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The captured frames in ../shared/openwire-vectors (see its README). */
export const VECTORS_DIR = fileURLToPath(new URL('../../../../shared/openwire-vectors', import.meta.url));
export const MODES = ['tight', 'loose', 'broker-loose'] as const;
export type Mode = (typeof MODES)[number];
export type Direction = 'c2b' | 'b2c';

export interface VectorFrame {
  i: number;
  dir: Direction;
  dirIndex: number;
  type: number;
  typeName: string;
  size: number;
  hex: string;
  java: {
    encoding: string;
    roundTripIdentical: boolean;
    decoded: Record<string, unknown>;
    body?: Record<string, unknown>;
    properties?: Record<string, { t: string; v?: unknown; hex?: string }>;
  };
}

export interface VectorConnection {
  index: number;
  frames: VectorFrame[];
}

export interface VectorScenario {
  scenario: string;
  mode: Mode;
  connections: VectorConnection[];
}

export function loadScenarios(mode: Mode): VectorScenario[] {
  const dir = join(VECTORS_DIR, mode);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as VectorScenario);
}

/** One direction of one connection, in the order the peer wrote it. */
export function directionFrames(c: VectorConnection, dir: Direction): VectorFrame[] {
  return c.frames.filter((f) => f.dir === dir).sort((a, b) => a.dirIndex - b.dirIndex);
}

export const hexBytes = (hex: string): Buffer => Buffer.from(hex, 'hex');

import type { TypedValue } from '../../../protocols/openwire/codec/primitive-map.js';

/**
 * Compares our decoded structures with the Java decode in the vectors (`java.decoded`), in the
 * vectors' JSON conventions: `{hex}` byte arrays, big longs as strings, throwables as
 * `{class, message, stackTraceElements, cause?}`. Returns the differences as readable paths.
 */
const NOT_ON_WIRE = new Set(['_type', '_typeId', 'options', 'sentCount']);

export function compareWithJava(mine: unknown, java: unknown, stackTraces: boolean, path = ''): string[] {
  const diffs: string[] = [];
  walk(mine, java, path);
  return diffs;

  function walk(m: unknown, j: unknown, p: string): void {
    if (j === null) {
      if (m !== null) diffs.push(`${p}: expected null, got ${show(m)}`);
      return;
    }
    if (Array.isArray(j)) {
      if (!Array.isArray(m) || m.length !== j.length) {
        diffs.push(`${p}: expected array of ${j.length}, got ${show(m)}`);
        return;
      }
      j.forEach((e, i) => walk(m[i], e, `${p}[${i}]`));
      return;
    }
    if (typeof j === 'object') {
      const jo = j as Record<string, unknown>;
      if ('hex' in jo && Object.keys(jo).length === 1) {
        if (!(m instanceof Uint8Array) || Buffer.from(m).toString('hex') !== jo.hex) {
          diffs.push(`${p}: expected bytes ${String(jo.hex).slice(0, 40)}, got ${show(m)}`);
        }
        return;
      }
      if ('class' in jo && 'stackTraceElements' in jo) {
        throwable(m as Record<string, unknown> | null, jo, p);
        return;
      }
      if (typeof m !== 'object' || m === null) {
        diffs.push(`${p}: expected ${String(jo._type)}, got ${show(m)}`);
        return;
      }
      const mo = m as Record<string, unknown>;
      if ('_typeId' in jo && mo.typeCode !== jo._typeId) {
        diffs.push(`${p}: expected type ${String(jo._typeId)}, got ${String(mo.typeCode)}`);
        return;
      }
      for (const [k, v] of Object.entries(jo)) {
        if (NOT_ON_WIRE.has(k)) continue;
        if (!(k in mo)) {
          diffs.push(`${p}.${k}: missing`);
          continue;
        }
        walk(mo[k], v, `${p}.${k}`);
      }
      return;
    }
    if (!sameScalar(m, j)) diffs.push(`${p}: expected ${JSON.stringify(j)}, got ${show(m)}`);
  }

  function throwable(m: Record<string, unknown> | null, j: Record<string, unknown>, p: string): void {
    if (!m) {
      diffs.push(`${p}: expected a throwable`);
      return;
    }
    if (m.className !== j.class) diffs.push(`${p}.class: expected ${String(j.class)}, got ${String(m.className)}`);
    if (m.message !== j.message) diffs.push(`${p}.message differs`);
    if (!stackTraces) return;
    const stack = m.stackTrace as unknown[] | undefined;
    if (stack?.length !== j.stackTraceElements) diffs.push(`${p}.stackTraceElements: expected ${String(j.stackTraceElements)}, got ${stack?.length}`);
    if (j.cause) throwable(m.cause as Record<string, unknown> | null, j.cause as Record<string, unknown>, `${p}.cause`);
    else if (m.cause) diffs.push(`${p}.cause: expected none`);
  }
}

function sameScalar(m: unknown, j: unknown): boolean {
  if (typeof j === 'string' && (typeof m === 'bigint' || typeof m === 'number') && /^-?\d+$/.test(j)) return BigInt(m) === BigInt(j);
  if (typeof j === 'number' && typeof m === 'bigint') return Number(m) === j;
  return m === j;
}

function show(v: unknown): string {
  if (v instanceof Uint8Array) return `bytes ${Buffer.from(v).toString('hex').slice(0, 40)}`;
  if (typeof v === 'bigint') return `${v}n`;
  try {
    return JSON.stringify(v)?.slice(0, 120) ?? String(v);
  } catch {
    return String(v);
  }
}

const JAVA_TYPES: Record<string, TypedValue['t']> = {
  Boolean: 'boolean', Byte: 'byte', Character: 'char', Short: 'short', Integer: 'int', Long: 'long', Float: 'float',
  Double: 'double', String: 'string', 'byte[]': 'bytes', null: 'null', HashMap: 'map', ArrayList: 'list',
};

/** Compares one of our typed values with a vectors `{t, v | hex}` value. */
export function sameTypedValue(mine: TypedValue, java: { t: string; v?: unknown; hex?: string }): boolean {
  if (JAVA_TYPES[java.t] !== mine.t) return false;
  switch (mine.t) {
    case 'null': return true;
    case 'bytes': return Buffer.from(mine.v).toString('hex') === java.hex;
    case 'char': return String.fromCharCode(mine.v) === java.v;
    case 'map': {
      const jm = java.v as Record<string, { t: string; v?: unknown; hex?: string }>;
      return mine.v.length === Object.keys(jm).length && mine.v.every(([k, v]) => jm[k] !== undefined && sameTypedValue(v, jm[k]));
    }
    case 'list': {
      const jl = java.v as Array<{ t: string; v?: unknown; hex?: string }>;
      return mine.v.length === jl.length && mine.v.every((v, i) => sameTypedValue(v, jl[i]!));
    }
    case 'float': return Math.fround(Number(java.v)) === mine.v;
    default: return sameScalar(mine.v, java.v);
  }
}

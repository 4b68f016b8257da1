/** Bounds of an adapter's numeric settings; a number without one must be at least 0. */
export interface ConfigBounds<T> {
  min?: Partial<Record<keyof T, number>>;
  max?: Partial<Record<keyof T, number>>;
  /** Every number must be a whole number. */
  integers?: boolean;
}

/**
 * An adapter's settings: its configuration section (limits overlaid with its own keys) laid over
 * its defaults. Only keys the defaults know are read; each value must have its default's type and
 * lie within the bounds. Throws a clear `<protocol>.<key>` error otherwise.
 */
export function overlayConfig<T extends object>(protocol: string, defaults: T, section: Record<string, unknown>, bounds: ConfigBounds<T> = {}): T {
  const config = { ...defaults };
  const set = config as Record<string, unknown>;
  for (const key of Object.keys(defaults) as Array<keyof T & string>) {
    const value = section[key];
    if (value === undefined) continue;
    const expected = typeof defaults[key];
    if (typeof value !== expected) throw new Error(`${protocol}.${key} must be a ${expected}`);
    if (typeof value === 'string' && value.length === 0) throw new Error(`${protocol}.${key} must not be empty`);
    if (typeof value === 'number') {
      const min = bounds.min?.[key] ?? 0;
      const max = bounds.max?.[key] ?? Number.MAX_SAFE_INTEGER;
      const whole = !bounds.integers || Number.isInteger(value);
      if (!Number.isFinite(value) || value < min || value > max || !whole) {
        throw new Error(`${protocol}.${key} must be ${bounds.integers ? 'an integer' : 'a number'} from ${min} to ${max}`);
      }
    }
    set[key] = value;
  }
  return config;
}

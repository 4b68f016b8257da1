import { describe, expect, it } from 'vitest';
import { overlayConfig } from '../../src/spi/index.js';

const DEFAULTS = { frameBytes: 1024, grace: 1.5, name: 'x', tight: false };

describe('overlayConfig', () => {
  it('overlays known keys on the defaults and ignores the rest', () => {
    expect(overlayConfig('p', DEFAULTS, { frameBytes: 2048, tight: true, unknown: 5 })).toEqual({ frameBytes: 2048, grace: 1.5, name: 'x', tight: true });
    expect(DEFAULTS.frameBytes).toBe(1024);
  });

  it('refuses a value of another type than its default, naming the key', () => {
    expect(() => overlayConfig('p', DEFAULTS, { tight: 'yes' })).toThrow('p.tight must be a boolean');
    expect(() => overlayConfig('p', DEFAULTS, { name: '' })).toThrow('p.name must not be empty');
  });

  it('enforces bounds, and whole numbers when asked', () => {
    expect(() => overlayConfig('p', DEFAULTS, { grace: -1 })).toThrow('p.grace must be a number from 0');
    expect(() => overlayConfig('p', DEFAULTS, { grace: 0.5 }, { min: { grace: 1 } })).toThrow('from 1');
    expect(() => overlayConfig('p', DEFAULTS, { frameBytes: 9000 }, { max: { frameBytes: 4096 } })).toThrow('to 4096');
    expect(() => overlayConfig('p', DEFAULTS, { frameBytes: 1.5 }, { integers: true })).toThrow('must be an integer');
    expect(() => overlayConfig('p', DEFAULTS, { frameBytes: Number.NaN })).toThrow();
  });
});

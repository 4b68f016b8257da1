import { afterEach, describe, expect, it, vi } from 'vitest';
import { HeartbeatMonitor, negotiateHeartbeat } from '../../../protocols/stomp/heartbeat.js';

const LIMITS = { heartbeatMinMs: 1000, heartbeatMaxMs: 60_000 };

describe('negotiateHeartbeat', () => {
  it('is off without a header or with 0,0', () => {
    expect(negotiateHeartbeat(undefined, LIMITS)).toEqual({ sendMs: 0, receiveMs: 0, header: '0,0' });
    expect(negotiateHeartbeat('0,0', LIMITS)).toEqual({ sendMs: 0, receiveMs: 0, header: '0,0' });
  });

  it('answers sx = the client wish, sy = the client offer, within the limits', () => {
    expect(negotiateHeartbeat('5000,10000', LIMITS)).toEqual({ sendMs: 10000, receiveMs: 5000, header: '10000,5000' });
  });

  it('never beats faster than the minimum, in either direction', () => {
    // The client computes its interval as max(cx=10, sy=1000) = 1000: so do we.
    expect(negotiateHeartbeat('10,20', LIMITS)).toEqual({ sendMs: 1000, receiveMs: 1000, header: '1000,1000' });
  });

  it('sends at least every max; expects a slow client at its own pace (the spec max() rule)', () => {
    expect(negotiateHeartbeat('120000,120000', LIMITS)).toEqual({ sendMs: 60_000, receiveMs: 120_000, header: '60000,60000' });
  });

  it('one direction only', () => {
    expect(negotiateHeartbeat('0,2000', LIMITS)).toEqual({ sendMs: 2000, receiveMs: 0, header: '2000,0' });
    expect(negotiateHeartbeat('2000,0', LIMITS)).toEqual({ sendMs: 0, receiveMs: 2000, header: '0,2000' });
  });

  it('accepts spaces, rejects anything else as ActiveMQ does', () => {
    expect(negotiateHeartbeat(' 1000 , 1000 ', LIMITS).header).toBe('1000,1000');
    for (const bad of ['', '1000', '1,2,3', 'a,b', '-1,0', '1000;1000']) {
      expect(() => negotiateHeartbeat(bad, LIMITS), bad).toThrow(/Invalid heart-beat header/);
    }
  });
});

describe('HeartbeatMonitor', () => {
  afterEach(() => vi.useRealTimers());

  it('beats only when the line was quiet for most of the interval, and declares a silent client dead', () => {
    vi.useFakeTimers();
    let lastRead = Date.now();
    let lastWrite = Date.now();
    let beats = 0;
    let silent: number | undefined;
    const monitor = new HeartbeatMonitor({ sendMs: 100, receiveMs: 200, header: '' }, 1.5, {
      lastReadAt: () => lastRead,
      lastWriteAt: () => lastWrite,
      beat: () => {
        beats++;
        lastWrite = Date.now();
      },
      timedOut: (ms) => (silent = ms),
    });
    monitor.start();
    vi.advanceTimersByTime(1000);
    // Idle: a beat every 75 ms (three quarters of the interval), never a gap above 100 ms.
    expect(beats).toBeGreaterThanOrEqual(12);
    expect(beats).toBeLessThanOrEqual(14);
    expect(silent).toBeGreaterThan(300);
    silent = undefined;
    lastRead = Date.now();
    vi.advanceTimersByTime(250);
    expect(silent).toBeUndefined();
    monitor.stop();
    const before = beats;
    vi.advanceTimersByTime(1000);
    expect(beats).toBe(before);
  });
});

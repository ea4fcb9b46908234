import { describe, expect, it } from 'vitest';
import { HealthTracker } from '../../agent/core/health.js';
import { RackState } from '../../agent/core/rack.js';
import { atTime, bad, checked, ok } from '../../agent/core/reading.js';

describe('readings', () => {
  it('a good value becomes stale (unknown) after its freshness bound', () => {
    expect(atTime(ok(5, 1000), 3000, 3000).value).toBe(5);
    const st = atTime(ok(5, 1000), 4001, 3000);
    expect(st.value).toBeNull();
    expect(st.quality).toBe('stale');
    expect(checked(Number.NaN, 1).quality).toBe('invalid');
  });
});

describe('RackState', () => {
  const circuits = [{ id: 'pdu-a.L1', device: 'pdu-a', phase: 'L1', breakerA: 32, continuousFactor: 0.8 }];

  it('sums rack power and puts phase current against the continuous limit', () => {
    const r = new RackState(circuits, ['pdu-a', 'pdu-b'], 3000);
    r.observe([
      { key: 'pdu-a/inlet.power', reading: ok(4000, 1000) },
      { key: 'pdu-b/inlet.power', reading: ok(1000, 1000) },
      { key: 'pdu-a/phase.current/L1', reading: ok(12.8, 1000) },
    ]);
    const s = r.summary(1500);
    expect(s.powerW).toBe(5000);
    expect(s.circuits[0]).toMatchObject({ limitA: 25.6, utilisation: 0.5 });
  });

  it('unknown is not zero: a failed or stale reading makes the value null, and the total says so', () => {
    const r = new RackState(circuits, ['pdu-a', 'pdu-b'], 3000);
    r.observe([{ key: 'pdu-a/inlet.power', reading: ok(4000, 1000) }, { key: 'pdu-b/inlet.power', reading: ok(1000, 1000) }]);
    r.observe([{ key: 'pdu-b/inlet.power', reading: bad('timeout', 2000) }]);
    let s = r.summary(2000);
    expect(s.powerW).toBe(4000);
    expect(s.unknownPowerDevices).toEqual(['pdu-b']);
    expect(s.circuits[0]!.utilisation).toBeNull();
    s = r.summary(10_000);
    expect(s.powerW).toBeNull();
  });

  it('never goes back in time', () => {
    const r = new RackState([], ['p'], 3000);
    r.observe([{ key: 'p/inlet.power', reading: ok(2, 2000) }]);
    r.observe([{ key: 'p/inlet.power', reading: ok(1, 1000) }]);
    expect(r.value('p/inlet.power', 2000)).toBe(2);
  });

  it('judges freshness by a series’ own max age (slow devices), and the default for the rest', () => {
    const rack = new RackState([], [], 3000, new Map([['gpu/gpu.power/0', 9000]]));
    rack.observe([{ key: 'gpu/gpu.power/0', reading: ok(600, 0) }, { key: 'pdu/inlet.power', reading: ok(5000, 0) }]);
    expect(rack.value('gpu/gpu.power/0', 8000)).toBe(600);
    expect(rack.get('pdu/inlet.power', 8000)).toMatchObject({ value: null, quality: 'stale' });
    expect(rack.get('gpu/gpu.power/0', 9001)).toMatchObject({ value: null, quality: 'stale' });
  });
});

describe('HealthTracker', () => {
  it('reports transitions only', () => {
    const h = new HealthTracker();
    expect(h.update('d', 4, 0)).toEqual({ device: 'd', from: 'unknown', to: 'up' });
    expect(h.update('d', 4, 0)).toBeUndefined();
    expect(h.update('d', 4, 1)).toEqual({ device: 'd', from: 'up', to: 'degraded' });
    expect(h.update('d', 4, 4)).toEqual({ device: 'd', from: 'degraded', to: 'down' });
  });
});

// The pure controller, behaviour by behaviour, on hand-made readings (test/support/control-rig).
import { describe, expect, it } from 'vitest';
import { defaultParams } from '../support/control-bed.js';
import { A, gpu, L1, L2, miner, Rig } from '../support/control-rig.js';

// L1: 32 A breaker × 0.8 = 25.6 A continuous (5.9 kW at 230 V); high 98 % = 25.09 A.
const types = (r: { actions: readonly { load: string; type: string }[] }): string[] => r.actions.map((a) => `${a.load}:${a.type}`);

describe('thresholds and trip curve', () => {
  it('tolerates a small excursion for a while (I²t), then sheds; sheds at once above the instant ratio', () => {
    const rig = new Rig([miner('m1'), gpu('g1')]);
    rig.step({ m1: 3000, g1: 2500 }); // 23.9 A, 93 %: nothing
    // 101 %: (1.01² − 0.98²)·dt ≈ 0.06 per s against a budget of 10 s·(1.05² − 0.98²) ≈ 1.42
    const small = rig.run(5, { m1: 3000, g1: 2950 });
    expect(small.actions).toEqual([]);
    expect(small.events.map((e) => e.type)).toEqual(['control.tolerated']);
    const later = rig.run(30, { m1: 3000, g1: 2950 });
    expect(types(later)[0]).toBe('m1:set_power');
    const urgent = new Rig([miner('m1'), gpu('g1')]);
    urgent.step({ m1: 3000, g1: 2000 });
    const r = urgent.step({ m1: 3000, g1: 4000 }); // 30.4 A, 119 % ≥ instant 110 %
    expect(types(r)).toEqual(['m1:pause']);
    expect(r.events.find((e) => e.type === 'control.shed')?.message).toMatch(/m1 pause 3\.00 kW → 0\.03 kW: p\.L1 at 30\.4 A of 25\.6 A \(119 %\) above high 98 %, urgent/);
  });

  it('restores only after the value stayed below low for the random hold, then fills up to the target and stays', () => {
    const rig = new Rig([miner('m1'), gpu('g1')]);
    // The miner follows its commands (the rig feeds back its setpoint as its draw).
    const drawOf = (): number => {
      const l = rig.state.loads.get('m1')!;
      return l.mode === 'free' ? 3000 : l.mode === 'limited' ? (l.setpointW ?? 3000) : 25;
    };
    rig.step({ m1: 3000, g1: 2000 });
    expect(types(rig.step({ m1: 3000, g1: 4000 }))).toEqual(['m1:pause']);
    const log: { t: number; amps: number; restore: boolean; holdOver: boolean }[] = [];
    for (let i = 0; i < 120; i++) {
      const g1 = i < 20 ? 4000 : 2000; // the AI job ends: headroom for the miner
      const m1 = drawOf();
      const r = rig.step({ m1, g1 });
      log.push({ t: rig.t, amps: A(m1 + g1), restore: r.actions.some((a) => a.urgency === 'restore'), holdOver: r.events.some((e) => e.type === 'control.hold_over') });
    }
    const firstRestore = log.findIndex((x) => x.restore);
    const holdOver = log.findIndex((x) => x.holdOver);
    expect(holdOver).toBeGreaterThanOrEqual(0);
    expect(firstRestore).toBeGreaterThanOrEqual(holdOver);
    // Never above the target (94 % of 25.6 A = 24.06 A) while filling, and it ends close to it.
    expect(Math.max(...log.map((x) => x.amps))).toBeLessThanOrEqual(24.07);
    expect(log.at(-1)!.amps).toBeGreaterThan(20);
    // Steady: nothing more is done in the last minute.
    expect(log.slice(-60).some((x) => x.restore)).toBe(false);
  });
});

describe('shed order', () => {
  it('miners first (higher priority number, then least efficient, then largest), AI last, infrastructure never', () => {
    const loads = [
      miner('efficient', { nominalW: 1500 }), miner('hungry', { nominalW: 1500 }), miner('urgent', { priority: 5, nominalW: 1500 }),
      gpu('ai', { nominalW: 3000, floorW: 1000, controls: { setPower: { minW: 1000, maxW: 3000, settleMs: 2000 } } }),
      { ...miner('switch'), class: 'infrastructure' as const },
    ];
    const rig = new Rig(loads);
    rig.step({ efficient: 1500, hungry: 1500, urgent: 1500, ai: 500, switch: 100 });
    rig.state = { ...rig.state, loads: new Map([...rig.state.loads].map(([id, l]) => [id, { ...l, jPerTH: id === 'hungry' ? 30 : id === 'efficient' ? 17 : null }])) };
    // 1500·3 + 3000 + 100 = 7600 W → 33 A: needs (33.0 − 24.06 A)·230 ≈ 2.06 kW (× 1.5 urgent)
    const r = rig.step({ efficient: 1500, hungry: 1500, urgent: 1500, ai: 3000, switch: 100 });
    expect(r.actions.map((a) => a.load)).toEqual(['urgent', 'hungry', 'efficient']);
    expect(r.actions.some((a) => a.load === 'ai' || a.load === 'switch')).toBe(false);
  });

  it('an urgent cut does not wait on a slow actuator: a miner that sleeps in a minute is commanded, and a fast one is cut alongside', () => {
    // 'stock' is the least efficient (shed first) but only sleeps after a daemon restart (~60 s,
    // like a stock Antminer); 'fast' pauses in 5 s.
    const rig = new Rig([
      miner('stock', { nominalW: 2000, controls: { pause: { settleMs: 60_000 }, outlet: { settleMs: 1000 } } }),
      miner('fast', { nominalW: 2000 }),
      gpu('g1', { nominalW: 4000 }),
    ]);
    rig.step({ stock: 2000, fast: 2000, g1: 1000 });
    rig.state = { ...rig.state, loads: new Map([...rig.state.loads].map(([id, l]) => [id, { ...l, jPerTH: id === 'stock' ? 30 : 17 }])) };
    // 2000 + 2000 + 2900 = 6900 W → 30 A, 117 %: urgent; pausing 'stock' alone would do, in a minute.
    const r = rig.step({ stock: 2000, fast: 2000, g1: 2900 });
    expect(types(r)).toEqual(['stock:pause', 'fast:pause']);
    // Still over a few seconds later ('stock' has not moved): more from the fast one, nothing from AI.
    const later = rig.run(3, { stock: 2000, fast: 1000, g1: 2900 });
    expect(later.actions.some((a) => a.load === 'g1')).toBe(false);
  });

  it('throttles AI only once every miner on the constraint is at its floor and settled', () => {
    const rig = new Rig([miner('m1', { nominalW: 2000 }), gpu('g1', { nominalW: 8000 })]);
    rig.step({ m1: 2000, g1: 2000 });
    const first = rig.step({ m1: 2000, g1: 7000 }); // 39 A: far more than the miner can give
    expect(types(first)).toEqual(['m1:pause']);
    const waiting = rig.run(6, { m1: 25, g1: 7000 });
    expect(waiting.actions.filter((a) => a.load === 'g1')).toEqual([]); // the miner is still settling
    const after = rig.run(2, { m1: 25, g1: 7000 });
    const ai = after.actions.find((a) => a.load === 'g1');
    expect(ai?.type).toBe('set_power');
    expect(after.events.find((e) => e.type === 'control.throttle_ai')?.severity).toBe('warning');
  });
});

describe('verification and escalation', () => {
  it('a miner that ignores its pause is marked unresponsive and switched off at its outlet', () => {
    const rig = new Rig([miner('m1'), gpu('g1')]);
    rig.step({ m1: 3000, g1: 2000 });
    expect(types(rig.step({ m1: 3000, g1: 4000 }))).toEqual(['m1:pause']);
    const r = rig.run(8, { m1: 3000, g1: 4000 });
    expect(r.events.map((e) => e.type)).toContain('control.unresponsive');
    expect(types(r)).toContain('m1:outlet_off');
    expect(r.actions.some((a) => a.load === 'g1')).toBe(false); // the outlet is tried before any AI
    // The relay did not cut it either: critical, and then AI is the only way left.
    const stuck = rig.run(5, { m1: 3000, g1: 4000 });
    expect(stuck.events.find((e) => e.type === 'control.unresponsive')?.severity).toBe('critical');
    expect(stuck.actions.some((a) => a.load === 'g1' && a.type === 'set_power')).toBe(true);
  });

  it('a miner asleep still draws a little: that is not ignoring the command, nor drifting', () => {
    const rig = new Rig([miner('m1', { floorW: 0 }), gpu('g1')]);
    rig.step({ m1: 3000, g1: 2000 });
    expect(types(rig.step({ m1: 3000, g1: 4000 }))).toEqual(['m1:pause']);
    const r = rig.run(8, { m1: 80, g1: 4000 }); // fans and control board: 80 W asleep
    expect(r.events.map((e) => e.type).filter((t) => t === 'control.unresponsive' || t === 'control.reassert')).toEqual([]);
    expect(rig.state.loads.get('m1')!.unresponsive).toBe(false);
    expect(types(r)).toEqual(['m1:resume']); // verified, then given its headroom back
  });

  it('an actuator failure on a reduction escalates at once; a load that drifts above its setpoint gets its command again', () => {
    const rig = new Rig([miner('m1'), gpu('g1')]);
    rig.step({ m1: 3000, g1: 2000 });
    rig.step({ m1: 3000, g1: 4000 });
    rig.outcomes = [{ load: 'm1', type: 'pause', ok: false, detail: 'connection refused' }];
    const r = rig.step({ m1: 3000, g1: 4000 });
    expect(r.events.find((e) => e.type === 'control.unresponsive')?.message).toMatch(/actuator failed \(connection refused\)/);
    expect(types(r)).toContain('m1:outlet_off');

    const p = defaultParams();
    const drift = new Rig([miner('m1'), gpu('g1')], [L1], { ...p, restore: { ...p.restore, minDelayMs: 60_000, maxDelayMs: 60_000 } });
    drift.step({ m1: 3000, g1: 2000 });
    drift.step({ m1: 3000, g1: 4000 });
    drift.run(8, { m1: 25, g1: 4000 }); // followed and verified
    const d = drift.step({ m1: 2900, g1: 4000 }); // rebooted, hashing again
    expect(types(d)).toEqual(['m1:pause']);
    expect(d.events.map((e) => e.type)).toContain('control.reassert');
  });
});

describe('limits from the hub and the grid', () => {
  it('a lease lowers the rack budget until it expires, then the local cap applies again; it can never raise the local cap', () => {
    const rig = new Rig([miner('m1'), miner('m2'), gpu('g1')], [L1, L2]);
    rig.rackKw = 10;
    rig.step({ m1: 3000, m2: 3000, g1: 2000 }, { circuitsA: { 'p.L1': 10, 'p.L2': 10 } });
    rig.lease = { id: 'L7', kw: 6, expiresAtMs: 30_000 };
    const r = rig.step({ m1: 3000, m2: 3000, g1: 2000 }, { circuitsA: { 'p.L1': 10, 'p.L2': 10 } });
    expect(r.events.find((e) => e.type === 'control.limit')?.message).toBe('rack budget 6.00 kW from lease L7, was local cap');
    expect(r.actions.length).toBeGreaterThan(0);
    expect(rig.state.budget.watts).toBe(6000);
    const during = rig.run(25, { m1: 25, m2: 3000, g1: 2000 }, { circuitsA: { 'p.L1': 10, 'p.L2': 10 } });
    expect(during.actions.filter((a) => a.urgency === 'restore')).toEqual([]);
    const after = rig.run(30, { m1: 25, m2: 3000, g1: 2000 }, { circuitsA: { 'p.L1': 10, 'p.L2': 10 } });
    expect(after.events.find((e) => e.type === 'control.limit')?.message).toMatch(/rack budget 10\.00 kW from local cap, was lease L7 \(lease L7 expired\)/);
    expect(after.actions.some((a) => a.urgency === 'restore')).toBe(true);

    const high = new Rig([miner('m1')]);
    high.rackKw = 5;
    high.lease = { id: 'greedy', kw: 50, expiresAtMs: 60_000 };
    high.step({ m1: 3000 });
    expect(high.state.budget).toEqual({ watts: 5000, source: 'local cap' });
  });

  it('approaches a grid target linearly before its deadline; curtails when the grid signal goes stale (if configured)', () => {
    const rig = new Rig([miner('m1'), miner('m2')], [L1, L2]);
    rig.step({ m1: 3000, m2: 3000 });
    rig.grid = [{ id: 'E1', targetKw: 2, deadlineMs: 62_000, endMs: 600_000 }]; // ramp 60 s by default
    rig.step({ m1: 3000, m2: 3000 });
    const mid = rig.state.budget.watts ?? 0;
    expect(mid).toBeGreaterThan(5900);
    rig.run(30, { m1: 3000, m2: 3000 });
    expect(rig.state.budget.watts).toBeGreaterThan(3500);
    expect(rig.state.budget.watts).toBeLessThan(4500);
    rig.run(30, { m1: 1000, m2: 1000 });
    expect(rig.state.budget).toEqual({ watts: 2000, source: 'grid E1' });

    const p = defaultParams();
    const stale = new Rig([miner('m1')], [L1], { ...p, grid: { ...p.grid, onStale: 'curtail', curtailKw: 0.5, staleAfterMs: 240_000 } });
    stale.run(239, { m1: 3000 });
    expect(stale.state.budget.source).toBe('circuits only');
    const r = stale.run(2, { m1: 3000 });
    expect(r.events.map((e) => e.type)).toEqual(expect.arrayContaining(['control.grid_stale', 'control.limit']));
    expect(types(r)).toEqual(['m1:pause']);
  });
});

describe('fail-safe', () => {
  it('holds while a reading is late, then estimates from setpoints, history and nameplate: sheds miners to fit, never AI', () => {
    const rig = new Rig([miner('m1'), miner('m2', { circuits: ['p.L1'] }), gpu('g1', { nominalW: 4000 })]);
    rig.run(3, { m1: 1500, m2: 1500, g1: 2500 }); // 23.9 A: fine
    // The PDU stops answering: nothing is known (outlets are read from the same PDU).
    const late = rig.run(3, { m1: null, m2: null, g1: null }, { circuitsA: { 'p.L1': null }, rackW: null });
    expect(late.actions).toEqual([]);
    expect(late.events).toEqual([]);
    const blind = rig.step({ m1: null, m2: null, g1: null }, { circuitsA: { 'p.L1': null }, rackW: null });
    const fs = blind.events.find((e) => e.type === 'control.failsafe');
    // Estimate: baseline 0 + the loads' recent peaks 1500 + 1500 + 2500 (decaying slowly) ≈ 23.9 A: under high, so hold.
    expect(fs?.message).toMatch(/p\.L1 reading unknown for 4\.0 s \(timeout\): estimating 23\.[89] A .*restores held/);
    expect(blind.actions).toEqual([]);
    // A load with no history counts at its nameplate: GPU 4000 W → 30.4 A estimated → miners shed, not the GPU.
    const fresh = new Rig([miner('m1'), gpu('g1', { nominalW: 4000 })]);
    const r = fresh.run(5, { m1: null, g1: null }, { circuitsA: { 'p.L1': null }, rackW: null });
    expect(r.actions.map((a) => a.load)).toEqual(['m1']);
    expect(r.actions[0]!.watts).toBeLessThanOrEqual(0.94 * 25.6 * 230 - 4000 + 1);
  });
});

describe('restore pacing', () => {
  it('resumes at most `batch` loads per interval and switches on one outlet per PDU per step', () => {
    const p = defaultParams();
    const loads = ['a', 'b', 'c', 'd'].map((id) => miner(id, { nominalW: 1000, controls: { setPower: { minW: 300, maxW: 1000, settleMs: 1000 }, pause: { settleMs: 1000 } } }));
    const rig = new Rig(loads, [L1], { ...p, restore: { ...p.restore, minDelayMs: 0, maxDelayMs: 0, batch: 2, batchIntervalMs: 5000 } });
    for (const id of ['a', 'b', 'c', 'd']) {
      rig.state = { ...rig.state, loads: new Map(rig.state.loads).set(id, { ...rig.state.loads.get(id)!, mode: 'paused', setpointW: 25 }) };
    }
    const r = rig.run(12, { a: 25, b: 25, c: 25, d: 25 });
    const resumes = r.actions.filter((a) => a.type === 'resume');
    expect(resumes.length).toBe(4);
    // Two in the first window, the other two at least batchIntervalMs later.
    const times = r.events.filter((x) => x.attrs?.['action'] === 'resume').map((e) => e.timeMs);
    expect(times.filter((t) => t === times[0])).toHaveLength(2);
    expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(5000);

    const off = new Rig(['a', 'b'].map((id) => miner(id, { nominalW: 1000 })), [L1], { ...p, restore: { ...p.restore, minDelayMs: 0, maxDelayMs: 0, batch: 5, outletCooldownMs: 0 } });
    for (const id of ['a', 'b']) off.state = { ...off.state, loads: new Map(off.state.loads).set(id, { ...off.state.loads.get(id)!, mode: 'off', setpointW: 0, peakW: 1000 }) };
    const first = off.step({ a: 0, b: 0 });
    expect(first.actions.filter((a) => a.type === 'outlet_on')).toHaveLength(1);
  });
});

describe('purity', () => {
  it('the same inputs give the same outputs, and the caller\'s state is not changed', () => {
    const mk = (): Rig => new Rig([miner('m1'), gpu('g1')], [L1], defaultParams(), 99);
    const a = mk();
    const b = mk();
    const before = JSON.stringify([...a.state.loads]);
    const s0 = a.state;
    const ra = a.run(40, { m1: 3000, g1: 4200 });
    const rb = b.run(40, { m1: 3000, g1: 4200 });
    expect(JSON.stringify(ra)).toBe(JSON.stringify(rb));
    expect(JSON.stringify([...s0.loads])).toBe(before);
    expect(A(230)).toBe(1);
  });
});

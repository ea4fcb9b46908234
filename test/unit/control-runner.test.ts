// The agent side of the controller: the actuation runner (on a FakeClock), load binding, hub
// limits and the command API's parsing.
import { describe, expect, it } from 'vitest';
import { HubLimits } from '../../agent/control/hub-limits.js';
import { bindLoads, type LoadDecl } from '../../agent/control/loads.js';
import { ControlLoop } from '../../agent/control/loop.js';
import { ActuationRunner } from '../../agent/control/runner.js';
import { controlShape } from '../../agent/config/control.js';
import { RackState } from '../../agent/core/rack.js';
import { ok } from '../../agent/core/reading.js';
import type { AgentEvent } from '../../agent/uplink/encoder.js';
import type { ControlAction } from '../../agent/core/control/types.js';
import type { CircuitSpec } from '../../agent/core/rack.js';
import type { ActuationResult, ActuatorCommand, PowerActuator } from '../../agent/drivers/types.js';
import { FakeClock } from '../../agent/runtime/clock.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { parseCommandBody } from '../../hub/command-api.js';

interface Call { readonly at: number; readonly id: string; readonly cmd: ActuatorCommand }

/** An actuator that answers after `latencyMs` (or never, or with a failure), logging each call. */
function fake(clock: FakeClock, calls: Call[], a: Partial<PowerActuator> & Pick<PowerActuator, 'id' | 'device' | 'kind'>, o: { latencyMs?: number; fail?: string; hang?: boolean } = {}): PowerActuator {
  return {
    capabilities: {}, settleMs: 1000, ...a,
    apply(cmd, signal): Promise<ActuationResult> {
      calls.push({ at: clock.now(), id: a.id, cmd });
      return new Promise((resolve) => {
        signal.addEventListener('abort', () => resolve({ ok: false, verified: false, detail: String((signal.reason as Error).message) }), { once: true });
        if (o.hang) return;
        clock.setTimeout(() => resolve(o.fail ? { ok: false, verified: false, detail: o.fail } : { ok: true, verified: true, detail: 'done' }), o.latencyMs ?? 100);
      });
    },
  };
}

const circuits: CircuitSpec[] = ['L1', 'L2', 'L3'].map((p) => ({ id: `pdu.${p}`, device: 'pdu', phase: p, breakerA: 32, continuousFactor: 0.8 }));
const decl = (id: string, load: Partial<LoadDecl['load']> = {}): LoadDecl => ({ id, device: id, load: { class: 'miner', priority: 0, ...load } });
const act = (load: string, type: ControlAction['type'], urgency: ControlAction['urgency'] = 'shed', watts?: number): ControlAction => ({ load, type, urgency, reason: 'test', ...(watts !== undefined ? { watts } : {}) });

function setup(actuators: PowerActuator[], decls: LoadDecl[], clock: FakeClock, inrushGuardMs = 100) {
  const { bindings, notes } = bindLoads(decls, actuators, circuits);
  const runner = new ActuationRunner(() => bindings, { clock, log: nullLogger, inrushGuardMs, commandTimeoutMs: 2000 });
  return { runner, bindings, notes };
}

describe('load binding', () => {
  it('binds miner, GPU and outlet actuators by device and feed, and derives phase, floor and nominal', () => {
    const clock = new FakeClock(0);
    const calls: Call[] = [];
    const acts = [
      fake(clock, calls, { id: 'm1', device: 'm1', kind: 'miner', capabilities: { setPower: { minW: 800, maxW: 3200 }, pause: true }, settleMs: 5000 }),
      fake(clock, calls, { id: 'pdu/outlet/4', device: 'pdu', kind: 'outlet', capabilities: { outlet: true } }),
      ...[0, 1].map((i) => fake(clock, calls, { id: `g1/${i}`, device: 'g1', kind: 'gpu', capabilities: { setPower: { minW: 200, maxW: 700 } }, settleMs: 1500 })),
    ];
    const { bindings, notes } = setup(acts, [decl('m1', { feed: { pdu: 'pdu', outlet: 4, phase: 'L1' } }), decl('g1', { class: 'ai-critical', nominalW: 2000 }), decl('dumb', { feed: { pdu: 'nope', outlet: 1 } })], clock);
    const [m1, g1, dumb] = bindings;
    expect(m1!.spec).toMatchObject({ circuits: ['pdu.L1'], maybeCircuits: [], floorW: 0, nominalW: 3200, controls: { setPower: { minW: 800, maxW: 3200, settleMs: 5000 }, pause: { settleMs: 5000 }, outlet: { settleMs: 1000 } } });
    // GPU host: 2 × 700 W of GPUs in a 2000 W host: 600 W of base draw on top of the GPUs' limits.
    expect(g1!.baseW).toBe(600);
    expect(g1!.spec.controls.setPower).toEqual({ minW: 1000, maxW: 2000, settleMs: 1500 });
    expect(g1!.spec.maybeCircuits).toEqual(['pdu.L1', 'pdu.L2', 'pdu.L3']);
    expect(dumb!.spec.controls).toEqual({});
    expect(notes).toEqual([
      'dumb: feed PDU "nope" has no circuits configured; the load may be on any circuit',
      'dumb: no actuator controls it; it is counted in every budget but cannot be shed',
    ]);
  });
});

describe('control loop', () => {
  it('describes a load again when its actuator learns its range (GPU drivers do after their first read); a GPU host without a feed is read from its GPUs', () => {
    const clock = new FakeClock(0);
    const learnt: { range?: { minW: number; maxW: number } } = {};
    const gpu0: PowerActuator = { id: 'g1/0', device: 'g1', kind: 'gpu', settleMs: 3000, get capabilities() { return learnt.range ? { setPower: learnt.range } : {}; }, apply: () => Promise.resolve({ ok: true, verified: true, detail: '' }) };
    const events: AgentEvent[] = [];
    const loop = new ControlLoop({
      config: controlShape.parse({}), circuits, powerDevices: ['pdu'], loads: [decl('g1', { class: 'ai-critical', nominalW: 2000 })], actuators: [gpu0],
      clock, log: nullLogger, emit: (e) => events.push(e), seed: 1,
    });
    expect(loop.bindings[0]!.spec.controls).toEqual({});
    expect(events.map((e) => e.type)).toEqual(['control.config', 'control.start']);
    const rack = new RackState(circuits, ['pdu'], 3000);
    learnt.range = { minW: 300, maxW: 700 };
    rack.observe([{ key: 'g1/gpu.power/0', reading: ok(500, 0) }]);
    loop.cycle(rack, 0);
    expect(events.find((e) => e.type === 'control.controls')?.message).toMatch(/g1/);
    expect(loop.bindings[0]!.spec.controls.setPower).toEqual({ minW: 1600, maxW: 2000, settleMs: 3000 });
    // 500 W from its GPU plus the host's 1300 W above the GPU's 700 W maximum.
    expect(loop.controller.loads.get('g1')!.drawW).toBe(1800);
  });
});

describe('actuation runner', () => {
  it('sends sheds before restores, fastest first; one command in flight per actuator, the latest waiting one wins', async () => {
    const clock = new FakeClock(0);
    const calls: Call[] = [];
    const acts = [
      fake(clock, calls, { id: 'slow', device: 'slow', kind: 'miner', capabilities: { pause: true }, settleMs: 5000 }, { latencyMs: 500 }),
      fake(clock, calls, { id: 'fast', device: 'fast', kind: 'miner', capabilities: { setPower: { minW: 100, maxW: 1000 }, pause: true }, settleMs: 1000 }, { latencyMs: 500 }),
    ];
    const { runner } = setup(acts, [decl('slow'), decl('fast')], clock);
    runner.dispatch([act('slow', 'pause'), act('fast', 'pause')], clock.monotonic());
    expect(calls.map((c) => `${c.id}:${c.cmd.type}`)).toEqual(['fast:pause', 'slow:pause']);
    // While "fast" is busy, two more decisions for it: only the last one is sent.
    runner.dispatch([act('fast', 'set_power', 'shed', 300)], clock.monotonic());
    runner.dispatch([act('fast', 'resume', 'restore', 400)], clock.monotonic());
    await clock.advance(2000);
    expect(calls.map((c) => `${c.id}:${c.cmd.type}`)).toEqual(['fast:pause', 'slow:pause', 'fast:set_power', 'fast:resume']);
    expect(calls[2]!.cmd).toEqual({ type: 'set_power', watts: 400 }); // resume at a target: the target first
    expect(runner.stats.superseded).toBe(1);
    expect(runner.takeOutcomes().map((o) => `${o.load}:${o.type}:${o.ok}`)).toEqual(['fast:pause:true', 'slow:pause:true', 'fast:resume:true']);
  });

  it('splits a GPU host target across its GPUs after the host base draw', () => {
    const clock = new FakeClock(0);
    const calls: Call[] = [];
    const gpus = [0, 1, 2, 3].map((i) => fake(clock, calls, { id: `h/${i}`, device: 'h', kind: 'gpu', capabilities: { setPower: { minW: 200, maxW: 700 } } }));
    const { runner } = setup(gpus, [decl('h', { class: 'ai-flexible', nominalW: 3600 })], clock);
    runner.dispatch([act('h', 'set_power', 'shed', 2000)], 0);
    // base 3600 − 4·700 = 800 W; (2000 − 800) / 2800 of each GPU's 700 W = 300 W each
    expect(calls.map((c) => c.cmd)).toEqual(Array(4).fill({ type: 'set_power', watts: 300 }));
  });

  it('spaces outlets switched on by the inrush guard, per PDU', async () => {
    const clock = new FakeClock(0);
    const calls: Call[] = [];
    const outlets = [1, 2, 3].map((o) => fake(clock, calls, { id: `pdu/outlet/${o}`, device: 'pdu', kind: 'outlet', capabilities: { outlet: true } }, { latencyMs: 10 }));
    const { runner } = setup(outlets, [1, 2, 3].map((o) => decl(`m${o}`, { feed: { pdu: 'pdu', outlet: o } })), clock, 250);
    runner.dispatch([1, 2, 3].map((o) => act(`m${o}`, 'outlet_on', 'restore')), 0);
    await clock.advance(1000);
    expect(calls.map((c) => c.at)).toEqual([0, 250, 500]);
  });

  it('a shed aborts a restore still in flight on the same actuator (no outcome for it) and goes right after', async () => {
    const clock = new FakeClock(0);
    const calls: Call[] = [];
    const m = fake(clock, calls, { id: 'm', device: 'm', kind: 'miner', capabilities: { setPower: { minW: 100, maxW: 1000 }, pause: true }, settleMs: 5000 }, { latencyMs: 5000 });
    const { runner } = setup([m], [decl('m')], clock);
    runner.dispatch([act('m', 'set_power', 'restore', 800)], 0);
    await clock.advance(1000);
    runner.dispatch([act('m', 'pause')], 1000);
    await clock.advance(10);
    expect(calls.map((c) => `${c.at}:${c.cmd.type}`)).toEqual(['0:set_power', '1000:pause']);
    await clock.advance(6000);
    expect(runner.takeOutcomes()).toEqual([{ load: 'm', type: 'pause', ok: true, detail: 'done' }]);
  });

  it('a failing or hanging actuator gives a failed outcome (after the command timeout plus its settle time), and nothing is left in flight', async () => {
    const clock = new FakeClock(0);
    const calls: Call[] = [];
    const acts = [
      fake(clock, calls, { id: 'bad', device: 'bad', kind: 'miner', capabilities: { pause: true } }, { fail: 'HTTP 500' }),
      fake(clock, calls, { id: 'dead', device: 'dead', kind: 'miner', capabilities: { pause: true } }, { hang: true }),
    ];
    const { runner } = setup(acts, [decl('bad'), decl('dead'), decl('none')], clock);
    runner.dispatch([act('bad', 'pause'), act('dead', 'pause'), act('none', 'pause')], 0);
    await clock.advance(3500);
    expect(runner.takeOutcomes()).toEqual([
      { load: 'none', type: 'pause', ok: false, detail: 'no actuator can pause it' },
      { load: 'bad', type: 'pause', ok: false, detail: 'bad: HTTP 500' },
      { load: 'dead', type: 'pause', ok: false, detail: 'dead: no answer within 3000 ms' },
    ]);
    expect(runner.inFlight).toBe(0);
    expect(runner.latencyMs()).toEqual([0]);
  });
});

describe('hub limits', () => {
  it('accepts a lease under the local cap, refuses one above it or too long, and expires it by the agent clock', () => {
    const h = new HubLimits({ rackKw: 12, maxLeaseTtlMs: 3_600_000 }, 1000);
    expect(h.setLease({ id: 'x', kw: 20, ttlMs: 60_000 }, 1000)).toMatchObject({ status: 'rejected', message: expect.stringMatching(/above the local cap 12 kW/) });
    expect(h.setLease({ id: 'x', kw: 8, ttlMs: 7_200_000 }, 1000).status).toBe('rejected');
    expect(h.setLease({ id: 'x', kw: Number.NaN, ttlMs: 1000 }, 1000).status).toBe('invalid');
    expect(h.setLease({ id: 'L1', kw: 8, ttlMs: 60_000 }, 1000)).toMatchObject({ status: 'ok', values: { kw: 8, expires_at_ms: 61_000 } });
    expect(h.limits([], 2000)).toMatchObject({ rackKw: 12, lease: { id: 'L1', kw: 8, expiresAtMs: 61_000 } });
    expect(h.clearLease('other').status).toBe('rejected');
    expect(h.clearLease('L1').status).toBe('ok');
    expect(h.limits([], 2000).lease).toBeNull();
  });

  it('keeps grid events by id, cancels them, and refreshes the grid signal on every one', () => {
    const h = new HubLimits({ rackKw: null, maxLeaseTtlMs: 1000 }, 0);
    expect(h.limits([], 0).gridSignalAtMs).toBe(0);
    expect(h.gridEvent({ id: 'E1', targetKw: 5, startInMs: 60_000, durationMs: 600_000, cancel: false }, 10_000)).toMatchObject({ status: 'ok', values: { deadline_ms: 70_000, end_ms: 670_000 } });
    expect(h.gridEvent({ id: 'E1', targetKw: 4, startInMs: 0, durationMs: 1000, cancel: false }, 20_000).status).toBe('ok');
    expect(h.gridEvents).toEqual([{ id: 'E1', targetKw: 4, deadlineMs: 20_000, endMs: 21_000 }]);
    expect(h.limits([], 30_000).gridEvents).toEqual([]); // ended
    expect(h.gridEvent({ id: '', targetKw: 0, startInMs: 0, durationMs: 0, cancel: true }, 40_000)).toMatchObject({ status: 'ok', message: 'grid signal: normal operation' });
    expect(h.limits([], 40_000).gridSignalAtMs).toBe(40_000);
    expect(h.gridEvent({ id: '', targetKw: 1, startInMs: 0, durationMs: 10, cancel: false }, 0).status).toBe('invalid');
  });
});

describe('hub command API bodies', () => {
  it('parses the control actions and refuses malformed ones', () => {
    expect(parseCommandBody({ action: 'set_cap_lease', kw: 8, ttlMs: 300_000 })).toEqual({ action: { setCapLease: { kw: 8, ttlMs: 300_000, leaseId: '' } }, ttlMs: 30_000 });
    expect(parseCommandBody({ action: 'set_cap_lease', kw: 8, ttlMs: 5000, leaseId: 'L9' })).toEqual({ action: { setCapLease: { kw: 8, ttlMs: 5000, leaseId: 'L9' } }, ttlMs: 5000 });
    expect(parseCommandBody({ action: 'set_cap_lease', kw: '8', ttlMs: 1 })).toEqual({ error: 'kw must be a number' });
    expect(parseCommandBody({ action: 'grid_event', eventId: 'E1', targetKw: 4, durationMs: 60_000 })).toMatchObject({ action: { gridEvent: { eventId: 'E1', targetKw: 4, startInMs: 0, durationMs: 60_000 } } });
    expect(parseCommandBody({ action: 'grid_event', targetKw: 4, durationMs: 60_000 })).toEqual({ error: 'eventId is required (a string)' });
    expect(parseCommandBody({ action: 'grid_event', cancel: true })).toMatchObject({ action: { gridEvent: { eventId: '', cancel: true } } });
    expect(parseCommandBody({ action: 'clear_cap_lease' })).toMatchObject({ action: { clearCapLease: { leaseId: '' } } });
    expect(parseCommandBody({ action: 'reboot' })).toEqual({ error: 'action must be one of: ping, rebirth, set_cap_lease, clear_cap_lease, grid_event' });
    expect(parseCommandBody([1])).toEqual({ error: 'body must be a JSON object' });
  });
});

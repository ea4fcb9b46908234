// The gpu-host driver against hw-sim's simulated GPU server, through the fake nvidia-smi (a real
// executable on PATH, spawned with the real child_process): reading off the poll cycle, every
// documented failure, and power limits with read-back, raise-back detection and restore.
// The driver runs on a FakeClock (its interval), the child processes on real time (timeouts).
import { spawn } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PollResult } from '../../agent/drivers/types.js';
import { GpuHostDriver } from '../../agent/drivers/gpu/driver.js';
import { NvidiaSmiRunner, type NvidiaSmiAccess } from '../../agent/drivers/gpu/runner.js';
import { FakeClock, systemClock } from '../../agent/runtime/clock.js';
import { createExec } from '../../agent/runtime/exec.js';
import { nullLogger } from '../../agent/runtime/log.js';
import type { SimGpuHost } from '../../hw-sim/devices/sim-gpu-host.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { FAKE_ROOT_UID, fakeNvidiaSmiOnPath, fakeSudo, gpuScenario } from '../support/gpu.js';
import { until } from '../support/wait.js';

const exec = createExec(spawn, systemClock);
const signal = new AbortController().signal;
let running: RunningSim | undefined;
const drivers: GpuHostDriver[] = [];

beforeAll(() => fakeNvidiaSmiOnPath());
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
  await running?.stop();
  running = undefined;
});

async function setup(o: { driver?: string; access?: Partial<NvidiaSmiAccess>; restoreTo?: 'startup' | 'default'; reapply?: boolean } = {}): Promise<{ d: GpuHostDriver; host: SimGpuHost; clock: FakeClock }> {
  running = await startSimulator(gpuScenario(o.driver ? { driver: o.driver } : {}), { basePort: 0, manual: true });
  const ep = running.endpoints.find((e) => e.kind === 'gpu-host')!;
  const host = running.controls.get(ep.device) as SimGpuHost;
  host.setFaults({ privilegedUids: [process.geteuid?.() ?? 0] });
  const access: NvidiaSmiAccess = { prefix: ['env', `RACKPILOT_SIM_NVSMI=${ep.host}:${ep.port}`], setPrefix: [], nvidiaSmi: 'nvidia-smi', timeoutMs: 5000, ...o.access };
  const clock = new FakeClock();
  const d = new GpuHostDriver({ id: 'gpu-01', gpus: 8, intervalMs: 2000, restoreTo: o.restoreTo ?? 'startup', reapply: o.reapply ?? true }, new NvidiaSmiRunner(access, exec), clock, nullLogger);
  drivers.push(d);
  return { d, host, clock };
}

/** Makes a read due, lets it finish, and returns what the next poll hands over. */
async function read(d: GpuHostDriver, clock: FakeClock): Promise<PollResult> {
  await clock.advance(2000);
  expect((await d.poll(signal)).requests).toBe(0); // starts the read; nothing new yet
  await d.settle();
  return d.poll(signal);
}

function value(r: PollResult, quantity: string, slot: number): { value: number | null; quality: string; detail?: string } {
  const s = r.samples.find((x) => x.key === `gpu-01/${quantity}/${slot}`);
  if (!s) throw new Error(`no sample gpu-01/${quantity}/${slot}`);
  return s.reading;
}

describe('reading GPUs', () => {
  it('reads every configured GPU in one call, off the poll cycle; [N/A] stays unknown', async () => {
    const { d, host, clock } = await setup();
    const r = await read(d, clock);
    expect(r).toMatchObject({ requests: 1, failed: 0 });
    expect(r.samples).toHaveLength(d.series.length);
    expect(host.stats.calls).toBe(1);
    for (let slot = 0; slot < 8; slot++) {
      expect(value(r, 'gpu.power', slot).value).toBeCloseTo(host.gpu(slot)!.board.avgW, 1);
      expect(value(r, 'gpu.power.limit', slot)).toMatchObject({ value: 700, quality: 'ok' });
      expect(value(r, 'gpu.power.min_limit', slot).value).toBe(200);
      expect(value(r, 'gpu.cap', slot).value).toBe(0);
      expect(value(r, 'gpu.fan', slot)).toMatchObject({ value: null, quality: 'unsupported', detail: '[N/A]' });
    }
    expect(d.series.every((s) => s.maxAgeMs === 2 * 2000 + 5000)).toBe(true);
  });

  it('a hung nvidia-smi never holds up a poll; after its timeout every series reads "timeout"', async () => {
    const { d, host, clock } = await setup({ access: { timeoutMs: 500 } });
    host.setFaults({ mode: 'hang' });
    await clock.advance(2000);
    expect(await d.poll(signal)).toMatchObject({ requests: 0, samples: [] });
    let settled = false;
    void d.settle().then(() => (settled = true));
    await until(() => host.stats.calls === 1, { what: 'the fake to reach the simulator' });
    expect(settled).toBe(false);
    expect(await d.poll(signal)).toMatchObject({ requests: 0 }); // polls keep returning while it hangs
    await d.settle();
    const r = await d.poll(signal);
    expect(r).toMatchObject({ requests: 1, failed: 1 });
    expect(r.samples.every((s) => s.reading.quality === 'timeout' && s.reading.value === null)).toBe(true);
    expect(value(r, 'gpu.power', 0).detail).toContain('no answer within 500 ms');
  });

  it('injected [N/A] fields become null with the reason, never 0', async () => {
    const { d, host, clock } = await setup();
    host.setFaults({ na: ['power.draw', 'temperature.gpu'] });
    const r = await read(d, clock);
    expect(value(r, 'gpu.power', 2)).toMatchObject({ value: null, quality: 'unsupported', detail: '[N/A]' });
    expect(value(r, 'gpu.temperature', 2).value).toBeNull();
    expect(value(r, 'gpu.power.limit', 2).value).toBe(700);
  });

  it('a GPU that falls off the bus is reported missing; the others stay on their own series by UUID', async () => {
    const { d, host, clock } = await setup();
    await read(d, clock); // binds slots to UUIDs
    expect((await d.actuators()[5]!.apply({ type: 'set_power', watts: 450 }, signal)).verified).toBe(true);
    host.setFaults({ lost: [3] });
    const r = await read(d, clock);
    expect(r.failed).toBe(1);
    expect(r.error).toMatch(/1 of 8 GPUs missing.*GPU is lost/);
    expect(value(r, 'gpu.power', 3)).toMatchObject({ value: null, quality: 'device_error' });
    expect(value(r, 'gpu.power', 3).detail).toContain(host.gpu(3)!.uuid);
    expect(value(r, 'gpu.power.limit', 5).value).toBe(450); // now nvidia-smi's index 4
    expect(value(r, 'gpu.power.limit', 4).value).toBe(700);
    expect(d.counters()['missingGpus']).toBe(1);
  });

  it('an old driver: fields it lacks are left out of the query (unsupported), the old throttle spelling is used', async () => {
    const { d, clock } = await setup({ driver: '470.82.01' });
    const r = await read(d, clock);
    expect(r.failed).toBe(0);
    expect(value(r, 'gpu.power.instant', 0)).toMatchObject({ value: null, quality: 'unsupported' });
    expect(value(r, 'gpu.power.instant', 0).detail).toContain('has no field power.draw.instant');
    expect(value(r, 'gpu.throttle_reasons', 0).quality).toBe('ok');
    expect(value(r, 'gpu.power', 0).quality).toBe('ok');
    expect(d.counters()['fieldsDropped']).toBe(2);
  });

  it('no driver loaded, and no nvidia-smi at all, are typed failures with the tool’s own words', async () => {
    const { d, host, clock } = await setup();
    host.setFaults({ mode: 'fail' });
    const r = await read(d, clock);
    expect(value(r, 'gpu.power', 0)).toMatchObject({ value: null, quality: 'device_error' });
    expect(r.error).toMatch(/couldn't communicate with the NVIDIA driver.*exit 9.*NVIDIA driver not loaded/);
    const missing = new GpuHostDriver({ id: 'gpu-01', gpus: 1, intervalMs: 2000, restoreTo: 'startup', reapply: true },
      new NvidiaSmiRunner({ prefix: [], setPrefix: [], nvidiaSmi: '/nonexistent/nvidia-smi', timeoutMs: 5000 }, exec), clock, nullLogger);
    drivers.push(missing);
    const m = await read(missing, clock);
    expect(m.error).toContain('command not found');
    expect(m.samples.every((s) => s.reading.quality === 'comm_error')).toBe(true);
  });
});

describe('GPU power limits', () => {
  it('sets a limit, clamps to the GPU’s range, reads it back; the server’s draw follows; restore puts it back', async () => {
    const { d, host, clock } = await setup();
    await read(d, clock);
    const act = d.actuators()[0]!;
    expect(act).toMatchObject({ id: 'gpu-01/0', device: 'gpu-01', kind: 'gpu', capabilities: { setPower: { minW: 200, maxW: 700 } } });
    const r = await act.apply({ type: 'set_power', watts: 300 }, signal);
    expect(r).toMatchObject({ ok: true, verified: true, observedW: 300 });
    expect(host.gpu(0)!.board.limitW).toBe(300);
    expect(running!.sim.load('gpu-01')!.limitW).toBeCloseTo(1200 + 7 * (70 + 0.8 * 630) + 300, 6);
    expect(value(await read(d, clock), 'gpu.cap', 0).value).toBe(1);
    const low = await act.apply({ type: 'set_power', watts: 50 }, signal);
    expect(low).toMatchObject({ ok: true, verified: true, observedW: 200 });
    expect(low.detail).toContain('clamped to 200–700 W');
    const back = await act.apply({ type: 'restore' }, signal);
    expect(back).toMatchObject({ ok: true, verified: true, observedW: 700 });
    expect(host.gpu(0)!.board.limitW).toBe(700);
    expect(value(await read(d, clock), 'gpu.cap', 0).value).toBe(0);
    expect((await act.apply({ type: 'pause' }, signal)).ok).toBe(false);
  });

  it('without root -pl fails with the tool’s message and a hint; through the set prefix it works', async () => {
    const { d, host, clock } = await setup();
    host.setFaults({ privilegedUids: [FAKE_ROOT_UID] });
    await read(d, clock);
    const r = await d.actuators()[1]!.apply({ type: 'set_power', watts: 400 }, signal);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/Failed to set power management limit for GPU 00000000:\w\w:00.0: Insufficient Permissions \(exit 4\).*setPrefix/);
    expect(host.gpu(1)!.board.limitW).toBe(700);
    const sudo = await fakeSudo();
    const withSudo = await setup({ access: { setPrefix: [sudo, '-n'] } });
    withSudo.host.setFaults({ privilegedUids: [FAKE_ROOT_UID] });
    await read(withSudo.d, withSudo.clock);
    expect(await withSudo.d.actuators()[1]!.apply({ type: 'set_power', watts: 400 }, signal)).toMatchObject({ ok: true, verified: true, observedW: 400 });
  });

  it('a limit the driver raises back at once is detected on read-back', async () => {
    const { d, host, clock } = await setup();
    host.setFaults({ revertLimitAfterS: 0 });
    await read(d, clock);
    const r = await d.actuators()[2]!.apply({ type: 'set_power', watts: 350 }, signal);
    expect(r).toMatchObject({ ok: false, verified: false, observedW: 700 });
    expect(r.detail).toContain('driver raised the limit back: set 350 W');
    expect(value(await read(d, clock), 'gpu.cap', 2).value).toBe(2);
    expect(d.counters()['limitRaisedBack']).toBe(1);
  });

  it('a held cap raised back later is noticed on the next read and re-applied', async () => {
    const { d, host, clock } = await setup();
    host.setFaults({ revertLimitAfterS: 5 });
    await read(d, clock);
    expect((await d.actuators()[3]!.apply({ type: 'set_power', watts: 320 }, signal)).verified).toBe(true);
    running!.sim.advance(6); // the driver puts the default back
    expect(host.gpu(3)!.board.limitW).toBe(700);
    host.setFaults({ revertLimitAfterS: null });
    const r = await read(d, clock);
    expect(value(r, 'gpu.power.limit', 3).value).toBe(700);
    expect(value(r, 'gpu.cap', 3).value).toBe(2);
    await d.limits.idle();
    expect(host.gpu(3)!.board.limitW).toBe(320);
    expect(d.counters()).toMatchObject({ limitRaisedBack: 1, limitReapplied: 1 });
    expect(value(await read(d, clock), 'gpu.cap', 3).value).toBe(1);
  });

  it('reports a lower out-of-band limit in effect', async () => {
    const { d, host, clock } = await setup();
    host.setFaults({ oobLimitW: 250 });
    await read(d, clock);
    const r = await d.actuators()[4]!.apply({ type: 'set_power', watts: 300 }, signal);
    expect(r).toMatchObject({ ok: true, verified: true, observedW: 300 });
    expect(r.detail).toContain('enforced 250 W');
  });

  it('close() puts back every limit it changed: the startup value, or the card default', async () => {
    const startup = await setup();
    expect((await startup.host.run(['-i', '6', '-pl', '600'], process.geteuid?.() ?? 0))?.code).toBe(0); // set by someone else before
    await read(startup.d, startup.clock);
    await startup.d.actuators()[6]!.apply({ type: 'set_power', watts: 300 }, signal);
    await startup.d.actuators()[7]!.apply({ type: 'set_power', watts: 300 }, signal);
    await drivers.pop()!.close();
    expect(startup.host.gpu(6)!.board.limitW).toBe(600);
    expect(startup.host.gpu(7)!.board.limitW).toBe(700);
    await running!.stop();
    const def = await setup({ restoreTo: 'default' });
    await def.host.run(['-i', '6', '-pl', '600'], process.geteuid?.() ?? 0);
    await read(def.d, def.clock);
    await def.d.actuators()[6]!.apply({ type: 'set_power', watts: 300 }, signal);
    await drivers.pop()!.close();
    expect(def.host.gpu(6)!.board.limitW).toBe(700);
  });
});

// The gpu-host driver against hw-sim's simulated GPU server, through the fake nvidia-smi (a real
// executable on PATH, spawned with the real child_process): one long-lived nvidia-smi per server
// (the default) with its supervision (hang, exit, garbage → kill and restart with backoff), the
// one-shot mode (`stream: false`), every documented failure, and power limits with read-back,
// raise-back detection and restore. The driver runs on a FakeClock (stream supervision, backoff,
// one-shot poll intervals); the child processes and the simulator's loop run on real time.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PollResult } from '../../agent/drivers/types.js';
import { GpuHostDriver } from '../../agent/drivers/gpu/driver.js';
import { NvidiaSmiRunner, sshPrefix, type NvidiaSmiAccess } from '../../agent/drivers/gpu/runner.js';
import { FakeClock, systemClock } from '../../agent/runtime/clock.js';
import { createExec, createExecStream } from '../../agent/runtime/exec.js';
import { nullLogger } from '../../agent/runtime/log.js';
import type { SimGpuHost } from '../../hw-sim/devices/sim-gpu-host.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { FAKE_ROOT_UID, fakeNvidiaSmiOnPath, fakeSsh, fakeSudo, gpuScenario } from '../support/gpu.js';
import { until } from '../support/wait.js';

const exec = createExec(spawn, systemClock);
const execStream = createExecStream(spawn, systemClock);
const signal = new AbortController().signal;
let running: RunningSim | undefined;
const drivers: GpuHostDriver[] = [];

beforeAll(() => fakeNvidiaSmiOnPath());
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
  await running?.stop();
  running = undefined;
});

interface Setup {
  stream?: boolean;
  intervalMs?: number;
  driver?: string;
  access?: Partial<NvidiaSmiAccess>;
  restoreTo?: 'startup' | 'default';
  reapply?: boolean;
}

async function setup(o: Setup = {}): Promise<{ d: GpuHostDriver; host: SimGpuHost; clock: FakeClock; access: NvidiaSmiAccess }> {
  running = await startSimulator(gpuScenario(o.driver ? { driver: o.driver } : {}), { basePort: 0, manual: true });
  const ep = running.endpoints.find((e) => e.kind === 'gpu-host')!;
  const host = running.controls.get(ep.device) as SimGpuHost;
  host.setFaults({ privilegedUids: [process.geteuid?.() ?? 0] });
  const access: NvidiaSmiAccess = { prefix: ['env', `RACKPILOT_SIM_NVSMI=${ep.host}:${ep.port}`], setPrefix: [], nvidiaSmi: 'nvidia-smi', timeoutMs: 5000, ...o.access };
  const clock = new FakeClock();
  const d = new GpuHostDriver({
    id: 'gpu-01', gpus: 8, intervalMs: o.intervalMs ?? (o.stream === false ? 2000 : 500), restoreTo: o.restoreTo ?? 'startup', reapply: o.reapply ?? true,
    stream: o.stream ?? true, random: () => 1, // backoff delays at their ceilings
  }, new NvidiaSmiRunner(access, exec, execStream), clock, nullLogger);
  drivers.push(d);
  return { d, host, clock, access };
}

/**
 * A fresh reading. One-shot mode: the next poll of its group. Stream mode: drops what is pending
 * and polls (as the main cycle would) until the stream hands over the next reading.
 */
async function read(d: GpuHostDriver, clock: FakeClock, what = 'a reading from the stream'): Promise<PollResult> {
  if (d.schedule) {
    await clock.advance(d.schedule.intervalMs);
    return d.poll(signal);
  }
  await d.poll(signal);
  return until(async () => {
    const r = await d.poll(signal);
    return r.requests ? r : undefined;
  }, { what });
}

/** Polls until a reading satisfies `ok` (stream mode: samples keep coming on real time). */
function readUntil(d: GpuHostDriver, ok: (r: PollResult) => boolean, what: string): Promise<PollResult> {
  return until(async () => {
    const r = await d.poll(signal);
    return r.requests && ok(r) ? r : undefined;
  }, { what });
}

function value(r: PollResult, quantity: string, slot: number): { value: number | null; quality: string; detail?: string } {
  const s = r.samples.find((x) => x.key === `gpu-01/${quantity}/${slot}`);
  if (!s) throw new Error(`no sample gpu-01/${quantity}/${slot}`);
  return s.reading;
}

const counter = (d: GpuHostDriver, name: string): number => d.counters()[name] ?? NaN;

describe('streaming (the default): one long-lived nvidia-smi per server', () => {
  it('runs the one-shot check, then one -lms child whose samples it hands over; no fork per sample', async () => {
    const { d, host, clock } = await setup();
    expect(d.schedule).toBeUndefined(); // poll() never waits: it rides the main cycle
    expect(await d.poll(signal)).toMatchObject({ requests: 0, samples: [] }); // starts the check
    const check = await readUntil(d, () => true, 'the check');
    expect(check).toMatchObject({ requests: 1, failed: 0 });
    for (let i = 0; i < 3; i++) {
      const r = await read(d, clock);
      expect(r).toMatchObject({ requests: 1, failed: 0 });
      expect(r.samples).toHaveLength(d.series.length);
      for (let slot = 0; slot < 8; slot++) {
        expect(value(r, 'gpu.power', slot).value).toBeCloseTo(host.gpu(slot)!.board.avgW, 1);
        expect(value(r, 'gpu.power.limit', slot)).toMatchObject({ value: 700, quality: 'ok' });
        expect(value(r, 'gpu.fan', slot)).toMatchObject({ value: null, quality: 'unsupported', detail: '[N/A]' });
      }
    }
    expect(host.stats.calls).toBe(2); // the check and the stream
    expect(host.stats.loopIterations).toBeGreaterThanOrEqual(3);
    expect(host.activeLoops).toBe(1);
    expect(d.counters()).toMatchObject({ streamStarts: 1, streamRestarts: 0, reads: 1 });
    expect(counter(d, 'streamBlocks')).toBeGreaterThanOrEqual(3);
    expect(d.series.every((s) => s.maxAgeMs === 2 * 500 + 5000)).toBe(true);
    await d.close();
    await until(() => host.activeLoops === 0, { what: 'the stream killed on close' });
  });

  it('asks the stream for the columns the check learned (an old driver: older spelling, fields left out)', async () => {
    const { d, host, clock } = await setup({ driver: '470.82.01' });
    await d.poll(signal);
    await readUntil(d, () => true, 'the check');
    const r = await read(d, clock);
    expect(r.failed).toBe(0);
    expect(value(r, 'gpu.power.instant', 0)).toMatchObject({ value: null, quality: 'unsupported' });
    expect(value(r, 'gpu.power.instant', 0).detail).toContain('has no field power.draw.instant');
    expect(value(r, 'gpu.throttle_reasons', 0).quality).toBe('ok');
    expect(counter(d, 'streamStarts')).toBe(1);
    expect(host.stats.calls).toBe(5); // four tries of the check (two fields dropped, one respelled), one stream
  });

  it('faults that appear mid-stream: [N/A] fields, then a GPU off the bus (the others stay on their series by UUID)', async () => {
    const { d, host, clock } = await setup();
    await read(d, clock); // binds slots to UUIDs
    expect((await d.actuators()[5]!.apply({ type: 'set_power', watts: 450 }, signal)).verified).toBe(true);
    host.setFaults({ na: ['power.draw', 'temperature.gpu'] });
    const na = await readUntil(d, (r) => value(r, 'gpu.power', 2).quality === 'unsupported', '[N/A] power');
    expect(value(na, 'gpu.power', 2)).toMatchObject({ value: null, quality: 'unsupported', detail: '[N/A]' });
    expect(value(na, 'gpu.temperature', 2).value).toBeNull();
    host.setFaults({ na: [], lost: [3] });
    const r = await readUntil(d, (x) => x.failed === 1, 'a sample without GPU 3');
    expect(r.error).toMatch(/1 of 8 GPUs missing.*GPU is lost/);
    expect(value(r, 'gpu.power', 3)).toMatchObject({ value: null, quality: 'device_error' });
    expect(value(r, 'gpu.power', 3).detail).toContain(host.gpu(3)!.uuid);
    expect(value(r, 'gpu.power.limit', 5).value).toBe(450); // now nvidia-smi's index 4
    expect(value(r, 'gpu.power.limit', 4).value).toBe(700);
    expect(d.counters()).toMatchObject({ missingGpus: 1, streamStarts: 1, streamGarbage: 0 });
  });

  it('hang: a stream silent for 2 intervals + timeout is killed, every series reads timeout, and it restarts after a check', async () => {
    const { d, host, clock } = await setup();
    await read(d, clock);
    host.setFaults({ mode: 'hang' });
    await until(() => host.stats.loopsHung === 1, { what: 'the loop to stop printing' });
    await d.poll(signal); // drop a sample printed before the hang
    await clock.advance(5999);
    expect(await d.poll(signal)).toMatchObject({ requests: 0 }); // nothing new; the series go stale on their own
    await clock.advance(1);
    const r = await d.poll(signal);
    expect(r).toMatchObject({ requests: 1, failed: 1 });
    expect(r.samples.every((s) => s.reading.quality === 'timeout' && s.reading.value === null)).toBe(true);
    expect(value(r, 'gpu.power', 0).detail).toBe('nvidia-smi stream printed no sample for 6000 ms (killed)');
    await until(() => host.activeLoops === 0, { what: 'the hung nvidia-smi killed' });
    host.setFaults({ mode: 'ok' });
    await clock.advance(500); // the first restart comes after one interval
    const back = await readUntil(d, (x) => x.failed === 0, 'readings after the restart');
    expect(value(back, 'gpu.power.limit', 7).value).toBe(700);
    await until(() => host.activeLoops === 1, { what: 'the new stream' });
    expect(d.counters()).toMatchObject({ streamSilences: 1, streamRestarts: 1, streamStarts: 2 });
  });

  it('exit: the tool’s words become the reason; restarts back off exponentially, each after a check', async () => {
    const { d, host, clock } = await setup();
    await read(d, clock);
    host.setFaults({ mode: 'fail' });
    const ended = await readUntil(d, (r) => r.failed === 1, 'the stream’s end');
    expect(value(ended, 'gpu.power', 0)).toMatchObject({ value: null, quality: 'device_error' });
    expect(ended.error).toMatch(/^nvidia-smi stream ended: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.* \(exit 9\): NVIDIA driver not loaded$/);
    // Delays of 500, 1000, 2000 ms (capped at 30 s), each ending in a failed check while the driver is out.
    for (const delay of [500, 1000, 2000]) {
      const before = counter(d, 'streamRestarts');
      await clock.advance(delay - 1);
      expect(counter(d, 'streamRestarts')).toBe(before);
      await clock.advance(1);
      expect(counter(d, 'streamRestarts')).toBe(before + 1);
      const failed = await readUntil(d, (r) => r.failed === 1, 'the failed check');
      expect(failed.error).toMatch(/NVIDIA-SMI has failed.*\(exit 9\): NVIDIA driver not loaded/);
    }
    host.setFaults({ mode: 'ok' });
    await clock.advance(4000);
    await readUntil(d, (r) => r.failed === 0, 'readings once the driver is back');
    await read(d, clock); // and a streamed sample after the check
    expect(d.counters()).toMatchObject({ streamExits: 1, streamRestarts: 4, streamStarts: 2, readFailures: 3 });
  });

  it('garbage: a corrupted line kills the stream; it is restarted after a check; the failure is handed over even if samples follow', async () => {
    const { d, host, clock } = await setup();
    await read(d, clock);
    host.setFaults({ loopJunk: '0, GPU-0000 ###### garbled' });
    await until(() => counter(d, 'streamGarbage') === 1, { what: 'the garbage noticed' });
    await until(() => host.activeLoops === 0, { what: 'the stream killed' });
    const blocks = counter(d, 'streamBlocks');
    await clock.advance(500); // restarts before anyone polled
    await until(() => counter(d, 'streamStarts') === 2 && counter(d, 'streamBlocks') > blocks, { what: 'samples of the new stream' });
    const r = await d.poll(signal);
    expect(r).toMatchObject({ requests: 1, failed: 1 });
    expect(value(r, 'gpu.power', 1)).toMatchObject({ value: null, quality: 'invalid' });
    expect(r.error).toContain('not a row of the 25 queried columns: "0, GPU-0000 ###### garbled"');
    expect(await d.poll(signal)).toMatchObject({ requests: 1, failed: 0 }); // then the newest sample
    expect(d.counters()).toMatchObject({ streamGarbage: 1, streamRestarts: 1 });
  });

  it('over ssh the stream keeps one session open (check and stream, then only -pl calls); close() ends it', async () => {
    const log = join(await mkdtemp(join(tmpdir(), 'rp-ssh-log-')), 'ssh.log');
    const sshDir = await fakeSsh(log);
    const { host } = await setup();
    const target = `${running!.endpoints.find((e) => e.kind === 'gpu-host')!.host}:${running!.endpoints.find((e) => e.kind === 'gpu-host')!.port}`;
    const saved = { PATH: process.env['PATH'], SIM: process.env['RACKPILOT_SIM_NVSMI'] };
    process.env['PATH'] = `${sshDir}${delimiter}${saved.PATH ?? ''}`;
    process.env['RACKPILOT_SIM_NVSMI'] = target; // the "remote" side's environment
    try {
      const clock = new FakeClock();
      const access: NvidiaSmiAccess = { prefix: sshPrefix({ host: 'gpu01', user: 'admin' }, 5000), setPrefix: [], nvidiaSmi: 'nvidia-smi', timeoutMs: 5000 };
      const d = new GpuHostDriver({ id: 'gpu-01', gpus: 8, intervalMs: 500, restoreTo: 'startup', reapply: true, stream: true }, new NvidiaSmiRunner(access, exec, execStream), clock, nullLogger);
      drivers.push(d);
      expect(d.info.address).toBe('ssh://admin@gpu01');
      for (let i = 0; i < 3; i++) expect((await read(d, clock)).failed).toBe(0);
      expect((await d.actuators()[0]!.apply({ type: 'set_power', watts: 400 }, signal)).verified).toBe(true);
      const calls = (await readFile(log, 'utf8')).trim().split('\n');
      expect(calls[0]).toMatch(/^-o BatchMode=yes -o ConnectTimeout=2 admin@gpu01 nvidia-smi --query-gpu=index,uuid,.*,name --format=csv,nounits$/);
      expect(calls[1]).toMatch(/^-o BatchMode=yes -o ConnectTimeout=2 admin@gpu01 nvidia-smi --query-gpu=index,uuid,.*,name --format=csv,noheader,nounits -lms 500$/);
      expect(calls.slice(2).map((c) => c.replace(/^.* admin@gpu01 nvidia-smi /, '').replace(/--query-gpu=\S+/, '--query-gpu=…').replace(/GPU-[0-9a-f-]+/, 'GPU-…'))).toEqual([
        '--query-gpu=… --format=csv,nounits -i GPU-…', '-i GPU-… -pl 400.00', '--query-gpu=… --format=csv,nounits -i GPU-…',
      ]); // -pl with its reads before and after: one-shot calls, the stream untouched
      expect(host.activeLoops).toBe(1);
      await d.close();
      await until(() => host.activeLoops === 0, { what: 'the ssh session and its nvidia-smi killed' });
    } finally {
      process.env['PATH'] = saved.PATH;
      if (saved.SIM === undefined) delete process.env['RACKPILOT_SIM_NVSMI'];
      else process.env['RACKPILOT_SIM_NVSMI'] = saved.SIM;
    }
  });
});

describe('one call per interval (stream: false)', () => {
  it('is polled in a poll group of its interval; each poll is one nvidia-smi call', async () => {
    const { d, host, clock } = await setup({ stream: false });
    expect(d.schedule).toEqual({ intervalMs: 2000, concurrency: Infinity });
    const r = await read(d, clock);
    expect(r).toMatchObject({ requests: 1, failed: 0 });
    expect(value(r, 'gpu.power', 6).value).toBeCloseTo(host.gpu(6)!.board.avgW, 1);
    expect(value(r, 'gpu.fan', 6)).toMatchObject({ value: null, quality: 'unsupported', detail: '[N/A]' });
    await read(d, clock);
    expect(host.stats.calls).toBe(2);
    expect(host.activeLoops).toBe(0);
    expect(counter(d, 'streamStarts')).toBeNaN(); // no stream counters in this mode
  });

  it('a hung call is cut at the group’s deadline, or at its own timeout; every series reads timeout', async () => {
    const { d, host, clock, access } = await setup({ stream: false, access: { timeoutMs: 500 } });
    host.setFaults({ mode: 'hang' });
    const timedOut = await d.poll(signal);
    expect(timedOut).toMatchObject({ requests: 1, failed: 1 });
    expect(timedOut.samples.every((s) => s.reading.quality === 'timeout' && s.reading.value === null)).toBe(true);
    expect(value(timedOut, 'gpu.power', 0).detail).toContain('no answer within 500 ms');
    const slow = new GpuHostDriver({ id: 'gpu-01', gpus: 8, intervalMs: 2000, restoreTo: 'startup', reapply: true, stream: false },
      new NvidiaSmiRunner({ ...access, timeoutMs: 60_000 }, exec), clock, nullLogger);
    drivers.push(slow);
    const deadline = new AbortController();
    const polling = slow.poll(deadline.signal);
    await until(() => host.stats.calls === 2, { what: 'the call to reach the simulator' });
    deadline.abort(new Error('tick deadline'));
    const cut = await polling;
    expect(cut.failed).toBe(1);
    expect(value(cut, 'gpu.power', 0)).toMatchObject({ value: null, quality: 'timeout', detail: 'nvidia-smi did not answer before the next poll (2000 ms; killed)' });
  });

  it('a GPU off the bus, no driver, and no nvidia-smi at all are typed failures with the tool’s own words', async () => {
    const { d, host, clock } = await setup({ stream: false });
    await read(d, clock);
    host.setFaults({ lost: [3] });
    const lost = await read(d, clock);
    expect(lost.error).toMatch(/1 of 8 GPUs missing.*GPU is lost/);
    expect(value(lost, 'gpu.power', 3).detail).toContain(host.gpu(3)!.uuid);
    host.setFaults({ lost: [], mode: 'fail' });
    const r = await read(d, clock);
    expect(value(r, 'gpu.power', 0)).toMatchObject({ value: null, quality: 'device_error' });
    expect(r.error).toMatch(/couldn't communicate with the NVIDIA driver.*exit 9.*NVIDIA driver not loaded/);
    const missing = new GpuHostDriver({ id: 'gpu-01', gpus: 1, intervalMs: 2000, restoreTo: 'startup', reapply: true, stream: false },
      new NvidiaSmiRunner({ prefix: [], setPrefix: [], nvidiaSmi: '/nonexistent/nvidia-smi', timeoutMs: 5000 }, exec), clock, nullLogger);
    drivers.push(missing);
    const m = await read(missing, clock);
    expect(m.error).toContain('command not found');
    expect(m.samples.every((s) => s.reading.quality === 'comm_error')).toBe(true);
  });
});

describe('GPU power limits (one-shot calls while the stream runs)', () => {
  it('sets a limit, clamps to the GPU’s range, reads it back; the server’s draw follows; restore puts it back', async () => {
    const { d, host, clock } = await setup();
    await read(d, clock);
    const act = d.actuators()[0]!;
    expect(act).toMatchObject({ id: 'gpu-01/0', device: 'gpu-01', kind: 'gpu', capabilities: { setPower: { minW: 200, maxW: 700 } } });
    const r = await act.apply({ type: 'set_power', watts: 300 }, signal);
    expect(r).toMatchObject({ ok: true, verified: true, observedW: 300 });
    expect(host.gpu(0)!.board.limitW).toBe(300);
    expect(running!.sim.load('gpu-01')!.limitW).toBeCloseTo(1200 + 7 * (70 + 0.8 * 630) + 300, 6);
    const capped = await readUntil(d, (x) => value(x, 'gpu.power.limit', 0).value === 300, 'the cap in the stream');
    expect(value(capped, 'gpu.cap', 0).value).toBe(1);
    const low = await act.apply({ type: 'set_power', watts: 50 }, signal);
    expect(low).toMatchObject({ ok: true, verified: true, observedW: 200 });
    expect(low.detail).toContain('clamped to 200–700 W');
    const back = await act.apply({ type: 'restore' }, signal);
    expect(back).toMatchObject({ ok: true, verified: true, observedW: 700 });
    expect(host.gpu(0)!.board.limitW).toBe(700);
    expect(value(await read(d, clock), 'gpu.cap', 0).value).toBe(0);
    expect((await act.apply({ type: 'pause' }, signal)).ok).toBe(false);
    expect(counter(d, 'streamStarts')).toBe(1);
  });

  it('without root -pl fails with the tool’s message and a hint; through the set prefix it works', async () => {
    const { d, host, clock } = await setup();
    host.setFaults({ privilegedUids: [FAKE_ROOT_UID] });
    await read(d, clock);
    const r = await d.actuators()[1]!.apply({ type: 'set_power', watts: 400 }, signal);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/Failed to set power management limit for GPU 00000000:\w\w:00.0: Insufficient Permissions \(exit 4\).*setPrefix/);
    expect(host.gpu(1)!.board.limitW).toBe(700);
    await d.close();
    await running!.stop();
    const sudo = await fakeSudo();
    const withSudo = await setup({ stream: false, access: { setPrefix: [sudo, '-n'] } });
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

  it('a held cap raised back later is noticed in the stream and re-applied', async () => {
    const { d, host, clock } = await setup();
    host.setFaults({ revertLimitAfterS: 5 });
    await read(d, clock);
    expect((await d.actuators()[3]!.apply({ type: 'set_power', watts: 320 }, signal)).verified).toBe(true);
    // Samples measured within an interval of the write may predate it: the watch starts after.
    await clock.advance(500);
    running!.sim.advance(6); // the driver puts the default back
    expect(host.gpu(3)!.board.limitW).toBe(700);
    host.setFaults({ revertLimitAfterS: null });
    const r = await readUntil(d, (x) => value(x, 'gpu.cap', 3).value === 2, 'the raise noticed');
    expect(value(r, 'gpu.power.limit', 3).value).toBe(700);
    await d.limits.idle();
    expect(host.gpu(3)!.board.limitW).toBe(320);
    expect(d.counters()).toMatchObject({ limitRaisedBack: 1, limitReapplied: 1 });
    await readUntil(d, (x) => value(x, 'gpu.cap', 3).value === 1, 'the cap held again');
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

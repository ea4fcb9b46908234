// hw-sim's simulated GPU server without the agent: per-GPU physics (workload and limit with a
// lag), what the PDU outlet sees, and the nvidia-smi command line (messages, exit codes, faults);
// and the fake nvidia-smi looping (-l / -lms) as a real process served by the device.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loopInterval } from '../../hw-sim/devices/nvidia-smi-cli.js';
import { SimGpuHost } from '../../hw-sim/devices/sim-gpu-host.js';
import { GPU_AMBIENT_C, gpuModel, gpuServerSpec, gpuTargetW } from '../../hw-sim/physics/loads/gpu-server.js';
import { Simulation } from '../../hw-sim/simulation.js';
import { gpuScenario, SIM_BIN } from '../support/gpu.js';
import { until } from '../support/wait.js';

const ROOT = 0;
const USER = 1000;

function make(o: { driver?: string; demand?: number; gpus?: number } = {}): { sim: Simulation; host: SimGpuHost } {
  const sim = new Simulation(gpuScenario(o), { seed: 7 });
  const host = new SimGpuHost(sim, 'gpu-01', { gpus: o.gpus ?? 8, model: 'h100-sxm5', driver: o.driver ?? '550.54.15', baseW: 1200 });
  return { sim, host };
}

async function smi(host: SimGpuHost, args: string, euid = ROOT): Promise<{ stdout: string; code: number }> {
  const r = await host.run(args.split(' '), euid);
  if (!r) throw new Error('the call hung');
  return r;
}

function column(stdout: string, i: number): string[] {
  return stdout.trim().split('\n').slice(1).map((l) => l.split(', ')[i] ?? '');
}

describe('GPU physics', () => {
  it('power follows the workload with a lag, the 1 s average behind the instant value; temperature follows slowly', () => {
    const { sim, host } = make({ demand: 0.1 });
    const h100 = gpuModel('h100-sxm5');
    const idle = gpuTargetW(h100, 700, 0.1);
    expect(host.gpu(0)!.board.powerW).toBeCloseTo(idle, 6);
    sim.setLoad('gpu-01', { demand: 0.9 });
    sim.advance(0.2);
    const b = host.gpu(0)!.board;
    const full = gpuTargetW(h100, 700, 0.9);
    expect(b.powerW).toBeGreaterThan(idle + 50);
    expect(b.powerW).toBeLessThan(full - 50);
    expect(b.avgW).toBeLessThan(b.powerW);
    sim.advance(5);
    expect(host.gpu(0)!.board.powerW).toBeCloseTo(full, -1);
    expect(host.gpu(0)!.board.tempC).toBeLessThan(GPU_AMBIENT_C + full * h100.thermalCPerW - 1); // 20 s thermal lag
  });

  it('a lower limit caps the GPU, and the PDU outlet sees the server drop by the same amount', async () => {
    const { sim, host } = make({ demand: 0.9 });
    sim.advance(3);
    const outletBefore = sim.readings('pdu-a').outlets[0]!.powerW;
    expect((await smi(host, '-i 0 -pl 300')).code).toBe(0);
    sim.advance(5);
    expect(host.gpu(0)!.board.powerW).toBeCloseTo(300, -1);
    const drop = outletBefore - sim.readings('pdu-a').outlets[0]!.powerW;
    expect(drop).toBeGreaterThan(0.9 * (gpuTargetW(gpuModel('h100-sxm5'), 700, 0.9) - 300));
    expect(drop).toBeLessThan(1.1 * (gpuTargetW(gpuModel('h100-sxm5'), 700, 0.9) - 300));
    const q = await smi(host, '--query-gpu=index,clocks_event_reasons.active,clocks.sm --format=csv,noheader');
    const [gpu0, gpu1] = q.stdout.trim().split('\n');
    expect(gpu0).toMatch(/^0, 0x0000000000000004, \d+ MHz$/); // SW power cap
    expect(gpu1).toBe('1, 0x0000000000000000, 1980 MHz');
  });

  it('gpuServerSpec makes the server’s nominal draw the base plus its GPUs', () => {
    expect(gpuServerSpec('h100-sxm5', 8, 1200)).toEqual({ nominalW: 1200 + 8 * 700, idleW: 1200 + 8 * 70 });
    const sim = new Simulation({ ...gpuScenario(), loads: gpuScenario().loads.map((l) => ({ ...l, nominalW: 9999 })) });
    expect(() => new SimGpuHost(sim, 'gpu-01', { gpus: 8, model: 'h100-sxm5', driver: '550.54.15', baseW: 1200 })).toThrow(/does not match 8 × h100-sxm5/);
  });
});

describe('nvidia-smi command line', () => {
  it('header with canonical names and units, values without units under nounits, aliases under their canonical name', async () => {
    const { host } = make();
    const r = await smi(host, '--query-gpu=index,power.draw,clocks.sm,clocks.mem,fan.speed,name --format=csv,nounits');
    const [header, row] = r.stdout.split('\n');
    expect(header).toBe('index, power.draw [W], clocks.current.sm [MHz], clocks.current.memory [MHz], fan.speed [%], name');
    expect(row).toMatch(/^0, \d+\.\d\d, 1980, 2619, \[N\/A\], NVIDIA H100 80GB HBM3$/);
    const units = await smi(host, '--query-gpu=power.limit,utilization.gpu --format=csv,noheader');
    expect(units.stdout.split('\n')[0]).toBe('700.00 W, 80 %');
  });

  it('-pl: range and permission failures with the real messages and exit codes; success prints the change', async () => {
    const { host } = make();
    const bus = host.gpu(2)!.busId;
    expect(await smi(host, '-i 2 -pl 50')).toEqual({ stdout: `Provided power limit 50.00 W is not a valid power limit which should be between 200.00 W and 700.00 W for GPU ${bus}\nTerminating early due to previous errors.\n`, stderr: '', code: 2 });
    expect(await smi(host, '-i 2 -pl 300', USER)).toEqual({ stdout: `Failed to set power management limit for GPU ${bus}: Insufficient Permissions\nTerminating early due to previous errors.\n`, stderr: '', code: 4 });
    expect(host.gpu(2)!.board.limitW).toBe(700);
    expect(await smi(host, `-i ${host.gpu(2)!.uuid} -pl 300`)).toEqual({ stdout: `Power limit for GPU ${bus} was set to 300.00 W from 700.00 W.\nAll done.\n`, stderr: '', code: 0 });
    expect(host.gpu(2)!.board.limitW).toBe(300);
    expect((await smi(host, '-i GPU-nope -pl 300')).code).toBe(6);
    expect((await smi(host, '--bogus')).code).toBe(2);
  });

  it('an older driver rejects fields it does not know, as the real tool does', async () => {
    const { host } = make({ driver: '470.82.01' });
    expect(await smi(host, '--query-gpu=index,power.draw.instant --format=csv')).toMatchObject({ stdout: 'Field "power.draw.instant" is not a valid field to query.\n\n', code: 2 });
    expect((await smi(host, '--query-gpu=clocks_throttle_reasons.active --format=csv')).code).toBe(0);
  });

  it('faults: [N/A] fields, a GPU off the bus (others renumbered, exit 15), a GPU needing a reset, hang, failure', async () => {
    const { host } = make();
    host.setFaults({ na: ['power.draw'], lost: [1], requiresReset: [4] });
    const r = await smi(host, '--query-gpu=index,pci.bus_id,power.draw,temperature.gpu --format=csv,nounits');
    expect(r.code).toBe(15);
    expect(r.stdout.split('\n')[0]).toBe(`Unable to determine the device handle for GPU ${host.gpu(1)!.busId}: GPU is lost.  Reboot the system to recover this GPU`);
    const rows = r.stdout.trim().split('\n').slice(2);
    expect(rows).toHaveLength(7);
    expect(rows[1]).toBe(`1, ${host.gpu(2)!.busId}, [N/A], ${Math.round(host.gpu(2)!.board.tempC)}`);
    expect(rows[3]).toBe(`3, ${host.gpu(4)!.busId}, [GPU requires reset], [GPU requires reset]`);
    host.setFaults({ mode: 'hang' });
    expect(await host.run(['-L'], ROOT)).toBeUndefined();
    host.setFaults({ mode: 'fail' });
    expect((await smi(host, '-L')).code).toBe(9);
  });

  it('the driver can put a limit back, and an out-of-band limiter lowers the enforced one', async () => {
    const { sim, host } = make();
    host.setFaults({ revertLimitAfterS: 2, oobLimitW: 500 });
    await smi(host, '-i 0 -pl 600');
    expect(column((await smi(host, '--query-gpu=power.limit,enforced.power.limit --format=csv,nounits')).stdout, 1)[0]).toBe('500.00');
    sim.advance(2.5);
    expect(host.gpu(0)!.board.limitW).toBe(700);
  });
});

/** The fake nvidia-smi as a real process against `host` (served on a loopback port), its output as it comes. */
async function fake(host: SimGpuHost, args: string[]): Promise<{ out: () => string; err: () => string; exit: Promise<number | null>; kill: () => void }> {
  const { port } = await host.listen('127.0.0.1', 0);
  const child = spawn(`${SIM_BIN}/nvidia-smi`, args, { env: { ...process.env, RACKPILOT_SIM_NVSMI: `127.0.0.1:${port}` } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { out: () => out, err: () => err, exit, kill: () => child.kill('SIGKILL') };
}

const rowsOf = (text: string): string[] => text.split('\n').filter((l) => /^\d+, /.test(l));

describe('nvidia-smi loop (-l, -lms)', () => {
  it('-lms N / -l [N] (5 s when no number follows) on queries only; a bad interval is invalid input', async () => {
    expect(loopInterval(['--query-gpu=index', '--format=csv', '-lms', '250'])).toBe(250);
    expect(loopInterval(['--query-gpu=index', '--format=csv', '-l', '2'])).toBe(2000);
    expect(loopInterval(['--query-gpu=index', '-l', '--format=csv'])).toBe(5000);
    expect(loopInterval(['--query-gpu=index', '--format=csv'])).toBeUndefined();
    expect(loopInterval(['-i', '0', '-pl', '300', '-l', '1'])).toBeUndefined();
    const { host } = make();
    expect((await smi(host, '--query-gpu=index --format=csv -lms 0')).code).toBe(2);
  });

  it('repeats the query with the host’s state of the moment, the header once; faults apply mid-loop; a kill ends it', async () => {
    const { host } = make({ gpus: 2 });
    try {
      const p = await fake(host, ['--query-gpu=index,uuid,power.draw,temperature.gpu', '--format=csv,nounits', '-lms', '100']);
      await until(() => rowsOf(p.out()).length >= 4 || undefined, { what: 'two samples' });
      expect(p.out().split('\n')[0]).toBe('index, uuid, power.draw [W], temperature.gpu');
      host.setFaults({ na: ['power.draw'] });
      await until(() => /\[N\/A\]/.test(p.out()) || undefined, { what: '[N/A] mid-loop' });
      host.setFaults({ lost: [0] });
      await until(() => p.out().includes('GPU is lost') || undefined, { what: 'a GPU lost mid-loop' });
      const after = p.out().slice(p.out().indexOf('Unable to determine'));
      const sample = rowsOf(after.split('\n').slice(1).join('\n'));
      expect(sample[0]).toBe(`0, ${host.gpu(1)!.uuid}, [N/A], ${Math.round(host.gpu(1)!.board.tempC)}`); // renumbered, GPU 0 gone
      expect(p.out().match(/^index, /gm)).toHaveLength(1);
      expect(host.activeLoops).toBe(1);
      p.kill();
      expect(await p.exit).toBeNull();
      await until(() => host.activeLoops === 0, { what: 'the loop to end with its process' });
    } finally {
      await host.close();
    }
  });

  it('hang: the loop stops printing and the process lives on; fail: it prints the failure and exits with its code', async () => {
    const { host } = make({ gpus: 1 });
    try {
      const hung = await fake(host, ['--query-gpu=index,uuid', '--format=csv,noheader', '-lms', '100']);
      await until(() => rowsOf(hung.out()).length >= 1 || undefined, { what: 'a first sample' });
      host.setFaults({ mode: 'hang' });
      await until(() => host.stats.loopsHung === 1, { what: 'the loop to notice the hang' });
      const iterations = host.stats.loopIterations;
      await until(() => rowsOf(hung.out()).length === iterations || undefined, { what: 'what was printed before the hang' });
      await new Promise((r) => setTimeout(r, 300));
      expect(rowsOf(hung.out())).toHaveLength(iterations); // nothing more, and the process is still there
      expect(host.activeLoops).toBe(1);
      hung.kill();
      await hung.exit;
      host.setFaults({ mode: 'ok' });
      const failing = await fake(host, ['--query-gpu=index,uuid', '--format=csv,noheader', '-l', '1']);
      await until(() => rowsOf(failing.out()).length >= 1 || undefined, { what: 'a first sample' });
      host.setFaults({ mode: 'fail' });
      expect(await failing.exit).toBe(9);
      expect(failing.out()).toContain("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver");
      host.setFaults({ mode: 'ok', loopJunk: 'garbled' });
      const junk = await fake(host, ['--query-gpu=index,uuid', '--format=csv,noheader', '-lms', '100']);
      await until(() => rowsOf(junk.out()).length >= 1 || undefined, { what: 'a sample after the junk' });
      expect(junk.out().split('\n')[0]).toBe('garbled');
      junk.kill();
    } finally {
      await host.close();
    }
  });
});

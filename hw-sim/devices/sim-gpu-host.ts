// A simulated GPU server ("rackpilot-sim-gpu-host"): N GPUs of one model inside a gpu-server load
// of the physics, reached through the fake nvidia-smi (hw-sim/bin/nvidia-smi). The fake is a
// real executable; it forwards its argv and effective uid over a loopback TCP connection to this
// device (one JSON line; docs/hw-sim.md) and prints what comes back as it comes, so the agent
// spawns, times out and kills a real process. A looping query (-l / -lms) is repeated here, on
// real time, with the host's state and faults of the moment, until the fake is killed.
//
// The GPUs follow the load's workload and their enforced limits with a lag (physics/loads/
// gpu-server.ts); their limits cap the server's draw, so the PDU outlet sees a cap take effect.
// Faults: print [N/A] for fields, hang, fail with any exit code, answer slowly, a GPU that falls
// off the bus or needs a reset, a driver that raises limits back, an out-of-band lower limit,
// and which uids count as root for -pl.

import { createServer, type Server, type Socket } from 'node:net';
import { nextRandom } from '../physics/step.js';
import { gpuModel, gpuServerLimitW, newGpuBoard, stepGpuBoard, type GpuBoard, type GpuModel } from '../physics/loads/gpu-server.js';
import type { Simulation } from '../simulation.js';
import { loopInterval, nvidiaSmi, type CliGpu, type CliHost, type CliResult } from './nvidia-smi-cli.js';

export interface GpuHostFaults {
  /**
   * ok; hang (never answer; a loop stops printing and never exits); fail (answer `fail`; a loop
   * prints it and exits); slow (answer, or each iteration, after delayMs).
   */
  readonly mode: 'ok' | 'hang' | 'fail' | 'slow';
  readonly delayMs: number;
  readonly fail: CliResult;
  /** Fields printed as [N/A]. */
  readonly na: readonly string[];
  /** GPUs (by slot) that fell off the bus: gone from the output, the rest renumbered. */
  readonly lost: readonly number[];
  /** GPUs (by slot) whose values all read [GPU requires reset]. */
  readonly requiresReset: readonly number[];
  /** The driver puts a changed limit back to the default this many simulated s later (0 = at once). */
  readonly revertLimitAfterS: number | null;
  /** A lower limit from outside (BMC/SMBPBI): enforced = min(limit, this). */
  readonly oobLimitW: number | null;
  /** uids nvidia-smi treats as root for -pl ('any' = everyone). */
  readonly privilegedUids: readonly number[] | 'any';
  /** Printed once, by the next iteration of a looping nvidia-smi, in place of its sample (a corrupted stream). */
  readonly loopJunk: string | null;
}

/** The real tool's answer when the driver is not loaded (exit 9). */
export const DRIVER_NOT_LOADED: CliResult = {
  stdout: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n",
  stderr: '',
  code: 9,
};

export const NO_FAULTS: GpuHostFaults = {
  mode: 'ok', delayMs: 0, fail: DRIVER_NOT_LOADED, na: [], lost: [], requiresReset: [], revertLimitAfterS: null, oobLimitW: null, privilegedUids: [0], loopJunk: null,
};

export interface SimGpuHostOptions {
  readonly gpus: number;
  /** Key in GPU_MODELS, e.g. "h100-sxm5". */
  readonly model: string;
  readonly driver: string;
  /** The server's draw besides its GPUs (CPUs, fans, NICs), W. */
  readonly baseW: number;
}

interface Gpu {
  readonly slot: number;
  readonly busId: string;
  readonly uuid: string;
  board: GpuBoard;
  /** Simulated time of the last -pl, for revertLimitAfterS. */
  setAtS: number | null;
}

export class SimGpuHost {
  readonly model: GpuModel;
  private readonly gpus: Gpu[];
  private faults: GpuHostFaults = NO_FAULTS;
  private lastT: number;
  private rng: number;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Loops running (their fake nvidia-smi still connected), by the socket they print to. */
  private readonly loops = new Set<Socket>();
  readonly stats = { calls: 0, limitSets: 0, loopIterations: 0, loopsHung: 0 };

  constructor(private readonly sim: Simulation, readonly loadId: string, private readonly o: SimGpuHostOptions) {
    const load = sim.load(loadId);
    if (!load || load.spec.family !== 'gpu-server') throw new Error(`sim-gpu-host ${loadId}: needs a gpu-server load of that id`);
    this.model = gpuModel(o.model);
    const want = o.baseW + o.gpus * this.model.defaultLimitW;
    if (Math.abs(load.spec.nominalW - want) > 1) {
      throw new Error(`sim-gpu-host ${loadId}: nominalW ${load.spec.nominalW} W does not match ${o.gpus} × ${o.model} on a ${o.baseW} W base (${want} W); use gpuServerSpec()`);
    }
    this.rng = [...loadId].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);
    this.gpus = Array.from({ length: o.gpus }, (_, slot) => ({
      slot,
      busId: `00000000:${(0x18 + slot * 0x11).toString(16).toUpperCase().padStart(2, '0')}:00.0`,
      uuid: `GPU-${this.hex(8)}-${this.hex(4)}-${this.hex(4)}-${this.hex(4)}-${this.hex(12)}`,
      board: newGpuBoard(this.model, load.demand),
      setAtS: null,
    }));
    this.lastT = sim.physics.t;
    sim.onStep(() => this.step());
    this.syncServerLimit();
  }

  setFaults(f: Partial<GpuHostFaults>): void {
    this.faults = { ...this.faults, ...f };
    this.syncServerLimit();
  }

  /** One GPU's state, by slot (tests). */
  gpu(slot: number): { uuid: string; busId: string; board: GpuBoard } | undefined {
    const g = this.gpus[slot];
    return g && { uuid: g.uuid, busId: g.busId, board: g.board };
  }

  /** Looping nvidia-smi processes connected right now (tests: a killed stream's loop ends). */
  get activeLoops(): number {
    return this.loops.size;
  }

  /** Runs one nvidia-smi call; undefined = the call hangs. */
  async run(argv: readonly string[], euid: number): Promise<CliResult | undefined> {
    this.stats.calls++;
    const f = this.faults;
    if (f.mode === 'hang') return undefined;
    if (f.mode === 'slow') await new Promise((r) => setTimeout(r, f.delayMs));
    if (f.mode === 'fail') return f.fail;
    return nvidiaSmi(this.cliHost(), argv, euid);
  }

  /** Serves the fake nvidia-smi on host:port (0 = any free port). */
  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    const server = createServer((sock) => this.serve(sock));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const addr = server.address();
    return { host, port: typeof addr === 'object' && addr ? addr.port : port };
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private serve(sock: Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      if (buf.length > 65536) return void sock.destroy();
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      let req: { argv?: unknown; euid?: unknown };
      try {
        req = JSON.parse(buf.slice(0, nl)) as typeof req;
      } catch {
        return void sock.destroy();
      }
      const argv = Array.isArray(req.argv) ? req.argv.map(String) : [];
      const euid = typeof req.euid === 'number' ? req.euid : -1;
      sock.removeAllListeners('data');
      const everyMs = loopInterval(argv);
      if (everyMs !== undefined) return this.loop(sock, argv, euid, everyMs);
      void this.run(argv, euid).then((res) => {
        if (res && !sock.destroyed) sock.end(JSON.stringify(res) + '\n');
      });
    });
  }

  /**
   * A looping query: one iteration now and one every `everyMs` after the previous one printed,
   * each with the host's state and faults of that moment, sent as {stdout, stderr} lines; an
   * error ends it with a final line that has the exit code. Ends when the fake disconnects.
   */
  private loop(sock: Socket, argv: readonly string[], euid: number, everyMs: number): void {
    this.stats.calls++;
    this.loops.add(sock);
    let timer: NodeJS.Timeout | undefined;
    sock.once('close', () => {
      clearTimeout(timer);
      this.loops.delete(sock);
    });
    let iteration = 0;
    const tick = async (): Promise<void> => {
      const f = this.faults;
      if (f.mode === 'hang') return void this.stats.loopsHung++; // stuck: prints nothing more, never exits
      if (f.mode === 'slow') await new Promise((r) => setTimeout(r, f.delayMs));
      if (sock.destroyed) return;
      const junk = this.faults.loopJunk;
      const res = f.mode === 'fail' ? f.fail : junk !== null ? { stdout: `${junk}\n`, stderr: '', code: 0 } : nvidiaSmi(this.cliHost(), argv, euid, iteration++);
      if (junk !== null) this.faults = { ...this.faults, loopJunk: null };
      this.stats.loopIterations++;
      if (res.code !== 0 && res.code !== 15) return void sock.end(JSON.stringify(res) + '\n');
      sock.write(JSON.stringify({ stdout: res.stdout, stderr: res.stderr }) + '\n');
      timer = setTimeout(() => void tick(), everyMs);
    };
    void tick();
  }

  private cliHost(): CliHost {
    const f = this.faults;
    const visible = this.gpus.filter((g) => !f.lost.includes(g.slot)).map((g) => this.cliGpu(g));
    return {
      driver: this.o.driver,
      visible: () => visible,
      lost: () => this.gpus.filter((g) => f.lost.includes(g.slot)).map((g) => g.busId),
      naFields: new Set(f.na),
      privileged: (euid) => f.privilegedUids === 'any' || f.privilegedUids.includes(euid),
      setLimit: (cg, watts) => {
        const g = this.gpus.find((x) => x.uuid === cg.uuid);
        if (!g) return;
        this.stats.limitSets++;
        g.board = { ...g.board, limitW: watts };
        g.setAtS = this.sim.physics.t;
        if (f.revertLimitAfterS === 0) this.revert(g);
        this.syncServerLimit();
      },
    };
  }

  private cliGpu(g: Gpu): CliGpu {
    const load = this.sim.load(this.loadId);
    return {
      busId: g.busId, uuid: g.uuid, model: this.model, board: g.board, demand: load?.demand ?? 0, enforcedW: this.enforced(g),
      persistence: true, requiresReset: this.faults.requiresReset.includes(g.slot),
    };
  }

  private enforced(g: Gpu): number {
    return this.faults.oobLimitW === null ? g.board.limitW : Math.min(g.board.limitW, this.faults.oobLimitW);
  }

  private revert(g: Gpu): void {
    g.board = { ...g.board, limitW: this.model.defaultLimitW };
    g.setAtS = null;
  }

  private step(): void {
    const s = this.sim.physics;
    const dtS = s.t - this.lastT;
    this.lastT = s.t;
    if (!(dtS > 0)) return;
    const load = this.sim.load(this.loadId);
    const pdu = s.pdus.find((p) => p.spec.id === load?.spec.pdu);
    const powered = (load && pdu?.relays[load.spec.outlet - 1]) ?? false;
    const revertAfter = this.faults.revertLimitAfterS;
    for (const g of this.gpus) {
      if (revertAfter !== null && g.setAtS !== null && s.t - g.setAtS >= revertAfter) this.revert(g);
      const r = nextRandom(this.rng);
      this.rng = r.state;
      g.board = stepGpuBoard(this.model, g.board, { demand: load?.demand ?? 0, powered, enforcedW: this.enforced(g), dtS, noise: r.value * 2 - 1 });
    }
    this.syncServerLimit();
  }

  /** The server's draw (what its PDU outlet sees) follows its GPUs under their enforced limits. */
  private syncServerLimit(): void {
    const demand = this.sim.load(this.loadId)?.demand ?? 0;
    this.sim.setLoad(this.loadId, { limitW: gpuServerLimitW(this.o.baseW, this.model, this.gpus.map((g) => this.enforced(g)), demand) });
  }

  private hex(n: number): string {
    let out = '';
    while (out.length < n) {
      const r = nextRandom(this.rng);
      this.rng = r.state;
      out += Math.floor(r.value * 16).toString(16);
    }
    return out;
  }
}

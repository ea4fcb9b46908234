// The state every simulated miner shares, whatever its firmware: what it is (hardware), what it
// was told (mode, power target), whether its daemon is up, and what it measures now, derived
// from the physics load it is bound to (draw, hashrate ∝ draw above idle, lagging temperature).
// Firmware files turn this into their own replies; nothing here speaks a protocol.

import { minerHashrateTHs } from '../../physics/loads/miner.js';
import type { LoadState } from '../../physics/types.js';
import type { Simulation } from '../../simulation.js';
import type { Quirk } from './quirks.js';

export interface Hardware {
  readonly make: 'Bitmain' | 'MicroBT';
  /** As the firmware names it: "Antminer S19 Pro", "M50S_VH30". */
  readonly name: string;
  readonly nominalTHs: number;
  readonly boards: number;
  readonly chipsPerBoard: number;
  readonly fans: number;
  /**
   * Whatsminer "ordinary power", W: the highest power limit the firmware accepts (nameplate). A
   * scenario may give the load a lower draw; the limit range is the hardware's all the same.
   */
  readonly ordinaryW?: number;
}

/** hw-sim's own hardware table (vendor nameplates), written apart from the agent's model data. */
export const HARDWARE: Readonly<Record<string, Hardware>> = {
  'antminer-s9': { make: 'Bitmain', name: 'Antminer S9', nominalTHs: 13.5, boards: 3, chipsPerBoard: 63, fans: 2 },
  'antminer-s19pro': { make: 'Bitmain', name: 'Antminer S19 Pro', nominalTHs: 110, boards: 3, chipsPerBoard: 114, fans: 4 },
  'antminer-s19kpro': { make: 'Bitmain', name: 'Antminer S19k Pro', nominalTHs: 120, boards: 3, chipsPerBoard: 77, fans: 4 },
  'antminer-s21': { make: 'Bitmain', name: 'Antminer S21', nominalTHs: 200, boards: 3, chipsPerBoard: 108, fans: 4 },
  'whatsminer-m50s': { make: 'MicroBT', name: 'M50S_VH30', nominalTHs: 126, boards: 3, chipsPerBoard: 156, fans: 2, ordinaryW: 3276 },
  'whatsminer-m60s': { make: 'MicroBT', name: 'M60S_VK40', nominalTHs: 170, boards: 3, chipsPerBoard: 172, fans: 2, ordinaryW: 3422 },
};

export type MinerMode = 'mining' | 'paused' | 'sleeping';

export interface BoardNow {
  readonly hashrateTHs: number;
  readonly boardTempC: number;
  readonly chipTempC: number;
  readonly chips: number;
}

export interface MinerNow {
  readonly powerW: number;
  readonly hashrateTHs: number;
  readonly chipTempC: number;
  readonly boards: readonly BoardNow[];
  readonly fansRpm: readonly number[];
  readonly uptimeS: number;
}

export interface SimMinerOptions {
  readonly hardware: Hardware;
  readonly quirks: ReadonlySet<Quirk>;
  /** Seconds the daemon is gone when a command restarts it (firmware-specific default). */
  readonly restartS: number;
  readonly params: Readonly<Record<string, unknown>>;
}

export class SimMiner {
  mode: MinerMode = 'mining';
  /** The power target/limit the firmware holds, W (null: none). */
  targetW: number | null = null;
  private startedAtS: number;
  private restartUntilS = -1;
  private pending: { atS: number; fn: () => void }[] = [];
  private readonly availability: ((up: boolean) => void)[] = [];

  constructor(readonly sim: Simulation, readonly loadId: string, readonly opts: SimMinerOptions) {
    if (!sim.load(loadId)) throw new Error(`no load ${loadId} in scenario ${sim.scenario.name}`);
    this.startedAtS = sim.physics.t;
    this.targetW = sim.load(loadId)?.limitW ?? null;
    sim.onStep(() => this.tick());
  }

  get hw(): Hardware {
    return this.opts.hardware;
  }

  has(q: Quirk): boolean {
    return this.opts.quirks.has(q);
  }

  get nowS(): number {
    return this.sim.physics.t;
  }

  /** Is the mining daemon (and so its API) up? */
  get up(): boolean {
    return this.nowS >= this.restartUntilS;
  }

  /** Servers listen to this to stop and start accepting connections. */
  onAvailability(fn: (up: boolean) => void): void {
    this.availability.push(fn);
  }

  /**
   * The daemon restarts: its API is gone for `seconds`, then `then` applies the change. A restart
   * during a restart extends the outage; the API comes back when the last one is over.
   */
  restart(seconds = this.opts.restartS, then?: () => void): void {
    this.restartUntilS = Math.max(this.restartUntilS, this.nowS + seconds);
    for (const f of this.availability) f(false);
    this.after(seconds, () => {
      then?.();
      if (this.nowS < this.restartUntilS - 1e-9) return;
      this.startedAtS = this.nowS;
      for (const f of this.availability) f(true);
    });
  }

  /** Runs fn once simulated time has moved `seconds` on (checked on every physics step). */
  after(seconds: number, fn: () => void): void {
    this.pending.push({ atS: this.nowS + seconds, fn });
  }

  /**
   * Mode and target go through Simulation.command, so a scenario's ignore_commands fault makes the
   * firmware report the new setting while the hashboards carry on as before.
   */
  setMode(mode: MinerMode): void {
    this.mode = mode;
    this.sim.command(this.loadId, { paused: mode !== 'mining' });
  }

  setTarget(w: number | null): void {
    this.targetW = w;
    this.sim.command(this.loadId, { limitW: w });
  }

  get load(): LoadState {
    return this.sim.load(this.loadId) as LoadState;
  }

  /** What the miner measures now. Boards share the hashrate unevenly (fixed per board). */
  now(): MinerNow {
    const l = this.load;
    const hashrateTHs = minerHashrateTHs(l, this.hw.nominalTHs);
    const chipTempC = l.tempC ?? 25;
    const n = this.hw.boards;
    const boards = Array.from({ length: n }, (_, i): BoardNow => ({
      hashrateTHs: (hashrateTHs / n) * (1 + (i - (n - 1) / 2) * 0.02),
      chipTempC: chipTempC + i,
      boardTempC: chipTempC - 12 + i,
      chips: this.hw.chipsPerBoard,
    }));
    const heat = Math.min(1, Math.max(0, (chipTempC - 25) / 50));
    const fansRpm = Array.from({ length: this.hw.fans }, (_, i) => Math.round(1500 + 4500 * heat + i * 30));
    return { powerW: l.powerW, hashrateTHs, chipTempC, boards, fansRpm, uptimeS: Math.max(0, Math.floor(this.nowS - this.startedAtS)) };
  }

  private tick(): void {
    if (!this.pending.length) return;
    const due = this.pending.filter((p) => p.atS <= this.nowS);
    if (!due.length) return;
    this.pending = this.pending.filter((p) => p.atS > this.nowS);
    for (const p of due) p.fn();
  }
}

/** Unix seconds now (what firmware puts in "When"). */
export function unixS(): number {
  return Math.floor(Date.now() / 1000);
}

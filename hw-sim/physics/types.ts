// The physics model's data: loads plugged into PDU outlets, and the PDUs' electrical state.
// Plain data, no behaviour; see step.ts for how it evolves and readings.ts for what a meter sees.

export interface LoadSpec {
  readonly id: string;
  /** Load family, e.g. "miner", "gpu-server" (hw-sim/physics/loads/). */
  readonly family: string;
  readonly pdu: string;
  /** 1-based outlet number. */
  readonly outlet: number;
  /** Draw at full demand with no limit, W. */
  readonly nominalW: number;
  /** Draw when powered but idle (or paused), W. */
  readonly idleW: number;
  readonly pf: number;
  /** First-order lag time constants, s, for rising and falling power. */
  readonly tauUpS: number;
  readonly tauDownS: number;
  /** Peak inrush current when its outlet is switched on, A (default: 8 × its nominal current). */
  readonly inrushA?: number;
}

export interface LoadState {
  readonly spec: LoadSpec;
  /** Actual draw now, W. */
  readonly powerW: number;
  /** Workload 0..1 (GPU utilisation; 1 = a miner hashing). */
  readonly demand: number;
  /** Power limit or target set by control (GPU power limit, miner power target), W; null = none. */
  readonly limitW: number | null;
  readonly energyWh: number;
  /** Hot-spot temperature, °C, for families with a thermal model (miners' chips); lags the draw. */
  readonly tempC?: number;
}

/** Air temperature at the intake, °C: loads with a thermal model cool towards it. */
export const AMBIENT_C = 25;

export interface PduSpec {
  readonly id: string;
  readonly phases: 1 | 3;
  readonly outlets: number;
  /** Nominal line-to-neutral voltage, V. */
  readonly voltage: number;
  readonly frequencyHz: number;
  /** Source impedance per phase, Ω: voltage sags by this × phase current. */
  readonly sourceOhms: number;
  /** Breaker rating per phase, A. */
  readonly breakerA: number;
  /** Trip curve of the phase breakers (breaker.ts; defaults there). */
  readonly breaker?: Partial<BreakerCurve>;
}

/**
 * A thermal-magnetic breaker. Thermal: heat θ follows r² (r = I / rating) with time constant
 * tauS and the breaker trips when θ reaches tripRatio²; magnetic: it trips at once at
 * magneticRatio × rating, inrush included.
 */
export interface BreakerCurve {
  readonly tauS: number;
  readonly tripRatio: number;
  readonly magneticRatio: number;
  /** Inrush of outlets switched on within this window adds up, s. */
  readonly inrushWindowS: number;
}

export interface BreakerState {
  /** Thermal state in units of r² (1 = steady at the rating). */
  readonly heat: number;
  readonly tripped: boolean;
  readonly trippedAtS: number | null;
  readonly cause: 'thermal' | 'magnetic' | null;
}

export interface PduState {
  readonly spec: PduSpec;
  /** Relay of each outlet (index 0 = outlet 1); true = powered. */
  readonly relays: readonly boolean[];
  /** Simulated time each outlet was last switched on (inrush), s; -Infinity if never. */
  readonly switchedOnAtS: readonly number[];
  /** One breaker per phase (index 0 = L1). A tripped breaker cuts its phase's outlets. */
  readonly breakers: readonly BreakerState[];
  readonly outletEnergyWh: readonly number[];
  readonly phaseEnergyWh: readonly number[];
}

export interface RackPhysics {
  /** Simulated seconds since start. */
  readonly t: number;
  readonly pdus: readonly PduState[];
  readonly loads: readonly LoadState[];
  /** State of the seeded random source (mulberry32), so stepping stays a pure function. */
  readonly rng: number;
}

/** Phase (1-based) an outlet feeds from: outlets alternate L1, L2, L3 as on most 3-phase PDUs. */
export function outletPhase(pdu: PduSpec, outlet: number): number {
  return pdu.phases === 1 ? 1 : ((outlet - 1) % pdu.phases) + 1;
}

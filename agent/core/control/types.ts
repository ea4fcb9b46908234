// The power-cap controller's data: what it is told about loads and limits, what it observes each
// cycle, what it decides, and what it remembers. Plain data; step.ts is the behaviour.
// docs/control.md explains the model.

import type { CircuitSpec } from '../rack.js';
import type { Quality } from '../reading.js';

/**
 * Load classes, in the order they are shed last-to-first: infrastructure is never shed, then
 * AI critical, AI flexible, and miners first.
 */
export const LOAD_CLASSES = ['infrastructure', 'ai-critical', 'ai-flexible', 'miner'] as const;
export type LoadClass = (typeof LOAD_CLASSES)[number];

/** Shed order of a class: lower sheds first. Infrastructure is never shed. */
export const SHED_RANK: Readonly<Record<LoadClass, number>> = { miner: 0, 'ai-flexible': 1, 'ai-critical': 2, infrastructure: Infinity };

/** How the agent can change a load's power (from its actuators). Settle times are per mechanism. */
export interface LoadControls {
  /** Power target / power limit, W, with its range. */
  readonly setPower?: { readonly minW: number; readonly maxW: number; readonly settleMs: number };
  /** Sleep / pause: the load falls to its floor. */
  readonly pause?: { readonly settleMs: number };
  /** The PDU outlet relay: last resort for a miner that does not answer. */
  readonly outlet?: { readonly settleMs: number };
}

export interface LoadSpec {
  readonly id: string;
  readonly class: LoadClass;
  /** Within a class, higher sheds first. */
  readonly priority: number;
  /** The PDU feeding it (inrush guard: one outlet switched on per PDU per step); null unknown. */
  readonly pdu: string | null;
  /** Circuits the load certainly draws from (its outlet's phase). */
  readonly circuits: readonly string[];
  /** Circuits it may draw from when its phase is unknown (every phase of its PDU, or all). */
  readonly maybeCircuits: readonly string[];
  /** The draw the controller may push it down to (miner asleep, GPU minimum limit), W. */
  readonly floorW: number;
  /** Nameplate draw, W; null when unknown. Used when readings are unknown. */
  readonly nominalW: number | null;
  readonly controls: LoadControls;
}

export interface ControlParams {
  /** Fractions of each safe limit: shed above high, restore only below low, aim at target. */
  readonly thresholds: { readonly high: number; readonly low: number; readonly target: number };
  /**
   * Software trip curve on circuits (I²t): an excursion at `atRatio` × the continuous limit is
   * tolerated for `toleranceS`; at or above `instantRatio` the controller sheds at once. Heat
   * cools with time constant `coolS` below the high threshold.
   */
  readonly trip: { readonly toleranceS: number; readonly atRatio: number; readonly instantRatio: number; readonly coolS: number };
  /** Extra shed, × the excess, when a circuit is at or above instantRatio (relief before lag). */
  readonly urgentGain: number;
  /**
   * An urgent cut counts only on reductions that settle within this time. A slower one (a stock
   * Antminer restarts its daemon to sleep: about a minute) is still commanded, but faster loads
   * are cut alongside it instead of the overload waiting for it.
   */
  readonly urgentSettleMs: number;
  readonly restore: {
    /**
     * After an overload the value must stay below low for a random hold in [min, max] ms before
     * anything is restored, and each shed load waits its own random delay in the same range.
     */
    readonly minDelayMs: number;
    readonly maxDelayMs: number;
    /** A load's setpoint rises at most this fraction of its nominal draw per second. */
    readonly rampFracPerS: number;
    /** The whole rack's setpoints rise at most this many W per second. */
    readonly rackRampWPerS: number;
    /** At most `batch` loads resumed or switched on per `batchIntervalMs`. */
    readonly batch: number;
    readonly batchIntervalMs: number;
    /** A load switched off at its outlet stays off at least this long. */
    readonly outletCooldownMs: number;
  };
  readonly failsafe: {
    /** A constraint whose reading is unknown this long is estimated from history and nameplate. */
    readonly staleAfterMs: number;
    /** Half-life of each load's remembered peak draw. */
    readonly historyHalfLifeS: number;
  };
  readonly grid: {
    /** A grid signal older than this is stale; `onStale: curtail` then caps the rack at curtailKw. */
    readonly staleAfterMs: number;
    readonly onStale: 'ignore' | 'curtail';
    readonly curtailKw: number;
    /** Grid targets are approached linearly over this long before their deadline. */
    readonly rampMs: number;
  };
  readonly verify: {
    /** A command is checked against readings this long after its expected settle time. */
    readonly graceMs: number;
    /** Draw within setpoint + frac × (the draw before the command) + W has taken effect. */
    readonly toleranceFrac: number;
    readonly toleranceW: number;
  };
}

export interface Lease {
  readonly id: string;
  readonly kw: number;
  readonly expiresAtMs: number;
}

export interface GridEvent {
  readonly id: string;
  readonly targetKw: number;
  /** The rack must be at or below target from here… */
  readonly deadlineMs: number;
  /** …until here. */
  readonly endMs: number;
}

/** Limits as of this step: local config, the hub's lease and grid events. */
export interface Limits {
  readonly circuits: readonly CircuitSpec[];
  /** Local rack cap, kW; null = only circuits limit the rack. A lease can only lower it. */
  readonly rackKw: number | null;
  readonly lease: Lease | null;
  readonly gridEvents: readonly GridEvent[];
  /** Time of the last grid signal (or of agent start); drives the stale-signal policy. */
  readonly gridSignalAtMs: number;
}

export interface Measured {
  /** null when unknown (never 0 for unknown). */
  readonly value: number | null;
  readonly ageMs: number;
  readonly quality: Quality;
}

export interface CircuitObs {
  readonly current: Measured;
  /** Phase active power, W, when the meter reports it: gives amps per watt. */
  readonly powerW?: Measured;
  readonly voltageV?: Measured;
}

export interface LoadObs {
  /** The load's draw, W (its outlet's meter, or the device's own report). */
  readonly power: Measured;
  /** Miner efficiency, J/TH, when known: least efficient miners shed first. */
  readonly jPerTH?: number | null;
}

export type ActionType = 'set_power' | 'pause' | 'resume' | 'outlet_off' | 'outlet_on' | 'restore';

/** What became of an earlier action (reported by the agent-side runner). */
export interface ActionOutcome {
  readonly load: string;
  readonly type: ActionType;
  readonly ok: boolean;
  readonly detail: string;
}

export interface Observations {
  readonly circuits: ReadonlyMap<string, CircuitObs>;
  /** Sum of the rack's inlet meters, W; unknown when any of them is unknown. */
  readonly rackPowerW: Measured;
  readonly loads: ReadonlyMap<string, LoadObs>;
  readonly outcomes: readonly ActionOutcome[];
}

export interface ControlAction {
  readonly load: string;
  readonly type: ActionType;
  /** set_power: the target; resume: the target to set before resuming (when settable). */
  readonly watts?: number;
  /** Sheds go out before restores. */
  readonly urgency: 'shed' | 'restore';
  readonly reason: string;
}

/** Structurally an AgentEvent (agent/uplink/encoder.ts): core cannot import the uplink. */
export interface ControlEvent {
  readonly timeMs: number;
  readonly severity: 'info' | 'notice' | 'warning' | 'critical';
  readonly type: string;
  readonly device?: string;
  readonly message: string;
  readonly values?: Readonly<Record<string, number>>;
  readonly attrs?: Readonly<Record<string, string>>;
}

/** What the controller has done to a load. free = not under the agent's control. */
export type LoadMode = 'free' | 'limited' | 'paused' | 'off';

export interface LoadState {
  readonly mode: LoadMode;
  /** The draw the load was told to stay at or below, W (free: null). */
  readonly setpointW: number | null;
  /** A command awaiting verification against readings. */
  readonly pending: { readonly type: ActionType; readonly sentMs: number; readonly checkAtMs: number; readonly fromW: number | null } | null;
  /** It did not follow a command: no longer counted on to shed by its own controls. */
  readonly unresponsive: boolean;
  /** Switching its outlet off did not cut it either (a wrong feed in the config, a stuck relay). */
  readonly outletFailed: boolean;
  readonly drawW: number | null;
  readonly drawAtMs: number;
  /** Remembered peak draw, decaying with the history half-life. */
  readonly peakW: number;
  readonly jPerTH: number | null;
  readonly changedMs: number;
  /** Not resumed or switched on before this time (restore jitter, outlet cooldown). */
  readonly notBeforeMs: number;
}

export interface ConstraintState {
  /** Heat of the software trip curve, in units of s·ratio². */
  readonly heat: number;
  /** A high crossing happened; restore waits until the value stays below low for holdMs. */
  readonly armed: boolean;
  readonly belowLowSinceMs: number | null;
  readonly holdMs: number;
  readonly lastGood: { readonly value: number; readonly atMs: number } | null;
  /** Estimated from history and nameplate (its reading is stale). */
  readonly blind: boolean;
  /** Draw on the constraint that no described load accounts for, W (from the last good reading). */
  readonly baselineW: number;
  /** Over high but tolerated by the trip curve (for the one "tolerated" event per episode). */
  readonly tolerating: boolean;
  /** Still over with nothing left to shed (for the one "cannot shed" event per episode). */
  readonly exhausted: boolean;
}

export interface ControllerSpec {
  readonly loads: readonly LoadSpec[];
  readonly params: ControlParams;
}

export interface ControllerState {
  readonly spec: ControllerSpec;
  /** spec.loads by id (built once). */
  readonly specById: ReadonlyMap<string, LoadSpec>;
  readonly loads: ReadonlyMap<string, LoadState>;
  readonly constraints: ReadonlyMap<string, ConstraintState>;
  /** The rack budget in force after the last step, W, and why. */
  readonly budget: { readonly watts: number | null; readonly source: string };
  readonly gridRamps: ReadonlyMap<string, { readonly fromW: number; readonly startMs: number }>;
  readonly gridStale: boolean;
  readonly restoreBatch: { readonly startMs: number; readonly count: number };
  readonly rng: number;
  readonly lastStepMs: number | null;
}

export interface StepResult {
  readonly state: ControllerState;
  readonly actions: readonly ControlAction[];
  readonly events: readonly ControlEvent[];
}

/** The id of the rack-level constraint (rack kW cap, lease, grid). */
export const RACK = 'rack';

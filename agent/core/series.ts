// Series: what the agent measures, named the same way everywhere (rack model, uplink catalog,
// metrics, diag). A series is (device, quantity, channel), e.g. ("pdu-a", "phase.current", "L1").

export type SeriesKind = 'gauge' | 'counter' | 'state';

export interface SeriesSpec {
  readonly device: string;
  readonly quantity: string;
  /** "" when the quantity has a single channel on this device. */
  readonly channel: string;
  readonly unit: string;
  /** Precision on the wire: values travel as round(value / 10^scaleExp). */
  readonly scaleExp: number;
  readonly kind: SeriesKind;
  /**
   * How long a good value stays current, for series read less often than the poll cycle (GPUs,
   * host stats). Absent: the agent's poll.staleAfterMs.
   */
  readonly maxAgeMs?: number;
}

export type SeriesKey = string;

export function seriesKey(device: string, quantity: string, channel = ''): SeriesKey {
  return channel ? `${device}/${quantity}/${channel}` : `${device}/${quantity}`;
}

export function keyOf(s: Pick<SeriesSpec, 'device' | 'quantity' | 'channel'>): SeriesKey {
  return seriesKey(s.device, s.quantity, s.channel);
}

/** Well-known quantities the rack model understands. Drivers may add others. */
export const Q = {
  inletPower: 'inlet.power',
  inletApparentPower: 'inlet.apparent_power',
  inletEnergy: 'inlet.energy',
  frequency: 'inlet.frequency',
  phaseVoltage: 'phase.voltage',
  phaseCurrent: 'phase.current',
  phasePower: 'phase.power',
  phasePf: 'phase.pf',
  phaseEnergy: 'phase.energy',
  outletCurrent: 'outlet.current',
  outletPower: 'outlet.power',
  outletPf: 'outlet.pf',
  outletEnergy: 'outlet.energy',
  outletState: 'outlet.state',
} as const;

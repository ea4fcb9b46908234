// Load families. Adding a family means adding a file here and one entry in FAMILIES.
import { AMBIENT_C, type LoadSpec, type LoadState } from '../types.js';
import { gpuServer } from './gpu-server.js';
import { miner } from './miner.js';

export interface LoadFamily {
  readonly name: string;
  /** Spec fields a scenario may leave out. */
  readonly defaults: Omit<LoadSpec, 'id' | 'family' | 'pdu' | 'outlet'>;
  /** The draw the load settles to with its current demand and limit, while powered. */
  targetW(load: LoadState): number;
  /**
   * Thermal lag: the temperature settles at ambient + riseC × draw / nominal with time constant
   * tauS (heat sinks are slow: a paused miner's chips take minutes to cool).
   */
  readonly thermal?: { readonly riseC: number; readonly tauS: number };
}

/** The temperature a load settles to at a draw. */
export function steadyTempC(f: LoadFamily, spec: LoadSpec, powerW: number): number | undefined {
  return f.thermal ? AMBIENT_C + f.thermal.riseC * (powerW / Math.max(1, spec.nominalW)) : undefined;
}

export const FAMILIES: ReadonlyMap<string, LoadFamily> = new Map([miner, gpuServer].map((f) => [f.name, f]));

export function family(name: string): LoadFamily {
  const f = FAMILIES.get(name);
  if (!f) throw new Error(`unknown load family "${name}" (known: ${[...FAMILIES.keys()].join(', ')})`);
  return f;
}

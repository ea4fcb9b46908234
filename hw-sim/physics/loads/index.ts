// Load families. Adding a family means adding a file here and one entry in FAMILIES.
import type { LoadSpec, LoadState } from '../types.js';
import { gpuServer } from './gpu-server.js';
import { miner } from './miner.js';

export interface LoadFamily {
  readonly name: string;
  /** Spec fields a scenario may leave out. */
  readonly defaults: Omit<LoadSpec, 'id' | 'family' | 'pdu' | 'outlet'>;
  /** The draw the load settles to with its current demand and limit, while powered. */
  targetW(load: LoadState): number;
}

export const FAMILIES: ReadonlyMap<string, LoadFamily> = new Map([miner, gpuServer].map((f) => [f.name, f]));

export function family(name: string): LoadFamily {
  const f = FAMILIES.get(name);
  if (!f) throw new Error(`unknown load family "${name}" (known: ${[...FAMILIES.keys()].join(', ')})`);
  return f;
}

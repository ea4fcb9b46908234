// Miner models as data: nameplate figures used when a firmware does not report them (power for
// stock Antminer, expected chips per board, a watt-target range where the firmware has none to
// read). Nameplate values are the vendors' published specifications (secondary sources: check
// against the unit's label); a miner's own report always wins over this table.

export interface MinerModel {
  readonly make: 'Bitmain' | 'MicroBT';
  readonly name: string;
  readonly nominalTHs: number;
  readonly nominalW: number;
  readonly boards: number;
  readonly chipsPerBoard: number | null;
  readonly fans: number;
  /** Accepted watt targets where the firmware has no constraint to read (Whatsminer). */
  readonly powerTargetW?: { readonly minW: number; readonly maxW: number };
}

const MODELS: Readonly<Record<string, MinerModel>> = {
  S9: { make: 'Bitmain', name: 'Antminer S9', nominalTHs: 13.5, nominalW: 1323, boards: 3, chipsPerBoard: 63, fans: 2 },
  S19: { make: 'Bitmain', name: 'Antminer S19', nominalTHs: 95, nominalW: 3250, boards: 3, chipsPerBoard: 76, fans: 4 },
  S19PRO: { make: 'Bitmain', name: 'Antminer S19 Pro', nominalTHs: 110, nominalW: 3250, boards: 3, chipsPerBoard: 114, fans: 4 },
  S19JPRO: { make: 'Bitmain', name: 'Antminer S19j Pro', nominalTHs: 104, nominalW: 3068, boards: 3, chipsPerBoard: 126, fans: 4 },
  S19KPRO: { make: 'Bitmain', name: 'Antminer S19k Pro', nominalTHs: 120, nominalW: 2760, boards: 3, chipsPerBoard: 77, fans: 4 },
  S19XP: { make: 'Bitmain', name: 'Antminer S19 XP', nominalTHs: 140, nominalW: 3010, boards: 3, chipsPerBoard: 110, fans: 4 },
  S21: { make: 'Bitmain', name: 'Antminer S21', nominalTHs: 200, nominalW: 3500, boards: 3, chipsPerBoard: 108, fans: 4 },
  'M30S+': { make: 'MicroBT', name: 'Whatsminer M30S+', nominalTHs: 100, nominalW: 3400, boards: 3, chipsPerBoard: null, fans: 2, powerTargetW: { minW: 1700, maxW: 3400 } },
  M50S: { make: 'MicroBT', name: 'Whatsminer M50S', nominalTHs: 126, nominalW: 3276, boards: 3, chipsPerBoard: null, fans: 2, powerTargetW: { minW: 1640, maxW: 3276 } },
  M60S: { make: 'MicroBT', name: 'Whatsminer M60S', nominalTHs: 170, nominalW: 3422, boards: 3, chipsPerBoard: null, fans: 2, powerTargetW: { minW: 1710, maxW: 3422 } },
};

/**
 * The table key of a model string as firmwares write it: "Antminer S19 Pro", "Bitmain Antminer
 * S9", "ANTMINER S19 PRO HYD." (trailing dot), "S19XP" vs "S19 XP", "Antminer S19 (vnish 1.2)",
 * Whatsminer "M50S_VH30" (the part before "_" is the model; the rest is the chip bin).
 */
export function modelKey(model: string): string {
  return model
    .toUpperCase()
    .replace(/\s*\(.*$/, '')
    .replace(/^(BITMAIN\s+)?(ANTMINER|WHATSMINER)\s*/, '')
    .replace(/_.*$/, '')
    .replace(/[\s.]+/g, '')
    .replace(/HYD$/, '');
}

export function findModel(model: string | null): MinerModel | undefined {
  return model ? MODELS[modelKey(model)] : undefined;
}

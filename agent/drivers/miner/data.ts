// Normalised miner data: the same record for every firmware, in one set of units (TH/s, W, °C,
// J/TH, s). Unknown is null, never 0: a miner that does not report a value, a command that
// failed, a "nan" or an empty string all give null.

export const FIRMWARES = ['antminer', 'braiins', 'luxos', 'whatsminer-v2', 'whatsminer-v3', 'vnish'] as const;
export type FirmwareName = (typeof FIRMWARES)[number];

export type PowerSource = 'miner' | 'estimated';

/** What the miner is doing, as far as its API says. */
export type MinerState = 'mining' | 'paused' | 'sleeping' | 'starting' | 'error';

export interface BoardData {
  /** 0-based, normalised from the firmware's slot numbering (S9 chains 6–8 become 0–2). */
  readonly index: number;
  readonly hashrateTHs: number | null;
  /** Board (PCB) temperature, the hottest sensor. */
  readonly boardTempC: number | null;
  readonly chipTempC: number | null;
  readonly chips: number | null;
  readonly expectedChips: number | null;
}

export interface FanData {
  readonly index: number;
  readonly rpm: number | null;
}

export interface PoolData {
  readonly index: number;
  readonly url: string;
  readonly user: string | null;
  /** "Alive", "Dead", … as the miner says it. */
  readonly status: string | null;
  readonly active: boolean | null;
  readonly accepted: number | null;
  readonly rejected: number | null;
}

export interface MinerErrorEntry {
  readonly code: string | null;
  readonly message: string;
  readonly time: string | null;
}

export interface MinerData {
  readonly firmware: FirmwareName;
  readonly firmwareVersion: string | null;
  readonly make: string | null;
  readonly model: string | null;
  readonly hashrateTHs: number | null;
  /** The hashrate the miner says it should make (ideal / factory / nominal). */
  readonly expectedHashrateTHs: number | null;
  readonly powerW: number | null;
  /** Where powerW came from: the miner's own figure, or rackpilot's estimate from the model. */
  readonly powerSource: PowerSource | null;
  readonly efficiencyJTH: number | null;
  /** The power target or limit the miner is set to, W (null: none or not reported). */
  readonly powerTargetW: number | null;
  /** The firmware's own name for its mode: "normal", "sleep", "low", a profile name… */
  readonly powerMode: string | null;
  readonly state: MinerState | null;
  readonly boards: readonly BoardData[];
  readonly fans: readonly FanData[];
  readonly pools: readonly PoolData[];
  readonly uptimeS: number | null;
  readonly errors: readonly MinerErrorEntry[];
}

/** A partial record as one command yields it; boards and fans are merged by index. */
export type DataPatch = Partial<Omit<MinerData, 'boards' | 'fans'>> & {
  readonly boards?: readonly (Partial<BoardData> & { readonly index: number })[];
  readonly fans?: readonly FanData[];
};

export function emptyData(firmware: FirmwareName): MinerData {
  return {
    firmware, firmwareVersion: null, make: null, model: null, hashrateTHs: null, expectedHashrateTHs: null,
    powerW: null, powerSource: null, efficiencyJTH: null, powerTargetW: null, powerMode: null, state: null,
    boards: [], fans: [], pools: [], uptimeS: null, errors: [],
  };
}

const NO_BOARD = { hashrateTHs: null, boardTempC: null, chipTempC: null, chips: null, expectedChips: null };

/** Applies a patch: null/undefined never overwrite a known value; lists replace when non-empty. */
export function mergeData(d: MinerData, p: DataPatch): MinerData {
  const out: Record<string, unknown> = { ...d };
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined || v === null || k === 'boards' || k === 'fans') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  if (p.boards?.length) {
    const byIndex = new Map(d.boards.map((b) => [b.index, b]));
    for (const b of p.boards) {
      const prev = byIndex.get(b.index) ?? { index: b.index, ...NO_BOARD };
      const merged: Record<string, unknown> = { ...prev };
      for (const [k, v] of Object.entries(b)) if (v !== undefined && v !== null) merged[k] = v;
      byIndex.set(b.index, merged as unknown as BoardData);
    }
    out['boards'] = [...byIndex.values()].sort((a, b) => a.index - b.index);
  }
  if (p.fans?.length) {
    const byIndex = new Map(d.fans.map((f) => [f.index, f]));
    for (const f of p.fans) if (f.rpm !== null || !byIndex.has(f.index)) byIndex.set(f.index, f);
    out['fans'] = [...byIndex.values()].sort((a, b) => a.index - b.index);
  }
  return out as unknown as MinerData;
}

/** Fills what can be derived: total hashrate from boards, J/TH from power and hashrate. */
export function finishData(d: MinerData): MinerData {
  let hashrateTHs = d.hashrateTHs;
  if (hashrateTHs === null && d.boards.length && d.boards.every((b) => b.hashrateTHs !== null)) {
    hashrateTHs = d.boards.reduce((s, b) => s + (b.hashrateTHs ?? 0), 0);
  }
  let efficiencyJTH = d.efficiencyJTH;
  if (efficiencyJTH === null && d.powerW !== null && hashrateTHs !== null && hashrateTHs > 0.01) efficiencyJTH = d.powerW / hashrateTHs;
  return { ...d, hashrateTHs, efficiencyJTH };
}

/** Is the miner hashing? null when the state is unknown. */
export function isMining(d: Pick<MinerData, 'state'>): boolean | null {
  if (d.state === null) return null;
  return d.state === 'mining' || d.state === 'starting';
}

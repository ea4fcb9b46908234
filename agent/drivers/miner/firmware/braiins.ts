// Braiins OS (BOSminer / BOSer; shared/reference/miners.md §2.2). Telemetry and pause/resume
// over the RPC on 4028 (no auth; BOS joins report commands with "+"); state, the power target
// and its allowed range over the REST API (BOS ≥ 25.07: POST auth/login → token, sent raw in
// Authorization, 3600 s sliding; on 401 log in again). gRPC (the protos are GPL-3.0) is not used.

import type { BoardData, DataPatch, MinerState } from '../data.js';
import { MinerError } from '../errors.js';
import { isRecord, num, positive, section, str, toTHs, type Rec } from '../values.js';
import { parsePools, parseSummary } from './cgminer.js';
import { loginToken, runSources, stateFrom, TokenApi, type OnceCache } from './common.js';
import type { FirmwareModule, Source } from './types.js';

const MULTI = 'summary+devs+devdetails+temps+fans+tunerstatus+pools';

/** Board ids (S9: 6, 7, 8) in order → 0..n. */
function indexById(entries: readonly Rec[]): Map<number, number> {
  const ids = [...new Set(entries.map((e) => num(e['ID'])).filter((x): x is number => x !== null))].sort((a, b) => a - b);
  return new Map(ids.map((id, i) => [id, i]));
}

/** The multi-command reply: summary, devs, devdetails, temps, fans, tunerstatus, pools. */
export function parseBosRpc(reply: unknown): DataPatch {
  const devs = section(reply, 'DEVS');
  const details = section(reply, 'DEVDETAILS');
  const temps = section(reply, 'TEMPS');
  const index = indexById(devs.length ? devs : details);
  const boards = new Map<number, Partial<BoardData> & { index: number }>();
  const board = (e: Rec): (Partial<BoardData> & { index: number }) | undefined => {
    const i = index.get(num(e['ID']) ?? -1);
    if (i === undefined) return undefined;
    const b = boards.get(i) ?? { index: i };
    boards.set(i, b);
    return b;
  };
  for (const d of devs) Object.assign(board(d) ?? {}, { hashrateTHs: toTHs(d['MHS 5s'] ?? d['MHS 1m'], 'MH') });
  for (const d of details) Object.assign(board(d) ?? {}, { chips: positive(d['Chips']) });
  for (const t of temps) Object.assign(board(t) ?? {}, { boardTempC: positive(t['Board']), chipTempC: positive(t['Chip']) });
  const tuner = section(reply, 'TUNERSTATUS')[0];
  const chains = tuner && Array.isArray(tuner['TunerChainStatus']) ? tuner['TunerChainStatus'].filter(isRecord) : [];
  const unstable = chains.map((c) => str(c['Status'])).find((s) => s !== null && s !== 'Stable');
  const model = str(details[0]?.['Model'])?.replace(/^Bitmain\s+/, '') ?? null;
  return {
    ...parseSummary(reply),
    ...parsePools(reply),
    ...(model ? { model, make: 'Bitmain' } : {}),
    boards: [...boards.values()],
    fans: section(reply, 'FANS').map((f, i) => ({ index: i, rpm: num(f['RPM']) })),
    ...(tuner ? { powerW: positive(tuner['ApproximateMinerPowerConsumption']), powerTargetW: positive(tuner['PowerLimit']), powerMode: unstable ?? (chains.length ? 'Stable' : null) } : {}),
    ...(tuner && positive(tuner['ApproximateMinerPowerConsumption']) !== null ? { powerSource: 'miner' as const } : {}),
  };
}

const STATUS: Readonly<Record<number, MinerState>> = { 1: 'starting', 2: 'mining', 3: 'paused', 4: 'paused', 5: 'error' };

/** REST miner/details → state, model, version. Status: 1 NOT_STARTED … 5 RESTRICTED. */
export function parseBosDetails(d: unknown): DataPatch {
  if (!isRecord(d)) return {};
  const status = num(d['status']);
  const version = isRecord(d['bos_version']) ? str(d['bos_version']['current']) : null;
  const model = isRecord(d['miner_identity']) ? str(d['miner_identity']['miner_model']) : null;
  return { state: status !== null ? STATUS[status] ?? null : null, firmwareVersion: version, ...(model ? { model: model.replace(/^Bitmain\s+/, ''), make: 'Bitmain' } : {}), uptimeS: num(d['bosminer_uptime_s']) };
}

/** REST performance/tuner-state → the power target in force. */
export function parseBosTunerState(t: unknown): DataPatch {
  const path = ['mode_state', 'powertargetmodestate', 'current_target', 'watt'];
  let v: unknown = t;
  for (const k of path) v = isRecord(v) ? v[k] : undefined;
  return { powerTargetW: positive(v) };
}

/** REST configuration/constraints → the allowed power-target range (unverified shape; docs/miners.md). */
export function parseBosConstraints(c: unknown): { minW: number; maxW: number } | undefined {
  const pt = isRecord(c) && isRecord(c['tuner_constraints']) ? c['tuner_constraints']['power_target'] : undefined;
  if (!isRecord(pt)) return undefined;
  const w = (k: string): number | null => {
    const v = pt[k];
    return isRecord(v) ? positive(v['watt']) : null;
  };
  const minW = w('min');
  const maxW = w('max');
  return minW !== null && maxW !== null && minW <= maxW ? { minW, maxW } : undefined;
}

export const braiins: FirmwareModule = {
  name: 'braiins',
  label: 'Braiins OS',
  defaultCredentials: { user: 'root', password: 'root' },
  // pause ramps down in ~3 s (§2.2); resume and re-tuning have no published figure (estimates).
  settle: { pauseMs: 5_000, resumeMs: 30_000, setPowerMs: 120_000 },
  open(ctx) {
    const creds = ctx.credentials;
    const rest = new TokenApi('/api/v1/', (io) => {
      if (!creds) throw new MinerError('miner_auth', 'Braiins OS REST needs credentials (none configured)');
      return loginToken(io, '/api/v1/auth/login', { username: creds.user, password: creds.password.reveal() });
    });
    const done: OnceCache = new Map();
    let range: { minW: number; maxW: number } | undefined;
    const details: Source = { name: 'miner/details', groups: ['state', 'identity'], fetch: async (io) => parseBosDetails(await rest.call(io, 'GET', 'miner/details')) };
    const tuner: Source = { name: 'performance/tuner-state', groups: ['target'], fetch: async (io) => parseBosTunerState(await rest.call(io, 'GET', 'performance/tuner-state')) };
    const sources: Source[] = [
      { name: MULTI, groups: ['hashrate', 'power', 'target', 'boards', 'fans', 'pools', 'uptime', 'identity'], fetch: async (io) => parseBosRpc((await io.rpc(MULTI)).value) },
      details,
      { name: 'configuration/constraints', groups: [], once: true, fetch: async (io) => {
        range = parseBosConstraints(await rest.call(io, 'GET', 'configuration/constraints'));
        return {};
      } },
    ];
    return {
      async read(io) {
        const r = await runSources(io, 'braiins', sources, done);
        // Without REST (BOS < 25.07, or no credentials) the state is known only while hashing.
        if (r.data.state === null && (r.data.hashrateTHs ?? 0) > 0) return { ...r, data: { ...r.data, state: 'mining' } };
        return r;
      },
      readState: (io) => stateFrom(io, 'braiins', [details, tuner]),
      async control(io, cmd) {
        if (cmd.type === 'set_power') {
          if (range && (cmd.watts < range.minW || cmd.watts > range.maxW)) throw new MinerError('miner_status', `power target ${cmd.watts} W is outside the miner's range ${range.minW}–${range.maxW} W`);
          await rest.call(io, 'PUT', 'performance/power-target', { watt: Math.round(cmd.watts) });
          return { detail: `PUT performance/power-target ${Math.round(cmd.watts)} W`, expectedTargetW: Math.round(cmd.watts) };
        }
        await io.rpc(cmd.type, { write: true });
        return { detail: `RPC ${cmd.type}` };
      },
      capabilities: () => ({ pause: true, resume: true, ...(range ? { setPower: range } : {}) }),
    };
  },
};

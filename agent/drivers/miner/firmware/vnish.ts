// VNish (AnthillOS) on Antminers (shared/reference/miners.md §2.6): the bmminer RPC on 4028 for
// hashrate, boards, fans and pools (the same parser as stock firmware), and the web API on
// port 80 under /api/v1/ for state, power and control. Auth: POST unlock {"pw"} → token, sent
// as Authorization. Power is set only through autotune presets: the highest tuned preset at or
// below the target. POST settings answers {"restart_required":false} even when it did nothing,
// so the preset is verified by reading settings back.
//
// Facts the reference does not pin down (marked in docs/miners.md): the preset list path
// (autotune/presets, entries {name, pretty "3000 watt ~ 110 TH", status}) and the settings body
// ({"miner":{"overclock":{"preset": name}}}) follow pyasic's VNish model, unverified on hardware.

import type { DataPatch, MinerState } from '../data.js';
import { MinerError } from '../errors.js';
import { isRecord, list, positive, str } from '../values.js';
import { parseBmminerStats } from './antminer.js';
import { parsePools, parseSummary } from './cgminer.js';
import { loginToken, runSources, stateFrom, TokenApi, type OnceCache } from './common.js';
import type { FirmwareModule, Source } from './types.js';

export interface VnishPreset {
  readonly name: string;
  readonly watts: number;
  readonly tuned: boolean;
}

export function parseVnishPresets(v: unknown): VnishPreset[] {
  const entries = Array.isArray(v) ? list(v) : isRecord(v) ? list(v['presets']) : [];
  return entries
    .map((p) => ({ name: str(p['name']) ?? '', watts: positive(/(\d+(?:\.\d+)?)\s*watt/i.exec(str(p['pretty']) ?? '')?.[1]), tuned: str(p['status']) === 'tuned' }))
    .filter((p): p is VnishPreset => p.name !== '' && p.watts !== null)
    .sort((a, b) => a.watts - b.watts);
}

export function presetFor(presets: readonly VnishPreset[], watts: number): VnishPreset | undefined {
  let best: VnishPreset | undefined;
  for (const p of presets) if (p.tuned && p.watts <= watts && (!best || p.watts > best.watts)) best = p;
  return best;
}

const STATES: Readonly<Record<string, MinerState>> = {
  mining: 'mining', stopped: 'paused', paused: 'paused', 'shutting-down': 'paused', failure: 'error', starting: 'starting', initializing: 'starting', 'auto-tuning': 'starting',
};

/** /api/v1/summary → state and power (power_usage, or power_consumption on other builds). */
export function parseVnishSummary(v: unknown): DataPatch {
  const miner = isRecord(v) && isRecord(v['miner']) ? v['miner'] : undefined;
  if (!miner) return {};
  const status = isRecord(miner['miner_status']) ? str(miner['miner_status']['miner_state']) : null;
  const power = positive(miner['power_usage']) ?? positive(miner['power_consumption']);
  return { ...(status !== null ? { state: STATES[status] ?? null } : {}), ...(power !== null ? { powerW: power, powerSource: 'miner' as const } : {}) };
}

export function vnishPreset(settings: unknown): string | null {
  const miner = isRecord(settings) && isRecord(settings['miner']) ? settings['miner'] : undefined;
  const oc = miner && isRecord(miner['overclock']) ? miner['overclock'] : undefined;
  return oc ? str(oc['preset']) : null;
}

export const vnish: FirmwareModule = {
  name: 'vnish',
  label: 'VNish',
  defaultCredentials: { user: 'admin', password: 'admin' },
  // No published figures for VNish; pause/resume restart hashing, a preset re-tunes (estimates).
  settle: { pauseMs: 10_000, resumeMs: 60_000, setPowerMs: 120_000 },
  open(ctx) {
    const creds = ctx.credentials;
    const web = new TokenApi('/api/v1/', (io) => {
      if (!creds) throw new MinerError('miner_auth', 'VNish needs its web password (none configured)');
      return loginToken(io, '/api/v1/unlock', { pw: creds.password.reveal() });
    });
    const done: OnceCache = new Map();
    let presets: VnishPreset[] = [];
    const summary: Source = { name: 'api/v1/summary', groups: ['state', 'power'], fetch: async (io) => parseVnishSummary(await web.call(io, 'GET', 'summary')) };
    const settings: Source = { name: 'api/v1/settings', groups: ['target'], fetch: async (io) => {
      const name = vnishPreset(await web.call(io, 'GET', 'settings'));
      return { powerMode: name, powerTargetW: presets.find((p) => p.name === name)?.watts ?? null };
    } };
    const sources: Source[] = [
      { name: 'stats', groups: ['identity', 'hashrate', 'power', 'boards', 'fans', 'uptime'], fetch: async (io) => parseBmminerStats((await io.rpc('stats')).value) },
      { name: 'summary', groups: ['hashrate', 'uptime'], fetch: async (io) => parseSummary((await io.rpc('summary')).value) },
      { name: 'pools', groups: ['pools'], fetch: async (io) => parsePools((await io.rpc('pools')).value) },
      summary,
      { name: 'api/v1/autotune/presets', groups: ['target'], once: true, fetch: async (io) => {
        presets = parseVnishPresets(await web.call(io, 'GET', 'autotune/presets'));
        return {};
      } },
      settings,
    ];
    return {
      read: (io) => runSources(io, 'vnish', sources, done),
      readState: (io) => stateFrom(io, 'vnish', [summary, settings]),
      async control(io, cmd) {
        if (cmd.type !== 'set_power') {
          await web.call(io, 'POST', `mining/${cmd.type}`, {});
          return { detail: `POST mining/${cmd.type}` };
        }
        const p = presetFor(presets, cmd.watts);
        if (!p) throw new MinerError('miner_unsupported', `no tuned preset at or below ${Math.round(cmd.watts)} W (presets: ${presets.map((x) => `${x.name}${x.tuned ? '' : ' untuned'}`).join(', ') || 'none read'})`);
        await web.call(io, 'POST', 'settings', { miner: { overclock: { preset: p.name } } });
        return { detail: `preset ${p.name} (${p.watts} W)`, expectedTargetW: p.watts };
      },
      capabilities: () => {
        const tuned = presets.filter((p) => p.tuned);
        const lo = tuned[0];
        const hi = tuned[tuned.length - 1];
        return { pause: true, resume: true, ...(lo && hi ? { setPower: { minW: lo.watts, maxW: hi.watts } } : {}) };
      },
    };
  },
};

// LuxOS (LUXminer; shared/reference/miners.md §2.3). Everything over the RPC on 4028. Writes
// need a session: `logon` gives the only one (a second logon gets 402 "Another session is
// active" while another tool holds it; sessions expire after 60 s idle), and the session id is
// the first argument of every write. Like luxos-tooling's rexec, each write here is
// logon → command → logoff, so rackpilot never holds the single session between commands;
// 402 is retried with a short backoff and then reported.
//
// Curtail: `curtail <sid>,sleep` turns the hashboards and PSU off (~25 W in < 5 s), `wakeup`
// restores full power in < 10 s. Watt target: `profileset <sid>,<W>W` picks a profile; it is
// refused while ATM is on, so ATM is switched off first (and the detail says so).

import type { BoardData, DataPatch } from '../data.js';
import { asMinerError, MinerError } from '../errors.js';
import type { MinerIO } from '../link.js';
import { bool, maxOf, num, positive, section, str, toTHs, type Rec } from '../values.js';
import { parsePools, parseSummary } from './cgminer.js';
import { runSources, type OnceCache } from './common.js';
import type { ControlState, FirmwareModule, Source } from './types.js';
import { joinParameters } from '../../../../protocols/cgminer/framing.js';

const MULTI = 'summary+devs+pools+config+power+fans+temps';

export interface LuxProfile {
  readonly name: string;
  readonly watts: number;
}

export function parseLuxProfiles(reply: unknown): LuxProfile[] {
  return section(reply, 'PROFILES')
    .map((p) => ({ name: str(p['Profile Name']) ?? '', watts: positive(p['Watts']) }))
    .filter((p): p is LuxProfile => p.name !== '' && p.watts !== null)
    .sort((a, b) => a.watts - b.watts);
}

function boardIndex(e: Rec, i: number): number {
  return num(e['Board']) ?? num(e['ID']) ?? num(e['ASC']) ?? i;
}

/** The multi-command reply. `profiles` maps the active profile to its watts (the target). */
export function parseLuxRpc(reply: unknown, profiles: readonly LuxProfile[]): DataPatch {
  const cfg = section(reply, 'CONFIG')[0];
  const power = section(reply, 'POWER')[0];
  const boards = new Map<number, Partial<BoardData> & { index: number }>();
  const at = (i: number): Partial<BoardData> & { index: number } => boards.get(i) ?? boards.set(i, { index: i }).get(i)!;
  section(reply, 'DEVS').forEach((d, i) => Object.assign(at(boardIndex(d, i)), { hashrateTHs: toTHs(d['MHS 5s'] ?? d['MHS 1m'], 'MH') }));
  // temps are board sensors (TopLeft…BottomRight), not chip temperatures.
  section(reply, 'TEMPS').forEach((t, i) => Object.assign(at(boardIndex(t, i)), { boardTempC: maxOf(['TopLeft', 'TopRight', 'BottomLeft', 'BottomRight'].map((k) => positive(t[k]))) }));
  const profile = str(cfg?.['Profile']);
  const curtail = str(cfg?.['CurtailMode']);
  const watts = positive(power?.['Watts']);
  return {
    ...parseSummary(reply),
    ...parsePools(reply),
    ...(cfg ? { model: str(cfg['Model']), make: 'Bitmain', powerMode: profile } : {}),
    ...(curtail !== null ? { state: curtail.toLowerCase() === 'none' ? 'mining' as const : 'sleeping' as const } : {}),
    ...(watts !== null ? { powerW: watts, powerSource: 'miner' as const } : {}),
    powerTargetW: profiles.find((p) => p.name === profile)?.watts ?? null,
    boards: [...boards.values()].sort((a, b) => a.index - b.index).map((b, index) => ({ ...b, index })),
    fans: section(reply, 'FANS').map((f, i) => ({ index: i, rpm: num(f['RPM']) })),
  };
}

/** The profile LuxOS applies for "<W>W": the highest whose watts do not exceed W. */
export function profileFor(profiles: readonly LuxProfile[], watts: number): LuxProfile | undefined {
  let best: LuxProfile | undefined;
  for (const p of profiles) if (p.watts <= watts && (!best || p.watts > best.watts)) best = p;
  return best;
}

const BUSY_RETRIES = [1000, 2000];

async function logon(io: MinerIO): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await io.rpc('logon', { write: true });
      const sid = str(section(r.value, 'SESSION')[0]?.['SessionID']);
      if (!sid) throw new MinerError('miner_bad_reply', 'logon: no SessionID in the reply');
      return sid;
    } catch (err) {
      const e = asMinerError(err);
      if (e.deviceCode !== 402) throw e;
      const wait = BUSY_RETRIES[attempt];
      if (wait === undefined) throw new MinerError('miner_session_busy', 'LuxOS: another session is active (another tool holds it); gave up after retries', 402);
      await new Promise<void>((resolve) => io.clock.setTimeout(resolve, wait));
    }
  }
}

/** logon → fn(sid) → logoff, the session released even when fn fails. */
async function withSession<T>(io: MinerIO, fn: (sid: string) => Promise<T>): Promise<T> {
  const sid = await logon(io);
  try {
    return await fn(sid);
  } finally {
    await io.rpc('logoff', { parameter: sid, write: true }).catch(() => undefined);
  }
}

export const luxos: FirmwareModule = {
  name: 'luxos',
  label: 'LuxOS',
  defaultCredentials: null,
  // "roughly 25W in under five seconds and restores full power in under ten" (power-capping.md
  // §6.1); a profile change steps frequency over seconds (estimate).
  settle: { pauseMs: 5_000, resumeMs: 10_000, setPowerMs: 30_000 },
  open() {
    const done: OnceCache = new Map();
    let profiles: LuxProfile[] = [];
    const version: Source = { name: 'version', groups: ['identity'], once: true, fetch: async (io) => {
      const v = section((await io.rpc('version')).value, 'VERSION')[0];
      return { firmwareVersion: str(v?.['LUXminer']) };
    } };
    const profilesSource: Source = { name: 'profiles', groups: ['target'], once: true, fetch: async (io) => {
      profiles = parseLuxProfiles((await io.rpc('profiles')).value);
      return {};
    } };
    const main: Source = { name: MULTI, groups: ['hashrate', 'power', 'target', 'state', 'boards', 'fans', 'pools', 'uptime', 'identity'], fetch: async (io) => parseLuxRpc((await io.rpc(MULTI)).value, profiles) };
    return {
      read: (io) => runSources(io, 'luxos', [version, profilesSource, main], done),
      async readState(io): Promise<ControlState> {
        const d = parseLuxRpc((await io.rpc('config')).value, profiles);
        return { mining: d.state === undefined ? null : d.state === 'mining', targetW: d.powerTargetW ?? null };
      },
      async control(io, cmd) {
        if (cmd.type !== 'set_power') {
          const action = cmd.type === 'pause' ? 'sleep' : 'wakeup';
          await withSession(io, (sid) => io.rpc('curtail', { parameter: joinParameters([sid, action]), write: true }));
          return { detail: `curtail ${action}` };
        }
        const w = Math.round(cmd.watts);
        const atmOn = bool(section((await io.rpc('config')).value, 'CONFIG')[0]?.['IsAtmEnabled']) === true;
        await withSession(io, async (sid) => {
          if (atmOn) await io.rpc('atmset', { parameter: `${sid},enabled=false`, write: true });
          await io.rpc('profileset', { parameter: joinParameters([sid, `${w}W`]), write: true });
        });
        const chosen = profileFor(profiles, w);
        return { detail: `profileset ${w}W${chosen ? ` → profile ${chosen.name} (${chosen.watts} W)` : ''}${atmOn ? ' (ATM switched off first)' : ''}`, ...(chosen ? { expectedTargetW: chosen.watts } : {}) };
      },
      capabilities: () => {
        const lo = profiles[0];
        const hi = profiles[profiles.length - 1];
        return { pause: true, resume: true, ...(lo && hi ? { setPower: { minW: lo.watts, maxW: hi.watts } } : {}) };
      },
    };
  },
};

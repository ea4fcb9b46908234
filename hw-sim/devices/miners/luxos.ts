// Simulated LuxOS (LUXminer; shared/reference/miners.md §2.3). Everything on the RPC port.
// Sessions: `logon` creates the only session (Code 316); while one is active — or while the
// `session-held` quirk says another tool holds it (`heldFor` logons, default 2) — logon answers
// 402 "Another session is active". A session expires after 60 s idle. Writes take the session
// id as their first argument: curtail <sid>,sleep|wakeup (335), atmset <sid>,enabled=… (340),
// profileset <sid>,<name|NNNNW> (321; refused while ATM is on). Profiles step 25 MHz; a
// profile's watts scale the load's nominal draw.

import { randomBytes } from 'node:crypto';
import type { DeviceModel } from '../registry.js';
import { cg, cgError, fixed, multi } from './replies.js';
import { serveRpc, type RpcAnswer } from './rpc-server.js';
import type { SimMiner } from './sim-miner.js';
import { cgPools } from './antminer.js';
import { minerEndpoint, startSimMiner } from './start.js';

const DESC = 'LUXminer 2025.4.8.220305-57b389c7';
const SESSION_IDLE_S = 60;

interface Profile {
  readonly name: string;
  readonly frequency: number;
  readonly watts: number;
  readonly step: number;
}

interface Lux {
  session: { id: string; lastS: number } | undefined;
  heldLeft: number;
  atm: boolean;
  profile: Profile;
  readonly profiles: readonly Profile[];
}

export function luxProfiles(nominalW: number): Profile[] {
  // 8 under-clock steps and 4 over-clock steps of 25 MHz around a 500 MHz default.
  return Array.from({ length: 13 }, (_, i) => {
    const step = i - 8;
    const frequency = 500 + step * 25;
    return { name: step === 0 ? 'default' : `${frequency}MHz`, frequency, watts: Math.round(nominalW * (1 + step * 0.06)), step };
  });
}

function report(m: SimMiner, lux: Lux, cmd: string): unknown {
  const now = m.now();
  const asleep = m.mode === 'sleeping';
  switch (cmd) {
    case 'version':
      return cg('S', 22, 'LUXminer versions', DESC, { VERSION: [{ LUXminer: '2025.4.8.220305-57b389c7', API: '3.7', Type: m.hw.name }] });
    case 'summary':
      return cg('S', 11, 'Summary', DESC, { SUMMARY: [{ Elapsed: now.uptimeS, 'GHS 5s': fixed(now.hashrateTHs * 1000), 'GHS 1m': fixed(now.hashrateTHs * 1000), 'GHS av': fixed(now.hashrateTHs * 1000), Accepted: 811, Rejected: 1 }] });
    case 'devs':
      return cg('S', 9, `${m.hw.boards} ASC(s)`, DESC, { DEVS: now.boards.map((b, i) => ({ ASC: i, Board: i, Connector: i, Enabled: 'Y', Status: asleep ? 'Dead' : 'Alive', IsRamping: false, IsUserShutdown: asleep, 'MHS 5s': fixed(b.hashrateTHs * 1e6), 'MHS 1m': fixed(b.hashrateTHs * 1e6), 'Nominal MHS': fixed((m.hw.nominalTHs / m.hw.boards) * 1e6), Profile: lux.profile.name })) });
    case 'pools':
      return cgPools(DESC);
    case 'config':
      return cg('S', 33, 'Config', DESC, { CONFIG: [{ Model: m.hw.name, SerialNumber: 'SIMLUX0001', MACAddr: '02:00:00:00:00:03', Profile: lux.profile.name, ProfileStep: lux.profile.step, CurtailMode: asleep ? 'Sleep' : 'None', IsAtmEnabled: lux.atm, IsTuning: false, IsPowerSupplyOn: !asleep, NameplateTHS: m.hw.nominalTHs, RedLed: 'off', SystemStatus: asleep ? 'Curtailed' : 'Normal' }] });
    case 'power':
      return cg('S', 311, 'Power', DESC, { POWER: [{ PSU: false, Watts: Math.round(now.powerW) }] });
    case 'fans':
      return cg('S', 202, 'Fans', DESC, { FANS: now.fansRpm.map((rpm, i) => ({ FAN: `FAN${i + 1}`, ID: i, RPM: rpm, Speed: 55 })), FANCTRL: [{ Mode: 'Auto' }] });
    case 'temps':
      return cg('S', 201, 'Temps', DESC, { TEMPS: now.boards.map((b, i) => ({ TEMP: i, ID: i, Board: i, TopLeft: fixed(b.boardTempC, 1), TopRight: fixed(b.boardTempC + 1, 1), BottomLeft: fixed(b.boardTempC - 1, 1), BottomRight: fixed(b.boardTempC + 2, 1) })) });
    case 'profiles':
      return cg('S', 315, 'Profiles', DESC, { PROFILES: lux.profiles.map((p) => ({ 'Profile Name': p.name, Frequency: p.frequency, Voltage: fixed(13 + p.step * 0.1, 1), Watts: p.watts, Hashrate: fixed((m.hw.nominalTHs * p.watts) / m.load.spec.nominalW, 1), IsTuned: true, Step: String(p.step) })) });
    case 'atm':
      return cg('S', 339, 'ATM', DESC, { ATM: [{ Enabled: lux.atm, MaxProfile: '+2', MinProfile: '-16', PostRampMinutes: 15, StartupMinutes: 15, TempWindow: 5 }] });
    case 'session':
      return cg('S', 319, 'Session', DESC, { SESSION: [{ SessionID: live(m, lux) ? lux.session?.id ?? '' : '' }] });
    default:
      return cgError(14, 'Invalid command', DESC);
  }
}

function live(m: SimMiner, lux: Lux): boolean {
  return lux.session !== undefined && m.nowS - lux.session.lastS < SESSION_IDLE_S;
}

/** The session a write names, refreshed; or the error reply. */
function authorised(m: SimMiner, lux: Lux, parameter: string | undefined): string[] | RpcAnswer {
  const [sid, ...args] = (parameter ?? '').split(',');
  if (!live(m, lux) || lux.session?.id !== sid) return { json: cgError(45, 'Invalid session id', DESC) };
  if (lux.session) lux.session.lastS = m.nowS;
  return args;
}

function write(m: SimMiner, lux: Lux, command: string, parameter: string | undefined): RpcAnswer {
  const a = authorised(m, lux, parameter);
  if (!Array.isArray(a)) return a;
  switch (command) {
    case 'curtail':
      if (a[0] === 'sleep') m.setMode('sleeping');
      else if (a[0] === 'wakeup') m.setMode('mining');
      else return { json: cgError(14, `Invalid curtail mode ${a[0] ?? ''}`, DESC) };
      return { json: cg('S', 335, 'Curtailment command sent', DESC, { CURTAIL: [{ Action: a[0] === 'sleep' ? 'sleep mode' : 'wake up' }] }) };
    case 'atmset':
      lux.atm = /enabled=true/.test(a.join(','));
      return { json: cg('S', 340, 'ATM configuration updated', DESC) };
    case 'profileset': {
      if (lux.atm) return { json: cgError(322, 'Cannot set profile while ATM is enabled', DESC) };
      const want = a[0] ?? '';
      const w = /^(\d+)W$/i.exec(want);
      const chosen = w ? [...lux.profiles].reverse().find((p) => p.watts <= Number(w[1])) ?? lux.profiles[0] : lux.profiles.find((p) => p.name === want);
      if (!chosen) return { json: cgError(14, `Unknown profile ${want}`, DESC) };
      lux.profile = chosen;
      m.setTarget(chosen.watts);
      return { json: cg('S', 321, 'Profile Set', DESC, { PROFILE: [{ Board: 0, FrequencyStep: chosen.step, Profile: chosen.name, VoltageStep: chosen.step }] }) };
    }
    default:
      return { json: cgError(14, 'Invalid command', DESC) };
  }
}

function rpc(m: SimMiner, lux: Lux, command: string, parameter: string | undefined): RpcAnswer {
  if (command === 'logon') {
    if (lux.heldLeft > 0 || live(m, lux)) {
      if (lux.heldLeft > 0) lux.heldLeft--;
      return { json: cgError(402, 'Another session is active', DESC) };
    }
    lux.session = { id: randomBytes(4).toString('hex'), lastS: m.nowS };
    return { json: cg('S', 316, 'Session created', DESC, { SESSION: [{ SessionID: lux.session.id }] }) };
  }
  if (command === 'logoff') {
    if (lux.session?.id === parameter) lux.session = undefined;
    return { json: cg('S', 317, 'Session terminated', DESC) };
  }
  if (['curtail', 'atmset', 'profileset'].includes(command)) return write(m, lux, command, parameter);
  return { json: command.includes('+') ? multi(command, (c) => report(m, lux, c)) : report(m, lux, command) };
}

export const luxosSim: DeviceModel = async (s) => {
  const m = startSimMiner(s, { hardware: 'antminer-s19pro', restartS: 15 });
  const profiles = luxProfiles(m.load.spec.nominalW);
  const held = m.has('session-held') ? (typeof s.params['heldFor'] === 'number' ? s.params['heldFor'] : 2) : 0;
  const lux: Lux = { session: undefined, heldLeft: held, atm: s.params['atm'] === true, profile: profiles[8] as Profile, profiles };
  const rpcServer = await serveRpc(m, s.host, s.port, (req) => rpc(m, lux, req.command, req.parameter), DESC);
  return minerEndpoint(s, m, 'luxos', rpcServer, { user: 'root', password: '' });
};

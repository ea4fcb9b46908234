// Which firmware runs on a host (shared/reference/miners.md §1.8), in the order that settles it
// cheapest and surest:
//  1. Whatsminer v3 on its own port (v3 firmware also serves a degraded v2 API on 4028, so it
//     goes first, as Tether does); skipped when v3Port is 0.
//  2. RPC `version`: the daemon names itself (LUXminer, BOSminer/BOSer, VNish, btminer, bmminer).
//  3. RPC `get_version`: btminer answers it (its `version` reads like a plain "cgminer 4.9.2").
//  4. HTTP GET /: the stock Antminer web server's Digest realm "antMiner", or a page title. This
//     also finds a stock Antminer whose daemon is restarting or asleep.
// A timeout on 4028, or on the v3 port once connected, ends detection at once (a hung miner costs
// one timeout, not four). Firmware rackpilot does not drive (Hiveon, Avalon, Auradine,
// Marathon…) is reported by name.

import { readStatus } from '../../../protocols/cgminer/status.js';
import type { FirmwareName } from './data.js';
import { asMinerError, MinerError } from './errors.js';
import { versionText } from './firmware/cgminer.js';
import { v3Call } from './firmware/whatsminer-v3.js';
import type { MinerIO } from './link.js';

export interface Detection {
  readonly firmware: FirmwareName;
  /** What decided it, for diag and events ("RPC version: LUXminer 2025.4.8"). */
  readonly evidence: string;
}

const RPC_MARKERS: readonly (readonly [RegExp, string])[] = [
  [/LUXMINER/, 'luxos'],
  [/BOSMINER|BOSER/, 'braiins'],
  [/VNISH/, 'vnish'],
  [/BTMINER|BITMICRO/, 'whatsminer-v2'],
  [/HIVEON|RWGLR/, 'Hiveon'],
  [/AVALON/, 'Avalon (Canaan)'],
  [/GCMINER|FLUXOS/, 'Auradine FluxOS'],
  [/KAONSU/, 'Marathon'],
  [/ANTMINER|BMMINER/, 'antminer'],
];

const PAGE_MARKERS: readonly (readonly [RegExp, string])[] = [
  [/Braiins OS/i, 'braiins'],
  [/Luxor Firmware/i, 'luxos'],
  [/AnthillOS/i, 'vnish'],
  [/Miner Web Dashboard/i, 'ePIC'],
];

const SUPPORTED: ReadonlySet<string> = new Set<FirmwareName>(['antminer', 'braiins', 'luxos', 'whatsminer-v2', 'whatsminer-v3', 'vnish']);

function decide(name: string, evidence: string): Detection {
  if (SUPPORTED.has(name)) return { firmware: name as FirmwareName, evidence };
  throw new MinerError('miner_unsupported', `${name} firmware is not supported by rackpilot (${evidence})`);
}

function match(text: string, markers: typeof RPC_MARKERS): string | undefined {
  return markers.find(([re]) => re.test(text))?.[1];
}

export async function detectFirmware(io: MinerIO, opts: { readonly v3Port: number }): Promise<Detection> {
  if (opts.v3Port > 0) {
    try {
      await v3Call(io, { cmd: 'get.device.info', param: 'system' });
      return { firmware: 'whatsminer-v3', evidence: `API v3 answered on port ${opts.v3Port}` };
    } catch (err) {
      const code = asMinerError(err).code;
      // Connected and no answer: the miner is there and hung — 4028 would cost a second timeout.
      if (code === 'cancelled' || code === 'miner_timeout') throw err;
      // Not a v3 miner (refused, closed, not the framing, or the port filtered): go on.
    }
  }
  const tried: string[] = [];
  let rpcError: MinerError | undefined;
  try {
    const { text, summary } = versionText((await io.rpc('version')).value);
    const name = match(text.toUpperCase(), RPC_MARKERS);
    if (name) return decide(name, `RPC version: ${summary.slice(0, 100)}`);
    tried.push(`version said ${summary.slice(0, 60)}`);
    const v = readStatus((await io.rpc('get_version', { key: 'cmd' }).catch(() => undefined))?.value).payload;
    if (v && ('api_ver' in v || 'fw_ver' in v)) return { firmware: 'whatsminer-v2', evidence: `RPC get_version: api ${String(v['api_ver'])}, fw ${String(v['fw_ver'])}` };
  } catch (err) {
    rpcError = asMinerError(err);
    if (rpcError.code === 'miner_unsupported' || rpcError.code === 'miner_timeout' || rpcError.code === 'miner_connect_timeout' || rpcError.code === 'cancelled') throw rpcError;
    tried.push(`RPC: ${rpcError.message}`);
  }
  try {
    const res = await io.http({ method: 'GET', path: '/' });
    const auth = res.headers['www-authenticate'] ?? '';
    if (res.status === 401 && /realm="?antMiner/i.test(auth)) return { firmware: 'antminer', evidence: 'HTTP Digest realm antMiner' };
    const name = match(res.body.subarray(0, 64 << 10).toString('utf8'), PAGE_MARKERS);
    if (name) return decide(name, `web page says ${name}`);
    tried.push(`HTTP ${res.status}: no known firmware marker`);
  } catch (err) {
    tried.push(`HTTP: ${asMinerError(err).message}`);
  }
  throw new MinerError(rpcError?.transport ? rpcError.code : 'miner_detect_failed', `firmware not recognised (${tried.join('; ')})`);
}

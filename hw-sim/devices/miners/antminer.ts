// Simulated Antminer on stock firmware (bmminer 1.0.0, shared/reference/miners.md §2.1): a
// read-only RPC (stats, summary, pools, version; devdetails/config/privileged answer 45 "Access
// denied"; no multi-commands) and the Digest-protected CGI web interface. set_miner_conf.cgi
// answers M000 and then restarts bmminer (the RPC refuses connections meanwhile); the new
// mode applies when it is back. While asleep, stats carry only the header and SUMMARY is empty.
// Chain and fan slots follow the hardware: S9 uses chains 6–8 and fans 3 and 6.

import type { DeviceModel } from '../registry.js';
import { DigestGuard, serveHttp, type HttpCall, type HttpAnswer } from './http-server.js';
import { cg, cgError, fixed, hms, SIM_POOLS } from './replies.js';
import { serveRpc, type RpcAnswer, type RpcRequest } from './rpc-server.js';
import type { SimMiner } from './sim-miner.js';
import { minerEndpoint, startSimMiner } from './start.js';

const DESC = 'cgminer 1.0.0';
const MODES: Readonly<Record<string, 'mining' | 'sleeping'>> = { '0': 'mining', '1': 'sleeping', '2': 'mining', '3': 'mining' };

/** Slots the firmware reports chains and fans in (S9: 6, 7, 8 and fans 3, 6). */
function slots(m: SimMiner): { chains: number[]; fans: number[] } {
  if (/S9\b/.test(m.hw.name)) return { chains: [6, 7, 8], fans: [3, 6] };
  return { chains: Array.from({ length: m.hw.boards }, (_, i) => i + 1), fans: Array.from({ length: m.hw.fans }, (_, i) => i + 1) };
}

const chipString = (n: number): string => ` ${'o'.repeat(n).replace(/(.{8})/g, '$1 ').trim()} `;

/** `stats`: a header entry and a data entry (bmminer's two heterogeneous STATS objects). */
export function antminerStats(m: SimMiner, firmware = '49.0.1.3'): Record<string, unknown> {
  const header = { BMMiner: '1.0.0', Miner: firmware, CompileTime: 'Thu Dec 15 10:42:23 CST 2022', Type: m.hw.name };
  if (m.mode === 'sleeping') return cg('S', 70, 'CGMiner stats', DESC, { STATS: [header] });
  const now = m.now();
  const { chains, fans } = slots(m);
  const data: Record<string, unknown> = {
    STATS: 0, ID: 'BTM_SOC0', Elapsed: now.uptimeS, Calls: 0, Wait: 0, Max: 0, Min: 99999999,
    'GHS 5s': (now.hashrateTHs * 1000).toFixed(2), 'GHS av': fixed(now.hashrateTHs * 1000), rate_30m: fixed(now.hashrateTHs * 1000), Mode: 2,
    miner_count: chains.length, frequency: 525, fan_num: fans.length, temp_num: chains.length,
    total_rateideal: fixed(m.hw.nominalTHs * 1000), rate_unit: 'GH', total_freqavg: 525, total_acn: m.hw.chipsPerBoard * chains.length,
    'total rate': fixed(now.hashrateTHs * 1000), no_matching_work: 0, miner_version: firmware, miner_id: '80128c2b4a10401c',
  };
  fans.forEach((slot, i) => (data[`fan${slot}`] = now.fansRpm[i] ?? 0));
  chains.forEach((slot, i) => {
    const b = now.boards[i];
    if (!b) return;
    data[`temp${slot}`] = Math.round(b.boardTempC);
    data[`temp2_${slot}`] = Math.round(b.chipTempC);
    data[`temp_pcb${slot}`] = [b.boardTempC - 2, b.boardTempC, b.boardTempC - 3, b.boardTempC + 1].map(Math.round).join('-');
    data[`temp_chip${slot}`] = [b.chipTempC - 2, b.chipTempC, b.chipTempC - 4, b.chipTempC + 1].map(Math.round).join('-');
    data[`chain_acn${slot}`] = b.chips;
    data[`chain_acs${slot}`] = chipString(b.chips);
    data[`chain_hw${slot}`] = 0;
    data[`chain_rate${slot}`] = (b.hashrateTHs * 1000).toFixed(2);
  });
  data[`chain_acn${(chains[chains.length - 1] ?? 0) + 1}`] = 0; // an empty slot, as real firmware lists
  data[`chain_rate${(chains[chains.length - 1] ?? 0) + 1}`] = '';
  return cg('S', 70, 'CGMiner stats', DESC, { STATS: [header, data] });
}

export function antminerSummary(m: SimMiner): Record<string, unknown> {
  if (m.mode === 'sleeping') return cg('S', 11, 'Summary', DESC, { SUMMARY: [] });
  const now = m.now();
  const ghs = now.hashrateTHs * 1000;
  return cg('S', 11, 'Summary', DESC, { SUMMARY: [{ Elapsed: now.uptimeS, 'GHS 5s': ghs.toFixed(2), 'GHS av': fixed(ghs), 'GHS 30m': fixed(ghs), 'Found Blocks': 0, Getwork: 1234, Accepted: 5321, Rejected: 3, 'Hardware Errors': 12, Utility: 7.9, Stale: 0, 'Best Share': 1302418273, 'Device Hardware%': 0.0001, 'Device Rejected%': 0.05 }] });
}

export function cgPools(description: string, oneBased = false, lastShare: (s: number) => string | number = hms): Record<string, unknown> {
  const pools = SIM_POOLS.map((p, i) => ({
    POOL: i + (oneBased ? 1 : 0), URL: p.url, Status: 'Alive', Priority: i, Quota: 1, 'Long Poll': 'N', Getworks: 1200, Accepted: i ? 0 : 5321, Rejected: i ? 0 : 3,
    Stale: 0, User: p.user, 'Last Share Time': lastShare(i ? 0 : 3), Diff: '524K', 'Stratum Active': i === 0, 'Stratum URL': p.url.replace(/^stratum\+tcp:\/\/|:\d+$/g, ''), 'Pool Stale%%': 0,
  }));
  return cg('S', 7, `${pools.length} Pool(s)`, description, { POOLS: pools });
}

function rpc(m: SimMiner, req: RpcRequest): RpcAnswer {
  switch (req.command) {
    case 'version':
      return { json: cg('S', 22, 'CGMiner versions', DESC, { VERSION: [{ BMMiner: '1.0.0', API: '3.1', Miner: '49.0.1.3', CompileTime: 'Thu Dec 15 10:42:23 CST 2022', Type: m.hw.name }] }) };
    case 'stats':
      return { json: antminerStats(m) };
    case 'summary':
      return { json: antminerSummary(m) };
    case 'pools':
      return { json: cgPools(DESC) };
    case 'devdetails':
    case 'config':
    case 'privileged':
    case 'edevs':
    case 'estats':
      return { json: cgError(45, 'Access denied to \'' + req.command + '\' command', DESC) };
    default:
      return { json: cgError(14, 'Invalid command', DESC) };
  }
}

interface Conf {
  mode: string;
  pools: { url: string; user: string; pass: string }[];
}

function web(m: SimMiner, guard: DigestGuard, conf: Conf, c: HttpCall): HttpAnswer | undefined {
  if (!guard.check(c.method, typeof c.headers.authorization === 'string' ? c.headers.authorization : undefined)) {
    return { status: 401, text: '401 Unauthorized', headers: { 'www-authenticate': guard.challenge() } };
  }
  switch (`${c.method} ${c.path}`) {
    case 'GET /':
      return { status: 200, text: '<html><head><title>Antminer</title></head></html>' };
    case 'GET /cgi-bin/get_system_info.cgi':
      return { status: 200, json: { minertype: m.hw.name, nettype: 'DHCP', macaddr: '02:00:00:00:00:01', hostname: 'Antminer', ipaddress: '127.0.0.1', system_mode: 'GNU/Linux', system_kernel_version: 'Linux 4.9.38', system_filesystem_version: 'Thu Dec 15 10:42:23 CST 2022', serinum: 'SIM0001' } };
    case 'GET /cgi-bin/get_miner_conf.cgi':
      return { status: 200, json: { pools: conf.pools, 'api-listen': true, 'api-network': true, 'api-groups': 'A:stats:pools:devs:summary:version', 'api-allow': 'A:0/0,W:*', 'bitmain-fan-ctrl': false, 'bitmain-fan-pwm': '100', 'bitmain-use-vil': true, 'bitmain-freq': '675', 'bitmain-voltage': '1400', 'bitmain-ccdelay': '0', 'bitmain-pwth': '0', 'bitmain-work-mode': conf.mode, 'bitmain-freq-level': '100' } };
    case 'POST /cgi-bin/set_miner_conf.cgi':
      return setConf(m, conf, c.json);
    default:
      return undefined;
  }
}

function setConf(m: SimMiner, conf: Conf, body: unknown): HttpAnswer {
  const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const mode = b['miner-mode'];
  const key = typeof mode === 'number' || typeof mode === 'string' ? String(mode) : '';
  const pools = Array.isArray(b['pools']) ? b['pools'] : [];
  if (!(key in MODES) || pools.length !== 3) return { status: 200, json: { stats: 'error', code: 'M001', msg: 'Invalid pool!' } };
  conf.mode = key;
  // bmminer restarts to apply the new conf; the mode takes effect when it is back.
  m.restart(undefined, () => m.setMode(MODES[key] ?? 'mining'));
  return { status: 200, json: { stats: 'success', code: 'M000', msg: 'OK!' } };
}

export const antminerStock: DeviceModel = async (s) => {
  const m = startSimMiner(s, { hardware: 'antminer-s19pro', restartS: 20 });
  const password = typeof s.params['password'] === 'string' ? s.params['password'] : 'root';
  const guard = new DigestGuard('antMiner Configuration', 'root', () => password);
  const conf: Conf = { mode: '0', pools: [...SIM_POOLS.map((p) => ({ ...p, pass: 'x' })), { url: '', user: '', pass: '' }] };
  const rpcServer = await serveRpc(m, s.host, s.port, (req) => rpc(m, req), DESC);
  const httpServer = await serveHttp(m, s.host, 0, (c) => web(m, guard, conf, c));
  return minerEndpoint(s, m, 'antminer-stock', rpcServer, { http: httpServer, user: 'root', password });
};

// Simulated VNish (AnthillOS) on an Antminer (shared/reference/miners.md §2.6): bmminer's RPC
// (stats, summary, pools, version with "vnish" in the type) and the web API under /api/v1:
// POST unlock {"pw"} → token (sent as Authorization); GET summary (no auth), settings,
// autotune/presets; POST settings, mining/pause, mining/resume. POST settings answers
// {"restart_required":false} whatever it did (an unknown preset changes nothing), which is why
// the agent reads settings back. A new preset re-tunes: the target applies after `tuneS` (5).

import { randomBytes } from 'node:crypto';
import type { DeviceModel } from '../registry.js';
import { serveHttp, type HttpAnswer, type HttpCall } from './http-server.js';
import { cg, cgError } from './replies.js';
import { serveRpc, type RpcAnswer, type RpcRequest } from './rpc-server.js';
import type { SimMiner } from './sim-miner.js';
import { antminerStats, antminerSummary, cgPools } from './antminer.js';
import { minerEndpoint, param, startSimMiner } from './start.js';

const VERSION = '1.2.6';
const DESC = 'cgminer 1.0.0';

interface Preset {
  readonly name: string;
  readonly watts: number;
  readonly tuned: boolean;
}

interface Vnish {
  preset: string;
  readonly presets: readonly Preset[];
  readonly tokens: Set<string>;
}

/** Presets every 250 W from 50 % of nominal; those above nominal are not tuned. */
function presetsFor(nominalW: number): Preset[] {
  const out: Preset[] = [];
  for (let w = Math.ceil((nominalW * 0.5) / 250) * 250; w <= nominalW + 500; w += 250) out.push({ name: String(w), watts: w, tuned: w <= nominalW });
  return out;
}

function rpc(m: SimMiner, req: RpcRequest): RpcAnswer {
  const type = `${m.hw.name} (vnish ${VERSION})`;
  switch (req.command) {
    case 'version':
      return { json: cg('S', 22, 'CGMiner versions', DESC, { VERSION: [{ BMMiner: '1.0.0', API: '3.1', Miner: VERSION, CompileTime: 'Mon Mar 10 12:00:00 UTC 2025', Type: type }] }) };
    case 'stats': {
      const r = antminerStats(m, VERSION);
      const stats = r['STATS'] as Record<string, unknown>[];
      if (stats[0]) stats[0] = { ...stats[0], Type: type };
      return { json: r };
    }
    case 'summary':
      return { json: antminerSummary(m) };
    case 'pools':
      return { json: cgPools(DESC) };
    default:
      return { json: cgError(14, 'Invalid command', DESC) };
  }
}

function web(m: SimMiner, v: Vnish, password: string, c: HttpCall): HttpAnswer | undefined {
  if (c.method === 'GET' && c.path === '/') return { status: 200, text: '<html><title>AnthillOS</title></html>' };
  const path = c.path.replace(/^\/api\/v1\//, '');
  if (path === c.path) return undefined;
  const now = m.now();
  if (c.method === 'POST' && path === 'unlock') {
    const pw = (c.json as Record<string, unknown> | undefined)?.['pw'];
    if (pw !== password) return { status: 401, json: { err: 'wrong password' } };
    const token = randomBytes(16).toString('hex');
    v.tokens.add(token);
    return { status: 200, json: { token } };
  }
  if (c.method === 'GET' && path === 'summary') {
    const state = m.mode === 'mining' ? 'mining' : 'stopped';
    return { status: 200, json: { miner: { miner_type: `${m.hw.name} (vnish ${VERSION})`, miner_status: { miner_state: state, miner_state_time: now.uptimeS }, power_usage: Math.round(now.powerW), hr_realtime: Number(now.hashrateTHs.toFixed(2)) } } };
  }
  if (!v.tokens.has(String(c.headers.authorization ?? ''))) return { status: 401, json: { err: 'unauthorized' } };
  switch (`${c.method} ${path}`) {
    case 'GET settings':
      return { status: 200, json: { miner: { overclock: { preset: v.preset, globals: { volt: 1360, freq: 525 } }, cooling: { mode: 'auto' } } } };
    case 'GET autotune/presets':
      return { status: 200, json: v.presets.map((p) => ({ name: p.name, pretty: `${p.watts} watt ~ ${Math.round((m.hw.nominalTHs * p.watts) / m.load.spec.nominalW)} TH`, status: p.tuned ? 'tuned' : 'untuned' })) };
    case 'POST settings': {
      const name = ((c.json as { miner?: { overclock?: { preset?: unknown } } } | undefined)?.miner?.overclock?.preset);
      const p = v.presets.find((x) => x.name === name);
      if (p) {
        v.preset = p.name;
        m.after(typeof m.opts.params['tuneS'] === 'number' ? m.opts.params['tuneS'] : 5, () => m.setTarget(p.watts));
      }
      return { status: 200, json: { restart_required: false, reboot_required: false } };
    }
    case 'POST mining/pause':
    case 'POST mining/stop':
      m.setMode('paused');
      return { status: 200, json: {} };
    case 'POST mining/resume':
    case 'POST mining/start':
      m.setMode('mining');
      return { status: 200, json: {} };
    default:
      return undefined;
  }
}

export const vnishSim: DeviceModel = async (s) => {
  const m = startSimMiner(s, { hardware: 'antminer-s19pro', restartS: 20 });
  const password = param(s, 'password', 'admin');
  const presets = presetsFor(m.load.spec.nominalW);
  const def = [...presets].reverse().find((p) => p.tuned);
  if (!def) throw new Error(`${s.id}: no tuned preset for ${m.load.spec.nominalW} W`);
  const v: Vnish = { preset: def.name, presets, tokens: new Set() };
  m.setTarget(def.watts);
  const rpcServer = await serveRpc(m, s.host, s.port, (req) => rpc(m, req), DESC);
  const httpServer = await serveHttp(m, s.host, 0, (c) => web(m, v, password, c));
  return minerEndpoint(s, m, 'vnish', rpcServer, { http: httpServer, user: 'admin', password });
};

// The demo's live terminal view, as a pure function of the agent's state → text. Colours only
// when asked (a terminal); unknown values print as "?", never as 0.

import type { ControlStatus } from '../control/loop.js';
import type { Agent } from '../main.js';
import { Q, seriesKey } from '../core/series.js';
import { MinerDriver } from '../drivers/miner/driver.js';
import { minerLine } from './miner-format.js';

export interface ViewInput {
  readonly agent: Agent;
  readonly title: string;
  readonly hubUrl: string | undefined;
  readonly elapsedS: number;
  readonly color: boolean;
  readonly width?: number;
  readonly logLines?: readonly string[];
  /** Extra lines under the hub line (how the link is secured, recent commands). */
  readonly hubNotes?: readonly string[];
}

const C = { reset: '\x1b[0m', bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m' };

function paint(on: boolean, code: string, s: string): string {
  return on ? `${code}${s}${C.reset}` : s;
}

function hms(s: number): string {
  const t = Math.floor(s);
  return [Math.floor(t / 3600), Math.floor((t % 3600) / 60), t % 60].map((n) => String(n).padStart(2, '0')).join(':');
}

function fmt(v: number | null, digits: number, unit: string): string {
  return v === null ? `? ${unit}` : `${v.toFixed(digits)} ${unit}`;
}

function bar(frac: number | null, width: number): string {
  if (frac === null) return '?'.padEnd(width, '·');
  const n = Math.max(0, Math.min(width, Math.round(frac * width)));
  return '█'.repeat(n) + '░'.repeat(width - n);
}

export function renderView(v: ViewInput): string {
  const { agent, color } = v;
  const now = Date.now();
  const sum = agent.rack.summary(now);
  const lines: string[] = [];
  lines.push(`${paint(color, C.bold, 'rackpilot demo')} — ${v.title} · ${hms(v.elapsedS)} · Ctrl-C stops`);
  lines.push('');
  const power = sum.powerW === null ? '?' : `${(sum.powerW / 1000).toFixed(2)} kW`;
  lines.push(`${paint(color, C.bold, 'Rack power')}  ${power}${sum.unknownPowerDevices.length && sum.powerW !== null ? ` (at least: ${sum.unknownPowerDevices.join(', ')} unknown)` : ''}`);
  lines.push('');
  lines.push(`${paint(color, C.bold, 'Phase current')} against the continuous limit (breaker × factor)`);
  for (const c of sum.circuits) {
    const u = c.utilisation;
    const tone = u === null ? C.yellow : u >= 1 ? C.red : u >= 0.9 ? C.yellow : C.green;
    const pct = u === null ? '  ?' : `${Math.round(u * 100)}`.padStart(3);
    const q = c.current.quality === 'ok' ? '' : ` ${paint(color, C.yellow, c.current.quality)}`;
    lines.push(`  ${c.id.padEnd(12)} ${paint(color, tone, bar(u, 30))} ${fmt(c.current.value, 1, 'A').padStart(8)} / ${c.limitA.toFixed(1)} A ${pct} %${q}`);
  }
  for (const d of agent.drivers) {
    if (d.info.kind !== 'pdu') continue;
    const outlets = d.series.filter((s) => s.quantity === Q.outletPower);
    if (!outlets.length) continue;
    lines.push('');
    lines.push(`${paint(color, C.bold, `Outlets ${d.info.id}`)} (W; · = off)`);
    const cells = outlets.map((s) => {
      const p = agent.rack.value(seriesKey(d.info.id, Q.outletPower, s.channel), now);
      const st = agent.rack.value(seriesKey(d.info.id, Q.outletState, s.channel), now);
      const val = st === 0 ? '·' : p === null ? '?' : p.toFixed(0);
      return `${s.channel.padStart(2)} ${val.padStart(5)}`;
    });
    const perRow = 6;
    for (let i = 0; i < cells.length; i += perRow) lines.push('  ' + cells.slice(i, i + perRow).join('   '));
  }
  const miners = agent.drivers.filter((d) => d.info.kind === 'miner');
  if (miners.length) {
    lines.push('');
    lines.push(`${paint(color, C.bold, 'Miners')} (~ = power estimated from the model)`);
    for (const d of miners) {
      const r = agent.rack.get(seriesKey(d.info.id, 'miner.hashrate'), now);
      lines.push(`  ${minerLine(d.info.id, d instanceof MinerDriver ? d : undefined, r?.quality === 'ok' ? undefined : r?.detail ?? r?.quality)}`);
    }
  }
  if (agent.control) lines.push('', ...controlLines(agent.control.status(), color, v.width ?? 120));
  lines.push('');
  const st = agent.stats();
  const tone = st.linkState === 'up' ? C.green : st.linkState === 'disabled' ? C.dim : C.yellow;
  lines.push(`${paint(color, C.bold, 'Hub')}  ${paint(color, tone, st.linkState)}  ${v.hubUrl ?? '(none)'}`);
  lines.push(`  samples sent ${st.samplesSent}  acked ${st.samplesAcked}  · batches sent ${st.batchesSent}  acked ${st.batchesAcked}  · outbox ${st.outboxBatches}${st.droppedSamples ? `  dropped ${st.droppedSamples}` : ''}`);
  lines.push(`  poll cycles ${st.cycles}  overruns ${st.overruns}`);
  for (const n of v.hubNotes ?? []) lines.push(`  ${n}`);
  const events = agent.recentEvents.slice(-8);
  if (events.length) {
    lines.push('');
    lines.push(`${paint(color, C.bold, 'Events')} (decisions with their reasons, newest last)`);
    for (const e of events) {
      const tone = e.severity === 'critical' ? C.red : e.severity === 'warning' ? C.yellow : e.type.startsWith('control.') ? C.cyan : '';
      const line = `${new Date(e.timeMs).toISOString().slice(11, 19)} ${e.type.padEnd(20)} ${e.message}`;
      lines.push(`  ${tone ? paint(color, tone, clip(line, (v.width ?? 120) - 2)) : clip(line, (v.width ?? 120) - 2)}`);
    }
  }
  if (v.logLines?.length) {
    lines.push('');
    lines.push(paint(color, C.bold, 'Log (warnings)'));
    for (const l of v.logLines.slice(-3)) lines.push(`  ${paint(color, C.dim, l.slice(0, (v.width ?? 120) - 2))}`);
  }
  return lines.join('\n') + '\n';
}

function clip(s: string, width: number): string {
  return s.length > width ? `${s.slice(0, Math.max(0, width - 1))}…` : s;
}

const MODE_MARK = { free: ' ', limited: '▼', paused: '⏸', off: '○' } as const;

/** The controller: the budget in force, and every governed load with what was done to it. */
function controlLines(c: ControlStatus, color: boolean, width: number): string[] {
  const budget = c.budgetW === null ? 'circuits only' : `${(c.budgetW / 1000).toFixed(2)} kW (${c.budgetSource})`;
  const held = [...c.armed.map((x) => `${x} holding`), ...c.blind.map((x) => `${x} blind`)];
  const out = [`${paint(color, C.bold, 'Control')}  rack budget ${budget}${held.length ? `  · ${held.join(', ')}` : ''}${c.errors ? paint(color, C.red, `  · ${c.errors} step errors`) : ''}`];
  const cells = c.loads.map((l) => {
    const draw = l.drawW === null ? '?' : (l.drawW / 1000).toFixed(2);
    const set = l.mode === 'limited' && l.setpointW !== null ? `≤${(l.setpointW / 1000).toFixed(2)}` : l.mode === 'free' ? '' : l.mode;
    const cell = `${MODE_MARK[l.mode]} ${l.id} ${draw} kW ${set}${l.unresponsive ? ' !' : ''}`.padEnd(32);
    return l.unresponsive ? paint(color, C.red, cell) : l.mode === 'free' ? cell : paint(color, C.yellow, cell);
  });
  const perRow = Math.max(1, Math.floor((width - 2) / 33));
  for (let i = 0; i < cells.length; i += perRow) out.push('  ' + cells.slice(i, i + perRow).join(' '));
  if (!c.loads.length) out.push('  (no loads described: add `load:` to devices or control.loads)');
  return out;
}

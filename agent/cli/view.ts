// The live terminal view of an agent, as a pure function of its status snapshot → text: the
// demo renders its in-process agent with it, `rackpilot diag status` a running agent's GET
// /status. Colours only when asked (a terminal); unknown values print as "?", never as 0. Plain
// lines only: no cursor addressing inside a frame, so it reads the same over SSH, in a log file
// or piped through less.

import type { DeviceStatus, HubSnapshot, MinerSummary, StatusSnapshot } from '../local-api/status.js';
import type { ControlSnapshot } from '../local-api/status.js';

export interface ViewInput {
  readonly status: StatusSnapshot;
  /** The first line: the program name (bold) and what follows it, joined with " · ". */
  readonly heading: { readonly program: string; readonly parts: readonly string[] };
  readonly color: boolean;
  /** Room for messages (default 120). */
  readonly width?: number;
  /** A terminal's width: every line is cut to it, so none wraps (a pipe or a file gets whole lines). */
  readonly fitTo?: number;
  readonly logLines?: readonly string[];
  /** Extra lines under the hub line (how the link is secured, recent commands). */
  readonly hubNotes?: readonly string[];
}

const C = { reset: '\x1b[0m', bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m' };

function paint(on: boolean, code: string, s: string): string {
  return on && code ? `${code}${s}${C.reset}` : s;
}

/** "00:03:15" */
export function hms(s: number): string {
  const t = Math.floor(s);
  return [Math.floor(t / 3600), Math.floor((t % 3600) / 60), t % 60].map((n) => String(n).padStart(2, '0')).join(':');
}

/** "4 s", "12 min", "3 h 05 min", "2 d 4 h" */
export function ago(ms: number): string {
  const s = Math.max(0, ms / 1000);
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

function fmt(v: number | null, digits: number, unit: string): string {
  return v === null ? `? ${unit}` : `${v.toFixed(digits)} ${unit}`;
}

const kw = (w: number | null): string => (w === null ? '?' : (w / 1000).toFixed(2));

function bar(frac: number | null, width: number): string {
  if (frac === null) return '?'.padEnd(width, '·');
  const n = Math.max(0, Math.min(width, Math.round(frac * width)));
  return '█'.repeat(n) + '░'.repeat(width - n);
}

function toneOf(u: number | null): string {
  return u === null ? C.yellow : u >= 1 ? C.red : u >= 0.9 ? C.yellow : C.green;
}

function clip(s: string, width: number): string {
  return s.length > width ? `${s.slice(0, Math.max(0, width - 1))}…` : s;
}

// eslint-disable-next-line no-control-regex -- terminal colour codes start with ESC
const SGR = /\x1b\[[0-9;]*m/y;

/**
 * A line cut to `width` visible characters (colour codes take no room), so a terminal never
 * wraps it: a wrapped line would scroll the redrawn frame.
 */
export function fitLine(line: string, width: number): string {
  let visible = 0;
  let cut = -1;
  for (let i = 0; i < line.length;) {
    SGR.lastIndex = i;
    if (SGR.test(line)) {
      i = SGR.lastIndex;
      continue;
    }
    if (visible === width - 1) cut = i;
    if (++visible > width) return `${line.slice(0, cut)}…${line.includes('\x1b[') ? C.reset : ''}`;
    i += (line.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
  }
  return line;
}

export function renderView(v: ViewInput): string {
  const { status: st, color } = v;
  const width = v.width ?? 120;
  const lines: string[] = [];
  lines.push([`${paint(color, C.bold, v.heading.program)} — ${v.heading.parts[0] ?? ''}`, ...v.heading.parts.slice(1)].join(' · '));
  lines.push('', ...rackLines(st, color), '');
  lines.push(`${paint(color, C.bold, 'Phase current')} against the continuous limit (breaker × factor)`);
  for (const c of st.circuits) {
    const pct = c.utilisation === null ? '  ?' : `${Math.round(c.utilisation * 100)}`.padStart(3);
    const q = c.quality === 'ok' ? '' : ` ${paint(color, C.yellow, c.quality)}`;
    lines.push(`  ${c.id.padEnd(12)} ${paint(color, toneOf(c.utilisation), bar(c.utilisation, 30))} ${fmt(c.currentA, 1, 'A').padStart(8)} / ${c.limitA.toFixed(1)} A ${pct} %${q}`);
  }
  if (!st.circuits.length) lines.push('  (no circuits: add `circuits:` to the PDUs)');
  for (const p of st.outlets) {
    lines.push('', `${paint(color, C.bold, `Outlets ${p.pdu}`)} (W; · = off)`);
    const cells = p.outlets.map((o) => `${o.outlet.padStart(2)} ${(o.on === false ? '·' : o.powerW === null ? '?' : o.powerW.toFixed(0)).padStart(5)}`);
    for (let i = 0; i < cells.length; i += 6) lines.push('  ' + cells.slice(i, i + 6).join('   '));
  }
  lines.push('', ...deviceLines(st, color, width));
  if (st.control) lines.push('', ...controlLines(st.control, st.timeMs, color, width));
  lines.push('', ...hubLines(st, v.hubNotes ?? [], color));
  const events = st.events.slice(-8);
  if (events.length) {
    lines.push('', `${paint(color, C.bold, 'Events')} (decisions with their reasons, newest last)`);
    for (const e of events) {
      const tone = e.severity === 'critical' ? C.red : e.severity === 'warning' ? C.yellow : e.type.startsWith('control.') ? C.cyan : '';
      lines.push(`  ${paint(color, tone, clip(`${new Date(e.timeMs).toISOString().slice(11, 19)} ${e.type.padEnd(20)} ${e.message}`, width - 2))}`);
    }
  }
  if (v.logLines?.length) {
    lines.push('', paint(color, C.bold, 'Log (warnings)'));
    for (const l of v.logLines.slice(-3)) lines.push(`  ${paint(color, C.dim, clip(l, width - 2))}`);
  }
  const fitTo = v.fitTo;
  return (fitTo ? lines.map((l) => fitLine(l, fitTo)) : lines).join('\n') + '\n';
}

/** Rack power, and against the budget when one is in force. */
function rackLines(st: StatusSnapshot, color: boolean): string[] {
  const r = st.rack;
  const lower = r.unknownPowerDevices.length && r.powerW !== null ? ` (at least: ${r.unknownPowerDevices.join(', ')} unknown)` : '';
  const budget = st.control?.budgetW ?? null;
  if (budget === null) return [`${paint(color, C.bold, 'Rack power')}  ${r.powerW === null ? '?' : `${kw(r.powerW)} kW`}${lower}`];
  const u = r.powerW === null ? null : r.powerW / budget;
  return [`${paint(color, C.bold, 'Rack power')}  ${paint(color, toneOf(u), bar(u, 30))} ${kw(r.powerW)} kW / ${kw(budget)} kW (${st.control?.budgetSource ?? 'budget'}) ${u === null ? '?' : Math.round(u * 100)} %${lower}`];
}

const HEALTH_TONE: Readonly<Record<string, string>> = { up: C.green, degraded: C.yellow, down: C.red, unknown: C.dim };

/** Every device: health, age of its newest reading, good series, power, and what is wrong. */
function deviceLines(st: StatusSnapshot, color: boolean, width: number): string[] {
  const out = [`${paint(color, C.bold, 'Devices')} (health · newest reading · good series · power; ~ = estimated)`];
  const idW = Math.max(8, ...st.devices.map((d) => d.id.length));
  for (const d of st.devices) {
    const age = d.lastReadingAgeMs === null ? 'never' : ago(d.lastReadingAgeMs);
    const head = `  ${d.id.padEnd(idW)} ${d.kind.padEnd(5)} ${paint(color, HEALTH_TONE[d.health] ?? '', d.health.padEnd(8))} ${age.padStart(8)}  ${`${d.ok}/${d.series}`.padStart(7)}  ${powerCell(d).padStart(9)}`;
    const extra = d.miner ? `  ${minerCell(d.miner)}` : '';
    // Values a device does not have ('unsupported') are its hardware, not a fault, while it is up.
    const problem = d.problems.find((p) => p.quality !== 'unsupported') ?? (d.health === 'up' ? undefined : d.problems[0]);
    const why = problem ? `${problem.quality}${problem.count > 1 ? ` ×${problem.count}` : ''}${problem.detail ? `: ${problem.detail}` : ''}` : d.lastError ?? '';
    out.push(head + extra);
    // What is wrong goes on a line of its own, under the device, so it is not cut short.
    if (why) out.push(`  ${' '.repeat(idW)} ${paint(color, d.health === 'down' ? C.red : C.yellow, clip(`↳ ${why}`, width - idW - 3))}`);
  }
  return out;
}

function powerCell(d: DeviceStatus): string {
  if (d.kind === 'host') return '';
  return d.powerW === null ? '? kW' : `${d.miner?.powerEstimated ? '~' : ''}${kw(d.powerW)} kW`;
}

function minerCell(m: MinerSummary): string {
  const th = m.hashrateTHs === null ? '?' : m.hashrateTHs.toFixed(1);
  return `${(m.firmware ?? 'firmware ?').padEnd(19)} ${(m.state ?? '?').padEnd(8)} ${th.padStart(6)} TH/s  target ${m.targetW === null ? '–' : `${m.targetW} W`}`;
}

const MODE_MARK = { free: ' ', limited: '▼', paused: '⏸', off: '○' } as const;

/** The controller: the budget in force, lease and grid events, every governed load. */
function controlLines(c: ControlSnapshot, now: number, color: boolean, width: number): string[] {
  const budget = c.budgetW === null ? 'circuits only' : `${kw(c.budgetW)} kW (${c.budgetSource})`;
  const held = [...c.armed.map((x) => `${x} holding`), ...c.blind.map((x) => `${x} blind`)];
  const out = [`${paint(color, C.bold, 'Control')}  rack budget ${budget}${held.length ? `  · ${held.join(', ')}` : ''}  · actions ${c.actions}${c.failedActions ? paint(color, C.red, ` (${c.failedActions} failed)`) : ''}${c.errors ? paint(color, C.red, `  · ${c.errors} step errors`) : ''}`];
  if (c.lease) out.push(`  lease ${c.lease.id}: rack ≤ ${c.lease.kw} kW, ${c.lease.expiresAtMs > now ? `${ago(c.lease.expiresAtMs - now)} left` : 'expired'}`);
  for (const g of c.gridEvents) {
    const when = g.deadlineMs > now ? `from ${ago(g.deadlineMs - now)} from now` : 'now';
    out.push(`  grid event ${g.id}: rack ≤ ${g.targetKw} kW ${when}, until ${new Date(g.endMs).toISOString().slice(11, 19)}`);
  }
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

/** The hub link, what it has not acked yet, the spool, and the poll loop. */
function hubLines(st: StatusSnapshot, notes: readonly string[], color: boolean): string[] {
  const h: HubSnapshot | null = st.hub;
  const poll = `  poll cycles ${st.poll.cycles}  overruns ${st.poll.overruns}  last ${st.poll.lastCycleMs} ms${st.poll.groups.map((g) => ` · every ${g.intervalMs / 1000} s: ${g.cycles} cycles, ${g.overruns} overruns`).join('')}`;
  if (!h) return [`${paint(color, C.bold, 'Hub')}  ${paint(color, C.dim, 'none configured')}`, poll, ...notes.map((n) => `  ${n}`)];
  const tone = h.state === 'up' ? C.green : C.yellow;
  const since = h.state === 'up' && h.upSinceMs ? ` since ${new Date(h.upSinceMs).toISOString().slice(11, 19)}` : '';
  const out = [`${paint(color, C.bold, 'Hub')}  ${paint(color, tone, h.state)}${since}  ${h.url}${h.state !== 'up' && h.lastError ? paint(color, C.yellow, `  last error: ${h.lastError}`) : ''}`];
  out.push(`  samples sent ${h.samplesSent}  acked ${h.samplesAcked}  · batches sent ${h.batchesSent}  acked ${h.batchesAcked}  · backlog ${h.backlog.batches} batches${h.backlog.batches ? ` (${bytes(h.backlog.bytes)})` : ''}${h.backlog.droppedSamples ? paint(color, C.red, `  dropped ${h.backlog.droppedSamples} samples`) : ''}`);
  const sp = h.spool;
  if (sp) {
    const trouble = [sp.degraded ? 'DEGRADED (disk writes failing)' : '', sp.memOnlyBatches ? `${sp.memOnlyBatches} batches in memory only` : '', sp.lostBatches ? `${sp.lostBatches} batches lost` : ''].filter(Boolean).join(', ');
    out.push(`  spool ${sp.dir}: ${sp.segments} segments, ${bytes(sp.diskBytes)} on disk${trouble ? paint(color, C.red, ` · ${trouble}`) : ''}`);
  }
  out.push(poll, ...notes.map((n) => `  ${n}`));
  return out;
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;
}

/** Cut lines to the terminal's width, when the output is a terminal that says how wide it is. */
export function terminalFit(io: { readonly out: { readonly isTTY?: boolean; readonly columns?: number } }): { fitTo?: number } {
  const cols = io.out.columns;
  return io.out.isTTY && cols !== undefined && cols >= 40 ? { fitTo: cols } : {};
}

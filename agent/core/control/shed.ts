// Shedding: for every constraint that must act, cut loads in shed order until the value is
// projected back at the target fraction of its limit.
//
// Order: miners first, then AI flexible, then AI critical; infrastructure never. Within a class
// higher priority first; among miners the least efficient (highest J/TH) first, then the largest
// draw. A class is touched only when every load of the classes before it on that constraint is
// at its floor and settled: AI is throttled only once the miners have yielded all they can.
// Reductions already commanded but not yet visible count against the need, so a lagging load
// is not cut twice. The mechanism is chosen by expected settle time: an urgent cut on a miner
// uses its fastest control (sleep when a power target settles slower), a gentle one the power
// target; a miner that ignores its controls is switched off at its outlet.

import { describeView, type View } from './constraints.js';
import type { Assessment } from './trip.js';
import { pct } from './trip.js';
import type { ActionType, ConstraintState, LoadSpec, LoadState } from './types.js';
import { SHED_RANK } from './types.js';
import { atFloor, emit, expectW, floorOf, kw, load, pendingDropW, randomBetween, settling, spec, type Work } from './work.js';

interface Cut {
  readonly type: ActionType;
  readonly toW: number;
  readonly settleMs: number;
}

/** Shed order: negative when a sheds before b. */
export function shedOrder(a: LoadSpec, la: LoadState, b: LoadSpec, lb: LoadState): number {
  const byClass = SHED_RANK[a.class] - SHED_RANK[b.class];
  if (byClass) return byClass;
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (la.jPerTH !== null || lb.jPerTH !== null) return (lb.jPerTH ?? -Infinity) - (la.jPerTH ?? -Infinity);
  return (lb.drawW ?? 0) - (la.drawW ?? 0);
}

/** How to bring the load down towards `wantW`, or null when nothing the agent has can. */
function plan(s: LoadSpec, l: LoadState, wantW: number, urgent: boolean): Cut | null {
  const c = s.controls;
  if (l.unresponsive || !(c.setPower || c.pause)) {
    return s.class === 'miner' && c.outlet && l.mode !== 'off' && !l.outletFailed ? { type: 'outlet_off', toW: 0, settleMs: c.outlet.settleMs } : null;
  }
  if (s.class !== 'miner') return c.setPower ? { type: 'set_power', toW: Math.max(wantW, floorOf(s)), settleMs: c.setPower.settleMs } : null;
  const sp = c.setPower;
  const gentle = sp && wantW >= sp.minW && (!c.pause || sp.settleMs <= c.pause.settleMs || !urgent);
  if (sp && gentle) return { type: 'set_power', toW: wantW, settleMs: sp.settleMs };
  if (c.pause) return l.mode === 'paused' ? null : { type: 'pause', toW: s.floorW, settleMs: c.pause.settleMs };
  return sp ? { type: 'set_power', toW: Math.max(wantW, sp.minW), settleMs: sp.settleMs } : null;
}

/** May loads of this class be cut for this constraint? Only when every earlier class is at its floor. */
function classOpen(w: Work, v: View, cls: LoadSpec['class']): boolean {
  if (cls === 'miner') return true;
  if (v.source === 'estimated') return false; // blind: shed miners only, never AI on a guess
  for (const id of [...v.members, ...v.maybe]) {
    const s = spec(w, id);
    if (SHED_RANK[s.class] < SHED_RANK[cls] && !atFloor(w, s, load(w, id))) return false;
  }
  return true;
}

function apply(w: Work, id: string, cut: Cut, reason: string, values: Record<string, number>): number {
  const s = spec(w, id);
  const l = load(w, id);
  const from = expectW(s, l);
  const { restore, verify } = w.params;
  const mode = cut.type === 'outlet_off' ? 'off' : cut.type === 'pause' ? 'paused' : 'limited';
  const wait = randomBetween(w, restore.minDelayMs, restore.maxDelayMs) + (mode === 'off' ? restore.outletCooldownMs : 0);
  w.loads.set(id, {
    ...l, mode, setpointW: cut.toW, changedMs: w.now, notBeforeMs: w.now + wait,
    pending: { type: cut.type, sentMs: w.now, checkAtMs: w.now + cut.settleMs + verify.graceMs, fromW: l.drawW },
  });
  const watts = cut.type === 'set_power' ? { watts: cut.toW } : {};
  w.actions.set(id, { load: id, type: cut.type, ...watts, urgency: 'shed', reason });
  const ai = s.class !== 'miner';
  emit(w, {
    severity: cut.type === 'outlet_off' || ai ? 'warning' : 'notice',
    type: cut.type === 'outlet_off' ? 'control.outlet_off' : ai ? 'control.throttle_ai' : 'control.shed',
    device: id,
    message: `${id} ${cut.type.replace('_', ' ')} ${kw(from)} → ${kw(cut.toW)}: ${reason}`,
    values: { ...values, from_w: Number.isFinite(from) ? from : -1, to_w: cut.toW },
    attrs: { action: cut.type, class: s.class },
  });
  return Number.isFinite(from) ? from - cut.toW : 0; // unknown draw: count nothing, keep shedding
}

/** A reduction in flight is expected within the urgent horizon (urgentSettleMs). */
function landsSoon(w: Work, l: LoadState): boolean {
  return l.pending === null || l.pending.checkAtMs - w.params.verify.graceMs <= w.now + w.params.urgentSettleMs;
}

function shedOne(w: Work, a: Assessment, cs: ConstraintState): boolean {
  const v = a.view;
  const { target, high } = w.params.thresholds;
  // Urgent: extra margin for the loads' own lag and a ramp still under way. The rise is
  // extrapolated only when it alone made the circuit urgent (a surge caught at its very start);
  // by a reading that already shows it far over, a surge is mostly done.
  let need = (a.projected - target * v.limit) * v.wPerUnit * (a.urgent ? w.params.urgentGain : 1);
  const ids = [...v.members, ...v.maybe];
  for (const id of ids) if (!a.urgent || landsSoon(w, load(w, id))) need -= pendingDropW(w, spec(w, id), load(w, id));
  // What is left within the verification tolerance is noise, not a reason to command anything.
  const minCut = w.params.verify.toleranceW;
  if (need <= minCut) return true;
  const order = ids.slice().sort((x, y) => shedOrder(spec(w, x), load(w, x), spec(w, y), load(w, y)));
  const reason = `${describeView(v)} above high ${pct(high)}${a.urgent ? ', urgent' : ''}`;
  const values = { value: v.value, limit: v.limit, ratio: a.ratio, need_w: need };
  for (const id of order) {
    if (need <= minCut) break;
    const s = spec(w, id);
    if (s.class === 'infrastructure' || !classOpen(w, v, s.class)) continue;
    const l = load(w, id);
    // AI is throttled on what it draws, never on a guess; a miner whose draw is unknown is cut
    // from its worst case (pausing it is the safe side).
    if (s.class !== 'miner' && l.drawW === null) continue;
    const cur = expectW(s, l);
    if (!Number.isFinite(cur) && !l.unresponsive) continue;
    const cut = plan(s, l, cur - need, a.urgent);
    if (!cut || cut.toW > cur - minCut) continue;
    const dropped = apply(w, id, cut, reason, values);
    if (!a.urgent || cut.settleMs <= w.params.urgentSettleMs) need -= dropped;
  }
  const settlingNow = ids.some((id) => settling(w, load(w, id)));
  if (need > minCut && !cs.exhausted && !settlingNow) {
    emit(w, {
      severity: 'critical', type: 'control.cannot_shed', device: v.id,
      message: `${describeView(v)}: ${kw(need)} still to shed and nothing more the agent may cut now (floors reached, AI waits for miners to settle, or no actuators)`,
      values: { need_w: need, value: v.value, limit: v.limit },
    });
    return false;
  }
  return need <= minCut;
}

/** Sheds on every acting constraint, most overloaded first. Marks constraints left over. */
export function shed(w: Work, assessed: readonly Assessment[], states: Map<string, ConstraintState>): void {
  const acting = assessed.filter((a) => a.acting).sort((x, y) => y.ratio - x.ratio);
  for (const a of acting) {
    const cs = states.get(a.view.id) as ConstraintState;
    const done = shedOne(w, a, cs);
    if (!done) states.set(a.view.id, { ...cs, exhausted: true });
  }
}

// Restoring (and hybrid fill): give headroom back to shed loads, softly.
//
// Nothing on a constraint is restored while it is armed (the hold after a high crossing), held
// or blind (reading late or stale), or acting. Headroom is what is left up to the target fraction
// of every limit the load may share, minus increases already commanded and not yet visible, so
// restores can never stack into a second overload. Loads come back in reverse shed order: AI
// first, then the most efficient miners. Each load waits its own random delay after being shed;
// a setpoint rises at most rampFracPerS of its nominal per second and the rack at most
// rackRampWPerS; at most `batch` loads are resumed or switched on per batchIntervalMs and only
// one outlet per PDU per step (inrush). Increments under 5 % of nominal wait to accumulate, so
// noise does not turn into a stream of tiny commands.

import { describeView, type View } from './constraints.js';
import type { Assessment } from './trip.js';
import type { ActionType, ControllerState, LoadMode, LoadSpec, LoadState } from './types.js';
import { emit, expectW, kw, load, pendingRiseW, spec, worstCaseW, type Work } from './work.js';
import { shedOrder } from './shed.js';

const MIN_STEP_FRAC = 0.05;
/** At most this many seconds of ramp in one increment (after a long hold). */
const MAX_RAMP_S = 2;

interface Room {
  readonly views: readonly View[];
  readonly headroom: Map<string, number>;
  rackRampW: number;
  batch: { startMs: number; count: number };
  readonly pdusSwitched: Set<string>;
}

interface Step {
  readonly type: ActionType;
  readonly mode: LoadMode;
  readonly toW: number | null;
  /** Increase in expected draw, W. */
  readonly riseW: number;
  readonly watts?: number;
  readonly batched: boolean;
}

function refW(s: LoadSpec, l: LoadState): number {
  return s.nominalW ?? s.controls.setPower?.maxW ?? (l.peakW > 0 ? l.peakW : Infinity);
}

/** The next restore step for a load given the room it has, or null to wait. */
function nextStep(w: Work, s: LoadSpec, l: LoadState, room: number): Step | null {
  const ref = refW(s, l);
  const cur = expectW(s, l);
  const sp = s.controls.setPower;
  const minStep = Number.isFinite(ref) ? MIN_STEP_FRAC * ref : Infinity;
  if (l.mode === 'off') {
    const full = worstCaseW(s, l);
    return room >= full ? { type: 'outlet_on', mode: 'free', toW: null, riseW: full, batched: true } : null;
  }
  const elapsedS = Math.min(MAX_RAMP_S, Math.max(w.dtS, (w.now - l.changedMs) / 1000));
  const ramp = w.params.restore.rampFracPerS * ref * elapsedS;
  if (l.mode === 'paused') {
    if (!sp) {
      const full = worstCaseW(s, l);
      return room >= full - cur ? { type: 'resume', mode: 'free', toW: null, riseW: full - cur, batched: true } : null;
    }
    const to = Math.min(ref, Math.max(sp.minW, cur + Math.min(ramp, room)));
    return room >= to - cur && to - cur >= minStep ? { type: 'resume', mode: 'limited', toW: to, riseW: to - cur, watts: to, batched: true } : null;
  }
  const setpoint = l.setpointW ?? cur;
  const inc = Math.min(ramp, room, ref - setpoint);
  if (setpoint + inc >= ref * 0.99) {
    // Released only when the room covers the rest: the load may then draw its full nominal.
    const rest = ref - cur;
    return room >= rest ? { type: 'restore', mode: 'free', toW: null, riseW: Math.max(0, rest), batched: false } : null;
  }
  if (inc < minStep) return null;
  return { type: 'set_power', mode: 'limited', toW: setpoint + inc, riseW: Math.max(0, setpoint + inc - cur), watts: setpoint + inc, batched: false };
}

function roomFor(r: Room, id: string): { room: number; views: View[] } {
  const views = r.views.filter((v) => v.members.includes(id) || v.maybe.includes(id));
  let room = r.rackRampW;
  for (const v of views) room = Math.min(room, r.headroom.get(v.id) ?? 0);
  return { room, views };
}

function restoreOne(w: Work, r: Room, id: string): void {
  const s = spec(w, id);
  const l = load(w, id);
  const { room, views } = roomFor(r, id);
  if (room <= 0) return;
  const st = nextStep(w, s, l, room);
  if (!st) return;
  if (st.batched && r.batch.count >= w.params.restore.batch) return;
  if (st.type === 'outlet_on' && s.pdu !== null) {
    if (r.pdusSwitched.has(s.pdu)) return;
    r.pdusSwitched.add(s.pdu);
  }
  if (st.batched) r.batch.count++;
  r.rackRampW -= st.riseW;
  for (const v of views) r.headroom.set(v.id, (r.headroom.get(v.id) ?? 0) - st.riseW);
  const settle = st.type === 'outlet_on' ? s.controls.outlet?.settleMs : st.type === 'resume' ? s.controls.pause?.settleMs : s.controls.setPower?.settleMs;
  w.loads.set(id, {
    ...l, mode: st.mode, setpointW: st.toW, changedMs: w.now, ...(st.type === 'outlet_on' ? { unresponsive: false, outletFailed: false } : {}),
    pending: { type: st.type, sentMs: w.now, checkAtMs: w.now + (settle ?? 0) + w.params.verify.graceMs, fromW: l.drawW },
  });
  const tight = views.length ? views.reduce((a, b) => ((r.headroom.get(a.id) ?? 0) <= (r.headroom.get(b.id) ?? 0) ? a : b)) : undefined;
  const reason = tight ? `${describeView(tight)}, room ${kw(room)}` : 'no limit applies';
  w.actions.set(id, { load: id, type: st.type, ...(st.watts !== undefined ? { watts: st.watts } : {}), urgency: 'restore', reason });
  const to = st.toW === null ? 'released' : kw(st.toW);
  emit(w, {
    severity: 'info', type: 'control.restore', device: id,
    message: `${id} ${st.type.replace('_', ' ')} → ${to}: ${reason}`,
    values: { rise_w: st.riseW, room_w: room, ...(st.toW === null ? {} : { to_w: st.toW }) },
    attrs: { action: st.type, class: s.class },
  });
}

/** Restores what the constraints allow. Returns the restore batch window's next state. */
export function restore(w: Work, assessed: readonly Assessment[], prev: ControllerState['restoreBatch'], armed: (id: string) => boolean): ControllerState['restoreBatch'] {
  const { thresholds, restore: rp } = w.params;
  const blocked = new Set<string>();
  const headroom = new Map<string, number>();
  for (const a of assessed) {
    const v = a.view;
    const ids = [...v.members, ...v.maybe];
    if (a.acting || armed(v.id) || v.source !== 'measured') for (const id of ids) blocked.add(id);
    let room = (thresholds.target * v.limit - v.value) * v.wPerUnit;
    for (const id of ids) room -= pendingRiseW(w, spec(w, id), load(w, id));
    headroom.set(v.id, room);
  }
  const batch = w.now - prev.startMs >= rp.batchIntervalMs ? { startMs: w.now, count: 0 } : { ...prev };
  const r: Room = { views: assessed.map((a) => a.view), headroom, rackRampW: rp.rackRampWPerS * Math.max(w.dtS, 1), batch, pdusSwitched: new Set() };
  const candidates = [...w.loads.entries()]
    .filter(([id, l]) => l.mode !== 'free' && l.pending === null && !blocked.has(id) && !w.actions.has(id) && w.now >= l.notBeforeMs)
    .map(([id]) => id)
    .sort((x, y) => -shedOrder(spec(w, x), load(w, x), spec(w, y), load(w, y)));
  for (const id of candidates) restoreOne(w, r, id);
  return r.batch;
}

// Verification: every command is checked against the readings once its expected settle time
// (plus a grace) has passed. A reduction that did not show up, or an actuator that reported a
// failure, marks the load unresponsive: its own controls are no longer counted on, and the shed
// policy escalates (outlet off for a miner). While the load's draw is unknown at the check, the
// command counts as done (proto-fleet's rule: a flaky sensor must not start a redispatch storm;
// the failsafe covers the risk) but stays unverified, and is checked on the first reading that
// comes back. A load that later drifts above its setpoint (a reboot that forgot its power
// target) gets its command again. An unresponsive load gets another chance after the outlet
// cooldown.

import type { ActionOutcome, ActionType, LoadSpec, LoadState } from './types.js';
import { emit, kw, type Work } from './work.js';

const DOWN: ReadonlySet<ActionType> = new Set(['set_power', 'pause', 'outlet_off']);

/**
 * At or below its setpoint, give or take the tolerance: a fraction of `scaleW` (the draw before
 * the command, or the nameplate) plus a fixed margin. A miner asleep still draws something
 * (fans, control board), which a floor of 0 in the config does not know about.
 */
function within(w: Work, l: LoadState, scaleW: number): boolean {
  const { toleranceFrac, toleranceW } = w.params.verify;
  return l.drawW === null || l.setpointW === null || l.drawW <= l.setpointW + toleranceFrac * Math.max(l.setpointW, scaleW) + toleranceW;
}

function unresponsive(w: Work, id: string, s: LoadSpec, l: LoadState, why: string): void {
  const outletFailed = l.pending?.type === 'outlet_off';
  w.loads.set(id, { ...l, unresponsive: l.unresponsive || !outletFailed, outletFailed: l.outletFailed || outletFailed, pending: null, changedMs: w.now });
  const escalate = s.class === 'miner' && s.controls.outlet && l.mode !== 'off' && !l.outletFailed;
  emit(w, {
    severity: l.mode === 'off' ? 'critical' : 'warning', type: 'control.unresponsive', device: id,
    message: `${id} did not follow ${l.pending?.type.replace('_', ' ') ?? 'its command'}: ${why}; ${escalate ? 'the outlet is the last resort' : l.mode === 'off' ? 'the outlet did not cut it' : 'no further control: other loads must cover it'}`,
    values: { draw_w: l.drawW ?? -1, setpoint_w: l.setpointW ?? -1 },
  });
}

function failed(w: Work, o: ActionOutcome): void {
  const s = w.specs.get(o.load);
  const l = w.loads.get(o.load);
  if (!s || !l || !l.pending || l.pending.type !== o.type) return;
  if (DOWN.has(o.type) && l.mode !== 'free') {
    unresponsive(w, o.load, s, l, `the actuator failed (${o.detail})`);
    return;
  }
  // A failed increase leaves the load lower than planned: safe; the next restore step retries.
  w.loads.set(o.load, { ...l, pending: null });
  emit(w, { severity: 'warning', type: 'control.actuation_failed', device: o.load, message: `${o.load} ${o.type.replace('_', ' ')} failed: ${o.detail}` });
}

function check(w: Work, id: string, s: LoadSpec, l: LoadState): void {
  const p = l.pending;
  if (!p || w.now < p.checkAtMs) return;
  if (DOWN.has(p.type) && l.drawW === null) return; // unverified until a reading comes back
  if (!DOWN.has(p.type) || within(w, l, p.fromW ?? 0)) {
    // A command that took effect shows the controls (or the outlet) work.
    w.loads.set(id, { ...l, pending: null, ...(p.type === 'outlet_off' ? { outletFailed: false } : p.type === 'outlet_on' ? {} : { unresponsive: false }) });
    return;
  }
  const waited = ((w.now - p.sentMs) / 1000).toFixed(1);
  unresponsive(w, id, s, l, `after ${waited} s it draws ${kw(l.drawW ?? 0)}, expected at most ${kw(l.setpointW ?? 0)}`);
}

function reassert(w: Work, id: string, l: LoadState): void {
  if (l.pending || l.mode === 'free' || (l.mode === 'off' ? l.outletFailed : l.unresponsive)) return;
  const s = w.specs.get(id) as LoadSpec;
  if (within(w, l, s.nominalW ?? l.peakW)) return;
  const type: ActionType = l.mode === 'off' ? 'outlet_off' : l.mode === 'paused' ? 'pause' : 'set_power';
  const settle = (type === 'outlet_off' ? s.controls.outlet : type === 'pause' ? s.controls.pause : s.controls.setPower)?.settleMs ?? 0;
  w.loads.set(id, { ...l, pending: { type, sentMs: w.now, checkAtMs: w.now + settle + w.params.verify.graceMs, fromW: l.drawW } });
  const reason = `draws ${kw(l.drawW ?? 0)}, above its setpoint ${kw(l.setpointW ?? 0)}`;
  w.actions.set(id, { load: id, type, ...(type === 'set_power' && l.setpointW !== null ? { watts: l.setpointW } : {}), urgency: 'shed', reason });
  emit(w, { severity: 'notice', type: 'control.reassert', device: id, message: `${id} ${reason}: command sent again`, values: { draw_w: l.drawW ?? -1, setpoint_w: l.setpointW ?? -1 } });
}

export function verify(w: Work, outcomes: readonly ActionOutcome[]): void {
  for (const o of outcomes) if (!o.ok) failed(w, o);
  for (const [id, l] of w.loads) {
    const s = w.specs.get(id) as LoadSpec;
    if (l.pending) check(w, id, s, l);
    const now = w.loads.get(id) as LoadState;
    if ((now.unresponsive || now.outletFailed) && now.mode !== 'off' && w.now - now.changedMs >= w.params.restore.outletCooldownMs) {
      w.loads.set(id, { ...now, unresponsive: false, outletFailed: false, changedMs: w.now });
      emit(w, { severity: 'info', type: 'control.retry', device: id, message: `${id} gets another chance to follow commands after ${Math.round(w.params.restore.outletCooldownMs / 1000)} s` });
    }
    reassert(w, id, w.loads.get(id) as LoadState);
  }
}

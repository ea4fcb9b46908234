// Hub commands for the controller: set_cap_lease, clear_cap_lease, grid_event (protocol fields
// 12–14 of Command). Each is checked against the local limits (HubLimits) and answered with the
// outcome; the controller picks the new limits up on its next step.

import type { ActionHandler, ActionName } from '../uplink/commands.js';
import type { Clock } from '../runtime/clock.js';
import type { HubLimits } from './hub-limits.js';

export function controlHandlers(limits: HubLimits, clock: Clock): Partial<Record<ActionName, ActionHandler>> {
  return {
    setCapLease: (cmd) => {
      const l = cmd.setCapLease;
      if (!l) return { status: 'invalid', message: 'set_cap_lease without parameters' };
      return limits.setLease({ id: l.leaseId || cmd.id, kw: l.kw ?? NaN, ttlMs: l.ttlMs ?? NaN }, clock.now());
    },
    clearCapLease: (cmd) => limits.clearLease(cmd.clearCapLease?.leaseId ?? ''),
    gridEvent: (cmd) => {
      const g = cmd.gridEvent;
      if (!g) return { status: 'invalid', message: 'grid_event without parameters' };
      return limits.gridEvent({ id: g.eventId ?? '', targetKw: g.targetKw ?? NaN, startInMs: g.startInMs ?? 0, durationMs: g.durationMs ?? NaN, cancel: g.cancel ?? false }, clock.now());
    },
  };
}

/** Capabilities announced in Hello when the controller runs. */
export const CONTROL_CAPABILITIES = ['control', 'command.set_cap_lease', 'command.clear_cap_lease', 'command.grid_event'] as const;

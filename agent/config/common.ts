// Config fields shared by device families.

import { LOAD_CLASSES, type LoadClass } from '../core/control/types.js';
import { s, type Infer } from './shape.js';

/**
 * Load classes, in the order they are shed last-to-first: infrastructure is never shed, then
 * AI critical, AI flexible, and miners first (docs/control.md). Defined with the controller.
 */
export { LOAD_CLASSES, type LoadClass };

/**
 * Where a load is plugged in: lets the agent attribute outlet power and switch the outlet.
 * `phase` (L1–L3) is the outlet's phase on a three-phase PDU: with it the controller sheds
 * exactly the loads on an overloaded phase; without it a load counts as possibly on every phase.
 */
export const feedShape = s.object({
  pdu: s.id(),
  outlet: s.int({ min: 1, max: 1024 }),
  phase: s.enum(['L1', 'L2', 'L3'] as const).opt(),
});

export const tcpTransportShape = s.object({
  host: s.string({ min: 1 }),
  port: s.int({ min: 1, max: 65535 }).default(502),
});

/**
 * How the power-cap controller treats a device's load. Every family whose devices draw power
 * the agent can change (miners, GPU hosts) includes `load: loadShape` in its config, with its
 * own default class.
 *   class     shed order: miners first, then ai-flexible, then ai-critical; infrastructure never
 *   priority  within a class, higher sheds first (default 0)
 *   feed      the PDU outlet the load is plugged into (attribution, outlet as last resort)
 *   floorW    the draw the controller may push the load down to (miner idle, GPU min limit)
 *   nominalW  nameplate draw, used when readings are unknown
 */
export function loadShape(defaultClass: LoadClass) {
  return s.object({
    class: s.enum(LOAD_CLASSES).default(defaultClass),
    priority: s.int({ min: -1000, max: 1000 }).default(0),
    feed: feedShape.opt(),
    floorW: s.number({ min: 0, max: 100_000, unit: 'W' }).opt(),
    nominalW: s.number({ min: 1, max: 100_000, unit: 'W' }).opt(),
  }).default({ class: defaultClass, priority: 0 });
}

export type LoadConfig = Infer<ReturnType<typeof loadShape>>;

// Config fields shared by device families.

import { s } from './shape.js';

/**
 * Load classes, in the order they are shed last-to-first: infrastructure is never shed, then
 * AI critical, AI flexible, and miners first (docs/architecture.md, "Control model").
 */
export const LOAD_CLASSES = ['infrastructure', 'ai-critical', 'ai-flexible', 'miner'] as const;
export type LoadClass = (typeof LOAD_CLASSES)[number];

/** Where a load is plugged in: lets the agent attribute outlet power and switch the outlet. */
export const feedShape = s.object({
  pdu: s.id(),
  outlet: s.int({ min: 1, max: 1024 }),
});

export const tcpTransportShape = s.object({
  host: s.string({ min: 1 }),
  port: s.int({ min: 1, max: 65535 }).default(502),
});

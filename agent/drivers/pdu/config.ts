// Config of a Modbus power device (PDU or meter): `type: modbus` in rack.yaml (docs/config.md).
import { tcpTransportShape } from '../../config/common.js';
import { s, type Infer } from '../../config/shape.js';

const phaseName = s.string({ pattern: /^L[1-3]$/, patternHint: 'L1, L2 or L3' });

export const circuitsShape = s.object({
  /** Breaker rating per phase, A. */
  breakerA: s.number({ min: 1, max: 1000, unit: 'A' }),
  /** Share of the rating allowed continuously (NEC: 0.8). */
  continuousFactor: s.number({ min: 0.1, max: 1 }).default(0.8),
  /** Per-phase ratings where they differ, e.g. { L3: 20 }. */
  phases: s.record(s.number({ min: 1, max: 1000, unit: 'A' }), phaseName).opt(),
});

export const modbusDeviceShape = s.object({
  id: s.id(),
  /** Built-in profile name, or a path to a YAML profile file. */
  profile: s.string({ min: 1 }),
  transport: s.tagged('type', { tcp: tcpTransportShape }),
  unit: s.int({ min: 0, max: 255 }).default(1),
  /** Outlet count, for profiles whose outlet count depends on the model. */
  outlets: s.int({ min: 0, max: 1024 }).opt(),
  timeoutMs: s.int({ min: 10, max: 60_000, unit: 'ms' }).default(500),
  connectTimeoutMs: s.int({ min: 10, max: 60_000, unit: 'ms' }).default(2000),
  reconnectDelayMs: s.int({ min: 0, max: 600_000, unit: 'ms' }).default(1000),
  circuits: circuitsShape.opt(),
  labels: s.record(s.string()).default({}),
});

export type ModbusDeviceConfig = Infer<typeof modbusDeviceShape> & { type: 'modbus' };

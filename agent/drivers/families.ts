// Device families by config `type`. Adding a family: a folder under agent/drivers/, its shape in
// shapes.ts, and one line here (the mapped type makes a missing family a type error).
import type { DeviceConfig } from '../config/schema.js';
import type { DeviceFamily } from './family.js';
import { gpuHostFamily } from './gpu/family.js';
import { hostFamily } from './host/family.js';
import { minerFamily } from './miner/family.js';
import { modbusFamily } from './pdu/family.js';

const FAMILIES: { readonly [T in DeviceConfig['type']]: DeviceFamily<DeviceConfig, unknown> } = {
  modbus: modbusFamily,
  'gpu-host': gpuHostFamily,
  host: hostFamily,
  miner: minerFamily,
};

/** The family of a device config (each family's methods accept its own config type). */
export function familyOf(d: DeviceConfig): DeviceFamily<DeviceConfig, unknown> {
  return FAMILIES[d.type];
}

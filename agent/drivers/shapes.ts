// The config shape of every device family, by `type`. Adding a family: its config shape here,
// its implementation in families.ts.
import { minerDeviceShape } from './miner/config.js';
import { modbusDeviceShape } from './pdu/config.js';

export const DEVICE_SHAPES = {
  modbus: modbusDeviceShape,
  miner: minerDeviceShape,
} as const;

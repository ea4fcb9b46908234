// The config shape of every device family, by `type`. Adding a family: its config shape here,
// its implementation in families.ts.
import { modbusDeviceShape } from './pdu/config.js';

export const DEVICE_SHAPES = {
  modbus: modbusDeviceShape,
} as const;

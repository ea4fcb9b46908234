// The config shape of every device family, by `type`. Adding a family: its config shape here,
// its implementation in families.ts.
import { gpuHostDeviceShape } from './gpu/config.js';
import { hostDeviceShape } from './host/config.js';
import { minerDeviceShape } from './miner/config.js';
import { modbusDeviceShape } from './pdu/config.js';

export const DEVICE_SHAPES = {
  modbus: modbusDeviceShape,
  'gpu-host': gpuHostDeviceShape,
  host: hostDeviceShape,
  miner: minerDeviceShape,
} as const;

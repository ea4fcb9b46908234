// Firmware modules by name. Adding one: a module file here and an entry below (and its name in
// FIRMWARES, data.ts).
import type { FirmwareName } from '../data.js';
import { antminer } from './antminer.js';
import { braiins } from './braiins.js';
import { luxos } from './luxos.js';
import type { FirmwareModule } from './types.js';
import { vnish } from './vnish.js';
import { whatsminerV2 } from './whatsminer-v2.js';
import { whatsminerV3 } from './whatsminer-v3.js';

export const FIRMWARE_MODULES: { readonly [F in FirmwareName]: FirmwareModule } = {
  antminer,
  braiins,
  luxos,
  'whatsminer-v2': whatsminerV2,
  'whatsminer-v3': whatsminerV3,
  vnish,
};

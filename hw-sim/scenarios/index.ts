// Scenarios by name (`rackpilot sim --scenario NAME`). Adding one = a file + an entry here.
import { demo } from './demo.js';
import { gpu } from './gpu.js';
import { minerFleet } from './miner-fleet.js';
import { minerFleet200 } from './miner-fleet-200.js';
import { mixedModbus } from './mixed-modbus.js';
import type { Scenario } from './types.js';

export const SCENARIOS: ReadonlyMap<string, Scenario> = new Map([demo, gpu, mixedModbus, minerFleet, minerFleet200].map((s) => [s.name, s]));

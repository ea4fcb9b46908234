// Scenarios by name (`rackpilot sim --scenario NAME`). Adding one = a file + an entry here.
import { demo } from './demo.js';
import { minerFleet } from './miner-fleet.js';
import type { Scenario } from './types.js';

export const SCENARIOS: ReadonlyMap<string, Scenario> = new Map([demo, minerFleet].map((s) => [s.name, s]));

// Scenarios by name (`rackpilot sim --scenario NAME`). Adding one = a file + an entry here.
import { aiSurge } from './ai-surge.js';
import { demo } from './demo.js';
import type { Scenario } from './types.js';

export const SCENARIOS: ReadonlyMap<string, Scenario> = new Map([demo, aiSurge].map((s) => [s.name, s]));

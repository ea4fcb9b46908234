// Scenarios by name (`rackpilot sim --scenario NAME`). Adding one = a file + an entry here.
import { aiSurge } from './ai-surge.js';
import { breakerNearLimit } from './breaker-near-limit.js';
import { demo } from './demo.js';
import { fullRack } from './full-rack.js';
import { gridCurtailment } from './grid-curtailment.js';
import { hubOutage } from './hub-outage.js';
import { minerIgnoresCommands } from './miner-ignores-commands.js';
import { pduTelemetryLoss } from './pdu-telemetry-loss.js';
import type { Scenario } from './types.js';

export const SCENARIOS: ReadonlyMap<string, Scenario> = new Map(
  [demo, aiSurge, gridCurtailment, pduTelemetryLoss, minerIgnoresCommands, hubOutage, breakerNearLimit, fullRack].map((s) => [s.name, s]),
);

// Scenarios by name (`rackpilot sim --scenario NAME`). Adding one = a file + an entry here.
import { aiSurge } from './ai-surge.js';
import { breakerNearLimit } from './breaker-near-limit.js';
import { demo } from './demo.js';
import { fullRack } from './full-rack.js';
import { gpu } from './gpu.js';
import { gridCurtailment } from './grid-curtailment.js';
import { hubOutage } from './hub-outage.js';
import { minerFleet } from './miner-fleet.js';
import { minerFleet200 } from './miner-fleet-200.js';
import { minerIgnoresCommands } from './miner-ignores-commands.js';
import { mixedModbus } from './mixed-modbus.js';
import { pduTelemetryLoss } from './pdu-telemetry-loss.js';
import type { Scenario } from './types.js';

export const SCENARIOS: ReadonlyMap<string, Scenario> = new Map(
  [demo, gpu, mixedModbus, minerFleet, minerFleet200, aiSurge, gridCurtailment, pduTelemetryLoss, minerIgnoresCommands, hubOutage, breakerNearLimit, fullRack]
    .map((s) => [s.name, s]),
);

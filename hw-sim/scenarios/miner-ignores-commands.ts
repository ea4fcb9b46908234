// miner-ignores-commands: two miners acknowledge every command and keep hashing (firmware that
// accepts a target and ignores it). When the AI surges the controller pauses miners; the two that
// do not follow are found out against the PDU's readings after their settle time and switched off
// at their outlets (the last resort). No AI is throttled while they still draw.
import { aiSurge } from './ai-surge.js';
import type { Scenario } from './types.js';

export const minerIgnoresCommands: Scenario = {
  ...aiSurge,
  name: 'miner-ignores-commands',
  description: 'AI surge at 20 s; miner-01 and miner-02 acknowledge commands and keep hashing',
  timeline: [
    { atS: 0, fault: 'ignore_commands', target: 'miner-01' },
    { atS: 0, fault: 'ignore_commands', target: 'miner-02' },
    { atS: 20, loads: 'gpu-*', set: { demand: 1 } },
  ],
  durationS: 120,
};

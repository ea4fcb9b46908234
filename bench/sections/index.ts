// Benchmark sections, in run order. Adding one: a file here and a line below.
import type { Section } from '../harness.js';
import { agentSection } from './agent.js';
import { codec } from './codec.js';
import { controlSection } from './control.js';
import { fullRackSection } from './full-rack.js';
import { gpuSection } from './gpu.js';
import { minersSection } from './miners.js';
import { modbusSection } from './modbus.js';
import { spoolSection } from './spool.js';
import { wire } from './wire.js';

export const SECTIONS: readonly Section[] = [codec, wire, spoolSection, agentSection(), modbusSection, minersSection(), gpuSection(), fullRackSection(), controlSection];

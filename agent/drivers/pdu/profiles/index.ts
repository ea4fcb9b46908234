// Built-in profiles by name. A profile can also be loaded from a YAML file (config `profile:`
// given as a path), validated with the same shape.
import { profileShape, type Profile } from '../profile.js';
import { rackpilotSimPdu } from './rackpilot-sim-pdu.js';

const builtins: readonly Profile[] = [rackpilotSimPdu];

export const BUILTIN_PROFILES: ReadonlyMap<string, Profile> = new Map(
  builtins.map((p) => [p.name, profileShape.parse(p, `built-in profile ${p.name}`)]),
);

// Reply builders for simulated cgminer-family daemons (STATUS shapes 1 and 2 of
// shared/reference/miners.md §1.6) and the multi-command join ("summary+devs").
import { unixS } from './sim-miner.js';

export type Letter = 'S' | 'I' | 'W' | 'E' | 'F';

/** Shape 1: "STATUS":[{…}] beside the section, "id":1. */
export function cg(letter: Letter, code: number, msg: string, description: string, section?: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return { STATUS: [{ STATUS: letter, When: unixS(), Code: code, Msg: msg, Description: description }], ...section, id: 1 };
}

export function cgError(code: number, msg: string, description: string): Record<string, unknown> {
  return cg('E', code, msg, description);
}

/** Shape 2 (Whatsminer get_*, status, privileged replies): STATUS a string, Msg beside it. */
export function shape2(letter: Letter, code: number, msg: unknown, description = ''): Record<string, unknown> {
  return { STATUS: letter, When: unixS(), Code: code, Msg: msg, Description: description };
}

/**
 * "a+b+c": every part answered as its own one-element array, duplicates collapsed, as cgminer
 * API ≥ 3.1 does. `single` answers one command; parts it rejects keep their E STATUS.
 */
export function multi(command: string, single: (cmd: string) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const part of [...new Set(command.split('+'))]) out[part] = [single(part)];
  return { ...out, id: 1 };
}

/** "0:00:03"-style durations (Antminer pools "Last Share Time"). */
export function hms(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

export function fixed(n: number, digits = 2): number {
  return Number(n.toFixed(digits));
}

export const SIM_POOLS = [
  { url: 'stratum+tcp://pool.example.net:3333', user: 'rackpilot.sim' },
  { url: 'stratum+tcp://backup.example.net:3333', user: 'rackpilot.sim' },
];
